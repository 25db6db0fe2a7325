"""Background operations: results, failures and typed progress arrive on the GUI thread; the control
reaches the work; a dropped operation calls nothing; the collector is paused while work runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from capi_desktop.collector import collect_if_due
from capi_desktop.core.control import Control
from capi_desktop.gui.background import Operation


def test_the_result_arrives_on_the_gui_thread(qtbot: QtBot) -> None:
    gui_thread = threading.get_ident()  # tests run on the GUI thread
    ran_on: list[int] = []
    seen: list[tuple[int, int]] = []

    def work(control: Control, report: object) -> int:
        ran_on.append(threading.get_ident())
        return 42

    operation = Operation(work, lambda result: seen.append((result, threading.get_ident()))).start()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(42, gui_thread)] and ran_on[0] != gui_thread
    assert not operation.running


def test_an_exception_arrives_as_a_failure_without_a_traceback(qtbot: QtBot, capfd: pytest.CaptureFixture[str]) -> None:
    def work(control: Control, report: object) -> None:
        raise ValueError("broken on purpose")

    finished: list[object] = []
    failed: list[tuple[Exception, bool]] = []
    Operation(work, finished.append, on_failure=lambda exc, cancelled: failed.append((exc, cancelled))).start()
    qtbot.waitUntil(lambda: bool(failed), timeout=5000)
    ((exc, cancelled),) = failed
    assert isinstance(exc, ValueError) and str(exc) == "broken on purpose" and not cancelled
    assert finished == []
    assert "Traceback" not in capfd.readouterr().err


def test_typed_progress_arrives_in_order_before_the_result(qtbot: QtBot) -> None:
    events: list[object] = []

    def work(control: Control, report: Callable[[tuple[int, str]], None]) -> str:
        for done in range(1, 4):
            report((done, f"step {done}"))
        return "done"

    Operation(work, events.append, on_progress=events.append).start()
    qtbot.waitUntil(lambda: "done" in events, timeout=5000)
    assert events == [(1, "step 1"), (2, "step 2"), (3, "step 3"), "done"]


def test_cancel_reaches_the_work_through_its_control(qtbot: QtBot) -> None:
    started = threading.Event()
    seen: list[str] = []

    def work(control: Control, report: object) -> str:
        started.set()
        return "timed out" if control.wait(5) else "stopped"

    operation = Operation(work, seen.append).start()
    assert started.wait(5) and operation.running
    operation.cancel()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == ["stopped"] and operation.cancelled


def test_pause_holds_the_work_between_steps(qtbot: QtBot) -> None:
    steps: list[int] = []

    def work(control: Control, report: Callable[[int], None]) -> int:
        for step in range(3):
            if not control.wait(0):
                break
            steps.append(step)
            report(step)
        return len(steps)

    seen: list[int] = []
    operation = Operation(work, seen.append)
    operation.control.pause()
    operation.start()
    qtbot.wait(200)
    assert steps == []  # held before its first step
    operation.control.resume()
    qtbot.waitUntil(lambda: seen == [3], timeout=5000)


def test_a_dropped_operation_calls_nothing(qtbot: QtBot) -> None:
    release = threading.Event()
    calls: list[object] = []

    def work(control: Control, report: Callable[[int], None]) -> int:
        release.wait(5)
        report(1)
        return 1

    operation = Operation(work, calls.append, on_failure=lambda e, c: calls.append(e), on_progress=calls.append)
    operation.start()
    operation.drop()  # superseded: a newer operation took its place
    release.set()
    qtbot.waitUntil(lambda: not operation.running, timeout=5000)
    qtbot.wait(50)
    assert calls == [] and operation.cancelled


class _Cycle:
    def __init__(self, freed: list[bool]) -> None:
        self.me, self.freed = self, freed

    def __del__(self) -> None:
        self.freed.append(True)


def test_no_collection_runs_while_work_runs(qtbot: QtBot) -> None:
    started, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def work(control: Control, report: object) -> int:
        started.set()
        release.wait(5)
        return 1

    Operation(work, seen.append).start()
    assert started.wait(5)
    freed: list[bool] = []
    _Cycle(freed)
    garbage = [[n] for n in range(5000)]  # past the youngest generation's threshold
    collect_if_due()
    assert freed == []  # the work has the collector paused
    release.set()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    garbage += [[n] for n in range(5000)]
    collect_if_due()
    assert freed == [True]


def test_an_operation_runs_only_once(qtbot: QtBot) -> None:
    seen: list[object] = []
    operation = Operation(lambda control, report: None, seen.append).start()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    with pytest.raises(RuntimeError):
        operation.start()


def test_operations_nobody_holds_any_more_still_deliver_on_the_gui_thread(qtbot: QtBot) -> None:
    # A page drops its reference when the user goes back or forward; the work still ends on its pool
    # thread. Before the relay, the pool thread could destroy such an object while its result was
    # queued: a crash.
    gui_thread = threading.get_ident()
    delivered: list[tuple[int, int]] = []
    progressed: list[int] = []

    def start(number: int) -> None:
        def work(control: Control, report: Callable[[int], None]) -> int:
            for done in range(3):
                report(done)
            return number

        Operation(
            work, lambda result: delivered.append((result, threading.get_ident())), on_progress=progressed.append
        ).start()  # and the only reference ends with this function

    jobs = 3000
    for number in range(jobs):
        start(number)
        if number % 100 == 0:
            qtbot.wait(1)
    qtbot.waitUntil(lambda: len(delivered) == jobs, timeout=30_000)
    assert sorted(result for result, _ in delivered) == list(range(jobs))
    assert {thread for _, thread in delivered} == {gui_thread}
    assert len(progressed) == 3 * jobs
