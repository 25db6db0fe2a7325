"""Column-at-a-time staging gives exactly the journal, summary and event ids the row stager gives.

Every test stages the same file both ways and compares row by row, so a shape the vectorised paths
read differently from the Python normalisers fails here, naming the row.
"""

from __future__ import annotations

import csv
import logging
import random
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from capi_desktop.core import columns
from capi_desktop.core.dates import DateOrder
from capi_desktop.core.events import EXTERNAL_ID_ONLY
from capi_desktop.core.journal import Journal
from capi_desktop.core.mapping import ColumnMapping, Field, RuleChoice, parse_rule_map
from capi_desktop.core.reading import open_table
from capi_desktop.core.staging import ImportCancelled, ImportOptions, StageSummary, stage

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
NOW_MS = int(NOW.timestamp() * 1000)
ZONE = ZoneInfo("Europe/Berlin")
HEADER = ["Email", "Work email", "First", "Last", "Company", "Title", "Country", "Click", "External", "Date", "Amount",
          "Currency", "Stage", "Event id"]  # fmt: skip
MAPPING = ColumnMapping(
    columns={
        Field.EMAIL: ("Email", "Work email"),
        Field.FIRST_NAME: ("First",),
        Field.LAST_NAME: ("Last",),
        Field.COMPANY: ("Company",),
        Field.TITLE: ("Title",),
        Field.COUNTRY: ("Country",),
        Field.CLICK_ID: ("Click",),
        Field.EXTERNAL_ID: ("External",),
        Field.CONVERSION_TIME: ("Date",),
        Field.VALUE: ("Amount",),
        Field.CURRENCY: ("Currency",),
        Field.EVENT_NAME: ("Stage",),
        Field.EVENT_ID: ("Event id",),
    }
)
RULES = parse_rule_map("WON=11,LEAD=12")


def ago(days: float, fmt: str) -> str:
    return (NOW.astimezone(ZONE) - timedelta(days=days)).strftime(fmt)


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


