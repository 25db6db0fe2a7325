"""The Spreadsheet page: opening a file (drop, browse, example), the mapping, the settings, and staging.

The ad account and conversion rules come from the real practice sandbox, as the earlier pages would set them.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from capi_desktop import paths
from capi_desktop.app.record import JobState, read_record
from capi_desktop.core.example import EXAMPLE
from capi_desktop.core.journal import jobs_dir
from capi_desktop.core.mapping import ColumnMapping, Field, RuleChoice
from capi_desktop.core.normalise.dates import DateOrder
from capi_desktop.core.stores.profiles import Profile
from capi_desktop.gui.app import create_wizard
from capi_desktop.gui.mapping_table import NOT_USED
from capi_desktop.gui.pages.spreadsheet import (
    DATE_ORDER_QUESTION,
    EVENT_NAME_NEEDED,
    STOPPED_MESSAGE,
    SpreadsheetPage,
)
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.linkedin.models import AdAccount, ConversionRule
from capi_desktop.runtime import Mode, Runtime
from capi_desktop.sandbox import SandboxServer

GERMAN_HEADER = ["Geschäftliche E-Mail", "Vorname", "Nachname", "Firma", "Abschlussdatum", "Betrag", "Notiz"]
TIME_MISSING = "Choose the column with the conversion date and time."


@pytest.fixture
def destination(runtime: Runtime, sandbox: SandboxServer) -> tuple[AdAccount, list[ConversionRule]]:
    """A EUR ad account the member manages and its enabled rules, as the sandbox lists them."""
    runtime.auth.sign_in_with_token(sandbox.mint_token())
    client = runtime.auth.client()
    account = next(a for a in client.ad_accounts() if a.currency == "EUR" and a.can_upload)
    rules = [rule for rule in client.conversion_rules(account.id) if rule.enabled]
    assert len(rules) >= 2
    return account, rules


def open_page(
    wizard: UploadWizard,
    destination: tuple[AdAccount, list[ConversionRule]],
    rules: RuleChoice | None = None,
    profile: Profile | None = None,
) -> SpreadsheetPage:
    account, account_rules = destination
    session = wizard.session
    session.account = account
    session.rules = rules or RuleChoice(rule_id=account_rules[0].id)
    session.rules_by_id = {rule.id: rule for rule in account_rules}
    session.profile = profile
    wizard.setStartId(PageId.SPREADSHEET)
    wizard.restart()
    assert wizard.currentId() == PageId.SPREADSHEET
    return wizard.spreadsheet_page


def wait_opened(qtbot: QtBot, page: SpreadsheetPage) -> None:
    qtbot.waitUntil(lambda: page.table is not None and not page.busy, timeout=15000)


def next_button(wizard: UploadWizard) -> bool:
    return wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def german_workbook(path: Path, rows: int = 6) -> Path:
    """A CRM export as a German team saves it: a title, a blank row, then the header in row 3."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Abschlüsse"
    sheet.append(["Abschlüsse im dritten Quartal"])
    sheet.append([])
    sheet.append(GERMAN_HEADER)
    for n in range(rows):
        sheet.append(
            [f"kunde{n}@beispiel.de", f"Vorname{n}", f"Nachname{n}", "Contoso GmbH", now - timedelta(days=n + 1),
             f"{1000 + n},50 €", "Messe"]
        )  # fmt: skip
    other = book.create_sheet("Käufe")
    other.append(["Kunde E-Mail", "Kaufdatum", "Umsatz"])
    other.append(["kaeufer@beispiel.de", now - timedelta(days=2), "99 €"])
    book.save(path)
    return path


