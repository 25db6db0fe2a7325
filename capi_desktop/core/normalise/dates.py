"""Conversion times: any date or time a spreadsheet holds, as epoch milliseconds UTC.

Rules decided here:

- A time with an offset or "Z"/"UTC"/"GMT" is that instant. A time without one is wall-clock time in
  the profile's zone. A date without a time is midnight at the start of that day in that zone.
- Daylight saving: a wall-clock time that does not exist (the hour skipped in spring) is read with the
  offset in force just before the change, so Berlin's 02:30 on the spring-forward day is 03:30 CEST;
  a time that happens twice (the hour repeated in autumn) is its first occurrence, in summer time.
  These are Python's ``fold=0`` rules; the same input always gives the same instant.
- Two-digit years are 20xx: LinkedIn only takes the last 90 days, so a 19xx date could never be sent.
- Day and month order: a four-digit first part is always year-month-day; otherwise ``DateOrder``
  decides, and with ``AUTO`` a cell only parses if it tells by itself (a part above 12, or day equal
  to month). ``detect_date_order`` looks at the whole column.
- Numbers: 20,000-80,000 are Excel serial dates (1954-2119, the 1900 date system, wall-clock time in
  the zone); 1e8-1e11 are Unix seconds (1973-5138); 1e11-1e14 are Unix milliseconds. Nothing else.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from capi_desktop.core.normalise.problems import Cell, ValueProblem, shown

logger = logging.getLogger(__name__)

MS_PER_DAY = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 1 is 1900-01-01 once Excel's 1900 leap-year bug is skipped
_EXCEL_SERIALS = (20_000, 80_000)
_UNIX_SECONDS = (100_000_000, 100_000_000_000)
_UNIX_MILLISECONDS = (100_000_000_000, 100_000_000_000_000)
_LOCALTIME = Path("/etc/localtime")
_TIMEZONE_FILE = Path("/etc/timezone")
_UTC_ALIASES = dict.fromkeys(("Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"), "UTC")


class DateOrder(Enum):
    """How a column writes numeric dates; with AUTO each cell has to tell by itself."""

    AUTO = "auto"
    DMY = "DMY"
    MDY = "MDY"
    YMD = "YMD"


_ORDER_NAMES = {DateOrder.DMY: "day/month/year", DateOrder.MDY: "month/day/year"}


_TIME = (
    r"(?:[\sT,]+(?:at\s+|um\s+|à\s+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})"
    r"(?:[.,](?P<fraction>\d{1,9}))?)?)?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<utc>z|utc|gmt)?\s*(?P<offset>[+-]\d{1,2}(?::?\d{2})?)?)?"
)
_CLOCK_GROUPS = 7  # the groups of _TIME, which ends every date pattern
_NUMERIC_DATE = re.compile(
    rf"(?P<a>\d{{1,4}})(?P<sep>[/.\-])(?P<b>\d{{1,2}})(?P=sep)(?P<c>\d{{1,4}})\.?{_TIME}", re.IGNORECASE
)
_WORD = r"(?P<month>[^\W\d_]{3,}\.?)"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|\.|º)?"
_YEAR = r"(?P<year>\d{4}|\d{2})"
_DAY_MONTH_YEAR = re.compile(rf"{_DAY}[\s\-/]*(?:de\s+)?{_WORD}[\s\-/,]*(?:de\s+)?{_YEAR}{_TIME}", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"{_WORD}\s*{_DAY},?\s+{_YEAR}{_TIME}", re.IGNORECASE)
_LEADING_WORD = re.compile(r"([^\W\d_]+)\.?,?\s+")
_NUMBER = re.compile(r"\d{1,20}(?:\.\d{1,20})?")
_DATE_HEAD = re.compile(r"\s*(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})(?!\d)")

_MONTH_NAMES = (
    # English, German, French, Spanish, Italian, Dutch, Portuguese; accents are folded before lookup.
    ("january jan januar janvier janv enero ene gennaio gen januari janeiro", 1),
    ("february feb februar fevrier fevr febrero febbraio februari fevereiro fev", 2),
    ("march mar marz mrz mars marzo maart mrt marco", 3),
    ("april apr avril avr abril aprile abr", 4),
    ("may mai mayo maggio mag mei maio", 5),
    ("june jun juni juin junio giugno giu junho", 6),
    ("july jul juli juillet juil julio luglio lug julho", 7),
    ("august aug aout agosto ago augustus", 8),
    ("september sep sept septembre septiembre setiembre settembre set setembro", 9),
    ("october oct oktober okt octobre octubre ottobre ott outubro out", 10),
    ("november nov novembre noviembre novembro", 11),
    ("december dec dezember dez decembre diciembre dic dicembre dezembro", 12),
)
_MONTHS = {name: number for names, number in _MONTH_NAMES for name in names.split()}
# Leading weekday names are ignored ("Mon, 23 Nov 2026"); none of these is also a month name.
_WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag "
    "lundi mardi mercredi jeudi vendredi samedi dimanche "
    "lunes martes miercoles jueves viernes sabado domingo".split()
)


def parse_conversion_time(cell: Cell, order: DateOrder, tz: ZoneInfo) -> int:
    """Epoch milliseconds UTC for a date/time cell; ``ValueProblem`` when it is not one we can read."""
    if isinstance(cell, str):
        return _parse_text(cell, order, tz)
    if isinstance(cell, bool):
        raise ValueProblem(f"The date {shown(cell)} is a yes/no value, not a date.")
    if isinstance(cell, int | float):
        return _from_number(cell, cell, tz)
    if isinstance(cell, datetime):
        return _to_ms(cell if cell.tzinfo is not None else cell.replace(tzinfo=tz))
    if isinstance(cell, date):
        return _to_ms(datetime(cell.year, cell.month, cell.day, tzinfo=tz))
    if cell is None:
        raise ValueProblem("The date is empty.")
    raise ValueProblem(f"The date {shown(cell)} is a time of day without a date.")


def _to_ms(moment: datetime) -> int:
    # Integer arithmetic: timestamp() goes through a float and can be off by a millisecond.
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _parse_text(cell: str, order: DateOrder, tz: ZoneInfo) -> int:
    text = cell.strip()
    if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():
        # ISO 8601, the commonest export; fromisoformat is C code. What it refuses, such as
        # "2026-11-23 2:05 PM", falls through to the general patterns.
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return _to_ms(moment if moment.tzinfo is not None else moment.replace(tzinfo=tz))
    found = _NUMERIC_DATE.fullmatch(text)
    if found is not None:
        groups = found.groups()
        year, month, day = _numeric_parts(cell, groups[0], groups[2], groups[3], order)
        return _assemble(cell, groups[-_CLOCK_GROUPS:], year, month, day, tz)
    if _NUMBER.fullmatch(text) is not None:
        if len(text) == 8:
            # "20261123": ISO 8601's basic form; as a number it would fit no range anyway.
            return _assemble_date(cell, int(text[:4]), int(text[4:6]), int(text[6:]), tz)
        return _from_number(cell, float(text) if "." in text else int(text), tz)
    if not text:
        raise ValueProblem("The date is empty.")
    return _parse_words(cell, text, tz)


def _numeric_parts(cell: str, a: str, b: str, c: str, order: DateOrder) -> tuple[int, int, int]:
    """Year, month, day from the three parts of "23/11/2026", "11/23/26", "2026.11.23" and the like."""
    if len(a) == 4:
        return int(a), int(b), int(c)
    if len(a) == 3 or len(c) not in (2, 4):
        raise ValueProblem(f"The date {shown(cell)} is not a date we can read.")
    if order is DateOrder.YMD and len(c) == 2:
        return 2000 + int(a), int(b), int(c)
    year = int(c) + 2000 if len(c) == 2 else int(c)
    first, second = int(a), int(b)
    if order is DateOrder.DMY or (order is not DateOrder.MDY and second <= 12 < first):
        day, month = first, second
    elif order is DateOrder.MDY or (first <= 12 < second):
        month, day = first, second
    elif first == second:
        day = month = first
    elif first <= 12 and second <= 12:
        raise AmbiguousDate(
            f"The date {shown(cell)} could be day/month or month/day; choose the date order for this column."
        )
    else:
        raise ValueProblem(f"The date {shown(cell)} is not a real date.")
    if month > 12 and order in (DateOrder.DMY, DateOrder.MDY):
        raise ValueProblem(
            f"The date {shown(cell)} does not fit the {_ORDER_NAMES[order]} order chosen for this column."
        )
    return year, month, day


def _parse_words(cell: str, text: str, tz: ZoneInfo) -> int:
    """Dates with a month name: "Nov 23, 2026", "23 November 2026", "Mon, 23 Nov 2026 14:05:00 +0000"."""
    leading = _LEADING_WORD.match(text)
    if leading is not None and _fold(leading[1]) in _WEEKDAYS:
        text = text[leading.end() :]
    found = _DAY_MONTH_YEAR.fullmatch(text) or _MONTH_DAY_YEAR.fullmatch(text)
    if found is None:
        raise ValueProblem(f"The date {shown(cell)} is not a date we can read.")
    month = _MONTHS.get(_fold(found["month"].rstrip(".")))
    if month is None:
        raise ValueProblem(f"The date {shown(cell)} has a month name we do not know.")
    year = int(found["year"]) + (2000 if len(found["year"]) == 2 else 0)
    return _assemble(cell, found.groups()[-_CLOCK_GROUPS:], year, month, int(found["day"]), tz)


def _fold(word: str) -> str:
    """Lowercase without accents: "Décembre" and "decembre" are the same month."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _assemble(cell: str, clock: tuple[str | None, ...], year: int, month: int, day: int, tz: ZoneInfo) -> int:
    """The instant of a parsed date and the ``_TIME`` groups after it (all None when there is no time)."""
    hour_text, minute, second, fraction, ampm, utc, offset = clock
    if hour_text is None:
        return _assemble_date(cell, year, month, day, tz)
    hour = int(hour_text)
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise ValueProblem(f"The date {shown(cell)} has an hour that does not fit AM/PM.")
        hour = hour % 12 + (12 if ampm[0] in "pP" else 0)
    elif minute is None:
        # A lone number after the date ("23/11/2026 14") is too likely to be something else.
        raise ValueProblem(f"The date {shown(cell)} is not a date we can read.")
    zone: timezone | ZoneInfo = tz
    if offset is not None:
        zone = _offset_zone(cell, offset)
    elif utc is not None:
        zone = UTC
    try:
        moment = datetime(
            year,
            month,
            day,
            hour,
            int(minute) if minute else 0,
            int(second) if second else 0,
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
            tzinfo=zone,
        )
    except ValueError:
        raise ValueProblem(f"The date {shown(cell)} is not a real date and time.") from None
    return _to_ms(moment)


