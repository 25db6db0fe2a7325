"""The upload engine against the sandbox over real HTTP: batches, rejections, faults, stop and resume."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from support import accepted_events, set_knobs, stats
from upload_kit import Rig, event_keys, stage_file, write_leads

from capi_desktop.app.record import read_record
from capi_desktop.app.uploads import report_of
from capi_desktop.core.control import Control
from capi_desktop.core.delivery import RejectedEvents
from capi_desktop.core.delivery.apiversion import BUILT_WITH, months_to_try, this_month
from capi_desktop.core.delivery.engine import UploadOutcome, UploadProgress
from capi_desktop.core.journal import Delivery, Journal
from capi_desktop.linkedin.errors import ApiVersionRetired, PermissionDenied, SignInRequired
from capi_desktop.sandbox import SandboxServer, seed


@pytest.fixture
def rig(sandbox: SandboxServer, tmp_path: Path) -> Rig:
    return Rig(sandbox, tmp_path, sandbox.mint_token())


def test_every_row_once_in_batches(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 1234), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    seen: list[UploadProgress] = []
    result = rig.engine(journal, seed.ACCOUNT_USD, batch_size=500).run(progress=seen.append)
    assert result.outcome is UploadOutcome.COMPLETED, result.message
    assert (result.progress.counts.accepted, result.progress.counts.pending) == (1234, 0)
    assert "72 hours" in result.message
    keys = event_keys(accepted_events(rig.sandbox))
    assert len(keys) == 1234 and set(keys) == journal.accepted_keys()
    assert [p.counts.accepted for p in seen] == [0, 500, 1000, 1234]  # where it stands first, then each answer
    assert result.progress.requests_today == 3


def test_a_second_upload_of_the_same_file_sends_nothing_new(rig: Rig, tmp_path: Path) -> None:
    source = write_leads(tmp_path / "leads.csv", 300)
    first = stage_file(source, tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    assert rig.engine(first, seed.ACCOUNT_USD).run().outcome is UploadOutcome.COMPLETED
    again = stage_file(source, tmp_path / "b.capijob", seed.RULE_USD_LEAD)
    result = rig.engine(again, seed.ACCOUNT_USD).run()
    assert (result.progress.counts.skipped, result.progress.counts.accepted) == (300, 0)
    assert len(accepted_events(rig.sandbox)) == 300
    status, reason = again.delivery_of(next(iter(again.rows())).number)
    assert status is Delivery.SKIPPED and (reason or "").startswith("Already sent on")
    forced = stage_file(source, tmp_path / "c.capijob", seed.RULE_USD_LEAD)
    assert rig.engine(forced, seed.ACCOUNT_USD, force_resend=True).run().progress.counts.accepted == 300


def tamper(journal: Journal, numbers: list[int], old: str, new: str) -> None:
    """Make some staged events invalid in a way only LinkedIn (the sandbox) checks."""
    with journal._db:
        for n in numbers:
            journal._db.execute(
                "UPDATE rows SET event_json = replace(event_json, ?, ?) WHERE number = ?", (old, new, n)
            )


def test_rows_linkedin_rejects_are_marked_and_the_rest_delivered(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 40), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    tamper(journal, [5, 17], '"currencyCode":"USD"', '"currencyCode":"usd"')
    result = rig.engine(journal, seed.ACCOUNT_USD).run()
    assert result.outcome is UploadOutcome.COMPLETED
    assert (result.progress.counts.accepted, result.progress.counts.rejected) == (38, 2)
    problems = {number: reason for number, _, _, reason in journal.problem_rows()}
    assert set(problems) == {5, 17}
    assert problems[5].startswith("LinkedIn refused the currency:")
    assert len(accepted_events(rig.sandbox)) == 38


class _Unhelpful:
    """LinkedIn sometimes refuses a batch without naming the events: the real client, minus the names."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.sizes: list[int] = []

    def send_events(self, events_json: list[str]) -> object:
        self.sizes.append(len(events_json))
        try:
            return self.inner.send_events(events_json)  # type: ignore[attr-defined]
        except RejectedEvents as refused:
            refused.failures = ()
            raise


