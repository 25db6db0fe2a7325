"""Preview and problems reports, the template, and spreadsheet formula injection."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from capi_desktop.core.journal import Journal, JournalRow, RowState
from capi_desktop.core.mapping import ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import open_table
from capi_desktop.core.reports import (
    PREVIEW_COLUMNS,
    TEMPLATE_COLUMNS,
    inert,
    write_preview,
    write_problems_report,
    write_template,
)
from capi_desktop.core.staging import stage

NOW = datetime.now(UTC)


@pytest.fixture
def staged(tmp_path: Path) -> tuple[Path, Journal]:
    when = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    source = tmp_path / "crm.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [
                ["Email", "Company", "Date", "Value", "Currency"],
                ["good@example.com", "Acme", when, "10", "USD"],
                ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", when, "10", "USD"],
                ["", "@SUM(1+1)", when, "-5", "USD"],
            ]
        )
    table = open_table(source)
    journal = Journal(tmp_path / "job.capijob", create=True)
    options = ImportOptions(rules=RuleChoice(rule_id=9), mapping=guess_mapping(table.columns, []))
    stage(table, options, journal, now_ms=int(NOW.timestamp() * 1000))
    return source, journal


def test_inert_values() -> None:
    assert inert("=1+1") == "'=1+1"
    assert inert("-5") == "'-5"
    assert inert("@x") == "'@x"
    assert inert("safe") == "safe"
    assert inert(-5) == -5  # numbers stay numbers


def test_problems_report_csv_in_the_users_columns(staged: tuple[Path, Journal], tmp_path: Path) -> None:
    source, journal = staged
    out = tmp_path / "problems.csv"
    assert write_problems_report(open_table(source), journal, out) == 2
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Row", "Email", "Company", "Date", "Value", "Currency", "Sent?", "Problem"]
    assert rows[1][-2] == "No: a problem in the file"
    assert [r[0] for r in rows[1:]] == ["3", "4"]
    assert rows[1][1] == '\'=HYPERLINK("http://evil","x")' and rows[1][2].startswith("'+cmd")
    assert rows[2][2] == "'@SUM(1+1)" and rows[2][4] == "'-5"
    assert "no first and last name" in rows[1][-1]


def test_problems_report_xlsx_keeps_text_as_text(staged: tuple[Path, Journal], tmp_path: Path) -> None:
    source, journal = staged
    out = tmp_path / "problems.xlsx"
    write_problems_report(open_table(source), journal, out)
    sheet = openpyxl.load_workbook(out).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == '=HYPERLINK("http://evil","x")'
    assert cell.data_type == "s"  # stored as text: Excel shows it, never runs it
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_preview_lists_what_would_be_sent(staged: tuple[Path, Journal], tmp_path: Path) -> None:
    _, journal = staged
    out = tmp_path / "preview.xlsx"
    assert write_preview(journal, out) == 3
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == PREVIEW_COLUMNS
    first = dict(zip(PREVIEW_COLUMNS, rows[1], strict=True))
    assert (first["State"], first["Amount"], first["Currency"]) == ("OK", "10.00", "USD")
    assert first["Company"] is None  # a company is only sent inside userInfo, which needs both names
    assert len(first["Hashed email (SHA-256)"]) == 64
    assert first["Conversion time (UTC)"].endswith("Z")


def test_template_and_bad_extension(tmp_path: Path) -> None:
    write_template(tmp_path / "template.xlsx")
    header = next(openpyxl.load_workbook(tmp_path / "template.xlsx").active.iter_rows(values_only=True))
    assert header == TEMPLATE_COLUMNS
    with pytest.raises(ValueProblem):
        write_template(tmp_path / "template.pdf")


def test_the_report_says_for_each_row_whether_it_was_sent(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.capijob", create=True) as journal:
        journal.add_rows(
            [
                JournalRow(2, RowState.ERROR, "There is no email.", None, None, None),
                JournalRow(3, RowState.WARNING, "No email; LinkedIn will match on name.", "e3", 1, "{}"),
                JournalRow(4, RowState.OK, None, "e4", 1, "{}"),
                JournalRow(5, RowState.WARNING, "No email.", "e5", 1, "{}"),
                JournalRow(6, RowState.OK, None, "e6", 1, "{}"),
            ]
        )
        before = tmp_path / "before.csv"
        write_problems_report(None, journal, before)
        batch = journal.mark_in_flight(2, 4)
        journal.accept_batch(batch, 1)
        journal.mark_delivered(rejected=[(6, "LinkedIn refused the currency: usd")], at_ms=1)
        after = tmp_path / "after.csv"
        write_problems_report(None, journal, after)
    assert read_csv(before)[1:] == [
        ["2", "No: a problem in the file", "There is no email."],
        ["3", "Not yet: it will be sent, with a note", "No email; LinkedIn will match on name."],
        ["5", "Not yet: it will be sent, with a note", "No email."],
    ]
    assert [row[:2] for row in read_csv(after)[1:]] == [
        ["2", "No: a problem in the file"],
        ["3", "Yes, with a note"],  # warnings stay in the report after the upload
        ["5", "Not yet: it will be sent, with a note"],
        ["6", "No: LinkedIn refused it"],
    ]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))
