"""Helpers for upload tests: stage a generated file into a journal and wire a real engine to the sandbox."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from capi_desktop.app.record import JobState, new_record, write_record
from capi_desktop.core.delivery.engine import UploadConfig, UploadEngine
from capi_desktop.core.delivery.usage import DailyUsage, Limits, RequestPacer
from capi_desktop.core.journal import Journal
from capi_desktop.core.journal.ledger import SentLedger
from capi_desktop.core.mapping import ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.reading import open_table
from capi_desktop.core.staging import stage
from capi_desktop.linkedin.client import ApiConfig, LinkedInClient, StaticToken
from capi_desktop.sandbox import SandboxServer


def write_leads(path: Path, count: int, start: int = 0) -> Path:
    now = datetime.now(UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First name", "Last name", "Company", "Close Date", "Value", "Currency"])
        for i in range(start, start + count):
            when = (now - timedelta(minutes=10 + i % 50_000)).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.writerow([f"lead{i}@example.com", "Ann", f"Lee{i % 7}", "Acme", when, f"{i % 900}.50", "USD"])
    return path


def stage_file(path: Path, journal_path: Path, rule_id: int, account_id: int | None = None) -> Journal:
    """Stage ``path`` into ``journal_path``, recorded as a staged job of ``account_id`` (as the app records it)."""
    table = open_table(path)
    journal = Journal(journal_path, create=True)
    options = ImportOptions(rules=RuleChoice(rule_id=rule_id), mapping=guess_mapping(table.columns, []))
    record = new_record(journal.job_id, table, options, account_id)
    stage(table, options, journal, now_ms=int(datetime.now(UTC).timestamp() * 1000))
    write_record(journal, record.moved_to(JobState.STAGED))
    return journal


@dataclass
class Rig:
    """A real engine: journal + sent-ledger + request counter on disk, the real client over HTTP."""

    sandbox: SandboxServer
    folder: Path
    token: str

    def engine(self, journal: Journal, account_id: int, **config: Any) -> UploadEngine:
        limits = Limits(per_minute=config.pop("per_minute", 0), per_day=config.pop("per_day", 300_000))
        client = LinkedInClient(ApiConfig(api_base=self.sandbox.api_base), StaticToken(self.token))
        return UploadEngine(
            journal=journal,
            sender=client,
            ledger=SentLedger(self.folder / "sent-ledger.sqlite"),
            pacer=RequestPacer(limits, DailyUsage(self.folder / "usage.sqlite", key="test-token")),
            account_id=account_id,
            config=UploadConfig(backoff_seconds=0.01, backoff_max_seconds=0.05, **config),
        )


def event_keys(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(int(e["conversion"].rsplit(":", 1)[1]), e["eventId"]) for e in events]


def email_hash(i: int) -> str:
    return hashlib.sha256(f"lead{i}@example.com".encode()).hexdigest()