def test_unnamed_rejections_are_isolated_by_halving(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 64), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    tamper(journal, [30], '"amount":"', '"amount":"x')
    engine = rig.engine(journal, seed.ACCOUNT_USD, batch_size=64)
    engine.sender = _Unhelpful(engine.sender)
    result = engine.run()
    assert (result.progress.counts.accepted, result.progress.counts.rejected) == (63, 1)
    assert [number for number, *_ in journal.problem_rows()] == [30]
    sizes = engine.sender.sizes
    assert sizes[:2] == [64, 32] and sizes[-1] == 1 and sorted(set(sizes)) == [1, 2, 4, 8, 16, 32, 64]
    assert len(accepted_events(rig.sandbox)) == 63


@pytest.mark.parametrize(
    ("token_kind", "account", "expected"),
    [("expired", seed.ACCOUNT_USD, SignInRequired), ("ok", seed.ACCOUNT_VIEWER, PermissionDenied)],
)
def test_auth_and_permission_problems_stop_resumably(
    rig: Rig, tmp_path: Path, token_kind: str, account: int, expected: type
) -> None:
    rule = seed.RULE_USD_LEAD if account == seed.ACCOUNT_USD else seed.RULE_VIEWER_LEAD
    journal = stage_file(write_leads(tmp_path / "leads.csv", 20), tmp_path / "a.capijob", rule)
    if token_kind == "expired":
        rig.token = rig.sandbox.mint_token(expires_in=-5)
    result = rig.engine(journal, account).run()
    assert result.outcome is UploadOutcome.STOPPED and isinstance(result.failure, expected)
    counts = journal.delivery_counts()
    assert (counts.pending, counts.in_flight, counts.accepted) == (20, 0, 0)  # nothing lost, nothing sent
    if token_kind == "expired":
        rig.token = rig.sandbox.mint_token()  # signed in again
        assert rig.engine(journal, account).run().outcome is UploadOutcome.COMPLETED
        assert len(accepted_events(rig.sandbox)) == 20


def test_a_version_retired_in_the_middle_of_a_job_is_replaced_without_losing_a_batch(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 1000), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    engine = rig.engine(journal, seed.ACCOUNT_USD, batch_size=50)
    assert engine.sender.config.version == BUILT_WITH  # type: ignore[attr-defined]
    this = this_month()

    def sunset(progress: UploadProgress) -> None:
        if progress.counts.accepted == 200:  # LinkedIn retires the version, and skips the next month
            newer = months_to_try(BUILT_WITH)
            rig.sandbox.knobs.update({"oldest_version": newer[1], "skipped_versions": [newer[1]]})

    result = engine.run(progress=sunset)
    assert result.outcome is UploadOutcome.COMPLETED, result.message
    keys = event_keys(accepted_events(rig.sandbox))
    assert len(keys) == len(set(keys)) == 1000
    used = engine.sender.config.version  # type: ignore[attr-defined]
    assert BUILT_WITH < used <= this and used not in rig.sandbox.knobs.skipped_versions


def test_no_version_taken_stops_with_the_date_to_check(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 5), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    rig.sandbox.knobs.update({"oldest_version": "201901", "newest_version": "201901"})  # none of the past year
    result = rig.engine(journal, seed.ACCOUNT_USD).run()
    assert isinstance(result.failure, ApiVersionRetired)
    assert "nor any other month of the past year" in result.message and "date is right" in result.message
    assert accepted_events(rig.sandbox) == []


def test_faults_retry_until_every_row_is_delivered(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 3000), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    set_knobs(rig.sandbox, error_rate=0.3, drop_rate=0.2, seed=11)
    result = rig.engine(journal, seed.ACCOUNT_USD, batch_size=100, max_attempts=30).run()
    assert result.outcome is UploadOutcome.COMPLETED, result.message
    seen = stats(rig.sandbox)
    assert any(code.startswith("5") for code in seen["by_status"]) and seen["dropped"]["before_processing"]
    keys = event_keys(accepted_events(rig.sandbox))
    assert set(keys) == journal.accepted_keys() and len(set(keys)) == 3000
    # Repeats come only from batches whose answer was lost after LinkedIn took them (resent, same ids).
    repeats = sum(n - 1 for n in Counter(keys).values())
    assert repeats <= seen["dropped"]["after_processing"] * 100
    # Each of them is counted and said, as every other event sent again after a lost answer.
    twice = sum(1 for n in Counter(keys).values() if n > 1)
    resent = journal.delivery_counts().resent
    assert 0 < twice <= resent == result.progress.counts.resent
    assert f"{resent:,} events went to LinkedIn again" in report_of(journal, read_record(journal)).message


