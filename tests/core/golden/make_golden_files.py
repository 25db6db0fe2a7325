"""Writes the spreadsheets of the golden journals (``test_golden_journals.py``) and their cases.json.

The files are checked in; run this only to add a case (``python tests/core/golden/make_golden_files.py``),
then write the expected journals with ``GOLDEN_UPDATE=1 pytest tests/core/test_golden_journals.py`` and
read the diff. Dates are fixed around ``NOW``, which every case stages at.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

HERE = Path(__file__).parent
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
ZONE = ZoneInfo("Europe/Berlin")
HEADER = ["Email", "Work email", "First", "Last", "Company", "Title", "Country", "Click", "External", "Date", "Amount",
          "Currency", "Stage", "Event id"]  # fmt: skip
MAPPING = {
    "email": ["Email", "Work email"], "first_name": ["First"], "last_name": ["Last"], "company": ["Company"],
    "title": ["Title"], "country": ["Country"], "click_id": ["Click"], "external_id": ["External"],
    "time": ["Date"], "value": ["Amount"], "currency": ["Currency"], "event_name": ["Stage"], "event_id": ["Event id"],
}  # fmt: skip
RULES = {"rule_id": None, "by_event": {"won": 11, "lead": 12}}
EMAILS = [
    " Anna.Schmidt@Example.COM ", "bob@example.org", "n/a", "-", "", "   ", "kaputt@", "a b@example.com",
    "mailto:Eve@Example.com", "Mike Smith <mike@example.com>", "ÄRGER@beispiel.de", "x@xn--80ak6aa92e.com",
    "A" * 64 + "@example.com", "a" * 65 + "@example.com",
    "9551F6FF6935F400D1422E75827EE012BAAD045DAA3B733E3369FEF22B0C9B4E",
    "\u200bzero@width.com", "tab\t@example.com", "dots..twice@example.com", "@example.com", "user@localhost",
]  # fmt: skip
NAMES = ["Anna", "  Bernd  ", "Chloé", "Chloe\u0301", "O'Brien", 'Say "hi"', "back\\slash", "n/a", "", "Ñ", "NA",
         "two  spaces", "Ctrl\x01char", "x" * 80, "José María", "李", "Straße", "UNKNOWN", "Ærø", "Null"]  # fmt: skip
COUNTRIES = ["Germany", "DE", "uk", "United Kingdom", "Atlantis", "", "n/a", "España", "U.S.A.", " fr "]
AMOUNTS = ["1234.56", "-10", "0", "-0", "-0.00", "007.50", "1.234", "1,234", "1 234,56", "-5,49", "5,4", "0,125",
           "$99", "99 €", "EUR 99", "(12.50)", "12.345,67", "1,234.56", "abc", "10%", "", "n/a", "999999999999999",
           "1000000000000000", "12.3456", "0.005", "1'234.50", "12.", ".5"]  # fmt: skip
CURRENCIES = ["EUR", "usd", "GBP", "JPY", "KWD", "", "XXX", "Dollars", "cad", "n/a"]
STAGES = ["Won", "LEAD", " won ", "Lost", "", "n/a"]
IDS = ["", "", "", "id-1", "id-1", "x" * 65, "dup"]


def ago(days: float, fmt: str) -> str:
    return (NOW.astimezone(ZONE) - timedelta(days=days)).strftime(fmt)


def naive(days: float) -> datetime:
    return (NOW.astimezone(ZONE) - timedelta(days=days)).replace(tzinfo=None)


def dates() -> list[str]:
    return [
        ago(2, "%d/%m/%Y %H:%M"), ago(3, "%d/%m/%Y"), ago(4, "%Y-%m-%d %H:%M"), ago(5, "%Y-%m-%dT%H:%M:%S"),
        ago(6, "%m/%d/%Y %I:%M %p"), ago(7, "%d.%m.%Y %H:%M"), ago(8, "%d-%m-%Y"), ago(9, "%Y-%m-%d"),
        ago(2, "%d/%m/%y"), ago(10, "%d %B %Y"), ago(200, "%d/%m/%Y"), ago(-30, "%Y-%m-%d"),
        "31/02/2026", "05/06/2026", "07/07/2026 10:00", "13/13/2026", "2026-13-01", "yesterday", "", "n/a",
        str(NOW_MS - 86_400_000), str(NOW_MS // 1000 - 3600), ago(11, "%Y-%m-%d %H:%M") + "+02:00",
        ago(12, "%d/%m/%Y 24:00"), ago(13, " %d/%m/%Y  %H:%M "), ago(1, "%d/%m-%Y"),
        "2026-10-25 02:30", "2026-10-25 02:30",  # Berlin's clock repeats this one
    ]  # fmt: skip


def random_rows(rng: random.Random, count: int, date_pool: list[str]) -> list[list[str]]:
    """Mostly ordinary rows (the vectorised paths), with a fifth of each column's cells from the pools."""

    def pick(pool: list[str], usual: str) -> str:
        return rng.choice(pool) if rng.random() < 0.2 else usual

    return [
        [
            pick(EMAILS, f" User{i}@Example{i % 7}.com"),
            pick(EMAILS, ""),
            pick(NAMES, "Anna"),
            pick(NAMES, "Schmidt"),
            pick(NAMES, "Acme GmbH"),
            pick(NAMES, ""),
            pick(COUNTRIES, "DE"),
            pick(["click-1", "AQE" + str(i)], ""),
            pick([f"crm-{i}", "crm-1"], ""),
            pick(date_pool, ago(rng.uniform(0.1, 80), "%d/%m/%Y %H:%M")),
            pick(AMOUNTS, f"{rng.uniform(-10, 5000):.2f}"),
            pick(CURRENCIES, "EUR"),
            pick(STAGES, "Won"),
            pick(IDS, ""),
        ]  # fmt: skip
        for i in range(count)
    ]


