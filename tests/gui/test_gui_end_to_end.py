"""The whole wizard, driven as a user would, against the runtime's own sandbox over HTTP.

Welcome → Sign in → Ad account → Conversion rule → Spreadsheet → Preview → Upload → Done, with clicks and keys
on the real widgets; the spreadsheet is an xlsx written here, and the end check is what the sandbox received.

Error paths covered fully by the per-page tests and not repeated here:
- expired / revoked sign-in mid-upload, and signing in again: test_gui_upload.py
  (test_a_revoked_sign_in_stops_with_the_reason_and_signing_in_again_finishes,
  test_an_expired_sign_in_before_the_start_offers_to_sign_in);
- 403 on the ad account's rules: test_gui_rules.py (test_403_on_the_account_shows_a_dialog_and_offers_try_again);
  server errors on the account list: test_gui_account.py (test_server_errors_show_a_dialog_and_try_again_loads).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gui_support import ScriptedBrowser, error_boxes
from openpyxl import Workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWizard
from pytestqt.qtbot import QtBot
from support import set_knobs
from test_gui_account import click_row
from test_gui_rules import click_rule
from test_gui_sign_in import paste_token
from test_gui_upload import WAIT_MS, sandbox_keys

from capi_desktop.app.outcome import Outcome
from capi_desktop.core.delivery.engine import UploadConfig
from capi_desktop.core.journal import Journal, RowState
from capi_desktop.core.mapping import Field
from capi_desktop.gui.pages.sign_in import SignInState
from capi_desktop.gui.pages.upload import UploadState
from capi_desktop.gui.pages.welcome import StartChoice
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.sandbox import SandboxServer, seed

HEADER = ["Email", "First name", "Last name", "Company", "Close Date", "Value", "Currency"]
ROWS = 30
ERROR_ROWS = (5, 18)  # data rows (1 = first) with nothing LinkedIn can match on: not sent
WARNING_ROWS = (9, 22)  # a broken email but a full name and company: sent, with a warning
NO_IDENTIFIER = (
    "Choose at least one column LinkedIn can match people with: an email column, "
    "first and last name, or a LinkedIn click id."
)


def write_workbook(path: Path, rows: int = ROWS) -> Path:
    """A CRM export: ``rows`` closed deals in the last days, with the errors and warnings above."""
    now = datetime.now().replace(microsecond=0)  # naive, in this computer's time zone (the page's default)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(HEADER)
    for n in range(1, rows + 1):
        when = now - timedelta(hours=2 + n)
        if n in ERROR_ROWS:
            sheet.append(["not an email", None, None, None, when, 10, "USD"])
        elif n in WARNING_ROWS:
            sheet.append(["not-an-email", "Ben", f"Meyer{n}", "Fabrikam", when, 99.5, "USD"])
        else:
            sheet.append([f"deal{n}@example.com", "Ann", f"Lee{n}", "Acme", when, 100 + n, "USD"])
    book.save(path)
    return path


def forward(wizard: UploadWizard) -> QAbstractButton:
    """The button that moves on from the current page (Next, or the commit page's "Next >")."""
    page = wizard.currentPage()
    which = QWizard.WizardButton.CommitButton if page.isCommitPage() else QWizard.WizardButton.NextButton
    return wizard.button(which)


def click_next(qtbot: QtBot, wizard: UploadWizard) -> None:
    button = forward(wizard)
    assert button.isVisible() and button.isEnabled(), f"Next is not available on page {wizard.currentId()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def sign_in_by_pasting(qtbot: QtBot, wizard: UploadWizard, sandbox: SandboxServer) -> None:
    page = wizard.sign_in_page
    paste_token(qtbot, page, sandbox.mint_token())
    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=WAIT_MS)


def sign_in_with_browser(qtbot: QtBot, wizard: UploadWizard, browser: ScriptedBrowser, sandbox: SandboxServer) -> None:
    page = wizard.sign_in_page
    browser.decision = "allow"
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=WAIT_MS)
    assert browser.opened[0].startswith(sandbox.url + "/oauth/native-pkce/authorization?")
    assert "You are signed in" in browser.final_page


