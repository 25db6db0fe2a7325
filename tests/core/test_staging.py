"""Staging a spreadsheet into a job journal: the exact events, every row's state and reason."""

from __future__ import annotations

import csv
import hashlib
import json
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from capi_desktop.core.control import Control
from capi_desktop.core.journal import SCHEMA_VERSION, Journal, JournalRow, RowState
from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice, guess_mapping, parse_rule_map
from capi_desktop.core.normalise.dates import DateOrder
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import open_table
from capi_desktop.core.staging import ImportCancelled, StageSummary, cells, stage

NOW = datetime.now(UTC).replace(microsecond=0)
NOW_MS = int(NOW.timestamp() * 1000)
BERLIN = ZoneInfo("Europe/Berlin")


def days_ago(days: int, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return (NOW.astimezone(BERLIN) - timedelta(days=days)).strftime(fmt)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def run(path: Path, journal_path: Path, rules: RuleChoice, **options: object) -> tuple[StageSummary, Journal]:
    table = open_table(path)
    mapping = options.pop("mapping", None) or guess_mapping(table.columns, [r.values for r in table.sample(20)])
    journal = Journal(journal_path, create=True)
    summary = stage(
        table,
        ImportOptions(rules=rules, mapping=mapping, timezone="Europe/Berlin", **options),  # type: ignore[arg-type]
        journal,
        now_ms=NOW_MS,
    )
    return summary, journal


def by_number(journal: Journal) -> dict[int, object]:
    return {row.number: row for row in journal.rows()}


def test_the_exact_event_for_a_row(tmp_path: Path) -> None:
    when = days_ago(2)
    csv_path = write_csv(
        tmp_path / "leads.csv",
        ["Email", "First name", "Last name", "Company", "Title", "Country", "Date", "Value", "Currency"],
        [[" Mike.Smith@Example.com ", "Mike", "Smith", "Contoso", "CTO", "United States", when, "1,500", "usd"]],
    )
    summary, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=104012))
    assert (summary.rows, summary.ok, summary.errors) == (1, 1, 0)
    row = next(journal.rows())
    expected_ms = int(datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN).timestamp() * 1000)
    assert json.loads(row.event_json or "") == {
        "conversion": "urn:lla:llaPartnerConversion:104012",
        "conversionHappenedAt": expected_ms,
        "conversionValue": {"currencyCode": "USD", "amount": "1500.00"},
        "eventId": row.event_id,
        "user": {
            "userIds": [{"idType": "SHA256_EMAIL", "idValue": hashlib.sha256(b"mike.smith@example.com").hexdigest()}],
            "userInfo": {
                "firstName": "Mike",
                "lastName": "Smith",
                "companyName": "Contoso",
                "title": "CTO",
                "countryCode": "US",
            },
        },
    }
    assert summary.share(summary.with_email) == 1.0


def test_event_ids_are_stable_across_imports_and_differ_per_rule(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "a.csv", ["Email", "Date"], [[f"u{i}@example.com", days_ago(i + 1)] for i in range(5)]
    )
    _, first = run(csv_path, tmp_path / "1.capijob", RuleChoice(rule_id=1))
    _, again = run(csv_path, tmp_path / "2.capijob", RuleChoice(rule_id=1))
    _, other = run(csv_path, tmp_path / "3.capijob", RuleChoice(rule_id=2))
    ids = [r.event_id for r in first.rows()]
    assert ids == [r.event_id for r in again.rows()]
    assert not set(ids) & {r.event_id for r in other.rows()}
    assert len(set(ids)) == 5 and all(len(i or "") <= 64 for i in ids)


def test_event_id_column_is_used_when_mapped(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "a.csv", ["Email", "Date", "Event id"], [["a@example.com", days_ago(1), "crm-42"]])
    _, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1))
    assert next(journal.rows()).event_id == "crm-42"


def test_no_raw_email_is_stored_in_the_journal(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "a.csv",
        ["Email", "First name", "Last name", "Date"],
        [["secret.person@example.org", "Ann", "Lee", days_ago(1)], ["broken.person@", "", "", days_ago(1)]],
    )
    _, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1))
    journal.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("j.capijob*"))
    assert b"secret.person" not in raw and b"broken.person" not in raw
    assert hashlib.sha256(b"secret.person@example.org").hexdigest().encode() in raw


