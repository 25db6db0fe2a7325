"""The sent-ledger: every event LinkedIn accepted, across all jobs, keyed by ad account, rule and event
id. It is what stops the same conversions being sent twice when a file is uploaded again.

An upload records each answer in its own journal first and copies the accepted events here in bulk
(``sync``) when it stops: keys sorted once and written once, instead of thousands of random B-tree
inserts per batch (which made the ledger the upload's bottleneck). A job is registered while its
copy is outstanding, so after a crash the next upload of any job copies it first (``catch_up``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from capi_desktop.core.journal import ACCEPTED_EVENTS, Journal, JournalError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    account_id INTEGER NOT NULL,
    rule_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    PRIMARY KEY (account_id, rule_id, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unsynced (
    job_id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL,
    path TEXT NOT NULL
);
"""
_CHUNK = 900  # well under SQLite's limit on query parameters


class SentLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA cache_size=-65536")  # 64 MB: a million keys stay in memory
            self._db.execute("PRAGMA wal_autocheckpoint=10000")  # as the journal
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"The record of sent conversions ({path.name}) is damaged: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def sent_at(self, account_id: int, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """For each (rule id, event id) already accepted on this account, when it was (epoch ms)."""
        found: dict[tuple[int, str], int] = {}
        by_rule: dict[int, list[str]] = {}
        for rule_id, event_id in keys:
            by_rule.setdefault(rule_id, []).append(event_id)
        # Account, rule and event id together: every lookup is a primary-key search.
        for rule_id, event_ids in by_rule.items():
            for start in range(0, len(event_ids), _CHUNK):
                chunk = event_ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                query = (
                    f"SELECT event_id, sent_at FROM sent WHERE account_id = ? AND rule_id = ? AND event_id IN ({marks})"
                )
                for event_id, sent_at in self._db.execute(query, (account_id, rule_id, *chunk)):
                    found[(rule_id, event_id)] = sent_at
        return found

    def begin(self, journal: Journal, account_id: int) -> None:
        """Before a job uploads: copy what earlier runs left uncopied (after a crash), then register it."""
        for job_id, path in self._db.execute("SELECT job_id, path FROM unsynced").fetchall():
            self.sync(job_id, Path(path))
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO unsynced(job_id, account_id, path) VALUES (?, ?, ?)",
                (journal.job_id, account_id, str(journal.path)),
            )

    def sync(self, job_id: str, journal_path: Path) -> None:
        """Copy a job's accepted events here and clear its registration, in one transaction."""
        if journal_path.exists():
            self._db.execute("ATTACH DATABASE ? AS job", (str(journal_path),))
            try:
                with self._db:
                    self._db.execute(
                        "INSERT OR IGNORE INTO sent(account_id, rule_id, event_id, sent_at, job_id) "
                        "SELECT u.account_id, a.rule_id, a.event_id, a.at, u.job_id "
                        f"FROM ({ACCEPTED_EVENTS.format(db='job')}) AS a, unsynced u WHERE u.job_id = ? "
                        # Sorted in key order: the inserts walk the B-tree once.
                        "ORDER BY +a.rule_id, +a.event_id",
                        (job_id,),
                    )
                    self._db.execute("DELETE FROM unsynced WHERE job_id = ?", (job_id,))
            finally:
                self._db.execute("DETACH DATABASE job")
        else:  # the job was deleted: nothing left to copy
            with self._db:
                self._db.execute("DELETE FROM unsynced WHERE job_id = ?", (job_id,))
