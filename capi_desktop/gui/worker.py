"""The one way the GUI runs slow work (HTTP calls, sign-in waits, uploads) off the GUI thread.

A ``Worker`` wraps a callable ``task(cancel, progress)``: ``cancel`` is a ``threading.Event`` the task
checks to stop early, ``progress(done, total)`` reports how far it got. Results come back as Qt
signals on the GUI thread: ``finished(result)``, ``failed(exception)`` and ``progress(done, total)``.

Why QThreadPool and not QThread: tasks are plain callables that need no event loop of their own, the
pool reuses threads, and a single class covers every task instead of one QThread subclass per job.
The task emits private signals from the pool thread; because the Worker lives on the GUI thread, Qt
queues them there and the public signals are emitted on the GUI thread, whatever the receiver is.
"""

from __future__ import annotations

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

    Exceptions raised by the task never escape: they arrive as ``failed``. A cancelled task still
    reports how it ended (a sign-in may complete just as the user cancels); ``is_cancelled`` lets the
    receiver decide whether to tell the user.
    """

    finished = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)

    # Emitted on the pool thread, delivered (queued) to this object's own thread.
    _succeeded = Signal(object)
    _raised = Signal(object)
    _advanced = Signal(int, int)

    def __init__(self, task: Task, *, pool: QThreadPool | None = None) -> None:
        # No parent on purpose: the running task keeps the Worker alive, so a page closing mid-task
        # can never delete the object the pool thread is about to emit from.
        super().__init__()
        self._task = task
        self._pool = pool or QThreadPool.globalInstance()
        self._cancel = threading.Event()
        self._started = False
        self._running = False
        self._succeeded.connect(self._deliver_result)
        self._raised.connect(self._deliver_error)
        self._advanced.connect(self.progress)

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
        self._pool.start(self._run)

    def cancel(self) -> None:
        """Ask the task to stop; it ends at its next check of the cancel event."""
        self._cancel.set()

    def _run(self) -> None:  # on the pool thread
        try:
            result = self._task(self._cancel, self._advanced.emit)
        except Exception as exc:  # every failure goes to the GUI as a signal, never as a traceback
            logger.debug("Background task ended with %s", type(exc).__name__)
            self._raised.emit(exc)
        else:
            self._succeeded.emit(result)

    @Slot(object)
    def _deliver_result(self, result: object) -> None:
        self._running = False
        self.finished.emit(result)

    @Slot(object)
    def _deliver_error(self, exc: object) -> None:
        self._running = False
        self.failed.emit(exc)
