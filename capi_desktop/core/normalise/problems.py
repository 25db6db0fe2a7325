"""What every normaliser shares: the cell type, the one exception, and what counts as an empty cell.

A ``ValueProblem`` is about the user's data, not about our code: its ``str()`` is one plain sentence
for a marketer that names the value, ready to go into a row's reason and the problems report.
"""

from __future__ import annotations

from datetime import date, datetime, time

# What a spreadsheet reader hands us: CSV cells are always str, xlsx/ods cells can be typed.
Cell = str | int | float | bool | datetime | date | time | None

# Text people type or tools export when a cell has no value. Deliberately short: "NA" and "Nan" are
# real surnames/first names and "NA" is Namibia's code, so they are not placeholders. Excel's error
# values are here because a broken formula means the value is missing, not that it is "#REF!".
PLACEHOLDERS = frozenset(
    {
        "-",
        "--",
        "---",
        "–",
        "—",
        "?",
        "n/a",
        "n.a.",
        "none",
        "null",
        "nil",
        "unknown",
        "tbd",
        "(blank)",
        "(empty)",
        "#n/a",
        "#value!",
        "#ref!",
        "#div/0!",
        "#name?",
        "#null!",
        "#num!",
    }
)

_SHOWN_MAX = 60


class ValueProblem(Exception):
    """A spreadsheet value we cannot use. ``str()`` is one plain sentence naming the value."""


def is_missing(cell: Cell) -> bool:
    """True for an empty cell, whitespace, or a placeholder such as "n/a" or "-"."""
    if cell is None:
        return True
    if not isinstance(cell, str):
        return False
    text = cell.strip()
    return not text or (len(text) <= 15 and text.casefold() in PLACEHOLDERS)


def shown(cell: Cell) -> str:
    """The value as a message quotes it: in double quotes, trimmed, long values shortened."""
    if isinstance(cell, datetime | date | time):
        text = cell.isoformat(sep=" ") if isinstance(cell, datetime) else cell.isoformat()
    elif isinstance(cell, str):
        text = " ".join(cell.split())
    else:
        text = repr(cell)
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 1] + "…"
    return f'"{text}"'
