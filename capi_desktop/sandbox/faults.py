"""Failure injection: random 429 and 5xx answers and dropped connections, reproducible through a seed.

A drop either happens before the request is processed (nothing stored) or after it (the events are
stored, but the client never hears so) — the second kind is what exactly-once delivery must survive.
"""

from __future__ import annotations

import enum
import logging
import random
import threading
from dataclasses import dataclass

logger = logging.getLogger(__name__)

ERROR_STATUSES = (500, 502, 503, 504)


class Drop(enum.Enum):
    BEFORE_PROCESSING = "before"
    AFTER_PROCESSING = "after"


@dataclass(frozen=True)
class Fault:
    error_status: int | None = None  # 429 (a throttling burst) or a 5xx
    drop: Drop | None = None


NO_FAULT = Fault()


class FaultInjector:
    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._seed = seed

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)
            self._seed = seed

    def roll(self, seed: int | None, error_rate: float, drop_rate: float, throttle_rate: float = 0.0) -> Fault:
        """Decide the fate of one request; a changed seed knob restarts the random sequence."""
        if error_rate <= 0 and drop_rate <= 0 and throttle_rate <= 0:
            return NO_FAULT
        with self._lock:
            if seed != self._seed:
                self._rng = random.Random(seed)
                self._seed = seed
            rng = self._rng
            if throttle_rate > 0 and rng.random() < throttle_rate:
                return Fault(error_status=429)
            if rng.random() < error_rate:
                return Fault(error_status=rng.choice(ERROR_STATUSES))
            if rng.random() < drop_rate:
                return Fault(drop=Drop.AFTER_PROCESSING if rng.random() < 0.5 else Drop.BEFORE_PROCESSING)
        return NO_FAULT
