"""One switch for Python's cyclic garbage collector around bulk work, for every layer (stdlib only)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = True
_freeze_wanted = False


@contextmanager
def collector_paused(*, freeze: bool = True) -> Iterator[None]:
    """Pause Python's cyclic garbage collector during bulk work (staging, uploading, parsing a batch).

    A full collection walks every tracked object while holding the interpreter lock: the window froze
    for 100-300 ms at a time while rows were staged or uploaded (measured with a 10 ms heartbeat), and
    the sandbox spent as long collecting as parsing a 5,000-event batch. This work makes (almost) no
    reference cycles, so memory is still freed as usual by reference counting.

    When the last pause ends, what survived is moved to the permanent generation (``gc.freeze``):
    long-lived objects such as the preview's pages then never make a later full collection slow; a
    pause with ``freeze=False`` (short work, such as the window's) does not ask for that, since it also
    keeps garbage made before it for good. Nested and overlapping pauses are counted. Collection that
    was off before stays off.
    """
    global _collector_pauses, _collector_was_enabled, _freeze_wanted
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            _freeze_wanted = False
            gc.disable()
        _collector_pauses += 1
        _freeze_wanted = _freeze_wanted or freeze
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0:
                if _freeze_wanted:
                    gc.freeze()
                if _collector_was_enabled:
                    gc.enable()


def collect_only_when_asked() -> None:
    """Switch automatic collection off for good; the caller runs ``collect_if_due`` on its own thread.

    The GUI needs this: automatic collection runs in whichever thread crosses a threshold, and Qt objects
    found in a cycle must not be destroyed on a worker's thread (that crashed the app).
    """
    global _collector_was_enabled
    with _collector_lock:
        _collector_was_enabled = False  # a pause running now must not switch it back on
        gc.disable()


def collect_if_due() -> None:
    """What automatic collection would do now: the oldest generation past its threshold, which takes the
    younger ones along. Nothing while bulk work has the collector paused."""
    with _collector_lock:
        if _collector_pauses:
            return
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return
