"""The time an upload has left, in words, with what sets it: the speed so far or one of LinkedIn's limits."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from capi_desktop.core.delivery.engine import Pace, UploadProgress
from capi_desktop.core.normalise.dates import day_words


@dataclass(frozen=True)
class TimeLeft:
    figure: str  # "about 2 hours", "tomorrow at 02:10"
    caption: str  # what the figure is and why: "time left — LinkedIn allows 600 requests a minute"
    sentence: str  # both in one line, for the command line


def duration_words(seconds: float) -> str:
    """ "less than a minute", "about 12 minutes", "about 3.5 hours", "about 2 days"."""
    if seconds < 60:
        return "less than a minute"
    if seconds < 90 * 60:
        minutes = round(seconds / 60)
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 2 * 86400:
        return f"about {_figure(seconds / 3600)} hours"
    return f"about {_figure(seconds / 86400)} days"


def _figure(amount: float) -> str:
    return f"{amount:.1f}".removesuffix(".0")


def moment_words(epoch: float, now: float) -> str:
    """When, on this computer's clock: "today at 14:05", "tomorrow at 02:10", "on Wednesday at 02:10"."""
    moment = datetime.fromtimestamp(epoch, UTC).astimezone()
    days = (moment.date() - datetime.fromtimestamp(now, UTC).astimezone().date()).days
    if days <= 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif days < 7:
        day = f"on {moment:%A}"
    else:
        day = f"on {day_words(moment.date())}"
    return f"{day} at {moment:%H:%M}"


def time_left(progress: UploadProgress, now: float | None = None) -> TimeLeft | None:
    """None while there is nothing to estimate from."""
    seconds = progress.eta_seconds
    if seconds is None:
        return None
    if progress.pace is Pace.PER_DAY:
        now = time.time() if now is None else now
        when = moment_words(now + seconds, now)
        why = "because of LinkedIn's daily limit"
        return TimeLeft(when, f"finishes then, {why}", f"finishes {when} {why}")
    duration = duration_words(seconds)
    if progress.pace is Pace.PER_MINUTE:
        why = f"LinkedIn allows {progress.per_minute_cap:,} requests a minute"
        return TimeLeft(duration, f"time left — {why}", f"{duration} left — {why}")
    return TimeLeft(duration, "time left", f"{duration} left")
