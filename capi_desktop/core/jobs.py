"""Creating an import job: the journal file and the settings it records, the same for the CLI and the app.

``resume`` and ``history`` read these keys back, so every way of staging a file must write them alike.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capi_desktop.core.journal import (
    SUFFIX,
    DeliveryCounts,
    Journal,
    JournalError,
    StateCounts,
    jobs_dir,
    journal_path,
    new_job_id,
)
from capi_desktop.core.reading import Table
from capi_desktop.core.staging import ImportOptions

logger = logging.getLogger(__name__)


def job_meta(
    table: Table, options: ImportOptions, account_id: int | None, *, created: float | None = None
) -> dict[str, Any]:
    """The job's settings as the journal stores them: where the rows came from and every choice made."""
    return {
        "account_id": account_id,
        "source_name": table.path.name,
        "source_path": str(table.path.resolve()),
        "fingerprint": table.fingerprint,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "created": time.time() if created is None else created,
        **options.to_dict(),
    }


def create_job(data_dir: Path, table: Table, options: ImportOptions, account_id: int | None) -> Journal:
    """A new, empty job journal in ``data_dir`` with its settings recorded; stage rows into it next."""
    journal = Journal(journal_path(data_dir, new_job_id()), create=True)
    try:
        journal.set_meta(job_meta(table, options, account_id))
    except BaseException:
        discard_job(journal)
        raise
    return journal


def has_deliveries(journal: Journal) -> bool:
    """True once any row of the job was handed to LinkedIn: from then on the job is history, kept."""
    counts = journal.delivery_counts()
    return bool(counts.accepted or counts.rejected or counts.skipped or counts.in_flight)


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


@dataclass(frozen=True)
class JobRecord:
    """One job as ``history`` and the app's resume list see it."""

    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    counts: StateCounts = StateCounts()
    delivered: DeliveryCounts = DeliveryCounts()
    problem: str | None = None  # the file could not be read; the counts are then empty


def list_jobs(data_dir: Path) -> list[JobRecord]:
    """Every job in ``data_dir``, newest first, with its settings and counts."""
    records = []
    for path in jobs_dir(data_dir).glob(f"*{SUFFIX}"):
        try:
            with Journal(path) as journal:
                records.append(JobRecord(path, journal.meta(), journal.counts(), journal.delivery_counts()))
        except JournalError as exc:
            records.append(JobRecord(path, problem=str(exc)))
    # By when each job was created: ids carry only the second, so two jobs of one second sort by chance.
    return sorted(records, key=_created, reverse=True)


def _created(job: JobRecord) -> float:
    created = job.meta.get("created")
    return float(created) if isinstance(created, int | float) else job.path.stat().st_mtime
