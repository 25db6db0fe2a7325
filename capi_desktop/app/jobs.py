"""A job's life on this computer: staged from a file into a journal, listed, opened, staged again when its
staging never finished, deleted. The app and the command line both go through these functions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from capi_desktop.app.outcome import Outcome, decide
from capi_desktop.app.record import JobRecord, JobState, new_record, read_record, write_record
from capi_desktop.app.runlock import is_held
from capi_desktop.collector import collector_paused
from capi_desktop.core.control import Control
from capi_desktop.core.journal import (
    SUFFIX,
    DeliveryCounts,
    Journal,
    JournalError,
    RowState,
    StateCounts,
    jobs_dir,
    journal_path,
    new_job_id,
    staging_space,
)
from capi_desktop.core.journal.ledger import LEDGER_FILE, SentLedger, sent_before
from capi_desktop.core.mapping import ImportOptions
from capi_desktop.core.normalise.dates import format_day
from capi_desktop.core.reading import FileKind, SpreadsheetError, Table, open_table
from capi_desktop.core.staging import StageSummary, stage
from capi_desktop.core.storage import check_free_space
from capi_desktop.core.support import JobSnapshot

logger = logging.getLogger(__name__)


class JobProblem(Exception):
    """A job cannot do what was asked (a preview without an ad account, a source file that changed);
    ``str()`` says so and what to do."""


def locks_dir(data_dir: Path) -> Path:
    return data_dir / "locks"


@dataclass(frozen=True)
class StagedJob:
    journal: Journal
    record: JobRecord
    summary: StageSummary


def stage_job(
    data_dir: Path,
    table: Table,
    options: ImportOptions,
    *,
    account_id: int | None,
    account_name: str = "",
    rule_names: dict[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    control: Control | None = None,
) -> StagedJob:
    """Check and stage every row of ``table`` into a new job; nothing is sent.

    The job is "staging" until its last row is in, then "staged" in one write: a job killed on the way
    (or by a full disk) is never mistaken for a complete one. A failed or cancelled staging deletes it.
    """
    _check_room(jobs_dir(data_dir), table)
    journal = Journal(journal_path(data_dir, new_job_id()), create=True)
    try:
        record = new_record(
            journal.job_id, table, options, account_id, account_name=account_name, rule_names=dict(rule_names or {})
        )
        write_record(journal, record)
        summary = _stage_rows(journal, table, options, progress, control)
        record = record.moved_to(JobState.STAGED)
        write_record(journal, record)
    except BaseException:
        discard_job(journal)
        raise
    return StagedJob(journal, record, summary)


def _check_room(folder: Path, table: Table) -> None:
    """Refuse, before a row is staged, a file its disk has no room for (``StorageError``)."""
    check_free_space(folder, staging_space(table.stamp.size, compressed=table.kind is not FileKind.CSV))


def _stage_rows(
    journal: Journal,
    table: Table,
    options: ImportOptions,
    progress: Callable[[int], None] | None,
    control: Control | None,
) -> StageSummary:
    with collector_paused():  # bulk work without reference cycles: see collector_paused
        try:
            summary = stage(table, options, journal, now_ms=int(time.time() * 1000), progress=progress, control=control)
        finally:
            table.release()  # a workbook's sheet is not kept in memory once its rows are staged
    return summary


def complete_staging(
    journal: Journal,
    record: JobRecord,
    progress: Callable[[int], None] | None = None,
    control: Control | None = None,
) -> JobRecord:
    """A job whose staging never finished is staged again from its file, if that file is unchanged."""
    if record.state is not JobState.STAGING:
        return record
    source = record.source
    if not source.unchanged():
        raise JobProblem(
            f"This job's rows were not all checked when it stopped, and its file {source.name} has changed or "
            f"moved since ({source.path}). Import the file again to send it; nothing of this job was sent."
        )
    logger.info("Job %s: staging had not finished; staging %s again", record.job_id, source.name)
    try:
        table = open_table(Path(source.path), sheet=source.sheet, header_row=source.header_row)
    except SpreadsheetError as exc:
        raise JobProblem(f"This job's rows must be checked again, but its file cannot be read now: {exc}") from exc
    _check_room(journal.path.parent, table)
    _stage_rows(journal, table, record.options, progress, control)
    record = record.moved_to(JobState.STAGED)
    write_record(journal, record)
    return record


def discard_job(journal: Journal) -> None:
    """Close ``journal`` and delete its file: a job that was replaced or cancelled before anything was sent.

    A file that cannot be deleted (e.g. still open elsewhere on Windows) is left for ``history`` to show.
    """
    path = journal.path
    journal.close()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("Could not delete the discarded job file %s: %s", leftover.name, exc)


def has_deliveries(journal: Journal) -> bool:
    """True once any row of the job was handed to LinkedIn: from then on the job is history, kept."""
    counts = journal.delivery_counts()
    return bool(counts.accepted or counts.rejected or counts.skipped or counts.in_flight)


def release_job(journal: Journal) -> None:
    """A job the user moved away from: kept when it is history, deleted when nothing of it was sent."""
    try:
        if has_deliveries(journal):
            journal.close()
        else:
            discard_job(journal)
    except Exception:  # a damaged or vanished job file must not stop what the user does next
        logger.warning("Could not tidy up job %s", journal.job_id, exc_info=True)


@dataclass(frozen=True)
class JobEntry:
    """One job as history and the resume list show it."""

    path: Path
    record: JobRecord | None  # None: the file could not be read (``problem`` says why)
    counts: StateCounts = StateCounts()
    delivered: DeliveryCounts = DeliveryCounts()
    running: bool = False  # a process is sending it right now
    problem: str | None = None

    @property
    def job_id(self) -> str:
        return self.path.stem

    @property
    def outcome(self) -> Outcome | None:
        """How its uploads ended so far; None for a job that was never sent."""
        if self.record is None or self.record.upload_started is None:
            return None
        return decide(self.delivered, self.counts)

    @property
    def resumable(self) -> bool:
        """An upload to an ad account that has rows left to send, and that nobody is sending now."""
        record = self.record
        if record is None or record.account_id is None or self.running:
            return False
        if record.state is JobState.STAGING:
            return True
        return record.upload_started is not None and not self.delivered.finished

    @property
    def status(self) -> str:
        """Where the job stands, in words."""
        record = self.record
        if record is None:
            return "unreadable"
        if self.running:
            return "sending now"
        if record.state is JobState.STAGING:
            return "interrupted while checking rows"
        if record.state is JobState.UPLOADING:
            return "interrupted while sending"
        return {
            JobState.STAGED: "preview" if record.account_id is None else "checked, not sent",
            JobState.FINISHED: "finished",
            JobState.FINISHED_WITH_REFUSALS: "finished, some not sent",
            JobState.STOPPED: "stopped",
            JobState.FAILED: "stopped by a problem",
        }[record.state]


@dataclass(frozen=True)
class AlreadySent:
    """The job's rows LinkedIn accepted in an earlier upload to the account: skipped, not sent again."""

    rows: dict[int, int]  # row number -> when LinkedIn accepted it (epoch ms)
    warnings: int = 0  # how many of them have a warning (the others were ready as they are)

    @property
    def count(self) -> int:
        return len(self.rows)

    def reason(self, number: int) -> str | None:
        """Why row ``number`` is not sent, if it was sent before."""
        at = self.rows.get(number)
        return None if at is None else sent_before(at)

    def when(self) -> str:
        """The day they went, or the days between which they did: "on 2 Dec 2026"."""
        first, last = format_day(min(self.rows.values()) / 1000), format_day(max(self.rows.values()) / 1000)
        return f"on {first}" if first == last else f"between {first} and {last}"


