"""The Welcome page's options: a saved profile and an unfinished upload appear only when there is one."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QRadioButton
from pytestqt.qtbot import QtBot
from support import set_knobs
from test_gui_upload import (
    WAIT_MS,
    open_upload_page,
    sandbox_keys,
    sign_in,
    stage_job,
    wait_finished,
    write_leads,
)

from capi_desktop import paths
from capi_desktop.app.jobs import stage_job as stage_app_job
from capi_desktop.app.outcome import Outcome
from capi_desktop.app.record import JobState, write_record
from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.reading import open_table
from capi_desktop.core.stores.profiles import Profile, ProfileStore
from capi_desktop.gui.pages.upload import UploadState
from capi_desktop.gui.pages.welcome import StartChoice, WelcomePage, find_unfinished_jobs
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.runtime import Runtime
from capi_desktop.sandbox import SandboxServer, seed


def settled(qtbot: QtBot, page: WelcomePage) -> WelcomePage:
    """Wait for the page's look-up of profiles and unfinished uploads."""
    qtbot.waitUntil(lambda: page.background_operation is None, timeout=WAIT_MS)
    return page


def radio_texts(page: WelcomePage) -> list[str]:
    return [radio.text() for radio in page.findChildren(QRadioButton)]


def save_profile(name: str) -> Profile:
    profile = Profile(
        name=name,
        account_id=seed.ACCOUNT_USD,
        rules=RuleChoice(rule_id=seed.RULE_USD_LEAD),
        mapping=ColumnMapping(columns={Field.EMAIL: ("Email",)}),
        timezone="Europe/Berlin",
    )
    return ProfileStore(paths.config_dir() / "profiles").save(profile)


def stop_part_way(qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path) -> int:
    """An upload of 1,200 rows stopped by the user part-way; returns how many were sent."""
    sign_in(runtime, sandbox)
    set_knobs(sandbox, latency_ms=30)
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 1200, name="spring leads.csv"))
    qtbot.waitUntil(
        lambda: page.last_progress is not None and page.last_progress.counts.accepted >= 200, timeout=WAIT_MS
    )
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    wait_finished(qtbot, page)
    assert page.result is not None and page.result.outcome is Outcome.STOPPED and page.result.cancelled
    return len(sandbox_keys(sandbox))


def test_only_a_new_upload_is_offered_when_there_is_nothing_else(qtbot: QtBot, wizard: UploadWizard) -> None:
    page = settled(qtbot, wizard.welcome_page)
    assert radio_texts(page) == ["Start a new upload"]
    assert page.profile_combo is None and page.job_combo is None
    assert page.isComplete()


def test_a_saved_profile_is_offered_and_chosen(qtbot: QtBot, wizard: UploadWizard) -> None:
    save_profile("CRM leads")
    save_profile("Events EMEA")
    wizard.setStartId(PageId.WELCOME)
    wizard.restart()  # look again
    page = settled(qtbot, wizard.welcome_page)
    assert radio_texts(page) == ["Start a new upload", "Use a saved profile"]
    combo = page.profile_combo
    assert combo is not None and [combo.itemText(i) for i in range(combo.count())] == ["CRM leads", "Events EMEA"]
    assert not combo.isEnabled()  # until its option is chosen

    page.select(StartChoice.USE_PROFILE, 1)
    assert combo.isEnabled()
    wizard.next()
    assert wizard.currentId() == PageId.SIGN_IN
    profile = wizard.session.profile
    assert profile is not None and profile.name == "Events EMEA" and profile.timezone == "Europe/Berlin"

    wizard.back()
    page.select(StartChoice.NEW_UPLOAD)
    wizard.next()
    assert wizard.session.profile is None  # a new upload starts from nothing