def write_csv(name: str, rows: list[list[str]], header: list[str] = HEADER, **kwargs: Any) -> str:
    encoding = kwargs.pop("encoding", "utf-8")
    with (HERE / name).open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=";", **kwargs).writerows([header, *rows])
    return name


def write_text(name: str, text: str) -> str:
    (HERE / name).write_text(text, encoding="utf-8")
    return name


def write_xlsx(name: str, rows: list[list[Any]], lead: int = 0) -> str:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for i in range(lead):
        sheet.append(["Deals export"] if i == 0 else [])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(HERE / name)
    return name


def typed_dates() -> list[Any]:
    return [
        naive(2), naive(3).replace(hour=0, minute=0), naive(4).replace(second=7), naive(5).replace(microsecond=635000),
        naive(6).date(), naive(200), naive(-30), datetime(2026, 10, 25, 2, 30), time(14, 5), True, 46000, 46000.5,
        NOW_MS - 86_400_000, timedelta(hours=30), *dates(),
    ]  # fmt: skip


TYPED_AMOUNTS: list[Any] = [1234.56, 12, -10.5, 0, -0.0, 0.1, 1e-05, 0.00012, 12.3456, 999999999999999.0, 1e15,
                            2.0**53 + 2, 1e16, True, naive(1), *AMOUNTS]  # fmt: skip
TYPED_ELSEWHERE: list[Any] = [3, 4.5, naive(1), False, time(9, 0)]


def typed_rows(rng: random.Random, count: int) -> list[list[Any]]:
    """Like ``random_rows``, with dates and amounts mostly typed and now and then a typed cell elsewhere."""
    rows: list[list[Any]] = []
    for row in random_rows(rng, count, dates()):
        typed: list[Any] = [ILLEGAL_CHARACTERS_RE.sub("", cell) or None for cell in row]
        typed[9] = rng.choice(typed_dates()) if rng.random() < 0.2 else naive(rng.uniform(0.1, 80))
        typed[10] = (
            rng.choice(TYPED_AMOUNTS) if rng.random() < 0.2 else round(rng.uniform(-10, 5000), rng.choice([0, 2]))
        )
        if rng.random() < 0.05:
            typed[rng.choice([0, 2, 4, 6, 8, 11, 12, 13])] = rng.choice(TYPED_ELSEWHERE)
        rows.append(typed)
    return rows


