"""The Done page: the summary, the problems report, saving a profile, the support bundle, starting again."""

from __future__ import annotations

import csv
import json
import zipfile
from collections import Counter
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support import set_knobs
from test_gui_upload import WAIT_MS, open_upload_page, sandbox_keys, sign_in, stage_job, wait_finished

from capi_desktop import paths
from capi_desktop.app.outcome import Outcome
from capi_desktop.cli.profiles import profile_store
from capi_desktop.core.delivery.engine import REPORTING_NOTE, UploadConfig
from capi_desktop.core.journal import Journal
from capi_desktop.gui.errors import log_file
from capi_desktop.gui.pages.done import DonePage
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.linkedin.auth import AuthService
from capi_desktop.runtime import Runtime
from capi_desktop.sandbox import SandboxServer, seed

BAD_FILE_ROWS = (3, 40)  # no usable identifier: errors in the file, never sent


def reject_at_linkedin(journal: Journal, numbers: list[int]) -> None:
    """Make staged events invalid in a way only LinkedIn (the sandbox) checks: a lower-case currency."""
    with journal._db:
        for n in numbers:
            journal._db.execute(
                "UPDATE rows SET event_json = replace(event_json, ?, ?) WHERE number = ?",
                ('"currencyCode":"USD"', '"currencyCode":"usd"', n),
            )