def dates() -> list[str]:
    return [
        ago(2, "%d/%m/%Y %H:%M"), ago(3, "%d/%m/%Y"), ago(4, "%Y-%m-%d %H:%M"), ago(5, "%Y-%m-%dT%H:%M:%S"),
        ago(6, "%m/%d/%Y %I:%M %p"), ago(7, "%d.%m.%Y %H:%M"), ago(8, "%d-%m-%Y"), ago(9, "%Y-%m-%d"),
        ago(2, "%d/%m/%y"), ago(10, "%d %B %Y"), ago(200, "%d/%m/%Y"), ago(-30, "%Y-%m-%d"),
        "31/02/2026", "05/06/2026", "07/07/2026 10:00", "13/13/2026", "2026-13-01", "yesterday", "", "n/a",
        str(NOW_MS - 86_400_000), str(NOW_MS // 1000 - 3600), ago(11, "%Y-%m-%d %H:%M") + "+02:00",
        ago(12, "%d/%m/%Y 24:00"), ago(13, " %d/%m/%Y  %H:%M "), ago(1, "%d/%m-%Y"),
        "2026-03-29 02:30", "2026-10-25 02:30",  # Berlin's clock skips and repeats these
    ]  # fmt: skip


def random_rows(rng: random.Random, count: int, date_pool: list[str]) -> list[list[str]]:
    """Mostly ordinary rows (the vectorised paths), with a fifth of each column's cells from the pools."""

    def pick(pool: list[str], usual: str) -> str:
        return rng.choice(pool) if rng.random() < 0.2 else usual

    rows = []
    for i in range(count):
        rows.append(
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
        )
    return rows


def write(path: Path, rows: list[list[str]], delimiter: str = ";", header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows([header, *rows])
    return path


def both_ways(path: Path, tmp: Path, **options: Any) -> tuple[StageSummary, list[tuple[Any, ...]]]:
    """Stage ``path`` by column and by row; assert they agree and return the summary and rows."""
    results = []
    for by_column in (True, False):
        table = open_table(path)
        journal_path = tmp / f"{'col' if by_column else 'row'}-{path.stem}.capijob"
        for stale in tmp.glob(journal_path.name + "*"):
            stale.unlink()
        base = ImportOptions(rules=RULES, mapping=MAPPING, timezone="Europe/Berlin")
        with Journal(journal_path, create=True) as journal:
            summary = stage(table, replace(base, **options), journal, now_ms=NOW_MS, helpers=0, by_column=by_column)
        with closing(sqlite3.connect(journal_path)) as db, db:  # closed now: otherwise only a collection frees it
            rows = db.execute("SELECT * FROM rows ORDER BY number").fetchall()
        results.append((summary, rows))
    (col_summary, col_rows), (row_summary, row_rows) = results
    by_number = {row[0]: row for row in row_rows}
    for row in col_rows:
        assert row == by_number.get(row[0]), f"row {row[0]} differs"
    assert len(col_rows) == len(row_rows)
    assert col_summary == row_summary
    return col_summary, col_rows


def test_a_messy_file_stages_the_same_by_column_and_by_row(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = write(tmp_path / "messy.csv", random_rows(rng, 6000, dates()))
    summary, rows = both_ways(path, tmp_path)
    # The file exercises every outcome: OK, warnings, errors, duplicates, unmapped names.
    assert summary.ok and summary.warnings and summary.errors and summary.duplicates
    assert set(summary.unmapped_event_names) == {"Lost"}
    assert len(rows) == 6000


def test_rows_only_an_external_id_identifies_are_warned_about_the_same_way(tmp_path: Path) -> None:
    when = ago(2, "%Y-%m-%d %H:%M")
    rows = [
        ["", "", "", "", "", "", "", "", "crm-1", when, "10", "EUR", "Won", ""],  # only the external id
        ["kaputt@", "", "", "", "", "", "", "", "crm-2", when, "10", "EUR", "Won", ""],  # and a bad email
        ["", "", "Anna", "Roth", "", "", "", "", "crm-3", when, "10", "EUR", "Won", ""],  # a name too: fine
    ]
    _, staged = both_ways(write(tmp_path / "external.csv", rows * 2000), tmp_path)
    reasons = {row[0]: (row[1], row[2]) for row in staged[:3]}
    assert reasons[2] == ("warning", EXTERNAL_ID_ONLY)
    assert reasons[3] == ("warning", "The value in “Email” is not a valid email address. " + EXTERNAL_ID_ONLY)
    assert reasons[4][1] != EXTERNAL_ID_ONLY and "external id" not in (reasons[4][1] or "")


@pytest.mark.parametrize("order", [DateOrder.DMY, DateOrder.MDY, DateOrder.YMD])
def test_a_chosen_date_order_is_applied_the_same_way(tmp_path: Path, order: DateOrder) -> None:
    path = write(tmp_path / "chosen.csv", random_rows(random.Random(3), 1500, dates()))
    both_ways(path, tmp_path, date_order=order)


def test_ambiguous_dates_wait_for_the_row_that_tells_the_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ambiguous = [ago(d, "%d/%m/%Y %H:%M") for d in range(1, 60) if int(ago(d, "%d")) <= 12]
    telling = [ago(d, "%d/%m/%Y %H:%M") for d in range(1, 60) if int(ago(d, "%d")) > 12]
    rng = random.Random(5)
    rows = [[*row[:9], rng.choice(ambiguous), *row[10:]] for row in random_rows(rng, 3000, ambiguous)]
    rows[2500][9] = telling[0]  # the only telling date comes late, in another batch
    path = write(tmp_path / "late.csv", rows)
    monkeypatch.setattr(columns, "PIECE_BYTES", 50_000)  # several pieces in a small file
    summary, _ = both_ways(path, tmp_path)
    assert summary.date_order is DateOrder.DMY and not summary.date_order_needed


def test_the_order_told_after_ambiguous_rows_holds_for_later_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ambiguous = [ago(d, "%d/%m/%Y %H:%M") for d in range(1, 60) if int(ago(d, "%d")) <= 12]
    telling = next(ago(d, "%d/%m/%Y %H:%M") for d in range(1, 60) if int(ago(d, "%d")) > 12)
    # Ambiguous dates, the one that tells, plain ISO dates; the next pieces only ambiguous ones again.
    dates_column = ambiguous[:5] + [telling] + [ago(2, "%Y-%m-%d %H:%M")] * 1500 + ambiguous * 60
    path = tmp_path / "told.csv"
    lines = ["Email;Date"] + [f"user{i}@example.com;{date}" for i, date in enumerate(dates_column)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(columns, "PIECE_BYTES", 40_000)
    mapping = ColumnMapping(columns={Field.EMAIL: ("Email",), Field.CONVERSION_TIME: ("Date",)})
    summary, _ = both_ways(path, tmp_path, mapping=mapping, rules=RuleChoice(rule_id=5))
    assert summary.date_order is DateOrder.DMY and not summary.date_order_needed and not summary.errors


def test_a_column_that_never_tells_its_order_asks_the_user(tmp_path: Path) -> None:
    rng = random.Random(6)
    never = ["05/06/2026 10:00", "07/08/2026", ago(3, "%Y-%m-%d")]
    rows = [[*row[:9], rng.choice(never), *row[10:]] for row in random_rows(rng, 500, never)]
    summary, _ = both_ways(write(tmp_path / "never.csv", rows), tmp_path)
    assert summary.date_order_needed


def test_constants_fill_missing_columns_the_same_way(tmp_path: Path) -> None:
    rows = [row[:10] for row in random_rows(random.Random(8), 800, dates())]
    path = write(tmp_path / "constants.csv", rows, header=HEADER[:10])
    mapping = ColumnMapping(
        columns={f: names for f, names in MAPPING.columns.items() if names[0] in HEADER[:10]},
        currency="EUR",
        value=Decimal("100"),
        event_name="LEAD",
    )
    summary, _ = both_ways(path, tmp_path, mapping=mapping, rules=RuleChoice(rule_id=5))
    assert summary.sendable


def test_constants_fill_the_empty_cells_of_mapped_columns_only(tmp_path: Path) -> None:
    rows = random_rows(random.Random(10), 800, dates())
    for i, row in enumerate(rows):
        row[10] = ["", "n/a", "abc", "12.50", "-"][i % 5]  # empty, placeholder, unreadable, readable
        row[11] = ["", "XXX", "usd"][i % 3]
    mapping = replace(MAPPING, currency="EUR", value=Decimal("100"), event_name="LEAD")
    summary, staged = both_ways(write(tmp_path / "constants.csv", rows), tmp_path, mapping=mapping)
    reasons = " ".join(row[2] or "" for row in staged)
    assert '"abc" is not an amount' in reasons and '"amount":"100.00"' in " ".join(row[5] or "" for row in staged)


def test_values_are_read_once_each_and_empty_cells_keep_their_own_result() -> None:
    import polars as pl

    calls: list[str | None] = []

    def read(cell: str | None) -> tuple[str | None, bool]:
        calls.append(cell)
        return {"a": "A", "b": None}.get(cell or "", "empty"), cell is None

    cells = pl.Series(["a", None, "b", "a", None, "c"], dtype=pl.String)
    text, empty = columns._per_value_many(cells, read, pl.String, pl.Boolean)
    assert text.to_list() == ["A", "empty", None, "A", "empty", "empty"]
    assert empty.to_list() == [False, True, False, False, True, False]
    assert len(calls) == 4 and set(calls) == {"a", None, "b", "c"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(
        st.lists(
            st.text(alphabet=" \t-.,/:;'\"\\$€0123456789aAeZz@éß\u00a0\u200b", max_size=14), min_size=14, max_size=14
        ),
        min_size=1,
        max_size=25,
    ),  # fmt: skip
)
def test_arbitrary_cells_stage_the_same_way(tmp_path: Path, cells: list[list[str]]) -> None:
    # Newlines and stray quotes make the file one only the row reader reads; that is tested below.
    rows = [[cell.replace('"', "") for cell in row] for row in cells]
    path = write(tmp_path / "arbitrary.csv", rows)
    both_ways(path, tmp_path)


def test_blank_lines_short_and_long_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    good = random_rows(random.Random(9), 3, dates())
    path = tmp_path / "ragged.csv"
    lines = [";".join(HEADER), ";".join(good[0]), "", ";;;", ";".join(good[1][:4]), ";".join([*good[2], "extra"]),
             ";" * 14 + "only here", "  ;\t;", ""]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, rows = both_ways(path, tmp_path)
    assert [row[0] for row in rows] == [2, 5, 6, 7]


@pytest.mark.parametrize(
    "text",
    [
        'Email;Date\n"two\nlines@example.com";2026-01-01\n',  # a quoted line break
        'Email;Date\nab"c@example.com;2026-01-01\n"x"y;z\n',  # stray quotes
    ],
)
def test_text_only_the_row_reader_reads_exactly_falls_back_to_it(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(text * 3, encoding="utf-8")
    mapping = ColumnMapping(columns={Field.EMAIL: ("Email",), Field.CONVERSION_TIME: ("Date",)})
    with caplog.at_level(logging.INFO, logger="capi_desktop.core.staging"):
        both_ways(path, tmp_path, mapping=mapping, rules=RuleChoice(rule_id=5))
    assert "row by row" in caplog.text


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "PIECE_BYTES", 20_000)  # many pieces in a small file


def test_quoted_values_cut_into_pieces_are_read_by_column(
    tmp_path: Path, small_pieces: None, caplog: pytest.LogCaptureFixture
) -> None:
    rows = random_rows(random.Random(9), 2000, dates())
    for row in rows[::7]:
        row[4] = 'The "Best"; Co'  # doubled quotes and the delimiter inside quotes
    path = tmp_path / "quoted.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL).writerows([HEADER, *rows])
    with caplog.at_level(logging.INFO, logger="capi_desktop.core.staging"):
        summary, _ = both_ways(path, tmp_path)
    assert "row by row" not in caplog.text and summary.rows == 2000


def test_a_stray_quote_before_a_quoted_line_break_far_on_is_read_row_by_row(
    tmp_path: Path, small_pieces: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Counting quote marks would put a piece's end inside the quoted value that follows the stray one.
    date = ago(2, "%Y-%m-%d %H:%M")
    lines = ["Email;Note;Date"] + [f"user{i}@example.com;Ann;{date}" for i in range(3000)]
    lines[10] = f'stray@example.com;5" screen;{date}'
    lines[2000] = f'wrapped@example.com;"two\nlines";{date}'
    path = tmp_path / "stray.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = ColumnMapping(columns={Field.EMAIL: ("Email",), Field.CONVERSION_TIME: ("Date",)})
    with caplog.at_level(logging.INFO, logger="capi_desktop.core.staging"):
        both_ways(path, tmp_path, mapping=mapping, rules=RuleChoice(rule_id=5))
    assert "row by row" in caplog.text


def test_only_big_utf8_text_files_are_staged_by_column(tmp_path: Path) -> None:
    rows = random_rows(random.Random(1), 12000, dates())
    big = write(tmp_path / "big.csv", rows)
    assert big.stat().st_size >= columns.MIN_BYTES and columns.suitable(open_table(big))
    assert not columns.suitable(open_table(write(tmp_path / "small.csv", rows[:50])))
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(big.read_bytes().replace(b"\xc3\xa9", b"\xe9"))  # é in Windows-1252
    assert not columns.suitable(open_table(legacy))


def test_an_import_by_column_reports_progress_and_can_be_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "big.csv", random_rows(random.Random(2), 9000, dates()))
    seen: list[int] = []

    class StopAfterFirst:
        asked = 0

        def is_set(self) -> bool:
            self.asked += 1
            return self.asked > 1

    monkeypatch.setattr(columns, "PIECE_BYTES", 100_000)
    with Journal(tmp_path / "cancelled.capijob", create=True) as journal:
        options = ImportOptions(rules=RULES, mapping=MAPPING, timezone="Europe/Berlin")
        with pytest.raises(ImportCancelled):
            stage(open_table(path), options, journal, now_ms=NOW_MS, by_column=True, cancel=StopAfterFirst())
        assert journal.counts().total == 0
        summary = stage(open_table(path), options, journal, now_ms=NOW_MS, by_column=True, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == summary.rows == 9000 and len(seen) >= 3


# -- workbooks: typed cells ----------------------------------------------------------------------


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER, lead: int = 0) -> Path:
    """An Excel workbook with ``lead`` title and blank rows above the header, cells of the types given."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for i in range(lead):
        sheet.append(["Deals export"] if i == 0 else [])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def naive(days: float) -> datetime:
    return (NOW.astimezone(ZONE) - timedelta(days=days)).replace(tzinfo=None)


def typed_dates() -> list[Any]:
    return [
        naive(2), naive(3).replace(hour=0, minute=0), naive(4).replace(second=7), naive(5).replace(microsecond=635000),
        naive(6).date(), naive(200), naive(-30), datetime(2026, 10, 25, 2, 30), datetime(2026, 3, 29, 2, 30),
        time(14, 5), True, 46000, 46000.5, NOW_MS - 86_400_000, timedelta(hours=30), *dates(),
    ]  # fmt: skip


TYPED_AMOUNTS: list[Any] = [1234.56, 12, -10.5, 0, -0.0, 0.1, 1e-05, 0.00012, 12.3456, 999999999999999.0, 1e15,
                            2.0**53 + 2, 1e16, True, naive(1), *AMOUNTS]  # fmt: skip
TYPED_ELSEWHERE: list[Any] = [3, 4.5, naive(1), False, time(9, 0)]


def typed_rows(rng: random.Random, count: int) -> list[list[Any]]:
    """Like ``random_rows``, with dates and amounts mostly typed and now and then a typed cell elsewhere."""
    rows: list[list[Any]] = []
    for row in random_rows(rng, count, dates()):
        # Control characters cannot be written to a workbook.
        typed: list[Any] = [ILLEGAL_CHARACTERS_RE.sub("", cell) or None for cell in row]
        typed[9] = rng.choice(typed_dates()) if rng.random() < 0.2 else naive(rng.uniform(0.1, 80))
        typed[10] = (
            rng.choice(TYPED_AMOUNTS) if rng.random() < 0.2 else round(rng.uniform(-10, 5000), rng.choice([0, 2]))
        )
        if rng.random() < 0.05:
            typed[rng.choice([0, 2, 4, 6, 8, 11, 12, 13])] = rng.choice(TYPED_ELSEWHERE)
        rows.append(typed)
    return rows


def test_a_workbook_with_typed_cells_stages_the_same_by_column_and_by_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "typed.xlsx", typed_rows(random.Random(11), 3000), lead=2)
    summary, rows = both_ways(path, tmp_path)
    assert summary.ok and summary.warnings and summary.errors and summary.duplicates
    assert len(rows) == 3000 and rows[0][0] == 4  # the title, a blank row and the header come first


def test_workbook_rows_are_turned_into_columns_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = typed_rows(random.Random(12), 1200)
    rows[300:310] = [[None] * len(HEADER)] * 10  # blank rows, skipped, keep the numbers after them
    rows[400] = [None] * 13 + [None, "only right of the columns"]  # data beyond the header's columns
    monkeypatch.setattr(columns, "GRID_ROWS", 97)
    _, staged = both_ways(write_xlsx(tmp_path / "batches.xlsx", rows), tmp_path)
    assert len(staged) == 1190 and 402 in {row[0] for row in staged}


def test_a_day_month_order_told_by_text_applies_to_the_rest(tmp_path: Path) -> None:
    rows = typed_rows(random.Random(13), 600)
    ambiguous = [ago(d, "%d/%m/%Y") for d in range(1, 60) if int(ago(d, "%d")) <= 12]
    for i, row in enumerate(rows):
        row[9] = ambiguous[i % len(ambiguous)] if i < 400 else naive(i / 10)
    rows[450][9] = next(ago(d, "%d/%m/%Y") for d in range(1, 60) if int(ago(d, "%d")) > 12)
    summary, _ = both_ways(write_xlsx(tmp_path / "mixed.xlsx", rows), tmp_path)
    assert summary.date_order is DateOrder.DMY


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False, min_value=-1e17, max_value=1e17),
            st.floats(min_value=-1e-3, max_value=1e-3),
            st.integers(-(10**16), 10**16),
            st.decimals(-(10**6), 10**6, places=2).map(float),
        ),
        min_size=1,
        max_size=30,
    ),
    moments=st.lists(st.datetimes(naive(89), naive(0)), min_size=1, max_size=30),
)
def test_arbitrary_number_and_date_cells_stage_the_same_way(
    tmp_path: Path, amounts: list[float], moments: list[datetime]
) -> None:
    base = random_rows(random.Random(14), 1, dates())[0]
    rows = [
        [*base[:9], moments[i % len(moments)], amounts[i % len(amounts)], *base[11:]]
        for i in range(max(len(amounts), len(moments)))
    ]
    both_ways(write_xlsx(tmp_path / "arbitrary.xlsx", rows), tmp_path)


def test_only_big_workbooks_are_staged_by_column(tmp_path: Path) -> None:
    rows = typed_rows(random.Random(15), 20000)
    big = write_xlsx(tmp_path / "big.xlsx", rows)
    assert big.stat().st_size >= columns.MIN_BYTES and columns.suitable(open_table(big))
    assert not columns.suitable(open_table(write_xlsx(tmp_path / "small.xlsx", rows[:50])))