def test_jobs_that_were_only_previewed_or_are_finished_are_not_offered(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    stage_job(tmp_path, 30, name="previewed.csv").close()  # staged, never sent
    sign_in(runtime, sandbox)
    page = open_upload_page(qtbot, wizard, stage_job(tmp_path, 40, name="sent.csv"))
    wait_finished(qtbot, page)
    assert find_unfinished_jobs(paths.data_dir()) == []
    wizard.setStartId(PageId.WELCOME)
    wizard.restart()
    assert radio_texts(settled(qtbot, wizard.welcome_page)) == ["Start a new upload"]


def test_a_stopped_upload_is_resumed_from_the_welcome_page_and_each_event_arrives_once(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sent = stop_part_way(qtbot, wizard, runtime, sandbox, tmp_path)
    assert 200 <= sent < 1200
    wizard.next()  # the Done page, then "Start another upload" goes back to the first page
    assert wizard.currentId() == PageId.DONE
    wizard.done_page.start_another()
    assert wizard.currentId() == PageId.WELCOME and wizard.session.journal is None

    page = settled(qtbot, wizard.welcome_page)
    assert radio_texts(page) == ["Start a new upload", "Resume an unfinished upload"]
    combo = page.job_combo
    assert combo is not None and combo.count() == 1
    text = combo.itemText(0)
    assert text.startswith("spring leads.csv · ") and f"{time.localtime().tm_mday} {time.strftime('%b %Y')}, " in text
    assert text.endswith(f"{sent:,} of 1,200 sent, {1200 - sent:,} left")

    page.select(StartChoice.RESUME)
    assert page.isComplete()
    wizard.next()  # still signed in: straight to sending
    assert wizard.currentId() == PageId.UPLOAD
    upload = wizard.upload_page
    assert wizard.session.account is not None and wizard.session.account.id == seed.ACCOUNT_USD
    wait_finished(qtbot, upload)
    keys = sandbox_keys(sandbox)
    assert len(keys) == len(set(keys)) == 1200
    assert upload.result is not None and upload.result.outcome is not Outcome.STOPPED
    assert any(f"{sent:,} were already answered in an earlier run" in line for line in upload.log_lines)

    wizard.next()
    assert "Upload finished" in wizard.done_page.title()
    wizard.done_page.start_another()
    assert radio_texts(settled(qtbot, wizard.welcome_page)) == ["Start a new upload"]  # nothing left to resume


def test_resuming_when_signed_out_asks_to_sign_in_first(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    stop_part_way(qtbot, wizard, runtime, sandbox, tmp_path)
    runtime.auth.sign_out()
    wizard.setStartId(PageId.WELCOME)
    wizard.restart()
    page = settled(qtbot, wizard.welcome_page)
    page.select(StartChoice.RESUME)
    wizard.next()
    upload = wizard.upload_page
    qtbot.waitUntil(lambda: upload.state is UploadState.FINISHED, timeout=WAIT_MS)
    assert upload.sign_in_button.isVisible()
    assert "not signed in" in upload.problem.label.text()


def test_resume_after_a_restart_checks_the_rule_first_and_sends_nothing_when_it_is_gone(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """A rule made in practice mode is gone after a restart (the sandbox starts afresh): resume must stop
    before sending, naming the rule, instead of sending every batch into refusals."""
    sign_in(runtime, sandbox)
    table = open_table(write_leads(tmp_path / "webinar.csv", 300))
    options = ImportOptions(rules=RuleChoice(rule_id=999_999), mapping=guess_mapping(table.columns, []))
    staged = stage_app_job(
        paths.data_dir(), table, options, account_id=seed.ACCOUNT_USD,
        account_name="Northwind Analytics – North America", rule_names={999_999: "Spring webinar leads"},
    )  # fmt: skip
    with staged.journal as journal:  # an upload that had started before the app was closed
        write_record(journal, staged.record.moved_to(JobState.STOPPED, upload_started=time.time()))

    wizard.setStartId(PageId.WELCOME)
    wizard.restart()
    page = settled(qtbot, wizard.welcome_page)
    combo = page.job_combo
    assert combo is not None and "Northwind Analytics – North America" in combo.itemText(0)  # a name, not an id
    page.select(StartChoice.RESUME)
    wizard.next()
    upload = wizard.upload_page
    qtbot.waitUntil(lambda: upload.state is UploadState.FINISHED, timeout=WAIT_MS)
    shown = upload.problem.label.text()
    assert "“Spring webinar leads”" in shown and "Nothing was sent" in shown, shown
    assert "urn:" not in shown and "no longer accepts" not in shown
    assert sandbox_keys(sandbox) == [] and not upload.isComplete()
    assert "Northwind Analytics – North America" in upload.destination_label.text()
