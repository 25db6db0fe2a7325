"""Conversion times to epoch ms UTC: every format, day/month order, DST, the 90-day window, time zones.

Expected instants were computed outside Python with GNU date, e.g. `date -u -d 2026-11-23T13:05:00Z +%s`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from capi_desktop.core.normalise import dates
from capi_desktop.core.normalise.dates import (
    DateOrder,
    check_conversion_window,
    detect_date_order,
    parse_conversion_time,
    resolve_timezone,
)
from capi_desktop.core.normalise.problems import ValueProblem

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

T_1305Z = 1795439100000  # 2026-11-23T13:05:00Z = 14:05 in Berlin (CET)
T_1405Z = 1795442700000  # 2026-11-23T14:05:00Z
T_1905Z = 1795460700000  # 2026-11-23T19:05:00Z = 14:05 in New York (EST)
MIDNIGHT_BERLIN = 1795388400000  # 2026-11-22T23:00:00Z = 2026-11-23 00:00 in Berlin
MIDNIGHT_NEW_YORK = 1795410000000  # 2026-11-23T05:00:00Z
NOON_BERLIN = 1795431600000  # 2026-11-23T11:00:00Z


@pytest.mark.parametrize(
    ("cell", "order", "expected"),
    [
        ("2026-11-23", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("2026-11-23T14:05", DateOrder.AUTO, T_1305Z),
        ("2026-11-23 14:05:00", DateOrder.AUTO, T_1305Z),
        ("2026-11-23T14:05:00Z", DateOrder.AUTO, T_1405Z),
        ("2026-11-23T14:05:00.000Z", DateOrder.AUTO, T_1405Z),
        ("2026-11-23T14:05:00.123456789Z", DateOrder.AUTO, T_1405Z + 123),
        ("2026-11-23T15:05:00+01:00", DateOrder.AUTO, T_1405Z),
        ("2026-11-23T09:05:00-0500", DateOrder.AUTO, T_1405Z),
        ("2026-11-23 2:05 PM", DateOrder.AUTO, T_1305Z),
        ("2026/11/23 14:05", DateOrder.AUTO, T_1305Z),
        ("2026.11.23", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("20261123", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23/11/2026 14:05", DateOrder.AUTO, T_1305Z),
        ("23/11/2026 14:05", DateOrder.DMY, T_1305Z),
        ("23/11/2026 14:05:00", DateOrder.AUTO, T_1305Z),
        ("23/11/2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23.11.2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23.11.2026 14:05", DateOrder.AUTO, T_1305Z),
        ("23-11-2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23/11/2026 14:05 UTC", DateOrder.AUTO, T_1405Z),
        ("23/11/2026 15:05 +01:00", DateOrder.AUTO, T_1405Z),
        ("11/23/2026 2:05 PM", DateOrder.AUTO, T_1305Z),
        ("11/23/2026 2:05 pm", DateOrder.MDY, T_1305Z),
        ("11/23/2026 2:05:00 p.m.", DateOrder.AUTO, T_1305Z),
        ("11/23/2026 02:05PM", DateOrder.AUTO, T_1305Z),
        ("11/23/2026 12:00 PM", DateOrder.AUTO, NOON_BERLIN),
        ("11/23/2026 12:00 AM", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("11/23/2026 2 PM", DateOrder.AUTO, T_1305Z - 5 * 60_000),
        ("Nov 23, 2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("November 23, 2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("November 23 2026 2:05 PM", DateOrder.AUTO, T_1305Z),
        ("Monday, November 23, 2026 at 2:05 PM", DateOrder.AUTO, T_1305Z),
        ("23 November 2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23rd November 2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23 Nov 2026 14:05", DateOrder.AUTO, T_1305Z),
        ("23-Nov-2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23-Nov-26", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("Mon, 23 Nov 2026 14:05:00 +0000", DateOrder.AUTO, T_1405Z),
        ("23. November 2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("23. Dezember 2026", DateOrder.AUTO, MIDNIGHT_BERLIN + 30 * 86_400_000),
        ("23 novembre 2026 14:05", DateOrder.AUTO, T_1305Z),
        ("23 décembre 2026", DateOrder.AUTO, MIDNIGHT_BERLIN + 30 * 86_400_000),
        ("23 de noviembre de 2026", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("1795442700", DateOrder.AUTO, T_1405Z),
        ("1795442700000", DateOrder.AUTO, T_1405Z),
        ("1795442700.5", DateOrder.AUTO, T_1405Z + 500),
        ("46349", DateOrder.AUTO, MIDNIGHT_BERLIN),
        ("46349.5", DateOrder.AUTO, NOON_BERLIN),
        ("  23/11/2026 14:05  ", DateOrder.AUTO, T_1305Z),
    ],
)
def test_text_formats(cell: str, order: DateOrder, expected: int) -> None:
    assert parse_conversion_time(cell, order, BERLIN) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime(2026, 11, 23, 14, 5), T_1905Z),  # naive: wall-clock time in the zone
        (datetime(2026, 11, 23, 14, 5, tzinfo=UTC), T_1405Z),  # aware: that instant
        (datetime(2026, 11, 23, 15, 5, tzinfo=timezone(timedelta(hours=1))), T_1405Z),
        (date(2026, 11, 23), MIDNIGHT_NEW_YORK),  # a date: midnight at the start of the day
        (46349, MIDNIGHT_NEW_YORK),  # Excel serial
        (46349.586805555555, T_1905Z),  # Excel serial with 14:05 as a fraction of the day
        (1795442700, T_1405Z),  # epoch seconds
        (1795442700.0, T_1405Z),
        (1795442700000, T_1405Z),  # epoch milliseconds
        (1795442700000.0, T_1405Z),
    ],
)
def test_typed_cells(cell: object, expected: int) -> None:
    assert parse_conversion_time(cell, DateOrder.AUTO, NEW_YORK) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "zone", "expected"),
    [
        # Berlin springs forward 2026-03-29 02:00 CET -> 03:00 CEST.
        ("2026-03-29 01:30", BERLIN, 1774744200000),  # 00:30Z, CET
        ("2026-03-29 02:30", BERLIN, 1774747800000),  # skipped hour: read with CET, = 03:30 CEST = 01:30Z
        ("2026-03-29 03:30", BERLIN, 1774747800000),  # 01:30Z, CEST
        # Berlin falls back 2026-10-25 03:00 CEST -> 02:00 CET; 02:30 happens twice.
        ("2026-10-25 01:30", BERLIN, 1792884600000),  # 23:30Z the day before, CEST
        ("2026-10-25 02:30", BERLIN, 1792888200000),  # the first 02:30, CEST = 00:30Z
        ("2026-10-25 03:30", BERLIN, 1792895400000),  # 02:30Z, CET
        # New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT, falls back 2026-11-01 02:00 EDT -> 01:00 EST.
        ("03/08/2026 1:30 AM", NEW_YORK, 1772951400000),  # EST
        ("03/08/2026 2:30 AM", NEW_YORK, 1772955000000),  # skipped: read with EST = 07:30Z = 03:30 EDT
        ("03/08/2026 3:30 AM", NEW_YORK, 1772955000000),  # EDT
        ("11/01/2026 1:30 AM", NEW_YORK, 1793511000000),  # the first 01:30, EDT = 05:30Z
        ("11/01/2026 2:30 AM", NEW_YORK, 1793518200000),  # EST = 07:30Z
        ("2026-11-01T01:30:00-05:00", NEW_YORK, 1793514600000),  # the second 01:30, named by its offset
        ("2026-07-01 12:00", BERLIN, 1782900000000),  # summer: CEST, 10:00Z
    ],
)
def test_daylight_saving_is_deterministic(cell: str, zone: ZoneInfo, expected: int) -> None:
    assert parse_conversion_time(cell, DateOrder.MDY, zone) == expected


def test_only_two_digit_years_are_taken_as_20xx() -> None:
    assert parse_conversion_time("23 Nov 26", DateOrder.AUTO, BERLIN) == MIDNIGHT_BERLIN
    assert parse_conversion_time("23/11/26", DateOrder.AUTO, BERLIN) == MIDNIGHT_BERLIN
    assert parse_conversion_time("23 Nov 0026", DateOrder.AUTO, BERLIN) < 0
    assert parse_conversion_time("23/11/0026", DateOrder.AUTO, BERLIN) < 0


def test_excel_datetime_cells_follow_the_same_daylight_saving_rules() -> None:
    assert parse_conversion_time(datetime(2026, 3, 29, 2, 30), DateOrder.AUTO, BERLIN) == 1774747800000
    assert parse_conversion_time(datetime(2026, 10, 25, 2, 30), DateOrder.AUTO, BERLIN) == 1792888200000
    assert parse_conversion_time(46320.10416666667, DateOrder.AUTO, BERLIN) == 1792888200000  # serial 2026-10-25 02:30


@pytest.mark.parametrize(
    ("cell", "order", "day", "month", "year"),
    [
        ("05/11/2026", DateOrder.DMY, 5, 11, 2026),
        ("05/11/2026", DateOrder.MDY, 11, 5, 2026),
        ("05/11/2026", DateOrder.YMD, None, None, None),  # year last: YMD cannot settle day/month
        ("05/05/2026", DateOrder.AUTO, 5, 5, 2026),
        ("5/11/26", DateOrder.DMY, 5, 11, 2026),
        ("11/5/26", DateOrder.MDY, 5, 11, 2026),
        ("23/11/26", DateOrder.AUTO, 23, 11, 2026),
        ("26/11/23", DateOrder.YMD, 23, 11, 2026),
        ("2026-05-11", DateOrder.DMY, 11, 5, 2026),  # year first is always year-month-day
        ("2026/05/11", DateOrder.MDY, 11, 5, 2026),
    ],
)
def test_day_month_order(cell: str, order: DateOrder, day: int | None, month: int, year: int) -> None:
    if day is None:
        with pytest.raises(ValueProblem, match="choose the date order"):
            parse_conversion_time(cell, order, UTC_ZONE)
        return
    expected = datetime(year, month, day, tzinfo=UTC)
    assert parse_conversion_time(cell, order, UTC_ZONE) == int(expected.timestamp()) * 1000


UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("cell", "order", "words"),
    [
        ("05/11/2026", DateOrder.AUTO, "could be day/month or month/day; choose the date order"),
        ("05/11/2026 14:05", DateOrder.AUTO, "choose the date order"),
        ("11/23/2026", DateOrder.DMY, "does not fit the day/month/year order"),
        ("23/11/2026", DateOrder.MDY, "does not fit the month/day/year order"),
        ("31/02/2026", DateOrder.AUTO, "is not a real date"),
        ("2026-02-30", DateOrder.AUTO, "is not a real date"),
        ("13/13/2026", DateOrder.AUTO, "is not a real date"),
        ("23/11/2026 25:00", DateOrder.AUTO, "is not a real date and time"),
        ("23/11/2026 14:60", DateOrder.AUTO, "is not a real date and time"),
        ("11/23/2026 13:05 PM", DateOrder.AUTO, "AM/PM"),
        ("23/11/2026 14", DateOrder.AUTO, "is not a date we can read"),
        ("23/11/2026 14:05 +25:00", DateOrder.AUTO, "offset that does not exist"),
        ("23/11/202", DateOrder.AUTO, "is not a date we can read"),
        ("Smarch 23, 2026", DateOrder.AUTO, "month name we do not know"),
        ("next Tuesday", DateOrder.AUTO, "is not a date we can read"),
        ("14:05", DateOrder.AUTO, "is not a date we can read"),
        ("n/a", DateOrder.AUTO, 'The date "n/a" is not a date we can read.'),
        ("12345", DateOrder.AUTO, "neither an Excel date nor a Unix timestamp"),
        ("99999999999999999", DateOrder.AUTO, "neither an Excel date nor a Unix timestamp"),
        ("", DateOrder.AUTO, "The date is empty."),
    ],
)
def test_bad_dates_say_what_is_wrong(cell: str, order: DateOrder, words: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_conversion_time(cell, order, BERLIN)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        (None, "The date is empty."),
        (True, "yes/no"),
        (time(14, 5), "time of day without a date"),
        (float("nan"), "is not a date"),
        (float("inf"), "is not a date"),
        (10**400, "neither an Excel date nor a Unix timestamp"),
        (-1795442700, "neither an Excel date nor a Unix timestamp"),
    ],
)
def test_typed_cells_that_are_not_dates(cell: object, words: str) -> None:
    with pytest.raises(ValueProblem, match=words):
        parse_conversion_time(cell, DateOrder.AUTO, BERLIN)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["23/11/2026", "05/11/2026"], DateOrder.DMY),
        (["11/23/2026 2:05 PM", "05/11/2026"], DateOrder.MDY),
        (["23.11.2026", "01.02.2026", 45000, None, "Nov 5, 2026"], DateOrder.DMY),
        (["2026-11-23", "2026-01-02T10:00:00Z"], DateOrder.YMD),
        (["2026-11-23", "23/11/2026"], DateOrder.DMY),
        (["23/11/2026", "11/23/2026"], None),  # conflicting
        (["05/11/2026", "01/02/2026"], None),  # every day is 12 or less: the user must choose
        (["2026-11-23", "05/11/2026"], None),
        (["05/05/2026"], None),
        ([datetime(2026, 1, 1), 46349, "Nov 23, 2026"], None),
        ([], None),
    ],
)
def test_detect_date_order(samples: list[object], expected: DateOrder | None) -> None:
    assert detect_date_order(samples) is expected  # type: ignore[arg-type]


NOW = 1795442700000
DAY = 86_400_000


def test_conversion_window_limits_are_exact() -> None:
    check_conversion_window(NOW, NOW)
    check_conversion_window(NOW - 90 * DAY, NOW)
    check_conversion_window(NOW + 300_000, NOW)
    check_conversion_window(NOW - 30 * DAY, NOW, max_age_days=30, future_grace_seconds=0)
    with pytest.raises(ValueProblem, match="older than 90 days"):
        check_conversion_window(NOW - 90 * DAY - 1, NOW)
    with pytest.raises(ValueProblem, match="in the future"):
        check_conversion_window(NOW + 300_001, NOW)
    with pytest.raises(ValueProblem, match="in the future"):
        check_conversion_window(NOW + 1, NOW, future_grace_seconds=0)


def test_conversion_window_messages_name_the_time() -> None:
    with pytest.raises(ValueProblem) as old:
        check_conversion_window(1767225600000, NOW)  # 2026-01-01T00:00:00Z
    assert str(old.value) == (
        "The conversion time 2026-01-01 00:00 UTC is older than 90 days; "
        "LinkedIn only accepts conversions from the last 90 days."
    )
    with pytest.raises(ValueProblem) as future:
        check_conversion_window(NOW + DAY, NOW, tz=BERLIN)
    assert str(future.value) == "The conversion time 2026-11-24 15:05 Europe/Berlin is in the future."
    with pytest.raises(ValueProblem, match="milliseconds since 1970"):
        check_conversion_window(10**20, NOW)


def test_resolve_timezone_by_name() -> None:
    assert resolve_timezone("Europe/Berlin") is BERLIN
    assert resolve_timezone(" america/new_york ") is NEW_YORK
    assert resolve_timezone("UTC").key == "UTC"


@pytest.mark.parametrize("name", ["Mars/Base", "Europe", "../etc/passwd", "/etc/localtime", "Berlin", "CET+1"])
def test_resolve_timezone_refuses_unknown_names(name: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        resolve_timezone(name)
    assert str(caught.value).startswith(f'The time zone "{name}" is not a time zone name we know')


@pytest.fixture
def no_system_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(dates, "_LOCALTIME", tmp_path / "missing-localtime")
    monkeypatch.setattr(dates, "_TIMEZONE_FILE", tmp_path / "missing-timezone")
    return tmp_path


def test_local_zone_from_tz_variable(no_system_zone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert resolve_timezone(None).key == "Asia/Tokyo"
    assert resolve_timezone("  ").key == "Asia/Tokyo"


def test_utc_by_any_of_its_names_is_called_utc(no_system_zone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Etc/UTC")  # what Debian and container images link /etc/localtime to
    assert resolve_timezone(None).key == "UTC"


def test_local_zone_from_localtime_link(no_system_zone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zoneinfo_dir = no_system_zone / "usr/share/zoneinfo/America"
    zoneinfo_dir.mkdir(parents=True)
    (zoneinfo_dir / "Chicago").write_bytes(b"TZif")
    link = no_system_zone / "localtime"
    link.symlink_to(zoneinfo_dir / "Chicago")
    monkeypatch.setattr(dates, "_LOCALTIME", link)
    assert resolve_timezone(None).key == "America/Chicago"


def test_local_zone_from_debian_timezone_file(no_system_zone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (no_system_zone / "timezone").write_text("Europe/Lisbon\n")
    monkeypatch.setattr(dates, "_TIMEZONE_FILE", no_system_zone / "timezone")
    assert resolve_timezone(None).key == "Europe/Lisbon"


def test_local_zone_falls_back_to_utc_and_says_why(
    no_system_zone: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TZ", "not-a-zone")
    assert resolve_timezone(None).key == "UTC"
    assert "using UTC" in caplog.text


# Properties. Instants from 2000 to 2099 with millisecond precision (what LinkedIn keeps).
instants = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)
)
zones = st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe"), UTC_ZONE])
MONTHS = "January February March April May June July August September October November December".split()


def ms_of(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def twelve_hour(moment: datetime) -> str:
    return f"{(moment.hour % 12) or 12}:{moment:%M:%S} {'PM' if moment.hour >= 12 else 'AM'}"


# Formats that carry the instant itself, and formats of wall-clock time in the zone.
ABSOLUTE: dict[str, Callable[[datetime], str]] = {
    "iso-z": lambda m: m.strftime("%Y-%m-%dT%H:%M:%S.") + f"{m.microsecond // 1000:03d}Z",
    "iso-offset": lambda m: m.astimezone(timezone(timedelta(hours=-3, minutes=-30))).isoformat(),
    "rfc2822": lambda m: m.strftime("%a, %d %b %Y %H:%M:%S +0000"),
    "epoch-s": lambda m: str(ms_of(m) // 1000),
    "epoch-ms": lambda m: str(ms_of(m)),
}
WALL_CLOCK: dict[str, tuple[DateOrder, Callable[[datetime], str]]] = {
    "iso-naive": (DateOrder.AUTO, lambda m: m.strftime("%Y-%m-%d %H:%M:%S")),
    "dmy-slash": (DateOrder.DMY, lambda m: m.strftime("%d/%m/%Y %H:%M:%S")),
    "dmy-dots": (DateOrder.DMY, lambda m: m.strftime("%d.%m.%Y %H:%M:%S")),
    "dmy-2-digit-year": (DateOrder.DMY, lambda m: m.strftime("%d/%m/%y %H:%M:%S")),
    "mdy-12h": (DateOrder.MDY, lambda m: f"{m.month}/{m.day}/{m.year} {twelve_hour(m)}"),
    "ymd-slash": (DateOrder.YMD, lambda m: m.strftime("%Y/%m/%d %H:%M:%S")),
    "day-month-name": (DateOrder.AUTO, lambda m: f"{m.day} {MONTHS[m.month - 1]} {m.year} {m:%H:%M:%S}"),
    "month-name-day": (DateOrder.AUTO, lambda m: f"{MONTHS[m.month - 1][:3]} {m.day}, {m.year} {twelve_hour(m)}"),
}


@given(instants, st.sampled_from(sorted(ABSOLUTE)), zones)
def test_absolute_formats_round_trip(moment: datetime, name: str, zone: ZoneInfo) -> None:
    cell = ABSOLUTE[name](moment)
    expected = ms_of(moment) if name in ("iso-z", "iso-offset", "epoch-ms") else ms_of(moment) // 1000 * 1000
    assert parse_conversion_time(cell, DateOrder.AUTO, zone) == expected


@given(instants, st.sampled_from(sorted(WALL_CLOCK)), zones)
def test_wall_clock_formats_round_trip(moment: datetime, name: str, zone: ZoneInfo) -> None:
    local = moment.astimezone(zone)
    # The second pass through a repeated autumn hour reads as the first (documented), so it cannot round-trip.
    assume(local.fold == 0)
    order, write = WALL_CLOCK[name]
    assert parse_conversion_time(write(local), order, zone) == ms_of(moment) // 1000 * 1000


@given(instants, zones)
def test_datetime_and_date_cells_round_trip(moment: datetime, zone: ZoneInfo) -> None:
    local = moment.astimezone(zone)
    assume(local.fold == 0)
    assert parse_conversion_time(local.replace(tzinfo=None), DateOrder.AUTO, zone) == ms_of(moment)
    assert parse_conversion_time(moment, DateOrder.AUTO, BERLIN) == ms_of(moment)
    midnight = parse_conversion_time(local.date(), DateOrder.AUTO, zone)
    assert midnight == parse_conversion_time(local.strftime("%Y-%m-%d"), DateOrder.AUTO, zone)


@given(st.integers(min_value=100_000_000, max_value=4_102_444_800), zones)
def test_epoch_seconds_and_milliseconds_agree(seconds: int, zone: ZoneInfo) -> None:
    expected = seconds * 1000
    for cell in (seconds, float(seconds), str(seconds), seconds * 1000, str(seconds * 1000)):
        assert parse_conversion_time(cell, DateOrder.AUTO, zone) == expected


@given(st.lists(instants, min_size=1, max_size=15), st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d"]))
def test_column_order_detection_is_never_wrong(moments: list[datetime], pattern: str) -> None:
    truth = {"%d/%m/%Y": DateOrder.DMY, "%m/%d/%Y": DateOrder.MDY, "%Y-%m-%d": DateOrder.YMD}[pattern]
    detected = detect_date_order(moment.strftime(pattern) for moment in moments)
    assert detected in (truth, None)
    if detected is not None:
        # What the column told lets every cell parse.
        for moment in moments:
            parse_conversion_time(moment.strftime(pattern), detected, UTC_ZONE)


date_noise = st.text("0123456789/.-: TZ+APMapmNovDecember,", max_size=40)
any_cell = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.text(max_size=80),
    date_noise,
)


@given(any_cell, st.sampled_from(list(DateOrder)), zones)
def test_any_cell_is_a_time_or_a_value_problem(cell: object, order: DateOrder, zone: ZoneInfo) -> None:
    try:
        ms = parse_conversion_time(cell, order, zone)  # type: ignore[arg-type]
    except ValueProblem as problem:
        assert str(problem).startswith("The date")
    else:
        assert isinstance(ms, int)


@given(st.lists(any_cell, max_size=10))
def test_detect_date_order_accepts_any_cells(cells: list[object]) -> None:
    assert detect_date_order(cells) in (None, *DateOrder)  # type: ignore[arg-type]


@given(st.text(max_size=60))
def test_any_zone_name_is_a_zone_or_a_value_problem(name: str) -> None:
    try:
        zone = resolve_timezone(name)
    except ValueProblem as problem:
        assert str(problem).startswith("The time zone")
    else:
        assert isinstance(zone, ZoneInfo)