def test_rate_limited_batches_are_not_counted_as_sent_twice(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 1000), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    set_knobs(rig.sandbox, throttle_rate=0.4, seed=3)  # LinkedIn says 429: it took nothing
    result = rig.engine(journal, seed.ACCOUNT_USD, batch_size=100, max_attempts=30).run()
    assert result.outcome is UploadOutcome.COMPLETED and stats(rig.sandbox)["by_status"]["429"] > 0
    assert journal.delivery_counts().resent == 0
    assert "went to LinkedIn again" not in report_of(journal, read_record(journal)).message


def test_cancel_then_resume(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 1000), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    control = Control()

    def stop_after_first(progress: UploadProgress) -> None:
        if progress.counts.accepted >= 200:
            control.cancel()

    first = rig.engine(journal, seed.ACCOUNT_USD, batch_size=200).run(progress=stop_after_first, control=control)
    assert first.outcome is UploadOutcome.CANCELLED and first.progress.counts.accepted == 200
    second = rig.engine(journal, seed.ACCOUNT_USD, batch_size=200).run()
    assert second.outcome is UploadOutcome.COMPLETED and second.progress.counts.accepted == 1000
    assert len(accepted_events(rig.sandbox)) == 1000


def test_pause_holds_the_upload(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 300), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    control = Control()
    control.pause()
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(rig.engine(journal, seed.ACCOUNT_USD).run(control=control)))
    worker.start()
    worker.join(0.5)
    assert worker.is_alive() and accepted_events(rig.sandbox) == []
    control.resume()
    worker.join(30)
    assert len(accepted_events(rig.sandbox)) == 300


def test_daily_cap_waits_and_says_so(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 500), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    control = Control()
    notes: list[str] = []

    def watch(progress: UploadProgress) -> None:
        if progress.note:
            notes.append(progress.note)
        if progress.note and "used up" in progress.note:
            control.cancel()

    result = rig.engine(journal, seed.ACCOUNT_USD, batch_size=100, per_day=2).run(progress=watch, control=control)
    assert result.outcome is UploadOutcome.CANCELLED
    assert result.progress.counts.accepted == 200 and result.progress.requests_today == 2
    assert any("needs 2 more days" in n for n in notes)  # 300 rows left = 3 requests, 2 a day
    assert any("daily limit of 2 requests is used up" in n for n in notes)


def test_the_time_left_counts_linkedins_pace_not_only_the_first_fast_batches(rig: Rig, tmp_path: Path) -> None:
    journal = stage_file(write_leads(tmp_path / "leads.csv", 5000), tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    engine = rig.engine(journal, seed.ACCOUNT_USD, batch_size=100, per_minute=6)  # one request every 10 s
    control = Control()
    seen: list[UploadProgress] = []

    def watch(progress: UploadProgress) -> None:
        seen.append(progress)
        if progress.counts.accepted:  # the first batch went at once: stop before the wait for the next
            control.cancel()

    engine.run(progress=watch, control=control)
    first = next(p for p in seen if p.counts.accepted)
    assert first.eta_seconds is not None and first.eta_seconds >= 49 * 10  # 49 more requests at 6 a minute
    assert seen[0].eta_seconds is not None and seen[0].eta_seconds >= 50 * 10  # known before the first answer


def test_a_batch_sent_before_the_new_event_ids_and_answered_after_is_not_sent_again(rig: Rig, tmp_path: Path) -> None:
    source = write_leads(tmp_path / "leads.csv", 50)
    journal = stage_file(source, tmp_path / "a.capijob", seed.RULE_USD_LEAD)
    batch = journal.mark_in_flight(2, 21)  # the app stopped with 20 events at LinkedIn, no answer
    with journal._db:  # as the first app versions named them
        for number, event_id in journal._db.execute("SELECT number, event_id FROM rows WHERE number <= 21").fetchall():
            legacy = "cd-" + event_id[4:]
            journal._db.execute(
                "UPDATE rows SET event_id = ?, event_json = replace(event_json, ?, ?) WHERE number = ?",
                (legacy, event_id, legacy, number),
            )
    assert len(journal.in_flight()[batch]) == 20
    assert rig.engine(journal, seed.ACCOUNT_USD).run().outcome is UploadOutcome.COMPLETED
    assert len(accepted_events(rig.sandbox)) == 50
    again = stage_file(source, tmp_path / "b.capijob", seed.RULE_USD_LEAD)
    result = rig.engine(again, seed.ACCOUNT_USD).run()
    assert (result.progress.counts.skipped, result.progress.counts.accepted) == (50, 0)
