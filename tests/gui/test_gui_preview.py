"""The Preview page and its table model over a real staged job journal."""

from __future__ import annotations

import csv
import hashlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from capi_desktop import paths
from capi_desktop.app.jobs import stage_job
from capi_desktop.core.journal import Journal, JournalRow, RowState
from capi_desktop.core.journal.ledger import LEDGER_FILE, SentLedger
from capi_desktop.core.mapping import ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.reading import open_table
from capi_desktop.core.staging import StageSummary
from capi_desktop.gui.pages.preview import LEAVES_TEXT, NOTHING_NEW, PreviewPage, upload_button_text
from capi_desktop.gui.preview_model import CACHE_PAGES, LOADING, PAGE_SIZE, Column, PreviewModel, RowFilter
from capi_desktop.gui.widgets import moment_text
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.linkedin.models import AdAccount, ConversionRule

COLUMNS = ["Email", "First name", "Last name", "Company", "Country", "Date", "Amount", "Currency", "Notiz"]
RULE_ID = 22285180


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def known_rows() -> list[list[object]]:
    """Spreadsheet rows 2-7: two fine, one warning, three errors (one of them a duplicate)."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    anna = [" Anna.Schmidt@Contoso.DE ", "Anna", "Schmidt", "Contoso GmbH", "Germany", now - timedelta(days=2),
            1234.5, "EUR", "Messe"]  # fmt: skip
    return [
        anna,  # 2: OK
        ["not-an-email", "Ben", "Meyer", "Fabrikam AG", "DE", now - timedelta(days=3), 99, "EUR", "Web"],  # 3: warning
        ["c@example.com", "Carla", "Rossi", "Litware", "IT", now - timedelta(days=120), 10, "EUR", "alt"],  # 4: too old
        ["d@example.com", None, None, None, None, now - timedelta(days=1), None, None, "=1+1"],  # 5: OK, email only
        list(anna),  # 6: duplicate of row 2
        [None, None, None, "Nobody Ltd", None, now - timedelta(days=1), 5, "EUR", "?"],  # 7: nothing to match on
    ]


def stage_workbook(path: Path, rows: list[list[object]]) -> tuple[Journal, StageSummary, ImportOptions]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    table = open_table(path)
    mapping = guess_mapping(table.columns, [r.values for r in table.sample(50)])
    options = ImportOptions(rules=RuleChoice(rule_id=RULE_ID), mapping=mapping, timezone="Europe/Berlin")
    staged = stage_job(paths.data_dir(), table, options, account_id=507404993)
    return staged.journal, staged.summary, options


def open_preview(wizard: UploadWizard, path: Path, rows: list[list[object]]) -> PreviewPage:
    journal, summary, options = stage_workbook(path, rows)
    session = wizard.session
    session.journal, session.summary, session.options = journal, summary, options
    session.source, session.table = path, open_table(path)
    session.rules = options.rules
    session.rules_by_id = {
        RULE_ID: ConversionRule(id=RULE_ID, name="Closed-won deals", account_id=507404993, type="PURCHASE",
                                enabled=True)
    }  # fmt: skip
    wizard.setStartId(PageId.PREVIEW)
    wizard.restart()
    assert wizard.currentId() == PageId.PREVIEW
    return wizard.preview_page


@pytest.fixture
def preview(wizard: UploadWizard, tmp_path: Path) -> PreviewPage:
    return open_preview(wizard, tmp_path / "deals.xlsx", known_rows())


def test_the_summary_shows_counts_readiness_and_what_leaves(preview: PreviewPage, wizard: UploadWizard) -> None:
    summary = wizard.session.summary
    assert summary is not None
    assert (summary.ok, summary.warnings, summary.errors, summary.duplicates) == (2, 1, 3, 1)
    assert preview.ok_count.number.text() == "2"
    assert preview.warning_count.number.text() == "1"
    assert preview.error_count.number.text() == "3"
    assert preview.duplicate_count.number.text() == "1"
    assert "with errors (not sent)" in preview.error_count.caption.text()
    assert "Rows with errors are not sent" in preview.notice.label.text()
    # Of the 3 rows sent: 2 with a hashed email (rows 2 and 5), 2 with name and company (rows 2 and 3).
    assert "67% with a hashed email" in preview.readiness_label.text()
    assert "67% with name and company" in preview.readiness_label.text()
    assert preview.leaves_label.text() == LEAVES_TEXT
    assert "SHA-256" in LEAVES_TEXT and "Nothing else" in LEAVES_TEXT
    shown = [b.text() for b in preview.filter_buttons.values() if not b.isHidden()]
    assert shown == ["All (6)", "Problems (3)", "Warnings (1)"]  # nothing was sent before: no "Already sent"


def test_next_says_how_many_conversions_go_up(preview: PreviewPage) -> None:
    assert preview.isComplete()
    assert preview.buttonText(QWizard.WizardButton.NextButton) == "Upload 3 conversions"
    assert upload_button_text(1) == "Upload 1 conversion"
    assert upload_button_text(12345) == "Upload 12,345 conversions"


def test_with_nothing_sendable_next_stays_disabled(wizard: UploadWizard, tmp_path: Path) -> None:
    old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=200)
    page = open_preview(wizard, tmp_path / "old.xlsx", [["a@example.com", "A", "B", "C", "DE", old, 1, "EUR", ""]])
    assert not page.isComplete()
    assert "No row can be sent" in page.readiness_label.text()


def test_the_model_shows_each_row_as_it_would_be_sent(preview: PreviewPage, wizard: UploadWizard) -> None:
    model = preview.model
    journal = wizard.session.journal
    assert model is not None and journal is not None
    assert preview.view.model() is model
    assert model.rowCount() == journal.count() == 6

    def cell(row: int, column: Column, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
        return model.data(model.index(row, column), role)

    assert [cell(r, Column.ROW) for r in range(6)] == ["2", "3", "4", "5", "6", "7"]
    assert [cell(r, Column.STATE) for r in range(6)] == ["OK", "Warning", "Error", "OK", "Error", "Error"]
    assert cell(0, Column.EMAIL_HASH) == sha256("anna.schmidt@contoso.de")
    assert cell(3, Column.EMAIL_HASH) == sha256("d@example.com")
    assert (cell(0, Column.FIRST_NAME), cell(0, Column.LAST_NAME), cell(0, Column.COMPANY)) == (
        "Anna",
        "Schmidt",
        "Contoso GmbH",
    )
    assert cell(0, Column.COUNTRY) == "DE"
    assert cell(0, Column.VALUE) == "1234.50 EUR"
    # The time as the spreadsheet wrote it (read in Europe/Berlin, the file's zone), in the locale's words.
    table = wizard.session.table
    assert table is not None
    written = next(iter(table.sample(1))).values[COLUMNS.index("Date")]
    assert isinstance(written, datetime)
    assert cell(0, Column.TIME) == moment_text(written) == f"{written.day} {written:%b %Y, %H:%M}"
    assert model.headerData(Column.TIME, Qt.Orientation.Horizontal) == "Conversion time (Europe/Berlin)"
    assert str(cell(0, Column.EVENT_ID)).startswith("cd2-")
    assert cell(0, Column.RULE) == "Closed-won deals"
    assert cell(0, Column.REASON) == ""
    assert "“Email” is not a valid email address" in str(cell(1, Column.REASON))
    assert "older than 90 days" in str(cell(2, Column.REASON))
    assert cell(4, Column.REASON) == "Duplicate of row 2 (same event); it is sent only once."
    assert cell(2, Column.EMAIL_HASH) == ""  # errors carry no event: nothing of theirs would be sent
    # The raw address is nowhere in the table: only its hash.
    shown = {str(cell(r, c)) for r in range(6) for c in Column}
    assert not any("@" in text for text in shown)


def test_clicking_a_row_shows_its_whole_reason(preview: PreviewPage) -> None:
    model = preview.model
    assert model is not None and preview.detail_label.isHidden()
    preview.view.setCurrentIndex(model.index(2, Column.STATE))
    assert preview.detail_label.isVisible()
    assert preview.detail_label.text().startswith("Row 4: The conversion time ")
    assert preview.detail_label.text().endswith("LinkedIn only accepts conversions from the last 90 days.")
    preview.view.setCurrentIndex(model.index(0, Column.STATE))  # an OK row has nothing to explain
    assert preview.detail_label.isHidden()


def test_filters_switch_the_rows_and_counts(preview: PreviewPage, wizard: UploadWizard) -> None:
    model = preview.model
    journal = wizard.session.journal
    assert model is not None and journal is not None

    preview.filter_buttons[RowFilter.PROBLEMS].click()
    assert model.row_filter is RowFilter.PROBLEMS
    assert model.rowCount() == journal.count([RowState.ERROR]) == 3
    assert [model.data(model.index(r, Column.ROW)) for r in range(3)] == ["4", "6", "7"]

    preview.filter_buttons[RowFilter.WARNINGS].click()
    assert model.rowCount() == journal.count([RowState.WARNING]) == 1
    assert model.data(model.index(0, Column.STATE)) == "Warning"

    preview.filter_buttons[RowFilter.ALL].click()
    assert model.rowCount() == 6


def test_state_colours_suit_light_and_dark_palettes(preview: PreviewPage) -> None:
    model = preview.model
    assert model is not None
    ok, error = model.index(0, Column.STATE), model.index(2, Column.STATE)
    model.set_dark(False)
    light_ok, light_error = (model.data(i, Qt.ItemDataRole.ForegroundRole) for i in (ok, error))
    model.set_dark(True)
    dark_ok, dark_error = (model.data(i, Qt.ItemDataRole.ForegroundRole) for i in (ok, error))
    assert isinstance(light_ok, QColor) and isinstance(dark_ok, QColor)
    assert light_ok != light_error and dark_ok != dark_error
    # Dark text for a light base, light text for a dark base.
    assert light_ok.lightness() < 128 < dark_ok.lightness()
    assert light_error.lightness() < 128 < dark_error.lightness()


def test_the_problems_report_has_the_users_own_columns(
    qtbot: QtBot, preview: PreviewPage, wizard: UploadWizard, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "deals - problems.xlsx"
    suggested: list[Path] = []

    def choose(parent: object, suggestion: Path) -> Path:
        suggested.append(suggestion)
        return target

    preview.choose_report_path = choose
    assert preview.report_button.isEnabled()
    qtbot.mouseClick(preview.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.session.report_path == target, timeout=15000)

    assert suggested == [tmp_path / "deals - problems.xlsx"]
    rows = list(load_workbook(target, read_only=True)["Rows"].iter_rows(values_only=True))
    assert list(rows[0]) == ["Row", *COLUMNS, "Sent?", "Problem"]
    assert [row[0] for row in rows[1:]] == [3, 4, 6, 7]  # the warning and the three errors
    assert rows[1][COLUMNS.index("Notiz") + 1] == "Web"
    assert "not a valid email address" in str(rows[1][-1])
    assert str(target) in preview.report_label.text() and "4 rows" in preview.report_label.text()


def test_a_changed_spreadsheet_gives_a_report_of_row_numbers(
    qtbot: QtBot, preview: PreviewPage, wizard: UploadWizard, tmp_path: Path
) -> None:
    (tmp_path / "deals.xlsx").write_bytes((tmp_path / "deals.xlsx").read_bytes() + b"\0")  # edited since
    target = tmp_path / "problems.csv"
    preview.choose_report_path = lambda parent, suggestion: target
    preview.save_problems_report()
    qtbot.waitUntil(lambda: wizard.session.report_path == target, timeout=15000)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["Row", "Sent?", "Problem"]
    assert [line[0] for line in lines[1:]] == ["3", "4", "6", "7"]
    assert "row numbers and reasons only" in preview.report_label.text()


def test_a_report_that_cannot_be_written_is_explained(
    qtbot: QtBot, preview: PreviewPage, wizard: UploadWizard, tmp_path: Path
) -> None:
    preview.choose_report_path = lambda parent, suggestion: tmp_path / "problems.pdf"
    preview.save_problems_report()
    qtbot.waitUntil(lambda: "not saved" in preview.report_label.text(), timeout=15000)
    assert ".pdf" in preview.report_label.text()
    assert wizard.session.report_path is None
    assert preview.report_button.isEnabled()


def synthetic_journal(path: Path, rows: int) -> Journal:
    journal = Journal(path, create=True)
    chunk = []
    for number in range(2, rows + 2):
        state = RowState.ERROR if number % 10 == 0 else RowState.OK
        event = None if state is RowState.ERROR else (
            f'{{"conversion":"urn:lla:llaPartnerConversion:1","conversionHappenedAt":1790000000000,'
            f'"eventId":"e{number}","user":{{"userIds":[{{"idType":"SHA256_EMAIL","idValue":"{sha256(str(number))}"}}]}}}}'
        )  # fmt: skip
        chunk.append(JournalRow(number, state, "bad" if event is None else None, f"e{number}", 1, event))
        if len(chunk) == 10_000:
            journal.add_rows(chunk)
            chunk.clear()
    journal.add_rows(chunk)
    return journal


def test_deep_pages_load_on_a_worker_and_only_a_few_pages_are_kept(qtbot: QtBot, tmp_path: Path) -> None:
    with synthetic_journal(tmp_path / "big.capijob", 60_000) as journal:
        model = PreviewModel(journal)
        assert model.rowCount() == 60_000

        deep = model.index(55_000, Column.ROW)  # past what is read on the GUI thread
        with qtbot.waitSignal(model.dataChanged, timeout=15000):
            assert model.data(deep) == LOADING
        assert model.data(deep) == f"{55_002:,}"
        assert model.data(model.index(55_000, Column.EMAIL_HASH)) == sha256("55002")

        for page in range(CACHE_PAGES + 10):  # scrolling through the top of the job
            assert model.data(model.index(page * PAGE_SIZE, Column.ROW)) == f"{page * PAGE_SIZE + 2:,}"
        assert model.cached_pages == CACHE_PAGES

        model.set_filter(RowFilter.PROBLEMS)
        assert model.rowCount() == journal.count([RowState.ERROR]) == 6_000
        assert model.data(model.index(0, Column.ROW)) == "10"
        model.close()
        assert model.rowCount() == 0 and model.data(model.index(0, 0)) is None


def test_a_late_page_from_before_a_filter_change_is_dropped(qtbot: QtBot, tmp_path: Path) -> None:
    with synthetic_journal(tmp_path / "job.capijob", 2_000) as journal:
        model = PreviewModel(journal)
        model.sync_rows = 0  # every page on the worker
        with qtbot.waitSignal(model.dataChanged, timeout=15000):
            assert model.data(model.index(5, Column.ROW)) == LOADING
            model.set_filter(RowFilter.PROBLEMS)  # before the page arrives
            assert model.data(model.index(0, Column.ROW)) == LOADING
        qtbot.waitUntil(lambda: model.data(model.index(0, Column.ROW)) == "10", timeout=15000)
        assert model.data(model.index(0, Column.STATE)) == "Error"
        model.close()


def test_going_back_and_forth_keeps_the_preview_working(wizard: UploadWizard, tmp_path: Path) -> None:
    page = open_preview(wizard, tmp_path / "deals.xlsx", known_rows())
    first = page.model
    page.cleanupPage()  # what Back does
    assert page.model is None and page.view.model() is None
    page.initializePage()
    assert page.model is not None and page.model is not first
    assert page.model.rowCount() == 6


def test_rows_already_sent_to_the_account_are_said_and_not_offered_again(
    qtbot: QtBot, wizard: UploadWizard, tmp_path: Path
) -> None:
    rows = known_rows()  # once: both files must hold the very same times
    earlier, summary, _ = stage_workbook(tmp_path / "last-month.xlsx", rows)
    ledger = SentLedger(paths.data_dir() / LEDGER_FILE)  # as an earlier upload left it
    ledger.begin(earlier, 507404993)
    sent_on = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
    ledger.record(earlier.job_id, 507404993, list(earlier.sendable_keys())[:2], at_ms=int(sent_on.timestamp() * 1000))
    ledger.close()
    earlier.close()
    wizard.session.account = AdAccount(507404993, "Contoso", "EUR", "ACTIVE", "ACCOUNT_MANAGER")

    page = open_preview(wizard, tmp_path / "again.xlsx", rows)  # the same rows: the same event ids
    qtbot.waitUntil(lambda: page.already_sent == 2, timeout=10_000)
    assert (
        "2 rows were already sent to this ad account on 2 Nov 2026, in an earlier upload: they are not sent again."
        in page.notice.label.text()
    )
    next_text = wizard.button(QWizard.WizardButton.NextButton).text()
    assert next_text == upload_button_text(summary.sendable - 2)
    assert page.isComplete()  # one row is still new
    counts = (page.ok_count, page.warning_count, page.already_count)
    assert (summary.ok, summary.warnings) == (2, 1)  # of the two sent before, one had a warning
    assert [count.number.text() for count in counts] == ["1", "0", "2"]
    assert page.already_count.isVisibleTo(page)

    # They are marked in the table, and have a filter of their own.
    model = page.model
    assert model is not None
    states = [model.data(model.index(r, Column.STATE)) for r in range(model.rowCount())]
    assert states == ["Already sent", "Already sent", "Error", "OK", "Error", "Error"]
    assert model.data(model.index(0, Column.REASON)) == "Already sent on 2 Nov 2026; not sent again."
    button = page.filter_buttons[RowFilter.ALREADY_SENT]
    assert button.isVisible() and button.text() == "Already sent (2)"
    button.click()
    assert model.row_filter is RowFilter.ALREADY_SENT and model.rowCount() == 2
    assert [model.data(model.index(r, Column.ROW)) for r in range(2)] == ["2", "3"]
    page.filter_buttons[RowFilter.ALL].click()
    assert model.rowCount() == 6


def test_a_file_sent_in_full_before_offers_nothing_to_upload(
    qtbot: QtBot, wizard: UploadWizard, tmp_path: Path
) -> None:
    rows = known_rows()  # once: both files must hold the very same times
    earlier, summary, _ = stage_workbook(tmp_path / "last-month.xlsx", rows)
    ledger = SentLedger(paths.data_dir() / LEDGER_FILE)
    ledger.begin(earlier, 507404993)
    ledger.record(earlier.job_id, 507404993, list(earlier.sendable_keys()), at_ms=int(time.time() * 1000))
    ledger.close()
    earlier.close()
    wizard.session.account = AdAccount(507404993, "Contoso", "EUR", "ACTIVE", "ACCOUNT_MANAGER")

    page = open_preview(wizard, tmp_path / "again.xlsx", rows)
    qtbot.waitUntil(lambda: page.already_sent == summary.sendable, timeout=10_000)
    assert not page.isComplete()
    assert wizard.button(QWizard.WizardButton.NextButton).text() == "Nothing to upload"
    assert page.readiness_label.text() == NOTHING_NEW
    assert [page.ok_count.number.text(), page.warning_count.number.text()] == ["0", "0"]