def _assemble_date(cell: str, year: int, month: int, day: int, tz: ZoneInfo) -> int:
    try:
        return _to_ms(datetime(year, month, day, tzinfo=tz))
    except ValueError:
        raise ValueProblem(f"The date {shown(cell)} is not a real date.") from None


def _offset_zone(cell: str, offset: str) -> timezone:
    digits = offset[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    if hours > 14 or minutes > 59:
        raise ValueProblem(f"The date {shown(cell)} has a time zone offset that does not exist.")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def _from_number(cell: Cell, value: int | float, tz: ZoneInfo) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueProblem(f"The date {shown(cell)} is not a date.")
    if _EXCEL_SERIALS[0] <= value <= _EXCEL_SERIALS[1]:
        days = int(value)
        # Excel keeps time as a fraction of a day; round to the millisecond to drop binary noise.
        wall_clock = _EXCEL_EPOCH + timedelta(days=days, milliseconds=round((value - days) * MS_PER_DAY))
        return _to_ms(wall_clock.replace(tzinfo=tz))
    if _UNIX_SECONDS[0] <= value < _UNIX_SECONDS[1]:
        return value * 1000 if isinstance(value, int) else round(value * 1000)
    if _UNIX_MILLISECONDS[0] <= value < _UNIX_MILLISECONDS[1]:
        return round(value)
    raise ValueProblem(f"The date {shown(cell)} is a number that is neither an Excel date nor a Unix timestamp.")


class AmbiguousDate(ValueProblem):
    """A numeric date such as 05/11/2026 read with ``DateOrder.AUTO``: day and month could be swapped."""


def _evidence(cell: Cell) -> str | None:
    """What one cell says about its column's order: "DMY", "MDY", "YMD", "ambiguous", or None."""
    if not isinstance(cell, str):
        return None
    found = _DATE_HEAD.match(cell)
    if found is None:
        return None
    a, b, c = found[1], found[3], found[4]
    if len(a) == 4:
        return "YMD"
    if len(a) > 2 or len(c) not in (2, 4):
        return None
    first, second = int(a), int(b)
    if not (1 <= first <= 31 and 1 <= second <= 31) or (first > 12 and second > 12):
        return None
    if first > 12:
        return "DMY"
    if second > 12:
        return "MDY"
    return "ambiguous" if first != second else None


def telling_order(cell: Cell) -> DateOrder | None:
    """DMY or MDY when this one cell shows its column's day/month order (a part above 12), else None."""
    said = _evidence(cell)
    return DateOrder[said] if said in ("DMY", "MDY") else None


def detect_date_order(samples: Iterable[Cell]) -> DateOrder | None:
    """The day/month order a column's numeric dates show, or None when the user must choose.

    DMY when some cell has a first part above 12, MDY when some cell has a second part above 12, None
    when both happen. Otherwise YMD when the dates are year-first ("2026-11-23") and none is ambiguous,
    and None when ambiguous cells ("05/11/2026") are all there is to go on. Cells with a month name,
    Excel dates and timestamps say nothing about the order and are skipped.
    """
    seen = {_evidence(cell) for cell in samples}
    if "DMY" in seen and "MDY" in seen:
        return None
    if "DMY" in seen:
        return DateOrder.DMY
    if "MDY" in seen:
        return DateOrder.MDY
    if "YMD" in seen and "ambiguous" not in seen:
        return DateOrder.YMD
    return None


def check_conversion_window(
    ms: int,
    now_ms: int,
    max_age_days: int = 90,
    future_grace_seconds: int = 300,
    tz: ZoneInfo | None = None,
) -> None:
    """``ValueProblem`` when LinkedIn would refuse the time: older than ``max_age_days`` or in the future.

    The grace allows for a computer clock a little behind the CRM's. ``tz`` only changes how the time
    is shown in the message (default UTC).
    """
    if ms > now_ms + future_grace_seconds * 1000:
        raise ValueProblem(f"The conversion time {_describe(ms, tz)} is in the future.")
    if ms < now_ms - max_age_days * MS_PER_DAY:
        raise ValueProblem(
            f"The conversion time {_describe(ms, tz)} is older than {max_age_days} days; "
            f"LinkedIn only accepts conversions from the last {max_age_days} days."
        )


def _describe(ms: int, tz: ZoneInfo | None) -> str:
    try:
        moment = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} (milliseconds since 1970)"
    if tz is None:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.astimezone(tz).strftime(f"%Y-%m-%d %H:%M {tz.key}")


