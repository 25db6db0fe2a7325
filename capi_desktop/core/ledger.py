"""The sent-ledger: every event LinkedIn accepted, across all jobs, keyed by ad account, rule and event
id. It is what stops the same conversions being sent twice when a file is uploaded again."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from capi_desktop.core.journal import JournalError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    account_id INTEGER NOT NULL,
    rule_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    PRIMARY KEY (account_id, rule_id, event_id)
) WITHOUT ROWID;
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

    def record(self, account_id: int, job_id: str, keys: Iterable[tuple[int, str]], at_ms: int) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO sent(account_id, rule_id, event_id, sent_at, job_id) VALUES (?, ?, ?, ?, ?)",
                # In key order: inserts walk the B-tree once instead of jumping between its pages.
                ((account_id, rule_id, event_id, at_ms, job_id) for rule_id, event_id in sorted(keys)),
            )