def walk_to_spreadsheet(
    qtbot: QtBot,
    wizard: UploadWizard,
    sandbox: SandboxServer,
    browser: ScriptedBrowser,
    *,
    use_browser: bool = False,
) -> None:
    """Welcome → Sign in → USD ad account → the USD lead rule → the Spreadsheet page."""
    welcome = wizard.welcome_page
    qtbot.waitUntil(lambda: welcome.background_operation is None, timeout=WAIT_MS)
    assert welcome.choice is StartChoice.NEW_UPLOAD
    click_next(qtbot, wizard)

    assert wizard.currentId() == PageId.SIGN_IN
    sign_in = wizard.sign_in_page
    qtbot.waitUntil(lambda: sign_in.state is SignInState.SIGNED_OUT, timeout=WAIT_MS)
    assert not forward(wizard).isEnabled()
    if use_browser:
        sign_in_with_browser(qtbot, wizard, browser, sandbox)
    else:
        sign_in_by_pasting(qtbot, wizard, sandbox)
    # The practice app asks for OpenID Connect, which names the member; a pasted token names its reach.
    who = "Alex Morgan" if use_browser else "a LinkedIn member with 4 ad accounts"
    assert sign_in.signed_in_label.text() == f"Signed in as {who}"
    qtbot.waitUntil(forward(wizard).isEnabled, timeout=WAIT_MS)
    click_next(qtbot, wizard)

    assert wizard.currentId() == PageId.ACCOUNT
    accounts = wizard.account_page
    qtbot.waitUntil(lambda: not accounts.loader.is_busy, timeout=WAIT_MS)
    assert not forward(wizard).isEnabled()
    click_row(qtbot, accounts, seed.ACCOUNT_USD)
    selected = accounts.selected_account()
    assert selected is not None and selected.id == seed.ACCOUNT_USD and selected.currency == "USD"
    click_next(qtbot, wizard)

    assert wizard.currentId() == PageId.RULES
    rules = wizard.rules_page
    qtbot.waitUntil(lambda: not rules.loader.is_busy, timeout=WAIT_MS)
    assert not rules.loader.has_failed
    click_rule(qtbot, rules, seed.RULE_USD_LEAD)
    rule = rules.selected_rule()
    assert rule is not None and rule.id == seed.RULE_USD_LEAD
    click_next(qtbot, wizard)
    assert wizard.currentId() == PageId.SPREADSHEET
    assert wizard.session.account is not None and wizard.session.account.id == seed.ACCOUNT_USD


def open_spreadsheet(qtbot: QtBot, wizard: UploadWizard, path: Path) -> None:
    """Browse… and pick ``path`` in the file dialog (the dialog itself is the system's, so it is replaced)."""
    page = wizard.spreadsheet_page
    assert not forward(wizard).isEnabled()
    page.choose_file = lambda parent, folder: path
    qtbot.mouseClick(page.browse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table is not None and not page.busy, timeout=WAIT_MS)
    assert page.file_label.text() == path.name


def walk_to_preview(qtbot: QtBot, wizard: UploadWizard, path: Path) -> None:
    open_spreadsheet(qtbot, wizard, path)
    page = wizard.spreadsheet_page
    table = page.mapping_table
    assert table.field_of("Email") is Field.EMAIL and table.field_of("Close Date") is Field.CONVERSION_TIME
    assert page.currency_combo.currentText() == "USD"  # the ad account's currency
    click_next(qtbot, wizard)  # checks the rows on the worker, then moves on by itself
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.PREVIEW, timeout=WAIT_MS)


def check_preview(wizard: UploadWizard, ok: int, warnings: int, errors: int) -> None:
    preview = wizard.preview_page
    shown = {
        "ok": preview.ok_count.number.text(),
        "warnings": preview.warning_count.number.text(),
        "errors": preview.error_count.number.text(),
    }
    assert shown == {"ok": str(ok), "warnings": str(warnings), "errors": str(errors)}
    assert not preview.duplicate_count.isVisibleTo(preview)
    summary = wizard.session.summary
    assert summary is not None
    assert (summary.rows, summary.ok, summary.warnings, summary.errors, summary.duplicates) == (
        ok + warnings + errors,
        ok,
        warnings,
        errors,
        0,
    )
    assert preview.model is not None and preview.model.rowCount() == ok + warnings + errors
    assert forward(wizard).isEnabled()


def expected_sent(journal: Journal) -> set[tuple[int, str]]:
    """(rule id, event id) of every row the Preview said would be sent: OK and warning rows."""
    sendable = (RowState.OK.value, RowState.WARNING.value)
    rows = journal._db.execute("SELECT rule_id, event_id FROM rows WHERE state IN (?, ?)", sendable).fetchall()
    return {(int(rule), str(event)) for rule, event in rows}


def finish_on_done(qtbot: QtBot, wizard: UploadWizard) -> None:
    upload = wizard.upload_page
    qtbot.waitUntil(lambda: upload.state is UploadState.FINISHED, timeout=WAIT_MS)
    assert upload.result is not None and upload.result.outcome is not Outcome.STOPPED, upload.log_lines
    qtbot.waitUntil(forward(wizard).isEnabled, timeout=WAIT_MS)
    click_next(qtbot, wizard)
    assert wizard.currentId() == PageId.DONE
    assert "Upload finished" in wizard.done_page.title()


