"""The practice-mode example spreadsheet stages to exactly the counts it was designed for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from capi_desktop.core.example import EXAMPLE, HEADER, HEADER_ROW, TITLE, example_path, example_rows, write_example
from capi_desktop.core.journal import Journal, RowState, journal_path, new_job_id
from capi_desktop.core.mapping import Field, ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.reading import list_sheets, open_table
from capi_desktop.core.staging import StageSummary, stage

RULE = 22285180


def _stage(path: Path, now: datetime, tmp_path: Path, timezone: str = "Europe/Berlin") -> tuple[Journal, StageSummary]:
    table = open_table(path)
    mapping = guess_mapping(table.columns, [row.values for row in table.sample(50)])
    options = ImportOptions(rules=RuleChoice(rule_id=RULE), mapping=mapping, timezone=timezone)
    journal = Journal(journal_path(tmp_path / "data", new_job_id()), create=True)
    return journal, stage(table, options, journal, now_ms=int(now.timestamp() * 1000))


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_example_stages_to_its_designed_counts(tmp_path: Path, timezone: str) -> None:
    now = datetime.now(UTC)
    path = write_example(tmp_path / "example.xlsx", now)
    journal, summary = _stage(path, now, tmp_path, timezone)
    with journal:
        assert (summary.rows, summary.ok, summary.warnings, summary.errors, summary.duplicates) == (
            EXAMPLE.rows,
            EXAMPLE.ok,
            EXAMPLE.warnings,
            EXAMPLE.errors,
            EXAMPLE.duplicates,
        )
        assert (EXAMPLE.ok, EXAMPLE.warnings, EXAMPLE.errors) == (183, 7, 10)
        assert summary.with_email == EXAMPLE.with_email == 186
        assert summary.with_name_company == EXAMPLE.with_name_company == 183
        assert not summary.date_order_needed
        reasons = [row.reason or "" for row in journal.rows([RowState.ERROR])]
        assert sum("older than 90 days" in r for r in reasons) == 5
        assert sum("Duplicate of row" in r for r in reasons) == 2
        assert sum("no first and last name" in r for r in reasons) == 3
        warnings = [row.reason or "" for row in journal.rows([RowState.WARNING])]
        assert sum("not a valid email" in r or "No email" in r for r in warnings) == 4
        assert sum("Only one of first and last name" in r for r in warnings) == 3


def test_the_example_looks_like_a_german_crm_export(tmp_path: Path) -> None:
    now = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    path = write_example(example_path(tmp_path), now)
    assert path == tmp_path / "examples" / "Example conversions.xlsx"
    assert list_sheets(path) == ["Deals", "Hinweise"]
    table = open_table(path)
    assert (table.sheet, table.header_row, table.columns) == ("Deals", HEADER_ROW, HEADER)
    sheet = load_workbook(path, read_only=True)["Deals"]
    assert next(sheet.iter_rows(max_row=1, values_only=True))[0] == TITLE

    values = [row[HEADER.index("Betrag")] for row in example_rows(now)]
    assert any(isinstance(v, str) and v.endswith(" €") and "." in v and "," in v for v in values)  # 1.234,56 €
    assert any(isinstance(v, str) and v.startswith("$") for v in values)
    assert None in values  # some rows have no value

    mapping = guess_mapping(table.columns, [row.values for row in table.sample(50)])
    assert mapping.columns == {
        Field.EMAIL: ("E-Mail-Adresse",),
        Field.FIRST_NAME: ("Vorname",),
        Field.LAST_NAME: ("Nachname",),
        Field.COMPANY: ("Company",),
        Field.TITLE: ("Job Title",),
        Field.COUNTRY: ("Land",),
        Field.CONVERSION_TIME: ("Abschlussdatum",),
        Field.VALUE: ("Betrag",),
    }


def test_dates_follow_now_and_the_same_now_gives_the_same_rows() -> None:
    now = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    rows = example_rows(now)
    assert rows == example_rows(now)
    column = HEADER.index("Abschlussdatum")
    moments = [r[column] if isinstance(r[column], datetime) else datetime.combine(r[column], datetime.min.time())
               for r in rows]  # fmt: skip
    naive_now = now.replace(tzinfo=None)
    assert all(m <= naive_now - timedelta(days=1) for m in moments)
    assert sum(m < naive_now - timedelta(days=90) for m in moments) == 5
    assert example_rows(now + timedelta(days=30))[0][column] != rows[0][column]