def format_day(epoch: float) -> str:
    """A moment's day on this computer's calendar, as a person writes it: "7 Dec 2026"."""
    return day_words(datetime.fromtimestamp(epoch, UTC).astimezone().date())


def day_words(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def resolve_timezone(name: str | None) -> ZoneInfo:
    """The zone for an IANA name (any case), or the computer's zone when ``name`` is None or blank."""
    if name is None or not name.strip():
        return local_timezone()
    key = name.strip()
    zone = _zone(key) or _zone(_zone_names().get(key.casefold(), ""))
    if zone is None:
        raise ValueProblem(
            f"The time zone {shown(name)} is not a time zone name we know; "
            "use a name such as Europe/Berlin or America/New_York."
        )
    return zone


def _zone(key: str) -> ZoneInfo | None:
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: keys that are paths or not zone files; OSError: directories such as "Europe".
        return None


@cache
def _zone_names() -> dict[str, str]:
    """Casefolded IANA name to its proper spelling; built only when a name did not match as typed."""
    return {key.casefold(): key for key in available_timezones()}


def local_timezone() -> ZoneInfo:
    """The computer's zone, by name where possible so that daylight-saving rules come with it.

    Order: the TZ environment variable, the /etc/localtime link (Linux, macOS), /etc/timezone (Debian),
    and on Windows its registry's zone mapped to the IANA name (tzlocal). Wherever nothing is found this
    falls back to UTC and logs why; the user picks the zone in the profile. UTC's aliases ("Etc/UTC",
    which Debian and Docker images link to) are called UTC.
    """
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(_LOCALTIME.resolve(strict=True))
    except OSError:
        target = ""
    if "/zoneinfo/" in target:
        candidates.append(target.split("/zoneinfo/", 1)[1])
    try:
        candidates.append(_TIMEZONE_FILE.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        pass
    if sys.platform == "win32":
        import tzlocal  # only here: elsewhere it reads the same files as above

        try:
            candidates.append(tzlocal.get_localzone_name() or "")
        except Exception as exc:  # noqa: BLE001 (any failure to read the registry means "unknown")
            logger.info("Windows did not say its time zone: %s", exc)
    for candidate in candidates:
        zone = _zone(_UTC_ALIASES.get(candidate, candidate))
        if zone is not None:
            return zone
    logger.warning("Could not find this computer's time zone by name; using UTC until the profile sets one")
    return ZoneInfo("UTC")
