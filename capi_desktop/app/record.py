"""A job's record: one typed, versioned value in its journal that says what the job is and where it stands.

Every screen and command reads a job through this record; each change of state is one write of the
whole record in one transaction, so a crash leaves the old state or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from capi_desktop.core.journal import Journal, JournalError
from capi_desktop.core.mapping import ImportOptions
from capi_desktop.core.reading import Table
from capi_desktop.core.reading.formats import fingerprint

SCHEMA = 1
_KEY = "record"


class JobState(Enum):
    """A job's life: staging → staged → uploading → one of the ends. Only a staged job's rows are complete."""

    STAGING = "staging"  # rows are being checked; a job left here (killed, disk full) must be staged again
    STAGED = "staged"  # every row checked; nothing sent yet
    UPLOADING = "uploading"  # a run is sending (or died while sending: see ``JobEntry.interrupted``)
    FINISHED = "finished"  # every sendable row has LinkedIn's answer, none refused
    FINISHED_WITH_REFUSALS = "finished_with_refusals"  # every row answered; some refused
    STOPPED = "stopped"  # the user stopped the run; resumable
    FAILED = "failed"  # a problem stopped the run (sign-in, permission, LinkedIn down); resumable

    @property
    def resumable(self) -> bool:
        return self in (JobState.STAGING, JobState.UPLOADING, JobState.STOPPED, JobState.FAILED)


@dataclass(frozen=True)
class SourceFile:
    """The spreadsheet a job was staged from, as it was then: enough to tell whether it changed since."""

    path: str
    name: str
    size: int
    mtime_ns: int
    fingerprint: str  # SHA-256 of the bytes
    sheet: str | None
    header_row: int | None

    @classmethod
    def of(cls, table: Table) -> SourceFile:
        stat = table.path.stat()
        return cls(
            path=str(table.path.resolve()),
            name=table.path.name,
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            fingerprint=table.fingerprint,
            sheet=table.sheet,
            header_row=table.header_row,
        )

    def unchanged(self) -> bool:
        """True when the file is still there with the same bytes (size and time first: cheap)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return False
        if self.size >= 0 and stat.st_size != self.size:  # -1: not recorded (the first journals)
            return False
        if stat.st_mtime_ns == self.mtime_ns:
            return True
        try:
            return fingerprint(Path(self.path)) == self.fingerprint
        except Exception:  # unreadable now: not the file the job was staged from, as far as we can tell
            return False


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    state: JobState
    created: float
    source: SourceFile
    options: ImportOptions
    account_id: int | None = None  # None: a preview, never to be sent
    account_name: str = ""
    rule_names: dict[int, str] = field(default_factory=dict)  # as LinkedIn named them when last checked
    upload_started: float | None = None
    message: str | None = None  # why the last run stopped or failed, in plain words
    updated: float = 0.0
    schema: int = SCHEMA

    @property
    def rule_ids(self) -> list[int]:
        rules = self.options.rules
        return [rules.rule_id] if rules.rule_id is not None else sorted(set(rules.by_event.values()))

    def rule_name(self, rule_id: int) -> str:
        name = self.rule_names.get(rule_id)
        return f"“{name}”" if name else f"number {rule_id}"

    @property
    def account_text(self) -> str:
        if self.account_id is None:
            return "no ad account (a preview)"
        return f"{self.account_name} ({self.account_id})" if self.account_name else f"ad account {self.account_id}"

    def moved_to(self, state: JobState, **changes: Any) -> JobRecord:
        return replace(self, state=state, updated=time.time(), **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["options"] = self.options.to_dict()
        data["rule_names"] = {str(k): v for k, v in self.rule_names.items()}
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def for_support(self) -> dict[str, Any]:
        """The record for a support ticket: without the file's folder, which names the computer's user."""
        data = self.to_dict()
        del data["source"]["path"]
        return data

    @classmethod
    def from_json(cls, text: str) -> JobRecord:
        data = json.loads(text)
        if int(data.get("schema", 0)) > SCHEMA:
            raise JournalError("This upload job was written by a newer version of CAPI Desktop; update the app.")
        return cls(
            job_id=str(data["job_id"]),
            state=JobState(data["state"]),
            created=float(data["created"]),
            source=SourceFile(**data["source"]),
            options=ImportOptions.from_dict(data["options"]),
            account_id=data.get("account_id"),
            account_name=str(data.get("account_name") or ""),
            rule_names={int(k): str(v) for k, v in (data.get("rule_names") or {}).items()},
            upload_started=data.get("upload_started"),
            message=data.get("message"),
            updated=float(data.get("updated") or 0.0),
        )


def new_record(job_id: str, table: Table, options: ImportOptions, account_id: int | None, **names: Any) -> JobRecord:
    now = time.time()
    return JobRecord(
        job_id=job_id,
        state=JobState.STAGING,
        created=now,
        source=SourceFile.of(table),
        options=options,
        account_id=account_id,
        updated=now,
        **names,
    )


def write_record(journal: Journal, record: JobRecord) -> None:
    """One transaction: the job is in the old state or the new one."""
    journal.set_meta({_KEY: record.to_json()})


def read_record(journal: Journal) -> JobRecord:
    meta = journal.meta()
    try:
        if _KEY in meta:  # named by its file: a job copied or renamed is the job its file says
            return replace(JobRecord.from_json(str(meta[_KEY])), job_id=journal.job_id)
        if not meta:
            raise JournalError(f"The upload job {journal.job_id} holds no settings: it was never staged.")
        return _from_first_journals(journal, meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise JournalError(f"The upload job {journal.job_id} is damaged: its settings cannot be read.") from exc


def _from_first_journals(journal: Journal, meta: dict[str, Any]) -> JobRecord:
    """Jobs written before the record existed kept loose keys; they were staged unless rows are missing."""
    delivered = journal.delivery_counts()
    answered = delivered.accepted + delivered.rejected + delivered.skipped + delivered.in_flight
    started = meta.get("upload_started")
    if started is None and answered == 0:
        state = JobState.STAGED if journal.count() else JobState.STAGING
    elif delivered.finished:
        state = JobState.FINISHED_WITH_REFUSALS if delivered.rejected else JobState.FINISHED
    else:
        state = JobState.STOPPED
    return JobRecord(
        job_id=journal.job_id,
        state=state,
        created=float(meta.get("created") or 0.0),
        source=SourceFile(
            path=str(meta.get("source_path") or ""),
            name=str(meta.get("source_name") or journal.job_id),
            size=-1,  # not recorded then: only the content hash can tell
            mtime_ns=-1,
            fingerprint=str(meta.get("fingerprint") or ""),
            sheet=meta.get("sheet"),
            header_row=meta.get("header_row"),
        ),
        options=ImportOptions.from_dict(meta),
        account_id=meta.get("account_id"),
        upload_started=float(started) if isinstance(started, int | float) else None,
    )
