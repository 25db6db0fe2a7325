"""The Upload page against the real sandbox over HTTP: counts, pause, stop and resume, sign-in expiry, closing."""

from __future__ import annotations

import csv
import re
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gui_support import error_boxes
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from support import accepted_events, set_knobs
from upload_kit import event_keys

from capi_desktop import paths
from capi_desktop.app.jobs import stage_job as stage_app_job
from capi_desktop.app.outcome import Outcome
from capi_desktop.app.uploads import RESUME_LATER
from capi_desktop.core import storage
from capi_desktop.core.delivery.engine import UploadConfig
from capi_desktop.core.journal import Journal
from capi_desktop.core.mapping import ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.reading import open_table
from capi_desktop.gui.pages.sign_in import SignInState
from capi_desktop.gui.pages.upload import STOP_LABEL, UploadPage, UploadState
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.linkedin.errors import SignInRequired
from capi_desktop.linkedin.models import AdAccount
from capi_desktop.runtime import Runtime
from capi_desktop.sandbox import SandboxServer, seed

WAIT_MS = 30_000
FAST = UploadConfig(batch_size=100, backoff_seconds=0.01, backoff_max_seconds=0.05)


# -- helpers shared with the other page tests (imported from here) ------------------------------------


def write_leads(path: Path, count: int, bad: Sequence[int] = ()) -> Path:
    """A CRM export of ``count`` leads; the rows numbered in ``bad`` (1 = first data row) have no usable id."""
    now = datetime.now(UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First name", "Last name", "Company", "Close Date", "Value", "Currency"])
        for i in range(count):
            when = (now - timedelta(minutes=10 + i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            if i + 1 in bad:
                writer.writerow(["not an email", "", "", "", when, "10", "USD"])
            else:
                writer.writerow([f"lead{i}@example.com", "Ann", f"Lee{i % 7}", "Acme", when, f"{i % 900}.50", "USD"])
    return path


def stage_job(folder: Path, count: int, bad: Sequence[int] = (), name: str = "leads.csv") -> Journal:
    """Stage a spreadsheet into a job journal in the app's data folder, as the Spreadsheet page does."""
    table = open_table(write_leads(folder / name, count, bad))
    options = ImportOptions(rules=RuleChoice(rule_id=seed.RULE_USD_LEAD), mapping=guess_mapping(table.columns, []))
    return stage_app_job(paths.data_dir(), table, options, account_id=seed.ACCOUNT_USD).journal


def usd_account() -> AdAccount:
    return AdAccount(seed.ACCOUNT_USD, "Northwind Analytics – North America", "USD", "ACTIVE", "ACCOUNT_MANAGER")


def sign_in(runtime: Runtime, sandbox: SandboxServer, **mint: Any) -> str:
    """A pasted token: it cannot be refreshed, so a revoked one ends in "sign in again"."""
    token = sandbox.mint_token(**mint)
    runtime.auth.sign_in_with_token(token)
    return token


def open_upload_page(qtbot: QtBot, wizard: UploadWizard, journal: Journal, config: UploadConfig = FAST) -> UploadPage:
    """Jump to the Upload page with ``journal`` staged (the earlier pages are other tests' business)."""
    wizard.session.journal = journal
    wizard.session.account = usd_account()
    page = wizard.upload_page
    page.config = config
    wizard.setStartId(PageId.UPLOAD)
    wizard.restart()
    assert wizard.currentId() == PageId.UPLOAD
    return page


def wait_finished(qtbot: QtBot, page: UploadPage) -> None:
    qtbot.waitUntil(lambda: page.state is UploadState.FINISHED, timeout=WAIT_MS)


def sandbox_keys(sandbox: SandboxServer) -> list[tuple[int, str]]:
    return event_keys(accepted_events(sandbox))


def shown(page: UploadPage) -> dict[str, str]:
    return {
        "accepted": page.accepted_stat.value.text(),
        "rejected": page.rejected_stat.value.text(),
        "skipped": page.skipped_stat.value.text(),
        "sent": page.sent_stat.value.text(),
    }


def forward(wizard: UploadWizard) -> Any:
    return wizard.button(QWizard.WizardButton.CommitButton)


# -- tests ---------------------------------------------------------------------------------------------


def test_a_staged_job_uploads_and_the_page_shows_what_the_sandbox_accepted(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    journal = stage_job(tmp_path, 3000, bad=(7, 1500))
    page = open_upload_page(qtbot, wizard, journal, UploadConfig(batch_size=500))
    assert page.state is UploadState.RUNNING
    assert not forward(wizard).isEnabled()  # Next only once the run has finished
    qtbot.wait(50)  # QWizard updates its buttons after the page started
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    assert not wizard.button(QWizard.WizardButton.CancelButton).isEnabled()  # the page's Stop says what stops

    wait_finished(qtbot, page)

    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == 2998
    assert set(keys) == journal.accepted_keys()
    assert page.result is not None and page.result.outcome is not Outcome.STOPPED
    assert shown(page) == {"accepted": f"{len(keys):,}", "rejected": "0", "skipped": "0", "sent": "2,998"}
    assert page.progress_bar.value() == page.progress_bar.maximum() == 2998
    assert page.progress_bar.text() == "2,998 of 2,998 rows"
    assert page.status_label.text() == "2,998 of 3,000 rows were accepted; 2 were not"  # 2 errors in the file
    assert page.requests_stat.value.text() == f"{300_000 - 6:,}"  # six requests of 500 rows
    assert not page.requests_stat.isVisibleTo(page)  # far from LinkedIn's daily limit: not worth a look
    assert not page.eta_stat.isVisibleTo(page)  # no "time left" once it has ended
    # A running total, not a line per batch: six batches of 500 make one line at the start and one at the end.
    summaries = [line for line in page.log_lines if "So far:" in line]
    assert summaries[-1].endswith("So far: 2,998 accepted, 0 rejected by LinkedIn, 0 rows left to send.")
    assert len(summaries) <= 3 and not any("LinkedIn answered" in line for line in page.log_lines)
    assert any("72 hours" in line for line in page.log_lines)
    assert forward(wizard).isEnabled() and forward(wizard).text().replace("&", "") == "Next >"
    assert wizard.button(QWizard.WizardButton.CancelButton).isEnabled()  # given back after sending
    assert wizard.session.result is page.result

    wizard.next()
    assert wizard.currentId() == PageId.DONE
    assert wizard.session.result is page.result
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()  # what was sent stays sent


def test_the_window_stays_responsive_while_sending(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, latency_ms=20)
    journal = stage_job(tmp_path, 4000)
    page = open_upload_page(qtbot, wizard, journal, UploadConfig(batch_size=100))
    beats: list[float] = []
    while page.state is not UploadState.FINISHED:
        beats.append(time.monotonic())
        qtbot.wait(10)
        assert time.monotonic() - beats[0] < 60
    gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
    assert len(beats) > 20 and max(gaps) < 0.1, max(gaps)  # the event loop never stalls 100 ms
    assert len(sandbox_keys(sandbox)) == 4000


def test_pause_holds_and_resume_finishes(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, latency_ms=30)
    journal = stage_job(tmp_path, 2000)
    page = open_upload_page(qtbot, wizard, journal)
    qtbot.waitUntil(
        lambda: page.last_progress is not None and page.last_progress.counts.accepted >= 200, timeout=WAIT_MS
    )

    qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
    assert page.state is UploadState.PAUSED and page.pause_button.text() == "Resume"
    assert "Paused" in page.status_label.text()
    assert page.eta_stat.value.text() == "paused"  # no figure that drifts
    qtbot.wait(300)  # a batch already on its way may still be answered
    held = len(sandbox_keys(sandbox))
    qtbot.wait(600)
    assert len(sandbox_keys(sandbox)) == held < 2000
    assert not forward(wizard).isEnabled()

    qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
    assert page.state is UploadState.RUNNING
    wait_finished(qtbot, page)
    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == 2000
    assert page.result is not None and page.result.outcome is not Outcome.STOPPED


def test_the_time_left_under_linkedins_per_minute_limit_says_so(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    runtime.settings = replace(runtime.settings, requests_per_minute=6)  # one request every 10 s
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 3000))  # 30 requests of 100 rows
    qtbot.waitUntil(lambda: page.eta_stat.value.text().startswith("about"), timeout=WAIT_MS)
    # Not the "less than a minute" the first fast batches would suggest: 23 to 30 requests at 6 a minute.
    assert re.fullmatch(r"about [345] minutes", page.eta_stat.value.text())
    assert page.eta_stat.caption.text() == "time left — LinkedIn allows 6 requests a minute"
    qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
    assert (page.eta_stat.value.text(), page.eta_stat.caption.text()) == ("paused", "time left")


def test_the_time_left_under_the_daily_limit_is_when_it_finishes(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    runtime.settings = replace(runtime.settings, daily_request_cap=8)
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 1000))  # 10 requests: 2 wait for tomorrow (UTC)
    qtbot.waitUntil(lambda: page.eta_stat.caption.text() != "time left", timeout=WAIT_MS)
    assert page.eta_stat.caption.text() == "finishes then, because of LinkedIn's daily limit"
    midnight = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    local = (midnight + timedelta(seconds=12)).astimezone()  # and 2 requests at 600 a minute
    day = "today" if local.date() == datetime.now().astimezone().date() else "tomorrow"
    assert page.eta_stat.value.text() == f"{day} at {local:%H:%M}"
    assert "needs 1 more day" in page.note_label.text()
    assert page.requests_stat.isVisibleTo(page) and page.requests_stat.value.text() in {f"{n}" for n in range(9)}


def test_stop_then_resume_on_the_page_sends_each_event_once(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, latency_ms=30)
    journal = stage_job(tmp_path, 1500)
    page = open_upload_page(qtbot, wizard, journal)
    qtbot.waitUntil(
        lambda: page.last_progress is not None and page.last_progress.counts.accepted >= 300, timeout=WAIT_MS
    )
    assert page.stop_button.text() == STOP_LABEL

    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    wait_finished(qtbot, page)
    assert page.result is not None and page.result.outcome is Outcome.STOPPED and page.result.cancelled
    sent = len(sandbox_keys(sandbox))
    assert 300 <= sent < 1500
    counts = journal.delivery_counts()
    assert (counts.accepted, counts.in_flight) == (sent, 0)
    assert page.status_label.text() == f"Upload stopped: {1500 - sent:,} rows not sent yet"
    assert page.resume_button.isVisible() and forward(wizard).isEnabled()
    # Quitting now would leave rows behind: the question says how many and how to send them later.
    assert wizard.quit_question() == (
        f"{1500 - sent:,} rows are not sent yet. Quit now?\n\nNothing is lost: next time, choose “Resume an "
        "unfinished upload” on the first page to send them."
    )

    qtbot.mouseClick(page.resume_button, Qt.MouseButton.LeftButton)
    wait_finished(qtbot, page)
    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == 1500
    assert page.result is not None and page.result.outcome is not Outcome.STOPPED
    assert page.accepted_stat.value.text() == "1,500"
    assert wizard.quit_question() is None  # everything went: quitting leaves nothing undone


def test_a_revoked_sign_in_stops_with_the_reason_and_signing_in_again_finishes(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    token = sign_in(runtime, sandbox)
    set_knobs(sandbox, latency_ms=30)
    journal = stage_job(tmp_path, 1500)
    page = open_upload_page(qtbot, wizard, journal)
    qtbot.waitUntil(
        lambda: page.last_progress is not None and page.last_progress.counts.accepted >= 200, timeout=WAIT_MS
    )

    assert sandbox.revoke_token(token)
    wait_finished(qtbot, page)

    result = page.result
    assert result is not None and result.outcome is Outcome.STOPPED and not result.cancelled
    assert isinstance(result.failure, SignInRequired)
    assert page.problem.isVisible() and "Sign in again" in page.problem.label.text()
    assert "request id" in page.problem.label.text()
    assert token not in page.problem.label.text() and all(token not in line for line in page.log_lines)
    assert page.sign_in_button.isVisible() and not page.resume_button.isVisible()
    assert error_boxes(page) == []  # said on the page, not in a dialog
    sent = len(sandbox_keys(sandbox))
    assert sent < 1500 and journal.delivery_counts().in_flight == 0

    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.sign_in_dialog is not None, timeout=WAIT_MS)  # the old sign-in forgotten first
    dialog = page.sign_in_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.sign_in.state is SignInState.SIGNED_OUT, timeout=WAIT_MS)
    assert not dialog.continue_button.isEnabled()
    qtbot.mouseClick(dialog.sign_in.paste_toggle, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.sign_in.token_edit, sandbox.mint_token())
    qtbot.keyClick(dialog.sign_in.token_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.continue_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)

    wait_finished(qtbot, page)
    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == 1500
    assert page.result is not None and page.result.outcome is not Outcome.STOPPED
    assert not page.problem.isVisible()


def test_an_expired_sign_in_before_the_start_offers_to_sign_in(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    # Expires in a second: accepted when pasted, expired by the time the upload starts.
    sign_in(runtime, sandbox, expires_in=1)
    time.sleep(1.1)
    journal = stage_job(tmp_path, 50)
    page = open_upload_page(qtbot, wizard, journal)
    wait_finished(qtbot, page)
    assert page.result is not None and isinstance(page.result.failure, SignInRequired)
    assert "expired" in page.problem.label.text() and page.sign_in_button.isVisible()
    assert sandbox_keys(sandbox) == []
    assert journal.delivery_counts().pending == 50


def test_no_api_version_taken_stops_with_the_fix(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, oldest_version="201901", newest_version="201901")  # no month of the past year
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 20))
    wait_finished(qtbot, page)
    text = page.problem.label.text()
    assert "date is right" in text and "resume" in text.lower()
    assert page.resume_button.isVisible() and page.resume_button.text() == "Try again"
    assert not page.sign_in_button.isVisible()
    assert forward(wizard).isEnabled()


