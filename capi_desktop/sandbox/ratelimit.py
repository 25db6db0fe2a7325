"""LinkedIn's Conversions API throttles per member access token: N requests per sliding minute and a
daily cap that resets at midnight UTC. Both limits are read from the knobs on every call, so a test can
lower them while the server runs.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

logger = logging.getLogger(__name__)

_WINDOW_SECONDS = 60.0
_DAY_SECONDS = 86_400


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}
        self._daily: dict[tuple[str, int], int] = {}

    def admit(self, token: str, now: float, per_minute: int, daily_cap: int) -> str | None:
        """Count one request; return why it is throttled instead (then it is not counted)."""
        day = int(now // _DAY_SECONDS)
        with self._lock:
            recent = self._recent.setdefault(token, deque())
            while recent and recent[0] <= now - _WINDOW_SECONDS:
                recent.popleft()
            if len(recent) >= per_minute:
                return f"Member token throttled: more than {per_minute} requests in the last minute"
            used_today = self._daily.get((token, day), 0)
            if used_today >= daily_cap:
                return f"Member token throttled: the daily limit of {daily_cap} requests is reached"
            recent.append(now)
            self._daily[(token, day)] = used_today + 1
        return None

    def reset(self) -> None:
        with self._lock:
            self._recent.clear()
            self._daily.clear()
