"""Reference cycles are collected on the GUI thread, never on a worker's pool thread."""

from __future__ import annotations

import gc
import threading

from pytestqt.qtbot import QtBot

from capi_desktop.core.control import Control
from capi_desktop.gui.background import Operation


class _Cycle:
    """Refers to itself, so only the cycle collector frees it; says on which thread that happened."""

    def __init__(self, freed_on: list[int]) -> None:
        self.me = self
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.get_ident())


def test_a_cycle_dropped_while_a_worker_allocates_is_freed_on_the_gui_thread(qtbot: QtBot) -> None:
    assert not gc.isenabled()  # the app's collector is running, as in the app
    gui_thread = threading.get_ident()
    freed_on: list[int] = []
    _Cycle(freed_on)  # unreachable at once; Qt objects in such a cycle must not die on a pool thread

    def work(control: Control, report: object) -> list[list[int]]:
        # Far past every threshold: Python's own collector would run here, on the pool thread.
        return [[number] for number in range(200_000)]

    kept: list[list[list[int]]] = []
    Operation(work, kept.append).start()
    qtbot.waitUntil(lambda: bool(kept), timeout=10_000)
    assert len(kept[0]) == 200_000
    qtbot.waitUntil(lambda: bool(freed_on), timeout=5_000)
    assert freed_on == [gui_thread]