def test_closing_the_window_while_sending_asks_and_stops_cleanly(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, latency_ms=30)
    journal = stage_job(tmp_path, 2000)
    path = journal.path
    page = open_upload_page(qtbot, wizard, journal)
    qtbot.waitUntil(
        lambda: page.last_progress is not None and page.last_progress.counts.accepted >= 100, timeout=WAIT_MS
    )
    asked: list[bool] = []

    def refuse(parent: object) -> bool:
        asked.append(False)
        return False

    page.confirm_close = refuse
    wizard.close()
    assert asked == [False] and wizard.isVisible() and page.busy  # "No": keeps sending
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert asked == [False, False] and wizard.isVisible()

    page.confirm_close = lambda parent: True
    wizard.close()
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT_MS)
    assert page.result is not None and page.result.outcome is Outcome.STOPPED and page.result.cancelled
    with Journal(path) as again:
        counts = again.delivery_counts()
        assert counts.in_flight == 0 and 0 < counts.accepted < 2000
        assert counts.accepted == len(sandbox_keys(sandbox))


def test_no_event_is_sent_twice_across_faults(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, error_rate=0.2, seed=5)
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 1000), UploadConfig(100, 30, 0.01, 0.02))
    wait_finished(qtbot, page)
    keys = sandbox_keys(sandbox)
    assert page.result is not None and page.result.outcome is not Outcome.STOPPED
    assert len(set(keys)) == 1000 and max(Counter(keys).values()) == 1
    assert any("Trying again" in line for line in page.log_lines)  # retries are in the log, in words