@pytest.mark.parametrize("use_browser", [False, True], ids=["pasted-token", "browser-sign-in"])
def test_the_whole_wizard_sends_exactly_the_previewed_rows(
    qtbot: QtBot,
    wizard: UploadWizard,
    sandbox: SandboxServer,
    browser: ScriptedBrowser,
    tmp_path: Path,
    use_browser: bool,
) -> None:
    walk_to_spreadsheet(qtbot, wizard, sandbox, browser, use_browser=use_browser)
    walk_to_preview(qtbot, wizard, write_workbook(tmp_path / "Closed deals.xlsx"))
    ok, warnings, errors = ROWS - len(ERROR_ROWS) - len(WARNING_ROWS), len(WARNING_ROWS), len(ERROR_ROWS)
    check_preview(wizard, ok, warnings, errors)
    journal = wizard.session.journal
    assert journal is not None
    expected = expected_sent(journal)
    assert len(expected) == ok + warnings
    assert sandbox_keys(sandbox) == []  # nothing has left before Next on the Preview page

    click_next(qtbot, wizard)  # "Send … rows": starts the upload
    assert wizard.currentId() == PageId.UPLOAD
    finish_on_done(qtbot, wizard)

    keys = sandbox_keys(sandbox)
    assert max(Counter(keys).values()) == 1
    assert set(keys) == journal.accepted_keys() == expected
    assert {rule for rule, _ in keys} == {seed.RULE_USD_LEAD}
    assert error_boxes(wizard) == []


def test_a_file_without_email_name_or_click_id_keeps_next_disabled_and_says_why(
    qtbot: QtBot, wizard: UploadWizard, sandbox: SandboxServer, browser: ScriptedBrowser, tmp_path: Path
) -> None:
    walk_to_spreadsheet(qtbot, wizard, sandbox, browser)
    path = tmp_path / "Deals without contacts.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Deal", "Company", "Close Date", "Value"])
    now = datetime.now().replace(microsecond=0)
    for n in range(10):
        sheet.append([f"D-{n}", "Acme", now - timedelta(days=1, hours=n), 100 + n])
    book.save(path)

    open_spreadsheet(qtbot, wizard, path)

    page = wizard.spreadsheet_page
    assert not forward(wizard).isEnabled()
    assert page.notice.isVisible() and NO_IDENTIFIER in page.notice.label.text()
    qtbot.keyClick(wizard, Qt.Key.Key_Return)  # Enter cannot get past it either
    assert wizard.currentId() == PageId.SPREADSHEET
    assert wizard.session.journal is None
    assert error_boxes(wizard) == []  # said on the page, not in a dialog


def test_cancel_during_upload_then_resume_from_welcome_sends_each_event_once(
    qtbot: QtBot, wizard: UploadWizard, sandbox: SandboxServer, browser: ScriptedBrowser, tmp_path: Path
) -> None:
    # test_gui_welcome.py covers the resume option's listing in detail for a job staged outside the GUI;
    # here the job comes from the wizard itself, and the user stops it with the page's Stop button.
    walk_to_spreadsheet(qtbot, wizard, sandbox, browser)
    walk_to_preview(qtbot, wizard, write_workbook(tmp_path / "Closed deals.xlsx"))
    journal = wizard.session.journal
    assert journal is not None
    expected = expected_sent(journal)
    set_knobs(sandbox, latency_ms=150)
    upload = wizard.upload_page
    upload.config = UploadConfig(batch_size=4, backoff_seconds=0.01, backoff_max_seconds=0.05)

    click_next(qtbot, wizard)
    assert wizard.currentId() == PageId.UPLOAD
    qtbot.waitUntil(
        lambda: upload.last_progress is not None and upload.last_progress.counts.accepted >= 4, timeout=WAIT_MS
    )
    qtbot.mouseClick(upload.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: upload.state is UploadState.FINISHED, timeout=WAIT_MS)
    assert upload.result is not None and upload.result.outcome is Outcome.STOPPED and upload.result.cancelled
    sent = len(sandbox_keys(sandbox))
    assert 4 <= sent < len(expected)

    set_knobs(sandbox, latency_ms=0)
    click_next(qtbot, wizard)
    assert wizard.currentId() == PageId.DONE
    assert "Upload not finished yet" in wizard.done_page.title()
    qtbot.mouseClick(wizard.done_page.another_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.WELCOME

    welcome = wizard.welcome_page
    qtbot.waitUntil(lambda: welcome.background_operation is None and welcome.job_combo is not None, timeout=WAIT_MS)
    combo = welcome.job_combo
    assert combo is not None and combo.count() == 1
    assert combo.itemText(0).startswith("Closed deals.xlsx · ")
    assert combo.itemText(0).endswith(f"{sent:,} of {len(expected):,} sent, {len(expected) - sent:,} left")
    resume = next(b for b, c in welcome._choice_buttons.items() if c is StartChoice.RESUME)
    qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
    assert welcome.choice is StartChoice.RESUME and combo.isEnabled()

    click_next(qtbot, wizard)  # still signed in: straight to sending
    assert wizard.currentId() == PageId.UPLOAD
    finish_on_done(qtbot, wizard)

    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == len(expected)
    assert set(keys) == expected
    assert any(f"{sent:,} were already answered in an earlier run" in line for line in upload.log_lines)
