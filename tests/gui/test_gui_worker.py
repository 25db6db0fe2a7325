"""The worker: results, failures and progress arrive on the GUI thread; cancelling reaches the task."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from capi_desktop.gui.worker import Progress, Worker


def test_result_arrives_on_the_gui_thread(qtbot: QtBot) -> None:
    gui_thread = threading.get_ident()  # tests run on the GUI thread
    ran_on: list[int] = []
    seen_on: list[int] = []

    def task(cancel: threading.Event, progress: Progress) -> int:
        ran_on.append(threading.get_ident())
        return 42

    worker = Worker(task)
    worker.finished.connect(lambda result: seen_on.append(threading.get_ident()))
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.start()
    assert blocker.args == [42]
    assert ran_on[0] != gui_thread
    assert seen_on == [gui_thread]
    assert not worker.is_running


def test_an_exception_arrives_as_failed_without_a_traceback(qtbot: QtBot, capfd: pytest.CaptureFixture[str]) -> None:
    def task(cancel: threading.Event, progress: Progress) -> None:
        raise ValueError("broken on purpose")

    worker = Worker(task)
    finished: list[object] = []
    worker.finished.connect(finished.append)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start()
    (exc,) = blocker.args
    assert isinstance(exc, ValueError) and str(exc) == "broken on purpose"
    assert finished == []
    assert "Traceback" not in capfd.readouterr().err


def test_progress_values_arrive_in_order_before_the_result(qtbot: QtBot) -> None:
    def task(cancel: threading.Event, progress: Progress) -> str:
        for done in range(1, 4):
            progress(done, 3)
        return "done"

    worker = Worker(task)
    events: list[object] = []
    worker.progress.connect(lambda done, total: events.append((done, total)))
    worker.finished.connect(events.append)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    assert events == [(1, 3), (2, 3), (3, 3), "done"]


def test_cancel_sets_the_event_the_task_checks(qtbot: QtBot) -> None:
    started = threading.Event()

    def task(cancel: threading.Event, progress: Progress) -> str:
        started.set()
        return "stopped" if cancel.wait(timeout=5) else "timed out"

    worker = Worker(task)
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.start()
        assert started.wait(5)
        assert worker.is_running
        worker.cancel()
    assert blocker.args == ["stopped"]
    assert worker.is_cancelled


def test_a_worker_runs_only_once(qtbot: QtBot) -> None:
    worker = Worker(lambda cancel, progress: None)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    with pytest.raises(RuntimeError):
        worker.start()


def test_workers_nobody_holds_any_more_still_deliver_on_the_gui_thread(qtbot: QtBot) -> None:
    # A page drops its job when the user goes back or forward; the task still ends on its pool thread.
    # Before the relay, the pool thread could destroy such a Worker while its result was queued: a crash.
    gui_thread = threading.get_ident()
    delivered: list[tuple[int, int]] = []
    progressed: list[int] = []

    def start(number: int) -> None:
        def task(cancel: threading.Event, progress: Progress) -> int:
            for done in range(3):
                progress(done, 3)
            return number

        worker = Worker(task)
        worker.progress.connect(lambda done, total: progressed.append(done))
        worker.finished.connect(lambda result: delivered.append((result, threading.get_ident())))
        worker.start()  # and the only reference ends with this function

    jobs = 3000
    for number in range(jobs):
        start(number)
        if number % 100 == 0:
            qtbot.wait(1)
    qtbot.waitUntil(lambda: len(delivered) == jobs, timeout=30_000)
    assert sorted(result for result, _ in delivered) == list(range(jobs))
    assert {thread for _, thread in delivered} == {gui_thread}
    assert len(progressed) == 3 * jobs
