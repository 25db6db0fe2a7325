"""One switch for Python's cyclic garbage collector around bulk work, for every layer (stdlib only)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during bulk work (staging, uploading, parsing a batch).

    A full collection walks every tracked object while holding the interpreter lock: the window froze
    for 100-300 ms at a time while rows were staged or uploaded (measured with a 10 ms heartbeat), and
    the sandbox spent as long collecting as parsing a 5,000-event batch. This work makes (almost) no
    reference cycles, so memory is still freed as usual by reference counting.

    When the last pause ends, what survived is moved to the permanent generation (``gc.freeze``):
    long-lived objects such as the preview's pages then never make a later full collection slow.
    Nested and overlapping pauses are counted.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.freeze()
                gc.enable()
