"""Sending a job: the same checks and the same single run on every path (a new upload, a saved profile,
a resume; the app and the command line), and one report of how it ended."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING

from capi_desktop import paths
from capi_desktop.app.jobs import JobProblem, complete_staging, locks_dir
from capi_desktop.app.outcome import Outcome, UploadReport, decide
from capi_desktop.app.record import JobRecord, JobState, write_record
from capi_desktop.app.runlock import Holder, RunLock
from capi_desktop.collector import collector_paused
from capi_desktop.core.control import Control
from capi_desktop.core.delivery import DeliveryFailure
from capi_desktop.core.delivery.engine import UploadConfig, UploadOutcome, UploadProgress
from capi_desktop.core.journal import Journal
from capi_desktop.core.storage import StorageError

if TYPE_CHECKING:  # the runtime brings requests, keyring and the sandbox: loaded by whoever opens one
    from capi_desktop.linkedin.client import LinkedInClient
    from capi_desktop.runtime import Runtime

logger = logging.getLogger(__name__)

# After a refused write (a full disk, a folder gone read-only) stopped an upload half-way.
RESUME_LATER = "Nothing is lost: the rows not sent yet stay in this job, ready to resume once this is fixed."


class PreflightFailed(Exception):
    """The ad account or a rule cannot take this job's conversions; nothing was sent. ``str()`` says why,
    naming the rule by its name."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem} Nothing was sent.")


def preflight(client: LinkedInClient, record: JobRecord) -> JobRecord:
    """Check, before anything is sent, that the signed-in member may upload to the job's account and that
    every rule still exists, is on and is a Conversions API rule; the record gets the current names."""
    account_id = record.account_id
    if account_id is None:
        raise JobProblem("This job was a preview without an ad account; upload the file instead.")
    role = client.ad_account_roles().get(account_id)
    if role is None:
        raise PreflightFailed(f"You have no access to {record.account_text} (see the list of your ad accounts).")
    account = client.ad_account(account_id, role)
    record = record.moved_to(record.state, account_name=account.name)
    if not account.can_upload:
        raise PreflightFailed(
            f"You are a Viewer on {record.account_text}; LinkedIn accepts conversions only from managers and admins."
        )
    rules = {r.id: r for r in client.conversion_rules(account_id)}  # Conversions API rules only
    names = dict(record.rule_names)
    for rule_id in record.rule_ids:
        rule = rules.get(rule_id)
        if rule is None:
            raise PreflightFailed(
                f"The conversion rule {record.rule_name(rule_id)} (id {rule_id}) is not a Conversions API rule of "
                f"{record.account_text}: it was deleted, or it belongs to another account or to the Insight Tag. "
                "Choose another rule and import the file again."
            )
        names[rule_id] = rule.name
        if not rule.enabled:
            raise PreflightFailed(
                f"The conversion rule “{rule.name}” is turned off; turn it on in Campaign Manager, then resume."
            )
    return record.moved_to(record.state, rule_names=names)


def send_job(
    runtime: Runtime,
    journal: Journal,
    record: JobRecord,
    *,
    config: UploadConfig | None = None,
    progress: Callable[[UploadProgress], None] | None = None,
    control: Control | None = None,
    staging_progress: Callable[[int], None] | None = None,
    wait_seconds: float = 0.0,
) -> UploadReport:
    """Upload (or resume) one job, with every check first; the report says how it ended.

    Raises ``JobProblem`` or ``PreflightFailed`` before anything is sent, ``UploadBusy`` when another run
    sends to the same account and rule, ``StorageError`` when the disk refuses a write (the job stays
    resumable). A sign-in or LinkedIn problem is an outcome, not an exception.
    """
    account_id = record.account_id
    if account_id is None:
        raise JobProblem("This job was a preview without an ad account; upload the file instead.")
    config = config or UploadConfig()
    control = control or Control()
    lock = RunLock(locks_dir(paths.data_dir()), account_id, record.rule_ids)
    rule_text = {f"{account_id}-{rule}": record.rule_name(rule) for rule in record.rule_ids}
    lock.acquire(Holder(record.job_id, record.source.name, os.getpid()), wait_seconds, rule_text)
    with lock:
        record = complete_staging(journal, record, staging_progress, control)
        try:
            record = preflight(runtime.auth.client(), record)
        except DeliveryFailure as failure:  # not signed in, LinkedIn refusing or down: nothing went out
            record = record.moved_to(_state_after_failure(record), message=str(failure))
            write_record(journal, record)
            return report_of(journal, record, failure=failure, stop_reason=str(failure))
        write_record(journal, record)  # the names, for every screen that shows this job
        record = record.moved_to(JobState.UPLOADING, upload_started=record.upload_started or time.time(), message=None)
        write_record(journal, record)
        try:
            with collector_paused(), runtime.upload_engine(journal, account_id, config) as engine:
                result = engine.run(progress=progress, control=control)
        except StorageError as exc:
            with suppress(StorageError):  # the same disk may refuse this too; the job resumes either way
                write_record(journal, record.moved_to(JobState.STOPPED, message=str(exc)))
            raise
        report = report_of(
            journal,
            record,
            result.progress.sent_this_run,
            result.progress.requests_today,
            cancelled=result.outcome is UploadOutcome.CANCELLED,
            failure=result.failure,
            stop_reason=None if result.outcome is UploadOutcome.COMPLETED else result.message,
        )
        record = record.moved_to(_final_state(report), message=report.stop_reason)
        write_record(journal, record)
        return replace(report, record=record)


def _state_after_failure(record: JobRecord) -> JobState:
    return JobState.FAILED if record.upload_started is not None else record.state


def _final_state(report: UploadReport) -> JobState:
    if report.outcome is Outcome.STOPPED:
        return JobState.STOPPED if report.cancelled else JobState.FAILED
    if report.outcome in (Outcome.ALL_ACCEPTED, Outcome.NOTHING_NEW):
        return JobState.FINISHED
    return JobState.FINISHED_WITH_REFUSALS


def report_of(
    journal: Journal,
    record: JobRecord,
    sent: int = 0,
    requests_today: int = 0,
    *,
    cancelled: bool = False,
    failure: DeliveryFailure | None = None,
    stop_reason: str | None = None,
) -> UploadReport:
    """Where the job stands now, with what the last run did (none, when only the journal is known)."""
    counts, rows = journal.delivery_counts(), journal.counts()
    return UploadReport(
        record=record,
        outcome=decide(counts, rows),
        counts=counts,
        rows=rows,
        sent_this_run=sent,
        requests_today=requests_today,
        cancelled=cancelled,
        failure=failure,
        stop_reason=stop_reason,
    )