def test_states_and_reasons(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "a.csv",
        ["Email", "First name", "Last name", "Company", "Date", "Value"],
        [
            ["ok@example.com", "", "", "", days_ago(1), "10"],  # 2: ok
            ["n/a", "Ann", "Lee", "Acme", days_ago(1), "10"],  # 3: warning, name and company
            ["not-an-email", "Ann", "Lee", "", days_ago(1), "10"],  # 4: warning naming the column
            ["", "", "", "", days_ago(1), "10"],  # 5: error, nothing to match on
            ["old@example.com", "", "", "", days_ago(120), "10"],  # 6: error, too old
            ["soon@example.com", "", "", "", days_ago(-2), "10"],  # 7: error, future
            ["neg@example.com", "", "", "", days_ago(1), "-25"],  # 8: warning, refund
            ["ok@example.com", "", "", "", days_ago(1), "10"],  # 9: duplicate of 2
        ],
    )
    table = open_table(csv_path)
    mapping = replace(guess_mapping(table.columns, []), currency="USD")
    summary, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1), mapping=mapping)
    rows = by_number(journal)
    state = {n: r.state for n, r in rows.items()}  # type: ignore[attr-defined]
    reason = {n: r.reason or "" for n, r in rows.items()}  # type: ignore[attr-defined]
    assert state == {
        2: RowState.OK,
        3: RowState.WARNING,
        4: RowState.WARNING,
        5: RowState.ERROR,
        6: RowState.ERROR,
        7: RowState.ERROR,
        8: RowState.WARNING,
        9: RowState.ERROR,
    }
    assert reason[3] == "No email; LinkedIn will match on name and company only."
    assert (
        reason[4] == "The value in “Email” is not a valid email address; LinkedIn will match on the other identifiers."
    )
    assert "not-an-email" not in reason[4]
    assert "no first and last name or click id" in reason[5]
    assert "older than 90 days" in reason[6]
    assert "future" in reason[7]
    assert "negative" in reason[8]
    assert reason[9].startswith("Duplicate of row 2")
    assert (summary.ok, summary.warnings, summary.errors, summary.duplicates) == (1, 3, 4, 1)
    assert summary.with_name_company == 1


def dmy(moment: datetime, day: int) -> str:
    return f"{day:02d}/{moment.month:02d}/{moment.year} 10:00"


def test_ambiguous_dates_wait_for_the_column_to_tell(tmp_path: Path) -> None:
    # Both rows in the same recent month: row 2 (day 5) is ambiguous, row 3 (day 23) tells the order.
    month = NOW - timedelta(days=40)
    rows = [["x@example.com", dmy(month, 5)], ["y@example.com", dmy(month, 23)]]
    csv_path = write_csv(tmp_path / "a.csv", ["Email", "Date"], rows)
    summary, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1))
    assert summary.date_order is DateOrder.DMY and not summary.date_order_needed
    held = next(journal.rows())
    assert held.state is RowState.OK, held.reason
    expected = datetime(month.year, month.month, 5, 10, 0, tzinfo=BERLIN)
    assert json.loads(held.event_json or "")["conversionHappenedAt"] == int(expected.timestamp() * 1000)


def test_all_ambiguous_dates_ask_the_user_then_parse_as_chosen(tmp_path: Path) -> None:
    rows = [["x@example.com", "03/04/2026"], ["y@example.com", "04/03/2026"]]
    csv_path = write_csv(tmp_path / "a.csv", ["Email", "Date"], rows)
    summary, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1))
    assert summary.date_order is None and summary.date_order_needed
    first = next(journal.rows())
    assert first.state is RowState.ERROR and "Choose the date order" in (first.reason or "")
    # With the order chosen, the same dates parse (and are then judged by the 90-day window).
    summary, journal = run(csv_path, tmp_path / "k.capijob", RuleChoice(rule_id=1), date_order=DateOrder.MDY)
    assert not summary.date_order_needed and summary.date_order is DateOrder.MDY
    assert all("day/month" not in (r.reason or "") for r in journal.rows())


def test_a_date_against_the_column_order_is_an_error(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "a.csv", ["Email", "Date"], [["x@example.com", "23/11/2026"], ["y@example.com", "11/23/2026"]]
    )
    _, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1), mapping=None)
    second = list(journal.rows())[1]
    assert second.state is RowState.ERROR and "different day/month order" in (second.reason or "")


