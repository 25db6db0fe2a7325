"""The time left in words, with what sets it."""

from __future__ import annotations

from datetime import datetime

from capi_desktop.app.timeleft import duration_words, moment_words, time_left
from capi_desktop.core.delivery.engine import Pace, UploadProgress
from capi_desktop.core.journal import DeliveryCounts


def progress(eta: float | None, pace: Pace) -> UploadProgress:
    counts = DeliveryCounts()
    return UploadProgress(counts, 5000, 1, 300_000, 8000.0, eta, pace=pace, per_minute_cap=600)


def test_durations_in_words() -> None:
    assert [duration_words(s) for s in (20, 60, 130, 3 * 3600, 7200, 5 * 86400)] == [
        "less than a minute",
        "about 1 minute",
        "about 2 minutes",
        "about 3 hours",
        "about 2 hours",
        "about 5 days",
    ]
    assert duration_words(3.5 * 3600) == "about 3.5 hours"


def test_moments_by_the_calendar_of_this_computer() -> None:
    now = datetime(2026, 12, 7, 20, 0).timestamp()  # a Monday, local time
    at = [datetime(2026, 12, day, 2, 10).timestamp() for day in (7, 8, 9, 21)]
    assert [moment_words(moment, now) for moment in at] == [
        "today at 02:10",
        "tomorrow at 02:10",
        "on Wednesday at 02:10",
        "on 21 Dec 2026 at 02:10",
    ]


def test_the_reason_comes_with_the_figure() -> None:
    paced = time_left(progress(7200, Pace.PER_MINUTE))
    assert paced is not None
    assert (paced.figure, paced.caption) == ("about 2 hours", "time left — LinkedIn allows 600 requests a minute")
    assert paced.sentence == "about 2 hours left — LinkedIn allows 600 requests a minute"

    now = datetime(2026, 12, 7, 20, 0).timestamp()
    daily = time_left(progress(datetime(2026, 12, 8, 2, 10).timestamp() - now, Pace.PER_DAY), now=now)
    assert daily is not None
    assert daily.sentence == "finishes tomorrow at 02:10 because of LinkedIn's daily limit"
    assert (daily.figure, daily.caption) == ("tomorrow at 02:10", "finishes then, because of LinkedIn's daily limit")

    measured = time_left(progress(600, Pace.MEASURED))
    assert measured is not None and (measured.figure, measured.caption) == ("about 10 minutes", "time left")
    assert time_left(progress(None, Pace.MEASURED)) is None
