"""History and results, from the Welcome page: every upload, and what LinkedIn's reporting (the
sandbox's, over HTTP) credited since, with and without the reporting permission."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from capi_desktop import paths
from capi_desktop.app.jobs import stage_job
from capi_desktop.app.uploads import send_job
from capi_desktop.core.mapping import ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.reading import open_table
from capi_desktop.gui.history_dialog import HistoryDialog
from capi_desktop.gui.wizard import UploadWizard
from capi_desktop.runtime import Runtime
from capi_desktop.sandbox import SandboxServer, seed

WAIT_MS = 30_000
REPORTING = ("rw_conversions", "r_ads", "r_ads_reporting")


def sent(runtime: Runtime, folder: Path, account: int, rule: int, count: int = 300) -> None:
    """A file uploaded through the application layer, as the wizard uploads it."""
    path = folder / f"leads-{rule}.csv"
    now = datetime.now(UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First name", "Last name", "Close Date", "Value", "Currency"])
        for i in range(count):
            when = (now - timedelta(hours=2 + i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.writerow([f"lead{i}@example.com", "Ann", f"Lee{i}", when, "50", "USD"])
    table = open_table(path)
    options = ImportOptions(rules=RuleChoice(rule_id=rule), mapping=guess_mapping(table.columns, []))
    staged = stage_job(paths.data_dir(), table, options, account_id=account)
    with staged.journal as journal:
        report = send_job(runtime, journal, staged.record)
    assert report.counts.accepted == count


def open_history(qtbot: QtBot, wizard: UploadWizard) -> HistoryDialog:
    qtbot.mouseClick(wizard.welcome_page.history_button, Qt.MouseButton.LeftButton)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, HistoryDialog) and w.isVisible())
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.results is not None or "not" in dialog.sentence.text(), timeout=WAIT_MS)
    return dialog


def test_history_shows_every_upload_and_what_linkedin_credited(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    runtime.auth.sign_in_with_token(sandbox.mint_token(scopes=REPORTING))
    sent(runtime, tmp_path, seed.ACCOUNT_USD, seed.RULE_USD_LEAD)
    dialog = open_history(qtbot, wizard)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 5).text() == "300"
    found = dialog.results
    assert found is not None and found.reporting_allowed and found.practice
    (rule,) = found.rules
    assert 0 < rule.credited < 300 and sum(dialog.chart.counts.values()) == rule.credited
    assert dialog.sentence.text().startswith("Practice data from the built-in sandbox")
    assert "300 rows sent on" in dialog.sentence.text() and "look again" in dialog.sentence.text()
    assert datetime.now().astimezone().date() in dialog.chart.sent  # the upload's day is marked
    assert dialog.health.text() == ""


def test_a_rule_without_campaigns_says_why_nothing_is_credited(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    runtime.auth.sign_in_with_token(sandbox.mint_token(scopes=REPORTING))
    sent(runtime, tmp_path, seed.ACCOUNT_EUR, seed.RULE_EUR_PURCHASE, count=20)
    dialog = open_history(qtbot, wizard)
    assert dialog.results is not None and dialog.results.rules[0].credited == 0
    assert "No campaign is associated" in dialog.health.text()


def test_without_the_reporting_permission_the_history_works_and_says_how_to_grant_it(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    runtime.auth.sign_in_with_token(sandbox.mint_token())
    sent(runtime, tmp_path, seed.ACCOUNT_USD, seed.RULE_USD_LEAD, count=20)
    dialog = open_history(qtbot, wizard)
    assert dialog.table.rowCount() == 1
    assert "r_ads_reporting" in dialog.sentence.text() and not dialog.chart.counts


def test_a_job_can_be_deleted_from_the_history(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    runtime.auth.sign_in_with_token(sandbox.mint_token(scopes=REPORTING))
    sent(runtime, tmp_path, seed.ACCOUNT_USD, seed.RULE_USD_LEAD, count=20)
    dialog = open_history(qtbot, wizard)
    dialog.confirm_delete = lambda parent, name: True
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=WAIT_MS)
    assert "Nothing has been uploaded" in dialog.sentence.text()


def test_before_linkedins_delay_nothing_is_credited_and_it_says_when_to_look_again(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    runtime.auth.sign_in_with_token(sandbox.mint_token(scopes=REPORTING))
    sandbox.knobs.update({"reporting_delay_hours": 72})
    sent(runtime, tmp_path, seed.ACCOUNT_USD, seed.RULE_USD_LEAD, count=100)
    before = open_history(qtbot, wizard)
    assert before.results is not None and before.results.rules[0].credited == 0
    assert "look again" in before.sentence.text() and not before.chart.counts
    before.reject()
    sandbox.knobs.update({"reporting_delay_hours": 0})  # as if three days had passed
    after = open_history(qtbot, wizard)
    assert after.results is not None and after.results.rules[0].credited > 0


def test_a_stopped_upload_resumes_from_the_history_and_a_report_can_be_saved(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    from capi_desktop.core.control import Control
    from capi_desktop.core.delivery.engine import UploadConfig
    from capi_desktop.gui.pages.upload import UploadState
    from capi_desktop.gui.wizard import PageId

    runtime.auth.sign_in_with_token(sandbox.mint_token(scopes=REPORTING))
    path = tmp_path / "leads.csv"
    now = datetime.now(UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Close Date"])
        when = (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerows([f"lead{i}@example.com", when] for i in range(59))
        writer.writerow(["not an email", when])  # row 61: the one that needs a look
    table = open_table(path)
    options = ImportOptions(rules=RuleChoice(rule_id=seed.RULE_USD_LEAD), mapping=guess_mapping(table.columns, []))
    staged = stage_job(paths.data_dir(), table, options, account_id=seed.ACCOUNT_USD)
    control = Control()
    with staged.journal as journal:
        stopped = send_job(
            runtime, journal, staged.record, config=UploadConfig(batch_size=10), control=control,
            progress=lambda p: control.cancel() if p.counts.accepted >= 10 else None,
        )  # fmt: skip
    assert 0 < stopped.counts.accepted < 59
    dialog = open_history(qtbot, wizard)
    report = tmp_path / "report.csv"
    dialog.ask_report_path = lambda parent, suggested: report
    qtbot.mouseClick(dialog.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "saved" in dialog.action_note.text(), timeout=WAIT_MS)
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("61,not an email")
    assert dialog.resume_button.isEnabled()
    qtbot.mouseClick(dialog.resume_button, Qt.MouseButton.LeftButton)
    upload = wizard.upload_page
    qtbot.waitUntil(
        lambda: wizard.currentId() == PageId.UPLOAD and upload.state is UploadState.FINISHED, timeout=WAIT_MS
    )
    assert upload.result is not None and upload.result.counts.accepted == 59


def test_a_finished_job_opens_on_its_finish_page(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    from capi_desktop.gui.wizard import PageId

    runtime.auth.sign_in_with_token(sandbox.mint_token(scopes=REPORTING))
    sent(runtime, tmp_path, seed.ACCOUNT_USD, seed.RULE_USD_LEAD, count=20)
    dialog = open_history(qtbot, wizard)
    assert dialog.open_button.isEnabled() and not dialog.resume_button.isEnabled()  # finished: nothing to resume
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=WAIT_MS)
    done = wizard.done_page
    assert done.figures is not None and done.figures.counts.accepted == 20
    assert done.headline.text() == "All 20 conversions were accepted by LinkedIn"
