"""Guard for the PySide6 workaround in ``capi_desktop.gui``: emitting signals must never crash Python 3.11."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import capi_desktop.gui  # noqa: F401  (applies the workaround)


class _Emitter(QObject):
    ping = Signal()


def test_many_emits_leave_true_alive() -> None:
    emitter = _Emitter()
    for _ in range(20_000):  # far more than True's natural reference count on 3.11 (a few hundred)
        emitter.ping.emit()
    assert sys.getrefcount(True) > 1_000_000
