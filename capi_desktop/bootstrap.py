"""Process tuning, in one place: what the interpreter is told before the window or a command runs.

The collector's pauses around bulk work are in ``collector``; the window's collection timer is in
``gui.collector``.
"""

from __future__ import annotations

import ctypes
import sys


def tune_for_window() -> None:
    """For a process with Qt's window: guard True/False against PySide6, and hand the interpreter lock
    over often, so that the event loop's waits stay short while staging and upload work run."""
    _protect_true_and_false()
    sys.setswitchinterval(0.001)  # the default is 5 ms


_protected = False


def _protect_true_and_false() -> None:
    """Work around a PySide6 bug that would otherwise crash the app on Python 3.11.

    The same happens to ``None`` (a call returning nothing, such as ``QPushButton.click()``, drops one
    reference): 20,000 clicks aborted Python with "none_dealloc"; with the guard 300,000 did not.

    ``Signal.emit()`` (seen in PySide6 6.12) returns ``True`` without taking a reference to it, so
    every emit drops one reference that was never taken. From Python 3.12 on, ``True`` and ``False``
    are immortal and this does no harm; on 3.11 a few hundred emits bring ``True``'s count to zero and
    the interpreter aborts ("bool_dealloc: deallocating True or False"). Adding spare references makes
    them effectively immortal, as 3.12 does. Extra references to the two bool singletons are harmless,
    so this stays safe once PySide6 is fixed; remove it when the app requires Python 3.12.
    """
    global _protected
    if _protected or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    _protected = True
    for value in (True, False, None):
        # ob_refcnt is the first field of every CPython object (release builds).
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 28