def cases() -> dict[str, dict[str, Any]]:
    base = {"rules": RULES, "mapping": {"columns": MAPPING}, "timezone": "Europe/Berlin", "date_order": "AUTO"}
    two = {"rules": {"rule_id": 5}, "mapping": {"columns": {"email": ["Email"], "time": ["Date"]}}}
    found: dict[str, dict[str, Any]] = {}

    def case(name: str, file: str, **options: Any) -> None:
        found[name] = {"file": file, "options": {**base, **options}}

    case("messy", write_csv("messy.csv", random_rows(random.Random(7), 1200, dates())))
    chosen = write_csv("chosen.csv", random_rows(random.Random(3), 400, dates()))
    for order in ("DMY", "MDY", "YMD"):
        case(f"chosen-{order.lower()}", chosen, date_order=order)
    when = ago(2, "%Y-%m-%d %H:%M")
    external = [
        ["", "", "", "", "", "", "", "", "crm-1", when, "10", "EUR", "Won", ""],
        ["kaputt@", "", "", "", "", "", "", "", "crm-2", when, "10", "EUR", "Won", ""],
        ["", "", "Anna", "Roth", "", "", "", "", "crm-3", when, "10", "EUR", "Won", ""],
    ]
    case("external", write_csv("external.csv", external))
    ambiguous = [ago(d, "%d/%m/%Y %H:%M") for d in range(1, 60) if int(ago(d, "%d")) <= 12]
    telling = [ago(d, "%d/%m/%Y %H:%M") for d in range(1, 60) if int(ago(d, "%d")) > 12]
    rng = random.Random(5)
    late = [[*row[:9], rng.choice(ambiguous), *row[10:]] for row in random_rows(rng, 800, ambiguous)]
    late[700][9] = telling[0]  # the only telling date comes late
    case("late-order", write_csv("late-order.csv", late))
    told = ambiguous[:5] + [telling[0]] + [ago(2, "%Y-%m-%d %H:%M")] * 200 + ambiguous * 4
    lines = ["Email;Date"] + [f"user{i}@example.com;{date}" for i, date in enumerate(told)]
    case("told-early", write_text("told-early.csv", "\n".join(lines) + "\n"), **two)
    rng = random.Random(6)
    never = ["05/06/2026 10:00", "07/08/2026", ago(3, "%Y-%m-%d")]
    case(
        "never-told",
        write_csv("never-told.csv", [[*r[:9], rng.choice(never), *r[10:]] for r in random_rows(rng, 200, never)]),
    )
    constants = {
        "columns": {f: names for f, names in MAPPING.items() if names[0] in HEADER[:10]},
        "currency": "EUR",
        "value": "100",
        "event_name": "LEAD",
    }
    rows = [row[:10] for row in random_rows(random.Random(8), 300, dates())]
    case("constants", write_csv("constants.csv", rows, header=HEADER[:10]), rules={"rule_id": 5}, mapping=constants)
    rows = random_rows(random.Random(10), 300, dates())
    for i, row in enumerate(rows):
        row[10] = ["", "n/a", "abc", "12.50", "-"][i % 5]
        row[11] = ["", "XXX", "usd"][i % 3]
    filled = {"columns": MAPPING, "currency": "EUR", "value": "100", "event_name": "LEAD"}
    case("constants-fill-empty", write_csv("constants-fill-empty.csv", rows), mapping=filled)
    good = random_rows(random.Random(9), 3, dates())
    ragged = [";".join(HEADER), ";".join(good[0]), "", ";;;", ";".join(good[1][:4]), ";".join([*good[2], "extra"]),
              ";" * 14 + "only here", "  ;\t;", ""]  # fmt: skip
    case("ragged", write_text("ragged.csv", "\n".join(ragged) + "\n"))
    case("line-break", write_text("line-break.csv", 'Email;Date\n"two\nlines@example.com";2026-11-01\n' * 3), **two)
    case("stray-quotes", write_text("stray-quotes.csv", 'Email;Date\nab"c@example.com;2026-11-01\n"x"y;z\n' * 3), **two)
    rows = random_rows(random.Random(9), 300, dates())
    for row in rows[::7]:
        row[4] = 'The "Best"; Co'
    case("quoted", write_csv("quoted.csv", rows, quoting=csv.QUOTE_ALL))
    rows = [[ILLEGAL_CHARACTERS_RE.sub("", c) for c in row] for row in random_rows(random.Random(4), 300, dates())]
    legacy = [[c.encode("cp1252", "replace").decode("cp1252") for c in row] for row in rows]
    case("windows-1252", write_csv("windows-1252.csv", legacy, encoding="cp1252"))
    case("typed", write_xlsx("typed.xlsx", typed_rows(random.Random(11), 1200), lead=2))
    rows = typed_rows(random.Random(13), 400)
    for i, row in enumerate(rows):
        row[9] = ambiguous[i % len(ambiguous)] if i < 250 else naive(i / 10)
    rows[300][9] = next(ago(d, "%d/%m/%Y") for d in range(1, 60) if int(ago(d, "%d")) > 12)
    rows[120:125] = [[None] * len(HEADER)] * 5
    rows[130] = [None] * 13 + [None, "only right of the columns"]
    case("text-and-typed-dates", write_xlsx("text-and-typed-dates.xlsx", rows))
    return found


if __name__ == "__main__":
    (HERE / "cases.json").write_text(json.dumps({"now_ms": NOW_MS, "cases": cases()}, indent=1) + "\n")
