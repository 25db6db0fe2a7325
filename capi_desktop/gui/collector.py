"""Python's cycle collector runs on the GUI thread only (see ``capi_desktop.collector``).

Seen in the test suite before this: "Garbage-collecting" on a worker's pool thread, then a segmentation
fault, as Qt objects found in a cycle were destroyed off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer

from capi_desktop.collector import collect_if_due, collect_only_when_asked

INTERVAL_MS = 500
_TIMER_NAME = "capi-desktop-cycle-collector"


def collect_on_gui_thread(app: QCoreApplication) -> QTimer:
    """Switch automatic collection off and collect from a timer owned by ``app``; call it on the GUI thread."""
    existing = app.findChild(QTimer, _TIMER_NAME)
    if isinstance(existing, QTimer):
        return existing
    timer = QTimer(app)
    timer.setObjectName(_TIMER_NAME)
    timer.timeout.connect(collect_if_due)
    timer.start(INTERVAL_MS)
    collect_only_when_asked()
    return timer
