"""The one way the GUI runs slow work (HTTP calls, sign-in waits, uploads) off the GUI thread.

A ``Worker`` wraps a callable ``task(cancel, progress)``: ``cancel`` is a ``threading.Event`` the task
checks to stop early, ``progress(done, total)`` reports how far it got. Results come back as Qt
signals on the GUI thread: ``finished(result)``, ``failed(exception)`` and ``progress(done, total)``.

Why QThreadPool and not QThread: tasks are plain callables that need no event loop of their own, the
pool reuses threads, and a single class covers every task instead of one QThread subclass per job.

Pool threads never hold a Worker. If one did, it could drop the last reference to a Worker whose page
no longer wanted it, and the Worker would be destroyed on the pool thread while its result was still
queued for the GUI thread: the app crashed that way. Instead a task reports to one relay object that
lives as long as the app, and the relay keeps each running Worker, on the GUI thread, until its result
has been delivered.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Task = Callable[[threading.Event, Progress], Any]


class Worker(QObject):
    """Runs ``task`` once on a pool thread. Create it, connect its signals, then ``start()``.

    Create and start Workers on the GUI thread. Exceptions raised by the task never escape: they arrive
    as ``failed``. A cancelled task still reports how it ended (a sign-in may complete just as the user
    cancels); ``is_cancelled`` lets the receiver decide whether to tell the user.
    """

    finished = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)

    def __init__(self, task: Task, *, pool: QThreadPool | None = None) -> None:
        super().__init__()
        self._task = task
        self._pool = pool or QThreadPool.globalInstance()
        self._cancel = threading.Event()
        self._started = False
        self._running = False

    @property
    def is_running(self) -> bool:
        return self._running

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def start(self) -> None:
        if self._started:
            raise RuntimeError("A Worker runs its task only once; create a new Worker.")
        self._started = self._running = True
        self._pool.start(_relay().job_for(self))

    def cancel(self) -> None:
        """Ask the task to stop; it ends at its next check of the cancel event."""
        self._cancel.set()

    def _deliver_result(self, result: object) -> None:
        self._running = False
        self.finished.emit(result)

    def _deliver_error(self, exc: object) -> None:
        self._running = False
        self.failed.emit(exc)


class _Relay(QObject):
    """Carries what tasks report from pool threads to their Workers on the GUI thread."""

    # Emitted on pool threads with the job's key, delivered (queued) on the GUI thread, in order per job.
    _succeeded = Signal(int, object)
    _raised = Signal(int, object)
    _advanced = Signal(int, int, int)

    def __init__(self) -> None:
        super().__init__()
        self._keys = itertools.count()
        self._running: dict[int, Worker] = {}
        self._succeeded.connect(self._deliver_result)
        self._raised.connect(self._deliver_error)
        self._advanced.connect(self._deliver_progress)

    def job_for(self, worker: Worker) -> Callable[[], None]:
        """What the pool runs for ``worker``: it refers to the task and the relay, not to the Worker."""
        key = next(self._keys)
        self._running[key] = worker
        task, cancel = worker._task, worker._cancel
        succeeded, raised, advanced = self._succeeded, self._raised, self._advanced

        def run() -> None:  # on the pool thread
            try:
                result = task(cancel, lambda done, total: advanced.emit(key, done, total))
            except Exception as exc:  # every failure goes to the GUI as a signal, never as a traceback
                logger.debug("Background task ended with %s", type(exc).__name__)
                raised.emit(key, exc)
            else:
                succeeded.emit(key, result)

        return run

    @Slot(int, object)
    def _deliver_result(self, key: int, result: object) -> None:
        self._running.pop(key)._deliver_result(result)

    @Slot(int, object)
    def _deliver_error(self, key: int, exc: object) -> None:
        self._running.pop(key)._deliver_error(exc)

    @Slot(int, int, int)
    def _deliver_progress(self, key: int, done: int, total: int) -> None:
        self._running[key].progress.emit(done, total)


@functools.cache
def _relay() -> _Relay:
    return _Relay()  # made on first use, which is on the GUI thread, so it lives there