def already_sent(data_dir: Path, job_path: Path, account_id: int) -> AlreadySent:
    """Which of the job's sendable rows LinkedIn accepted in an earlier upload to ``account_id``, and when
    (the sent-ledger's answer, before anything is sent)."""
    with Journal(job_path) as journal:
        keys = journal.sendable_keys()
    ledger = SentLedger(data_dir / LEDGER_FILE)
    try:
        sent = ledger.sent_at(account_id, list(keys))
    finally:
        ledger.close()
    rows = {keys[key][0]: at for key, at in sent.items()}
    return AlreadySent(rows, warnings=sum(keys[key][1] is RowState.WARNING for key in sent))


def list_jobs(data_dir: Path) -> list[JobEntry]:
    """Every job in ``data_dir``, newest first."""
    entries = []
    for path in jobs_dir(data_dir).glob(f"*{SUFFIX}"):
        try:
            with Journal(path) as journal:
                record = read_record(journal)
                entry = JobEntry(path, record, journal.counts(), journal.delivery_counts())
        except JournalError as exc:
            entries.append(JobEntry(path, None, problem=str(exc)))
            continue
        if record.account_id is not None and record.state is JobState.UPLOADING:
            running = is_held(locks_dir(data_dir), record.account_id, record.rule_ids)
            entry = JobEntry(path, record, entry.counts, entry.delivered, running)
        entries.append(entry)
    return sorted(entries, key=_created, reverse=True)


def _created(entry: JobEntry) -> float:
    if entry.record is not None and entry.record.created:
        return entry.record.created
    try:
        return entry.path.stat().st_mtime
    except OSError:
        return 0.0


def find_job(data_dir: Path, job: str) -> Path:
    """The job whose id is ``job`` or starts with it."""
    folder = jobs_dir(data_dir)
    matches = sorted(folder.glob(f"{job}*{SUFFIX}"))
    if len(matches) != 1:
        known = ", ".join(p.stem for p in sorted(folder.glob(f"*{SUFFIX}"))[-5:]) or "none yet"
        what = "No job" if not matches else "More than one job"
        raise JournalError(f"{what} matches “{job}”. Recent jobs: {known} (see `capi-desktop history`).")
    return matches[0]


def open_job(path: Path) -> tuple[Journal, JobRecord]:
    journal = Journal(path)
    try:
        return journal, read_record(journal)
    except BaseException:
        journal.close()
        raise


def delete_job(data_dir: Path, path: Path) -> None:
    """Delete a job that nothing is sending; its accepted events stay in the sent-ledger."""
    journal, record = open_job(path)
    if record.account_id is not None and is_held(locks_dir(data_dir), record.account_id, record.rule_ids):
        journal.close()
        raise JobProblem(f"The job {record.job_id} is sending right now; stop it before deleting it.")
    discard_job(journal)


def support_snapshot(path: Path, outcome: Outcome | None = None, message: str | None = None) -> JobSnapshot:
    """A job as a support bundle shows it: counts and choices, not where its file lives."""
    journal, record = open_job(path)
    with journal:
        return JobSnapshot(
            record.job_id,
            journal.counts(),
            journal.delivery_counts(),
            record.for_support(),
            outcome.value if outcome else None,
            message,
        )


def source_table(record: JobRecord) -> Table | None:
    """The job's spreadsheet, for reports in the user's own columns, if it is still there unchanged."""
    source = record.source
    if not source.path or not source.unchanged():
        return None
    try:
        return open_table(Path(source.path), sheet=source.sheet, header_row=source.header_row)
    except SpreadsheetError:
        return None
