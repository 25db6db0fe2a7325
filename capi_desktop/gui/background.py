"""The one way the GUI runs slow work (HTTP calls, sign-in waits, staging, uploads) off the GUI thread.

An ``Operation`` runs ``work(control, report)`` once on a pool thread. ``control`` (``core.control``)
is how the window pauses or cancels it; ``report(progress)`` sends typed progress. ``on_success``,
``on_failure`` and ``on_progress`` are called on the GUI thread; an operation that was ``drop``ped
(superseded by a newer one, or its page left) calls none of them. Python's cyclic collector is paused
while any operation runs (``collector_paused``): bulk work makes no reference cycles, and a full
collection would freeze the window.

Why QThreadPool and not QThread: work is a plain callable that needs no event loop of its own, and the
pool reuses threads. Pool threads never hold a QObject of an operation: they report to one relay that
lives as long as the app, and the relay keeps each running operation, on the GUI thread, until its end
has been delivered (a QObject destroyed on a pool thread while its result was queued crashed the app).
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from capi_desktop.collector import collector_paused
from capi_desktop.core.control import Control

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = TypeVar("P")


class Operation(Generic[T, P]):
    """One piece of slow work. Create and start it on the GUI thread; it runs once.

    ``on_failure(exc, cancelled)`` gets whatever the work raised (it never escapes as a traceback), and
    whether the user had cancelled it meanwhile; without it, failures are logged.
    """

    def __init__(
        self,
        work: Callable[[Control, Callable[[P], None]], T],
        on_success: Callable[[T], None],
        *,
        on_failure: Callable[[Exception, bool], None] | None = None,
        on_progress: Callable[[P], None] | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        self.work = work
        self.control = Control()
        self._on_success, self._on_failure, self._on_progress = on_success, on_failure, on_progress
        self._pool = pool or QThreadPool.globalInstance()
        self._started = self._running = self._dropped = False

    @property
    def running(self) -> bool:
        return self._running

    @property
    def cancelled(self) -> bool:
        return self.control.cancelled

    def start(self) -> Operation[T, P]:
        if self._started:
            raise RuntimeError("An operation runs only once; create a new one.")
        self._started = self._running = True
        self._pool.start(_relay().job_for(self))
        return self

    def cancel(self) -> None:
        """Ask the work to stop; it ends at its next look at the control, and still reports its end."""
        self.control.cancel()

    def drop(self) -> None:
        """Cancel, and call none of the callbacks any more: nobody wants the result now."""
        self._dropped = True
        self.control.cancel()

    def _succeeded(self, result: Any) -> None:
        self._running = False
        if not self._dropped:
            self._on_success(result)

    def _failed(self, exc: Exception) -> None:
        self._running = False
        if not self._dropped:
            (self._on_failure or _logged)(exc, self.control.cancelled)

    def _progressed(self, progress: Any) -> None:
        if not self._dropped and self._on_progress is not None:
            self._on_progress(progress)


def _logged(exc: Exception, cancelled: bool) -> None:
    logger.warning("Background work failed: %s", exc)


class _Relay(QObject):
    """Carries what work reports from pool threads to its operation on the GUI thread."""

    # Emitted on pool threads with the operation's key, delivered (queued) on the GUI thread, in order.
    _succeeded = Signal(int, object)
    _raised = Signal(int, object)
    _advanced = Signal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self._keys = itertools.count()
        self._running: dict[int, Operation[Any, Any]] = {}
        self._succeeded.connect(self._deliver_result)
        self._raised.connect(self._deliver_error)
        self._advanced.connect(self._deliver_progress)

    def job_for(self, operation: Operation[Any, Any]) -> Callable[[], None]:
        """What the pool runs: it refers to the work and the relay, not to the operation."""
        key = next(self._keys)
        self._running[key] = operation
        work, control = operation.work, operation.control
        succeeded, raised, advanced = self._succeeded, self._raised, self._advanced

        def run() -> None:  # on the pool thread
            try:
                with collector_paused(freeze=False):
                    result = work(control, lambda progress: advanced.emit(key, progress))
            except Exception as exc:  # every failure goes to the GUI as a signal, never as a traceback
                logger.debug("Background work ended with %s", type(exc).__name__)
                raised.emit(key, exc)
            else:
                succeeded.emit(key, result)

        return run

    @Slot(int, object)
    def _deliver_result(self, key: int, result: object) -> None:
        self._running.pop(key)._succeeded(result)

    @Slot(int, object)
    def _deliver_error(self, key: int, exc: Exception) -> None:
        self._running.pop(key)._failed(exc)

    @Slot(int, object)
    def _deliver_progress(self, key: int, progress: object) -> None:
        operation = self._running.get(key)
        if operation is not None:
            operation._progressed(progress)


@functools.cache
def _relay() -> _Relay:
    return _Relay()  # made on first use, which is on the GUI thread, so it lives there


class OperationSlot:
    """At most one operation at a time, for a page or a dialog: starting one drops the one before (nobody
    wants its result any more), and the slot is empty again once an operation has ended."""

    def __init__(self) -> None:
        self.current: Operation[Any, Any] | None = None

    def start(
        self,
        work: Callable[[Control, Callable[[P], None]], T],
        on_success: Callable[[T], None],
        *,
        on_failure: Callable[[Exception, bool], None] | None = None,
        on_progress: Callable[[P], None] | None = None,
    ) -> Operation[T, P]:
        self.drop()

        def succeeded(result: T) -> None:
            self.current = None
            on_success(result)

        def failed(exc: Exception, cancelled: bool) -> None:
            self.current = None
            (on_failure or _logged)(exc, cancelled)

        operation = Operation(work, succeeded, on_failure=failed, on_progress=on_progress)
        self.current = operation
        return operation.start()

    def drop(self) -> None:
        operation, self.current = self.current, None
        if operation is not None:
            operation.drop()
