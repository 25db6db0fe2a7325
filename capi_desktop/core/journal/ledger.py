"""The sent-ledger: every event LinkedIn accepted, across all jobs, keyed by ad account, rule and event
id. It is what stops the same conversions being sent twice when a file is uploaded again.

An upload writes each batch's accepted events here as soon as LinkedIn answers, before its own journal
records the answer: a run started after another one stops, or dies, skips everything already
accepted, and a batch whose answer reached the ledger but not the journal is known to be answered.
Journals of the first app versions copied their events here only when a run ended; such a job left
uncopied by a crash is copied by the next upload (``begin``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from capi_desktop.core.events import legacy_derived_sql, rederived
from capi_desktop.core.journal import ACCEPTED_EVENTS, Journal, JournalError
from capi_desktop.core.normalise.dates import format_day
from capi_desktop.core.storage import connect, transaction, write_ahead, writing

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    copied INTEGER NOT NULL  -- 0 while the job's accepted events may not all be in ``sent``
);
CREATE TABLE IF NOT EXISTS sent (
    account_id INTEGER NOT NULL,
    rule_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    job INTEGER NOT NULL REFERENCES jobs(id),  -- a number, not the job's name: the copy stays small
    PRIMARY KEY (account_id, rule_id, event_id)
) WITHOUT ROWID;
"""
SCHEMA_VERSION = 2
LEDGER_FILE = "sent-ledger.sqlite"  # in the data folder
_BEHIND = "ledger_behind"  # a journal key: accepted events the ledger could not record (a full disk)
_CHUNK = 900  # well under SQLite's limit on query parameters


def sent_before(at_ms: int) -> str:
    """Why a row LinkedIn accepted in an earlier upload is not sent: the same words wherever it shows."""
    return f"Already sent on {format_day(at_ms / 1000)}; not sent again."


class SentLedger:
    def __init__(self, path: Path) -> None:
        self._folder = path.parent
        self._db = connect(path)
        try:
            self._db.execute("PRAGMA page_size=16384")  # for a new ledger: the bulk copy builds fewer pages
            write_ahead(self._db, self._folder)
            self._db.execute("PRAGMA cache_size=-16384")  # 16 MB
            self._db.execute("PRAGMA wal_autocheckpoint=10000")  # as the journal
            if self._db.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_VERSION:
                raise JournalError(
                    "The record of sent conversions was written by a newer CAPI Desktop; update the app."
                )
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            with writing(self._folder):
                self._db.executescript(_SCHEMA)
            if version == 1:
                self._rederive()
            with writing(self._folder):
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JournalError(f"The record of sent conversions ({path.name}) is damaged: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def _rederive(self) -> None:
        """Version 2 derives event ids from what the event sends (``events.derived_event_ids``): record
        every accepted event of a job whose journal is still here under its new id too, so that
        importing the same file again still sends nothing twice. (A deleted job's events are known by
        their old ids only.)"""
        for job, account_id, path in self._db.execute("SELECT id, account_id, path FROM jobs").fetchall():
            if not Path(path).exists():
                continue
            self._db.execute("ATTACH DATABASE ? AS job", (path,))
            try:
                legacy = self._db.execute(
                    "SELECT r.rule_id, r.event_id, r.event_json, d.at FROM job.delivery d "
                    "JOIN job.rows r ON r.number = d.number WHERE d.status = 'accepted' AND r.event_json IS NOT NULL "
                    f"AND {legacy_derived_sql('r.event_id')}"
                ).fetchall()
            except sqlite3.DatabaseError as exc:  # a damaged journal: its old ids still count
                logger.warning("Journal %s could not be read to record its new event ids: %s", Path(path).name, exc)
                legacy = []
            finally:
                self._db.execute("DETACH DATABASE job")
            keys = rederived([(rule_id, event_id, event_json) for rule_id, event_id, event_json, _ in legacy])
            with self._writing():
                self._db.executemany(
                    "INSERT OR IGNORE INTO sent(account_id, rule_id, event_id, sent_at, job) VALUES (?, ?, ?, ?, ?)",
                    [
                        (account_id, rule_id, event_id, at, job)
                        for (rule_id, event_id), (*_, at) in zip(keys, legacy, strict=True)
                    ],
                )

    def _writing(self) -> AbstractContextManager[None]:
        return transaction(self._db, self._folder)

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
        """Before a job uploads: copy what runs of the first app versions left uncopied, then register it
        (as copied: from now on its accepted events come here batch by batch)."""
        for job_id, path in self._db.execute("SELECT job_id, path FROM jobs WHERE copied = 0").fetchall():
            self.sync(job_id, Path(path))
        if journal.meta().get(_BEHIND):
            self.sync(journal.job_id, journal.path)
            journal.set_meta({_BEHIND: False})
        with self._writing():
            self._db.execute(
                "INSERT INTO jobs(job_id, account_id, path, copied) VALUES (?, ?, ?, 1) "
                "ON CONFLICT(job_id) DO UPDATE SET account_id = excluded.account_id, path = excluded.path",
                (journal.job_id, account_id, str(journal.path)),
            )

    def record(self, job_id: str, account_id: int, keys: Sequence[tuple[int, str]], at_ms: int) -> None:
        """One batch's accepted events, in one transaction (in key order: fewer B-tree pages touched)."""
        with self._writing():
            (job,) = self._db.execute("SELECT id FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            self._db.executemany(
                "INSERT OR IGNORE INTO sent(account_id, rule_id, event_id, sent_at, job) VALUES (?, ?, ?, ?, ?)",
                [(account_id, rule_id, event_id, at_ms, job) for rule_id, event_id in sorted(keys)],
            )

    def fell_behind(self, journal: Journal) -> None:
        """This ledger could not take a batch that ``journal`` recorded as accepted: note it in the
        journal, so that the job's next run copies its accepted events here first."""
        journal.set_meta({_BEHIND: True})

    def recorded_by(self, job_id: str, account_id: int, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of ``keys`` this job itself recorded as accepted."""
        found = self._db.execute("SELECT id FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if found is None:
            return set()
        mine: set[tuple[int, str]] = set()
        for rule_id, event_id in keys:
            row = self._db.execute(
                "SELECT job FROM sent WHERE account_id = ? AND rule_id = ? AND event_id = ?",
                (account_id, rule_id, event_id),
            ).fetchone()
            if row is not None and row[0] == found[0]:
                mine.add((rule_id, event_id))
        return mine

    def sync(self, job_id: str, journal_path: Path) -> None:
        """Copy a job's accepted events here and mark it copied, in one transaction."""
        if not journal_path.exists():  # the job was deleted: nothing left to copy
            with self._writing():
                self._db.execute("UPDATE jobs SET copied = 1 WHERE job_id = ?", (job_id,))
            return
        self._db.execute("ATTACH DATABASE ? AS job", (str(journal_path),))
        try:
            with self._writing():
                self._db.execute(
                    "INSERT OR IGNORE INTO sent(account_id, rule_id, event_id, sent_at, job) "
                    "SELECT j.account_id, a.rule_id, a.event_id, a.at, j.id "
                    f"FROM ({ACCEPTED_EVENTS.format(db='job')}) AS a, jobs j WHERE j.job_id = ? "
                    "ORDER BY a.rule_id, a.event_id",
                    (job_id,),
                )
                self._db.execute("UPDATE jobs SET copied = 1 WHERE job_id = ?", (job_id,))
        finally:
            self._db.execute("DETACH DATABASE job")
