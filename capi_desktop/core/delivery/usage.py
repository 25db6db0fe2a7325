"""Pacing to LinkedIn's limits for one member token: requests per minute (in memory) and requests per
UTC day (on disk, so the count holds across jobs and restarts)."""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from capi_desktop.core.journal import JournalError
from capi_desktop.core.storage import connect, transaction, write_ahead, writing


@dataclass(frozen=True)
class Limits:
    per_minute: int = 600  # 0 turns pacing off (benchmarks against the sandbox)
    per_day: int = 300_000


class DailyUsage:
    """Requests made per token per UTC day; ``key`` identifies the token without storing it."""

    def __init__(self, path: Path, key: str) -> None:
        self._folder = path.parent
        self._key = key
        self._db = connect(path)
        try:
            write_ahead(self._db, self._folder)
            with writing(self._folder):
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS usage (key TEXT, day TEXT, requests INTEGER, PRIMARY KEY (key, day))"
                )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JournalError(f"The request counter ({path.name}) is damaged: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def used(self, day: str) -> int:
        row = self._db.execute("SELECT requests FROM usage WHERE key = ? AND day = ?", (self._key, day)).fetchone()
        return int(row[0]) if row else 0

    def add(self, day: str) -> int:
        with transaction(self._db, self._folder):
            self._db.execute(
                "INSERT INTO usage(key, day, requests) VALUES (?, ?, 1) "
                "ON CONFLICT(key, day) DO UPDATE SET requests = requests + 1",
                (self._key, day),
            )
        return self.used(day)


def utc_day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def seconds_to_utc_midnight(epoch: float) -> float:
    now = datetime.fromtimestamp(epoch, UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


class RequestPacer:
    """Waits, when needed, before each request so neither limit is exceeded."""

    def __init__(
        self,
        limits: Limits,
        usage: DailyUsage,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits
        self.usage = usage
        self._clock = clock
        self._recent: deque[float] = deque()

    def used_today(self) -> int:
        return self.usage.used(utc_day(self._clock()))

    def wait_needed(self) -> tuple[float, str | None]:
        """Seconds to wait before the next request may go, and why (None when it may go now)."""
        now = self._clock()
        if self.usage.used(utc_day(now)) >= self.limits.per_day:
            wait = seconds_to_utc_midnight(now)
            return wait, (
                f"LinkedIn's daily limit of {self.limits.per_day:,} requests is used up; "
                f"the upload continues after midnight UTC (in {wait / 3600:.1f} h)."
            )
        if self.limits.per_minute <= 0:
            return 0.0, None
        while self._recent and now - self._recent[0] >= 60:
            self._recent.popleft()
        if len(self._recent) >= self.limits.per_minute:
            return 60 - (now - self._recent[0]), "Keeping to LinkedIn's limit of requests per minute."
        return 0.0, None

    def record(self) -> int:
        """Count a request that is about to go; returns requests used today."""
        now = self._clock()
        self._recent.append(now)
        return self.usage.add(utc_day(now))