def finish_upload(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> tuple[DonePage, str]:
    """120 rows: two with errors in the file, two that LinkedIn rejects; uploaded, then on the Done page."""
    token = sign_in(runtime, sandbox)
    journal = stage_job(tmp_path, 120, bad=BAD_FILE_ROWS)
    reject_at_linkedin(journal, [11, 77])  # spreadsheet rows 11 and 77 = data rows 10 and 76
    page = open_upload_page(qtbot, wizard, journal)
    wait_finished(qtbot, page)
    wizard.next()
    assert wizard.currentId() == PageId.DONE
    return wizard.done_page, token


def figure(done: DonePage, key: str) -> str:
    value, _ = done._figure_labels[key]
    return value.text() if value.isVisibleTo(done) else "(hidden)"


def test_the_summary_counts_every_row_and_says_when_linkedin_shows_them(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    done, _ = finish_upload(qtbot, wizard, runtime, sandbox, tmp_path)
    assert len(sandbox_keys(sandbox)) == 116
    log = wizard.upload_page.log_lines
    said = [line for line in log if "LinkedIn rejected" in line]
    assert len(said) == 1 and said[0].endswith(
        "LinkedIn rejected 2 events; the report on the next page says why. Further rejections are counted in the "
        "totals."
    )
    assert not any("sent again" in line for line in log)
    assert "Upload finished" in done.title()
    # 2 refused by LinkedIn, 2 errors in the file: no ✓ for that.
    assert done.headline.text() == "116 of 120 rows were accepted; 4 were not" and done.mark.text() == "!"
    assert {k: figure(done, k) for k in ("accepted", "rejected", "skipped", "errors", "left")} == {
        "accepted": "116",
        "rejected": "2",
        "skipped": "(hidden)",
        "errors": "2",
        "left": "(hidden)",
    }
    assert done.reporting_note.text() == REPORTING_NOTE and "72 hours" in REPORTING_NOTE
    assert not done.resume_notice.isVisible()
    assert "4 rows need a look" in done.report_label.text()
    assert done.isFinalPage() and done.isComplete()


def test_open_report_writes_the_rejected_and_error_rows_in_the_users_columns_and_opens_it(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    done, _ = finish_upload(qtbot, wizard, runtime, sandbox, tmp_path)
    opened: list[QUrl] = []
    done.open_url = lambda url: opened.append(url) or True

    qtbot.mouseClick(done.open_report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)

    report = Path(opened[0].toLocalFile())
    assert report.parent == paths.data_dir() / "reports" and report.suffix == ".csv"
    assert wizard.session.report_path == report
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "Row",
        "Email",
        "First name",
        "Last name",
        "Company",
        "Close Date",
        "Value",
        "Currency",
        "Sent?",
        "Problem",
    ]
    by_row = {int(r[0]): r for r in rows[1:]}
    assert sorted(by_row) == [4, 11, 41, 77]  # spreadsheet row numbers: the header is row 1
    assert by_row[11][1] == "lead9@example.com" and by_row[11][-1].startswith("LinkedIn refused the currency")
    assert by_row[4][1] == "not an email" and by_row[4][-1]  # the file's own problem, in words
    assert (by_row[11][-2], by_row[4][-2]) == ("No: LinkedIn refused it", "No: a problem in the file")
    assert f"Report saved: {report}" in done.status.text()


def test_a_report_no_program_opens_shows_its_folder_and_its_path_can_be_copied(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    done, _ = finish_upload(qtbot, wizard, runtime, sandbox, tmp_path)
    asked: list[Path] = []

    def only_folders(url: QUrl) -> bool:  # a computer where nothing opens .csv, but folders open
        asked.append(Path(url.toLocalFile()))
        return asked[-1].is_dir()

    done.open_url = only_folders
    qtbot.mouseClick(done.open_report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=WAIT_MS)
    report = wizard.session.report_path
    assert report is not None and asked == [report, report.parent]
    assert done.status.text() == f"No program on this computer opens .csv files, so its folder is open: {report}"
    assert done.copy_path_button.isVisible()
    qtbot.mouseClick(done.copy_path_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == str(report)


def test_save_report_as_writes_where_the_user_chose(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    done, _ = finish_upload(qtbot, wizard, runtime, sandbox, tmp_path)
    target = tmp_path / "mine" / "problems"
    done.ask_save_path = lambda parent, caption, suggested, filters: str(target)
    qtbot.mouseClick(done.save_report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: target.with_suffix(".csv").exists() and done.background_operation is None, timeout=WAIT_MS)
    assert len(target.with_suffix(".csv").read_text(encoding="utf-8-sig").splitlines()) == 5


def test_choices_are_saved_as_a_profile_without_any_token(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    done, token = finish_upload(qtbot, wizard, runtime, sandbox, tmp_path)
    done.ask_text = lambda parent, title, label, suggested: "Spring leads"
    qtbot.mouseClick(done.save_profile_button, Qt.MouseButton.LeftButton)

    profile = profile_store().load("spring LEADS")  # the command line's store sees it
    assert profile.name == "Spring leads"
    assert profile.account_id == seed.ACCOUNT_USD and profile.rules.rule_id == seed.RULE_USD_LEAD
    assert {f.value: cols for f, cols in profile.mapping.columns.items()}["email"] == ("Email",)
    assert profile.header_row == 1
    assert wizard.session.profile == profile
    assert "Saved the profile “Spring leads”" in done.status.text()
    stored = "\n".join(p.read_text(encoding="utf-8") for p in (paths.config_dir() / "profiles").glob("*.json"))
    assert token not in stored and "access" not in stored

    # The same name again asks before replacing; "no" keeps the first.
    asked: list[str] = []
    done.confirm = lambda parent, title, question: asked.append(question) is not None and False
    qtbot.mouseClick(done.save_profile_button, Qt.MouseButton.LeftButton)
    assert asked and "Spring leads" in asked[0]
    assert profile_store().load("Spring leads").updated_at == profile.updated_at


def test_the_support_bundle_has_no_token_secret_or_email(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    done, token = finish_upload(qtbot, wizard, runtime, sandbox, tmp_path)
    assert runtime.auth.app is not None and runtime.auth.app.client_secret
    secret = runtime.auth.app.client_secret
    # A log that carries what must never leave: a token, the client secret, an email, and a request id.
    log_file().parent.mkdir(parents=True, exist_ok=True)
    log_file().write_text(
        f"2026-06-12 WARNING capi: Upload stopped (LinkedIn request id: Zk3v9Qp2LmX8aB4cD6eF1g)\n"
        f"2026-06-12 DEBUG requests: Authorization: Bearer {token}\n"
        f"2026-06-12 DEBUG oauth: client_secret={secret} for lead5@example.com\n",
        encoding="utf-8",
    )
    wizard.upload_page.log_lines.append(f"12:00:00  token {token} lead9@example.com")
    target = tmp_path / "support.zip"
    done.ask_save_path = lambda parent, caption, suggested, filters: str(target)

    qtbot.mouseClick(done.bundle_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: done.bundle_path is not None, timeout=WAIT_MS)

    assert done.bundle_path == target
    with zipfile.ZipFile(target) as bundle:
        contents = {name: bundle.read(name).decode("utf-8") for name in bundle.namelist()}
    everything = "\n".join(contents.values())
    assert token not in everything and token[:24] not in everything
    assert secret not in everything
    assert "@example.com" not in everything and "lead5" not in everything and "lead9" not in everything
    assert "Zk3v9Qp2LmX8aB4cD6eF1g" in contents["log.txt"]
    assert "So far:" in contents["log.txt"]  # this upload's log, as the page showed it
    about = json.loads(contents["about.json"])
    assert about["mode"] == "sandbox" and about["qt"].startswith("6.") and about["app_version"]
    job = json.loads(contents["job.json"])
    assert job["delivery"]["accepted"] == 116 and job["rows"]["error"] == 2 and job["outcome"] == "some_refused"
    assert "Support bundle saved" in done.status.text()


def test_a_stopped_upload_says_it_can_be_resumed(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, latency_ms=30)
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 1000))
    qtbot.waitUntil(
        lambda: page.last_progress is not None and page.last_progress.counts.accepted >= 100, timeout=WAIT_MS
    )
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    wait_finished(qtbot, page)
    assert page.result is not None and page.result.outcome is Outcome.STOPPED and page.result.cancelled
    wizard.next()
    done = wizard.done_page
    left = 1000 - len(sandbox_keys(sandbox))
    assert "not finished" in done.title()
    assert figure(done, "left") == f"{left:,}"
    assert done.resume_notice.isVisible() and "Resume an unfinished upload" in done.resume_notice.label.text()
    assert not done.open_report_button.isEnabled()  # nothing rejected, no file errors

    assert done.resume_now_button.isVisible()
    qtbot.mouseClick(done.resume_now_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.UPLOAD
    wait_finished(qtbot, page)
    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == 1000
    wizard.next()
    assert "Upload finished" in done.title() and not done.resume_now_button.isVisible()


def test_start_another_upload_goes_back_to_the_start_still_signed_in(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    done, _ = finish_upload(qtbot, wizard, runtime, sandbox, tmp_path)
    account = wizard.session.account
    qtbot.mouseClick(done.another_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.WELCOME
    session = wizard.session
    assert session.journal is None and session.result is None and session.table is None
    assert session.account == account  # remembered for the Account page
    auth: AuthService = runtime.auth
    assert auth.status(fetch_member=False).signed_in


def test_events_sent_a_second_time_after_a_lost_answer_are_counted(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sign_in(runtime, sandbox)
    set_knobs(sandbox, drop_rate=0.3, seed=4)  # some answers are lost after LinkedIn took the batch
    journal = stage_job(tmp_path, 600)
    page = open_upload_page(qtbot, wizard, journal, UploadConfig(50, 30, 0.01, 0.02))
    wait_finished(qtbot, page)
    wizard.next()
    keys = sandbox_keys(sandbox)
    twice = sum(1 for n in Counter(keys).values() if n > 1)
    resent = journal.delivery_counts().resent
    assert len(set(keys)) == 600 and 0 < twice <= resent
    assert figure(wizard.done_page, "resent") == f"{resent:,}"
    assert page.result is not None and f"{resent:,} events went to LinkedIn again" in page.result.message
