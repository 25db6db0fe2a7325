"""Finding the header row under title and blank rows, and turning header cells into column names."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from datetime import date, time

from capi_desktop.core.reading.model import Cell, is_blank

logger = logging.getLogger(__name__)

# How many non-blank rows from the top may hold titles, notes and the header.
HEADER_SCAN_ROWS = 30
# How many rows after a candidate header show the width of the data.
_LOOKAHEAD_ROWS = 5
# Share of a header's filled cells that must be words rather than numbers.
_TEXTUAL_SHARE = 0.75

_NUMBER_LIKE = re.compile(r"[-+(]?\s*[$€£¥]?\s*\d[\d.,'’ ]*\s*(%|[$€£¥])?\)?")
_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")
_EMAIL_LIKE = re.compile(r"\S+@\S+\.\S+")

RawRow = tuple[int, Sequence[Cell]]


def filled(row: Sequence[Cell]) -> int:
    return sum(1 for value in row if not is_blank(value))


def span(row: Sequence[Cell]) -> int:
    """One past the last non-empty cell: how wide the row really is."""
    for index in range(len(row) - 1, -1, -1):
        if not is_blank(row[index]):
            return index + 1
    return 0


def _is_data_value(value: Cell) -> bool:
    """A value that belongs in a data row: a date, an email address, or a (possibly formatted) number."""
    if isinstance(value, date | time):
        return True
    if isinstance(value, str):
        text = value.strip()
        return bool(_EMAIL_LIKE.fullmatch(text) or _DATE_LIKE.match(text) or _NUMBER_LIKE.fullmatch(text))
    return False


def _is_word(value: Cell) -> bool:
    return isinstance(value, str) and not _is_data_value(value)


def looks_like_header(row: Sequence[Cell], width_after: int) -> bool:
    """Several filled cells, mostly words, no dates or emails, covering at least half the data's width."""
    values = [value for value in row if not is_blank(value)]
    if not values:
        return False
    needed = 1 if width_after <= 1 else max(2, math.ceil(width_after / 2))
    if len(values) < needed:
        return False
    if any(
        isinstance(value, date | time) or (isinstance(value, str) and _EMAIL_LIKE.fullmatch(value.strip()))
        for value in values
    ):
        return False
    words = sum(1 for value in values if _is_word(value))
    return words >= _TEXTUAL_SHARE * len(values)


def detect_header_row(rows: Sequence[RawRow]) -> int:
    """The number of the header row among the first non-blank ``rows``; 0 when the file has no header.

    Title lines ("Q3 closed deals export", "Generated on …") are single cells or carry dates, and are
    narrower than the data below, so the first row that is wide and made of words is the header. When no
    row qualifies, a first row that already holds data (an email, a date, a number) means there is no
    header; otherwise the first row is taken, and the user can choose another.
    """
    candidates = [(number, row) for number, row in rows if filled(row)][:HEADER_SCAN_ROWS]
    for index, (number, row) in enumerate(candidates):
        following = candidates[index + 1 : index + 1 + _LOOKAHEAD_ROWS]
        width_after = max((span(after) for _, after in following), default=0)
        if looks_like_header(row, width_after):
            return number
    if not candidates:
        return 0
    number, row = candidates[0]
    if any(_is_data_value(value) or isinstance(value, int | float) for value in row if not is_blank(value)):
        logger.info("no header row found; row %d already holds data", number)
        return 0
    return number


def header_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def make_columns(
    header: Sequence[Cell], data: Sequence[Sequence[Cell]], placeholder: Callable[[int], str]
) -> tuple[str, ...]:
    """Column names: trimmed header text, a placeholder for blanks, " (2)" suffixes for repeats.

    The width is the widest of the header and the sampled data rows, so trailing columns that are empty
    in both are dropped, while a sampled value right of the last header cell gets a column of its own.
    """
    width = max([span(header), *(span(row) for row in data)])
    names: list[str] = []
    seen: set[str] = set()
    for index in range(width):
        base = header_text(header[index]) if index < len(header) else ""
        base = base or placeholder(index)
        name, copy = base, 1
        while name.casefold() in seen:
            copy += 1
            name = f"{base} ({copy})"
        seen.add(name.casefold())
        names.append(name)
    return tuple(names)
