"""The API version in words, as Settings and `capi-desktop account` say it."""

from __future__ import annotations

from datetime import date

from capi_desktop.core.delivery.apiversion import KnownVersion, months_to_try, version_note


def test_the_version_is_named_by_its_month_and_the_day_it_last_worked() -> None:
    known = KnownVersion("202606", "2026-12-07")
    assert version_note("202606", known, today=date(2026, 12, 7)) == (
        "LinkedIn's June 2026 version (202606), which last worked on 7 Dec 2026."
    )
    assert version_note("202609", known, today=date(2026, 12, 7)) == "LinkedIn's September 2026 version (202609)."


def test_near_the_end_of_its_year_the_note_says_when_and_what_happens() -> None:
    assert version_note("202602", None, today=date(2026, 12, 7)) == (
        "LinkedIn's February 2026 version (202602). LinkedIn supports each version for about a year, so this "
        "one ends around February 2027; the app moves to a newer one by itself when LinkedIn refuses it."
    )


def test_a_refused_version_is_followed_by_this_month_back_then_the_older_year() -> None:
    tried = months_to_try("202610", today=date(2026, 12, 7))
    assert tried[:3] == ["202612", "202611", "202609"]
    assert tried[-1] == "202512" and "202610" not in tried
