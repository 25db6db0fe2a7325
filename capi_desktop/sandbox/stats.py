"""Counters the admin endpoint reports, so tests can prove that 429s, 5xx and dropped connections
really happened (a dropped connection leaves no trace on the client other than an exception).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

logger = logging.getLogger(__name__)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_status: Counter[int] = Counter()
        self._dropped_before = 0
        self._dropped_after = 0

    def count_response(self, status: int) -> None:
        with self._lock:
            self._by_status[status] += 1

    def count_drop(self, *, after_processing: bool) -> None:
        with self._lock:
            if after_processing:
                self._dropped_after += 1
            else:
                self._dropped_before += 1

    def to_dict(self) -> dict[str, object]:
        with self._lock:
            answered = sum(self._by_status.values())
            dropped = self._dropped_before + self._dropped_after
            return {
                "requests": answered + dropped,
                "by_status": {str(status): n for status, n in sorted(self._by_status.items())},
                "dropped": {"before_processing": self._dropped_before, "after_processing": self._dropped_after},
            }

    def reset(self) -> None:
        with self._lock:
            self._by_status.clear()
            self._dropped_before = 0
            self._dropped_after = 0