def test_a_full_disk_half_way_is_said_in_a_dialog_and_try_again_sends_the_rest_once(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sign_in(runtime, sandbox)
    journal = stage_job(tmp_path, 3000)
    real_usage, asked, full = shutil.disk_usage, [], [True]

    def filling_up(path: str) -> Any:  # the disk fills once five batches are out
        asked.append(path)
        usage = real_usage(path)
        return usage._replace(free=4096) if len(asked) > 5 and full[0] else usage

    monkeypatch.setattr(storage.shutil, "disk_usage", filling_up)
    page = open_upload_page(qtbot, wizard, journal)
    wait_finished(qtbot, page)

    (box,) = error_boxes(page)
    assert box.windowTitle() == "The disk is full"
    assert str(paths.data_dir() / "jobs") in box.text() and "4.1 KB is left" in box.text()
    assert RESUME_LATER in box.informativeText()
    assert any(line.endswith(f"Stopped: {box.text()}") for line in page.log_lines)
    assert len(sandbox_keys(sandbox)) == 500
    box.close()

    full[0] = False  # room again
    assert page.resume_button.isVisible() and page.resume_button.text() == "Try again"
    qtbot.mouseClick(page.resume_button, Qt.MouseButton.LeftButton)
    wait_finished(qtbot, page)
    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == 3000
    assert page.result is not None and page.result.outcome is Outcome.ALL_ACCEPTED


def test_back_is_off_once_rows_went_to_linkedin(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Back would show the preview's "Nothing has been sent yet" for rows that were sent."""
    sign_in(runtime, sandbox)
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 120))
    wait_finished(qtbot, page)
    qtbot.wait(50)  # QWizard updates its buttons after the page's signals
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    assert forward(wizard).isEnabled()