def test_values_and_currencies(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "a.csv",
        ["Email", "Date", "Value", "Currency"],
        [
            ["a@example.com", days_ago(1), "$99", "CAD"],  # a bare $ takes the column's dollar
            ["b@example.com", days_ago(1), "99 €", "USD"],  # contradiction
            ["c@example.com", days_ago(1), "99", ""],  # no currency anywhere
            ["d@example.com", days_ago(1), "", ""],  # no value: sent without one
        ],
    )
    _, journal = run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1))
    rows = list(journal.rows())
    assert json.loads(rows[0].event_json or "")["conversionValue"] == {"currencyCode": "CAD", "amount": "99.00"}
    assert rows[1].state is RowState.ERROR and "marked EUR" in (rows[1].reason or "")
    assert rows[2].state is RowState.ERROR and "has no currency" in (rows[2].reason or "")
    assert "conversionValue" not in json.loads(rows[3].event_json or "")


def test_constants_and_rule_map(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "a.csv",
        ["Email", "Date", "Stage"],
        [
            ["a@example.com", days_ago(1), "Lead"],
            ["b@example.com", days_ago(1), "Won"],
            ["c@example.com", days_ago(1), "Churned"],
        ],
    )
    table = open_table(csv_path)
    mapping = guess_mapping(table.columns, [])
    from dataclasses import replace

    mapping = replace(mapping, currency="EUR", value=Decimal("100"))
    summary, journal = run(csv_path, tmp_path / "j.capijob", parse_rule_map("LEAD=11,WON=12"), mapping=mapping)
    rows = list(journal.rows())
    assert [r.rule_id for r in rows[:2]] == [11, 12]
    assert json.loads(rows[0].event_json or "")["conversionValue"] == {"currencyCode": "EUR", "amount": "100.00"}
    assert rows[2].state is RowState.ERROR
    assert summary.unmapped_event_names == {"Churned": 1}