def drop(page: SpreadsheetPage, path: Path) -> bool:
    """Drag ``path`` onto the page and drop it there, as from a file manager; returns whether it was taken."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPointF(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(page, enter)
    if not enter.isAccepted():
        return False
    dropped = QDropEvent(
        QPointF(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(page, dropped)
    return dropped.isAccepted()


def choose(page: SpreadsheetPage, column: str, target: Field | None) -> None:
    combo = page.mapping_table.combo_for(column)
    combo.setCurrentIndex(combo.findData(target) if target else combo.findText(NOT_USED))


def test_a_dropped_german_workbook_is_read_below_its_title_and_mapped(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    assert not next_button(wizard)
    assert drop(page, german_workbook(tmp_path / "Abschlüsse Q3.xlsx"))
    wait_opened(qtbot, page)

    assert page.stack.currentWidget() is page.mapping_view
    assert page.file_label.text() == "Abschlüsse Q3.xlsx"
    assert page.header_spin.value() == 3
    assert [page.sheet_combo.itemText(i) for i in range(page.sheet_combo.count())] == ["Abschlüsse", "Käufe"]
    table = page.mapping_table
    assert [table.item(row, 0).text() for row in range(table.rowCount())] == GERMAN_HEADER
    assert table.item(0, 1).text().startswith("kunde0@beispiel.de   ·   kunde1@beispiel.de")
    assert {column: table.field_of(column) for column in GERMAN_HEADER} == {
        "Geschäftliche E-Mail": Field.EMAIL,
        "Vorname": Field.FIRST_NAME,
        "Nachname": Field.LAST_NAME,
        "Firma": Field.COMPANY,
        "Abschlussdatum": Field.CONVERSION_TIME,
        "Betrag": Field.VALUE,
        "Notiz": None,
    }
    # Defaults: this computer's time zone, the ad account's currency.
    assert page.currency_combo.currentText() == "EUR"
    assert page.timezone_combo.currentText()
    assert page.notice.isHidden()
    assert next_button(wizard)
    assert wizard.session.source == tmp_path / "Abschlüsse Q3.xlsx"


def test_files_that_are_not_spreadsheets_are_not_taken(
    wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    letter = tmp_path / "letter.docx"
    letter.write_bytes(b"PK")
    assert not drop(page, letter)
    assert page.table is None and not page.busy


def test_changing_a_dropdown_changes_the_mapping_and_moves_a_field(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)

    choose(page, "Notiz", Field.TITLE)
    options = page.choices().options
    assert options is not None and options.mapping.columns[Field.TITLE] == ("Notiz",)

    # Company can feed from one column only: choosing it for "Notiz" frees "Firma".
    choose(page, "Notiz", Field.COMPANY)
    assert page.mapping_table.field_of("Firma") is None
    options = page.choices().options
    assert options is not None
    assert options.mapping.columns[Field.COMPANY] == ("Notiz",) and Field.TITLE not in options.mapping.columns

    # Email may come from several columns; the first one in the file is tried first.
    choose(page, "Firma", Field.EMAIL)
    options = page.choices().options
    assert options is not None and options.mapping.columns[Field.EMAIL] == ("Geschäftliche E-Mail", "Firma")


def test_without_a_time_column_next_stays_disabled_and_says_why(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)
    assert next_button(wizard)

    choose(page, "Abschlussdatum", None)
    assert not next_button(wizard)
    assert not page.isComplete()
    assert page.notice.isVisible()
    assert TIME_MISSING in page.notice.label.text()
    assert not page.validatePage()  # Enter cannot get past it either
    assert wizard.session.journal is None

    choose(page, "Abschlussdatum", Field.CONVERSION_TIME)
    assert next_button(wizard)
    assert page.notice.isHidden()


def test_bad_settings_are_explained_in_plain_words(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)

    page.timezone_combo.setCurrentText("Europe/Berln")
    page.currency_combo.setCurrentText("Euros please")
    page.value_edit.setText("a lot")
    text = page.notice.label.text()
    assert "Europe/Berln" in text and "is not a time zone name we know" in text
    assert "Default currency:" in text and "Default value:" in text
    assert not next_button(wizard)

    page.timezone_combo.setCurrentText("europe/berlin")  # any case, as typed into the search
    page.currency_combo.setCurrentText("usd")
    page.value_edit.setText("100")
    assert next_button(wizard)
    options = page.choices().options
    assert options is not None
    assert (options.timezone, options.mapping.currency, str(options.mapping.value)) == ("Europe/Berlin", "USD", "100")


def test_switching_the_sheet_reads_that_sheet(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)
    first = page.table

    page.sheet_combo.setCurrentIndex(1)
    page.sheet_combo.activated.emit(1)
    qtbot.waitUntil(lambda: page.table is not first and not page.busy, timeout=15000)

    assert page.table is not None and page.table.sheet == "Käufe"
    assert page.header_spin.value() == 1
    table = page.mapping_table
    assert [table.item(row, 0).text() for row in range(table.rowCount())] == ["Kunde E-Mail", "Kaufdatum", "Umsatz"]
    assert table.field_of("Kunde E-Mail") is Field.EMAIL  # from the values: they are addresses
    assert table.field_of("Kaufdatum") is Field.CONVERSION_TIME
    assert table.field_of("Umsatz") is Field.VALUE


def test_the_header_row_can_be_chosen(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)
    first = page.table

    page.header_spin.setValue(4)  # the first data row as header: a mistake the user can see and undo
    qtbot.waitUntil(lambda: page.table is not first and not page.busy, timeout=15000)
    assert page.table is not None and page.table.header_row == 4
    assert page.mapping_table.item(0, 0).text() == "kunde0@beispiel.de"

    page.header_spin.setValue(99)  # beyond the data: refused, the previous choice stays
    qtbot.waitUntil(lambda: not page.busy and page.header_spin.value() == 4, timeout=15000)
    assert "Row 99" in page.notice.label.text()


def test_browse_opens_what_the_file_dialog_returns(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    (tmp_path / "exports").mkdir()
    chosen = german_workbook(tmp_path / "exports" / "chosen.xlsx")
    asked: list[tuple[object, Path]] = []

    def choose(parent: object, folder: Path) -> Path:
        asked.append((parent, folder))
        return chosen

    page.choose_file = choose
    qtbot.mouseClick(page.browse_button, Qt.MouseButton.LeftButton)
    wait_opened(qtbot, page)
    assert asked == [(page, Path.home())]
    assert page.file_label.text() == "chosen.xlsx"

    asked.clear()
    page.choose_file = lambda parent, folder: asked.append((parent, folder)) and None  # the user closed the dialog
    qtbot.mouseClick(page.other_file_button, Qt.MouseButton.LeftButton)
    assert asked == [(page, tmp_path / "exports")]  # where the last one came from
    assert not page.busy and page.file_label.text() == "chosen.xlsx"  # nothing changed


def test_the_next_run_starts_in_the_folder_of_the_last_spreadsheet(
    qtbot: QtBot,
    wizard: UploadWizard,
    destination: tuple[AdAccount, list[ConversionRule]],
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    page = open_page(wizard, destination)
    (tmp_path / "crm").mkdir()
    page.open_file(german_workbook(tmp_path / "crm" / "export.xlsx"))
    wait_opened(qtbot, page)
    wizard.done(0)

    later = create_wizard(runtime)
    qtbot.addWidget(later)
    assert later.spreadsheet_page.last_folder() == tmp_path / "crm"
    (tmp_path / "crm" / "export.xlsx").unlink()
    (tmp_path / "crm").rmdir()
    assert later.spreadsheet_page.last_folder() == Path.home()  # a folder since removed: start at home


def test_a_broken_file_is_explained_on_the_page(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    page.open_file(broken)
    qtbot.waitUntil(lambda: not page.busy and page.notice.isVisible(), timeout=15000)
    assert "broken.xlsx" in page.notice.label.text()
    assert page.table is None and not next_button(wizard)


def test_the_example_spreadsheet_opens_and_stages_to_its_designed_counts(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]]
) -> None:
    page = open_page(wizard, destination)
    assert page.example_button.isVisible()  # practice mode
    qtbot.mouseClick(page.example_button, Qt.MouseButton.LeftButton)
    wait_opened(qtbot, page)
    assert page.table is not None
    assert page.table.path == paths.data_dir() / "examples" / "Example conversions.xlsx"
    assert page.header_spin.value() == 4

    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.PREVIEW, timeout=30000)

    session = wizard.session
    summary, journal = session.summary, session.journal
    assert summary is not None and journal is not None
    assert (summary.rows, summary.ok, summary.warnings, summary.errors, summary.duplicates) == (200, 183, 7, 10, 2)
    assert (summary.ok, summary.warnings, summary.errors) == (EXAMPLE.ok, EXAMPLE.warnings, EXAMPLE.errors)
    assert journal.count() == 200
    assert session.options is not None and session.table is page.table
    # The same job record the command line writes, so `capi-desktop resume` and `history` know GUI jobs.
    record = session.record
    account, rules = destination
    assert record is not None and record.state is JobState.STAGED and record.options == session.options
    assert (record.account_id, record.account_name) == (account.id, account.name)
    assert record.rule_ids == [rules[0].id] and record.rule_names[rules[0].id] == rules[0].name
    assert record.source.name == page.table.path.name and record.source.fingerprint == page.table.fingerprint
    assert journal.path.parent == jobs_dir(paths.data_dir())


def test_next_with_unchanged_choices_reuses_the_job_and_a_change_replaces_it(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    page = open_page(wizard, destination)
    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.PREVIEW, timeout=15000)
    first = wizard.session.journal
    assert first is not None
    first_path = first.path

    wizard.back()
    wizard.next()  # nothing changed: straight on, same job
    assert wizard.currentId() == PageId.PREVIEW
    assert wizard.session.journal is first

    wizard.back()
    page.date_order_combo.setCurrentIndex(page.date_order_combo.findData(DateOrder.DMY))
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.PREVIEW, timeout=15000)
    second = wizard.session.journal
    assert second is not None and second.path != first_path
    assert not first_path.exists()  # the replaced job was never sent from: it is gone, not in history
    assert list(jobs_dir(paths.data_dir()).glob("*.capijob")) == [second.path]
    assert read_record(second).options.date_order is DateOrder.DMY


def test_staging_can_be_stopped_and_keeps_nothing(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    moment = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Conversion time", "Amount"])
        writer.writerows([f"person{n}@example.com", moment, str(n)] for n in range(150_000))
    page = open_page(wizard, destination)
    page.open_file(path)
    wait_opened(qtbot, page)
    seen: list[int] = []

    shown = page._staging_progress

    def stop_at_first_progress(done: int) -> None:
        shown(done)
        seen.append(done)
        if len(seen) == 1:
            qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)

    page._staging_progress = stop_at_first_progress  # type: ignore[method-assign]
    assert not page.validatePage()  # starts checking the rows; the page stays
    assert page.busy and page.progress_panel.isVisible() and page.cancel_button.isVisible()
    assert not next_button(wizard)
    assert page.background_operation is not None
    qtbot.waitUntil(lambda: not page.busy, timeout=30000)

    assert seen and seen[0] < 150_000
    assert wizard.currentId() == PageId.SPREADSHEET
    assert wizard.session.journal is None and wizard.session.summary is None
    assert STOPPED_MESSAGE in page.notice.label.text()
    assert list(jobs_dir(paths.data_dir()).glob("*.capijob")) == []  # the half-staged job was removed
    assert next_button(wizard)  # and it can be started again


def _ambiguous_dates(count: int) -> list[str]:
    """Dates in the last 90 days written day/month, each of which could also be month/day."""
    found: list[str] = []
    day = datetime.now(UTC).date() - timedelta(days=2)
    while len(found) < count:
        if day.day <= 12 and day.day != day.month:
            found.append(day.strftime("%d/%m/%Y"))
        day -= timedelta(days=1)
    return found


def test_when_dates_cannot_tell_their_order_the_page_asks(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["E-Mail", "Datum"])
        writer.writerows([f"lead{n}@example.com", date] for n, date in enumerate(_ambiguous_dates(4)))
    page = open_page(wizard, destination)
    page.open_file(path)
    wait_opened(qtbot, page)
    assert page.sheet_combo.isHidden()  # a text file has no sheets

    wizard.next()
    qtbot.waitUntil(lambda: not page.busy and wizard.session.summary is not None, timeout=15000)
    assert wizard.currentId() == PageId.SPREADSHEET  # stays, and asks
    assert wizard.session.summary is not None and wizard.session.summary.date_order_needed
    assert DATE_ORDER_QUESTION in page.notice.label.text()
    assert page.date_order_box.styleSheet()  # highlighted

    page.date_order_combo.setCurrentIndex(page.date_order_combo.findData(DateOrder.DMY))
    assert not page.date_order_box.styleSheet()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.PREVIEW, timeout=15000)
    summary = wizard.session.summary
    assert summary is not None and (summary.ok, summary.errors, summary.date_order_needed) == (4, 0, False)


def test_a_saved_profile_preselects_everything(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    account, rules = destination
    profile = Profile(
        name="Messe-Leads",
        account_id=account.id,
        rules=RuleChoice(rule_id=rules[0].id),
        mapping=ColumnMapping(
            columns={
                Field.EMAIL: ("Geschäftliche E-Mail",),
                Field.CONVERSION_TIME: ("Abschlussdatum",),
                Field.TITLE: ("Notiz",),
                Field.COUNTRY: ("Country column this file does not have",),
            },
            currency="CHF",
            value=None,
        ),
        sheet="Abschlüsse",
        header_row=3,
        timezone="America/New_York",
        date_order=DateOrder.MDY,
    )
    page = open_page(wizard, destination, rules=profile.rules, profile=profile)
    assert page.timezone_combo.currentText() == "America/New_York"
    assert page.date_order_combo.currentData() is DateOrder.MDY
    assert page.currency_combo.currentText() == "CHF"

    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)
    table = page.mapping_table
    assert table.field_of("Notiz") is Field.TITLE  # the profile's choice beats the guess
    assert table.field_of("Vorname") is Field.FIRST_NAME  # the guess fills what the profile does not say
    options = page.choices().options
    assert options is not None
    assert (options.timezone, options.date_order, options.mapping.currency) == (
        "America/New_York",
        DateOrder.MDY,
        "CHF",
    )
    assert Field.COUNTRY not in options.mapping.columns


def test_a_profile_header_row_that_does_not_fit_this_file_is_detected_and_said(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    """Last month's workbook had a title above its header (row 3); this month's CSV has none. Row 3 of this
    file is a data row, so taking it as the header would match nothing: the header is found and said."""
    account, rules = destination
    profile = Profile(
        name="Messe-Leads",
        account_id=account.id,
        rules=RuleChoice(rule_id=rules[0].id),
        mapping=ColumnMapping(columns={Field.EMAIL: ("Email",), Field.CONVERSION_TIME: ("Closed on",)}),
        header_row=3,
    )
    path = tmp_path / "three-lines.csv"
    path.write_text("Email,Closed on\nana@example.com,2026-11-03\nbo@example.com,2026-11-04\n", encoding="utf-8")
    page = open_page(wizard, destination, rules=profile.rules, profile=profile)
    page.open_file(path)
    wait_opened(qtbot, page)
    assert page.table is not None and page.table.header_row == 1
    assert page.mapping_table.field_of("Email") is Field.EMAIL
    assert page.mapping_table.field_of("Closed on") is Field.CONVERSION_TIME
    assert page.notice.label.text() == (
        "The profile “Messe-Leads” takes the column names from row 3, but row 3 of this file does not have its "
        "columns, so they were taken from row 1. Check the columns below."
    )
    assert page.notice.isVisible() and next_button(wizard)

    # A file laid out as last month's: its row 3 holds the profile's names, so the profile's row is used.
    titled = tmp_path / "titled.csv"
    titled.write_text("Leads from the fair,\nExported 2026-11-05,\n" + path.read_text(encoding="utf-8"), "utf-8")
    page.open_file(titled)
    wait_opened(qtbot, page)
    assert page.table is not None and page.table.header_row == 3
    assert page.mapping_table.field_of("Email") is Field.EMAIL
    assert "row 3" not in page.notice.label.text()


def test_with_a_rule_map_the_event_name_decides_the_rule(
    qtbot: QtBot, wizard: UploadWizard, destination: tuple[AdAccount, list[ConversionRule]], tmp_path: Path
) -> None:
    _account, rules = destination
    rule_map = RuleChoice(by_event={"lead": rules[0].id, "purchase": rules[1].id})
    page = open_page(wizard, destination, rules=rule_map)
    page.open_file(german_workbook(tmp_path / "export.xlsx"))
    wait_opened(qtbot, page)
    assert page.event_combo.isVisible()
    assert EVENT_NAME_NEEDED in page.notice.label.text()
    assert not next_button(wizard)

    page.event_combo.setCurrentIndex(page.event_combo.findText("Every row is LEAD"))
    page.event_combo.activated.emit(page.event_combo.currentIndex())
    assert next_button(wizard)
    options = page.choices().options
    assert options is not None and options.mapping.event_name == "LEAD"

    page.event_combo.setCurrentIndex(page.event_combo.findText("From the column “Notiz”"))
    page.event_combo.activated.emit(page.event_combo.currentIndex())
    assert page.mapping_table.field_of("Notiz") is Field.EVENT_NAME  # the table shows it too
    options = page.choices().options
    assert options is not None
    assert options.mapping.columns[Field.EVENT_NAME] == ("Notiz",) and options.mapping.event_name is None


def test_outside_practice_mode_there_is_no_example(qtbot: QtBot, tmp_path: Path) -> None:
    window_state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    page = SpreadsheetPage(Mode.LINKEDIN, UploadSession(), window_state)
    qtbot.addWidget(page)
    page.show()
    assert page.example_button.isHidden() and page.example_hint.isHidden()
    assert page.browse_button.isVisible()