def test_workbook_with_typed_dates(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Closed deals"])
    sheet.append([])
    sheet.append(["Email", "Close Date", "Amount", "Currency"])
    moment = (NOW.astimezone(BERLIN) - timedelta(days=4)).replace(tzinfo=None)
    sheet.append(["x@example.com", moment, 2500.5, "GBP"])
    book.save(tmp_path / "deals.xlsx")
    summary, journal = run(tmp_path / "deals.xlsx", tmp_path / "j.capijob", RuleChoice(rule_id=3))
    row = next(journal.rows())
    assert row.number == 4 and summary.ok == 1
    event = json.loads(row.event_json or "")
    assert event["conversionHappenedAt"] == int(moment.replace(tzinfo=BERLIN).timestamp() * 1000)
    assert event["conversionValue"] == {"currencyCode": "GBP", "amount": "2500.50"}


def test_a_workbook_cell_a_text_field_cannot_read_is_an_error_on_its_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email", "First name", "Last name", "Company", "Close Date"])
    moment = (NOW.astimezone(BERLIN) - timedelta(days=4)).replace(tzinfo=None)
    sheet.append(["a@example.com", moment, "Schmidt", True, moment])
    sheet.append(["b@example.com", "Bernd", "Meyer", "Acme", moment])
    book.save(tmp_path / "typed.xlsx")
    summary, journal = run(tmp_path / "typed.xlsx", tmp_path / "j.capijob", RuleChoice(rule_id=3))
    rows = by_number(journal)
    assert (summary.errors, summary.ok) == (1, 1)
    assert rows[2].state is RowState.ERROR  # type: ignore[attr-defined]
    assert rows[2].reason == (  # type: ignore[attr-defined]
        f'The value "{moment:%Y-%m-%d %H:%M:%S}" in “First name” is a date or time, not text. '
        'The value "True" in “Company” is a yes/no value, not text.'
    )


def test_cancel_leaves_no_half_staged_rows(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "a.csv", ["Email", "Date"], [[f"u{i}@example.com", days_ago(1)] for i in range(12000)]
    )
    table = open_table(csv_path)
    journal = Journal(tmp_path / "j.capijob", create=True)
    control = Control()
    options = ImportOptions(rules=RuleChoice(rule_id=1), mapping=guess_mapping(table.columns, []))
    with pytest.raises(ImportCancelled):
        stage(table, options, journal, now_ms=NOW_MS, progress=lambda done: control.cancel(), control=control)
    assert journal.count() == 0


def test_a_mapping_that_cannot_work_is_refused(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "a.csv", ["Email", "Date"], [["a@example.com", days_ago(1)]])
    only_email = ColumnMapping(columns={Field.EMAIL: ("Email",)})
    with pytest.raises(ValueProblem) as raised:
        run(csv_path, tmp_path / "j.capijob", RuleChoice(rule_id=1), mapping=only_email)
    assert "conversion date" in str(raised.value)


def mdy(moment: datetime, day: int) -> str:
    return f"{moment.month:02d}/{day:02d}/{moment.year} 10:00"


def test_batches_of_a_few_rows_stage_exactly_what_one_batch_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of seven, so that rows wait for the order the column tells in row 31, a batch contradicts
    # it soon after (row 38), and unmapped event names and bad countries fall in several batches.
    month = NOW - timedelta(days=40)
    rows = []
    for i in range(90):
        day = 23 if i == 29 else (i % 12) + 1
        when = mdy(month, 24) if i == 36 else dmy(month, day)
        stage_name = "Webinar" if i % 17 == 5 else ("Won" if i % 2 else "Lead")
        country = "Narnia" if i % 11 == 0 else "DE"
        rows.append([f"u{i}@example.com", "Ann", f"Lee{i}", country, when, f"{i},5", stage_name])
    csv_path = write_csv(tmp_path / "a.csv", ["Email", "First", "Last", "Country", "Date", "Amount EUR", "Stage"], rows)
    table = open_table(csv_path)
    mapping = guess_mapping(table.columns, [r.values for r in table.sample(20)])
    options = ImportOptions(rules=parse_rule_map("WON=1,LEAD=2"), mapping=mapping, timezone="Europe/Berlin")
    results = []
    for batch_rows in (cells.BATCH_ROWS, 7):
        monkeypatch.setattr(cells, "BATCH_ROWS", batch_rows)
        with Journal(tmp_path / f"b{batch_rows}.capijob", create=True) as journal:
            summary = stage(table, options, journal, now_ms=NOW_MS)
            results.append((summary, list(journal.rows())))
    (whole, whole_rows), (batched, batched_rows) = results
    assert batched == whole and batched_rows == whole_rows
    assert whole.date_order is DateOrder.DMY and whole.unmapped_event_names == {"Webinar": 5}
    by_row = {row.number: row for row in whole_rows}
    assert by_row[2].state is RowState.WARNING  # held back until row 31 told the order, then sent
    assert "different day/month order" in (by_row[38].reason or "")


def test_duplicates_name_the_first_sendable_copy_under_the_same_rule(tmp_path: Path) -> None:
    rows = [[f"user{i}@example.com", days_ago(1), f"id-{i}", "Lead"] for i in range(30)]
    rows[3][1] = days_ago(400)  # an error: the next copy of its event is the one sent
    rows[20][2] = rows[25][2] = rows[27][2] = rows[28][2] = rows[3][2] = "id-same"
    rows[28][3] = "Won"  # the same event id under another rule is another event
    rows[10][2] = "id-1"
    csv_path = write_csv(tmp_path / "dups.csv", ["Email", "Date", "Event id", "Stage"], rows)
    summary, journal = run(csv_path, tmp_path / "j.capijob", parse_rule_map("LEAD=1,WON=2"))
    reasons = {row.number: row.reason or "" for row in journal.rows() if row.state is RowState.ERROR}
    # Row numbers are the file's: rows[i] is row i + 2.
    assert reasons == {
        5: reasons[5],
        12: "Duplicate of row 3 (same event); it is sent only once.",
        27: "Duplicate of row 22 (same event); it is sent only once.",
        29: "Duplicate of row 22 (same event); it is sent only once.",
    }
    assert "older than 90 days" in reasons[5]
    assert summary.duplicates == 3 and summary.errors == 4


def test_a_journal_of_the_previous_version_opens_without_its_duplicate_index(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.capijob"
    with Journal(path, create=True) as journal:
        journal.add_rows([])
    with closing(sqlite3.connect(path)) as db, db:  # closed now: otherwise only a collection frees it
        db.execute("CREATE INDEX rows_event ON rows(rule_id, event_id)")
        db.execute("PRAGMA user_version=2")
    with Journal(path) as journal:
        assert journal.counts().total == 0
    with closing(sqlite3.connect(path)) as db, db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "rows_event" not in indexes and "rows_state" in indexes


def test_a_journal_from_before_the_resend_count_gains_it(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "v3.capijob"
    with Journal(path, create=True) as journal:
        journal.add_rows([JournalRow(1, RowState.OK, None, "e1", 1, "{}")])
        journal.accept_batch(journal.mark_in_flight(1, 1), 1)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("ALTER TABLE delivery DROP COLUMN resent")
        db.execute("PRAGMA user_version=3")
    with Journal(path) as journal:
        counts = journal.delivery_counts()
        assert (counts.accepted, counts.resent) == (1, 0)
