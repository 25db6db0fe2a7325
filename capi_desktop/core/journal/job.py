"""The job journal: one SQLite file per import job, the single source of truth for preview, upload and
reports. It holds the job's settings and, per source row, its state, reason and the exact event JSON.

No raw email is ever stored here: only the hashes inside the event JSON.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from capi_desktop.core.journal.model import (
    Delivery,
    DeliveryCounts,
    JournalError,
    JournalRow,
    Outgoing,
    RowState,
    StateCounts,
)
from capi_desktop.core.journal.schema import (
    ACCEPTED_EVENTS,
    ADDED_COLUMNS,
    MIGRATIONS,
    ROW_INDEXES,
    SCHEMA,
    SCHEMA_VERSION,
    SENDABLE,
)
from capi_desktop.core.storage import connect, transaction, write_ahead, writing

logger = logging.getLogger(__name__)

SUFFIX = ".capijob"


_CACHE_KB = 65536  # the upload's batch updates and lookups run faster the more of the journal stays cached
_STAGING_CACHE_KB = 8192
_WAL_PAGES = 10000


def new_job_id(clock: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock if clock is not None else time.time()))
    return f"{stamp}-{secrets.token_hex(3)}"


class Journal:
    """A job journal file. Use as a context manager or call ``close()``."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        if not create and not path.exists():
            raise JournalError(f"The upload job file {path.name} was not found.")
        self.path = path
        self._db = connect(path)  # a file that is not a journal at all fails below, on its first read
        try:
            write_ahead(self._db, path.parent)
            self._db.execute(f"PRAGMA cache_size=-{_CACHE_KB}")
            # Checkpoint the WAL every ~40 MB, not every 4 MB: each checkpoint syncs the whole file.
            self._db.execute(f"PRAGMA wal_autocheckpoint={_WAL_PAGES}")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"The upload job {path.stem} was written by a newer version of CAPI Desktop; update the app."
                )
            if 0 < version < SCHEMA_VERSION:
                with self._writing():
                    for step in range(version + 1, SCHEMA_VERSION + 1):
                        for statement in MIGRATIONS[step]:
                            if isinstance(statement, str):
                                self._db.execute(statement)
                            else:
                                statement(self._db)
            if version < SCHEMA_VERSION:  # a new journal, or an older one; a current one is opened unwritten
                with writing(path.parent):
                    self._db.executescript(SCHEMA + ROW_INDEXES)
                    self._add_columns()
                    self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                    self._db.commit()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            logger.warning("Job file %s cannot be opened: %s", path.name, exc)
            raise JournalError(
                f"The upload job file {path.name} is damaged (cut short or overwritten, perhaps by a crash or a full "
                "disk) and cannot be opened. Import the spreadsheet again to send it: rows this job sent are "
                "remembered and are not sent again."
            ) from exc
        except BaseException:
            self._db.close()
            raise

    @property
    def job_id(self) -> str:
        return self.path.stem

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _add_columns(self) -> None:
        """Columns later versions added to a table an older journal already has."""
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, definition in columns:
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    def _writing(self) -> AbstractContextManager[None]:
        return transaction(self._db, self.path.parent)

    # -- job settings -----------------------------------------------------------------------------

    def set_meta(self, values: Mapping[str, Any]) -> None:
        with self._writing():
            self._db.executemany(
                "INSERT OR REPLACE INTO job(key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM job")}

    # -- rows -------------------------------------------------------------------------------------

    def clear_rows(self) -> None:
        """Remove every row before staging, and the row indexes until ``index_rows``; till then the page
        cache is small (appending rows and building the index need little, and it is the importing
        process's memory)."""
        self._db.execute(f"PRAGMA cache_size=-{_STAGING_CACHE_KB}")
        with self._writing():
            self._db.execute("DELETE FROM rows")
            self._db.execute("DELETE FROM delivery")
            self._db.execute("DROP INDEX IF EXISTS rows_state")

    def index_rows(self) -> None:
        with writing(self.path.parent):
            self._db.executescript(ROW_INDEXES)
        self._db.execute(f"PRAGMA cache_size=-{_CACHE_KB}")

    def add_rows(self, rows: Iterable[JournalRow]) -> None:
        """Insert a chunk of rows in one transaction (the caller chunks; SQLite is fast in bulk)."""
        self.add_values((r.number, r.state.value, r.reason, r.event_id, r.rule_id, r.event_json) for r in rows)

    def add_values(self, values: Iterable[tuple[Any, ...]]) -> None:
        """``add_rows`` for rows given as (number, state value, reason, event id, rule id, event JSON)."""
        with self._writing():
            self._db.executemany(
                "INSERT INTO rows(number, state, reason, event_id, rule_id, event_json) VALUES (?,?,?,?,?,?)", values
            )

    def flag_duplicates(self, candidates: Iterable[int]) -> list[str]:
        """Mark every later row whose rule and event id repeat an earlier sendable row; returns the event
        JSON of the rows marked. ``candidates`` are the numbers of the rows that may repeat another's
        (staging knows them; any superset will do): only they are read."""
        with self._writing():
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS candidates (number INTEGER PRIMARY KEY, earlier INTEGER)")
            self._db.execute("DELETE FROM temp.candidates")
            self._db.executemany("INSERT OR IGNORE INTO temp.candidates(number) VALUES (?)", ((n,) for n in candidates))
            first: dict[tuple[int, str], int] = {}
            repeats = []
            for number, rule_id, event_id in self._db.execute(
                # CROSS JOIN keeps this order: SQLite would otherwise scan every row (the temp table has no
                # statistics) and read the whole journal.
                "SELECT r.number, r.rule_id, r.event_id "
                "FROM temp.candidates c CROSS JOIN rows r ON r.number = c.number "
                f"WHERE r.{SENDABLE} AND r.event_id IS NOT NULL ORDER BY c.number"
            ):
                earlier = first.setdefault((rule_id, event_id), number)
                if earlier != number:
                    repeats.append((earlier, number))
            if not repeats:
                return []
            self._db.executemany("UPDATE temp.candidates SET earlier = ? WHERE number = ?", repeats)
            cursor = self._db.execute(
                """
                UPDATE rows SET state = 'error',
                    reason = 'Duplicate of row '
                        || (SELECT c.earlier FROM temp.candidates c WHERE c.number = rows.number)
                        || ' (same event); it is sent only once.'
                WHERE number IN (SELECT number FROM temp.candidates WHERE earlier IS NOT NULL)
                RETURNING event_json
                """
            )
            return [event_json for (event_json,) in cursor]

    def counts(self) -> StateCounts:
        found = dict(self._db.execute("SELECT state, COUNT(*) FROM rows GROUP BY state").fetchall())
        return StateCounts(
            ok=found.get(RowState.OK.value, 0),
            warning=found.get(RowState.WARNING.value, 0),
            error=found.get(RowState.ERROR.value, 0),
        )

    def rows(
        self,
        states: Iterable[RowState] | None = None,
        *,
        start: int = 0,
        limit: int = -1,
        numbers: Sequence[int] | None = None,
    ) -> Iterator[JournalRow]:
        """Rows in source order, optionally only some states or some row numbers (at most a few thousand);
        ``start``/``limit`` page by position."""
        query = "SELECT number, state, reason, event_id, rule_id, event_json FROM rows"
        params: list[Any] = []
        where = []
        if states is not None:
            wanted = [s.value for s in states]
            where.append(f"state IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        if numbers is not None:
            where.append(f"number IN ({','.join('?' * len(numbers))})")
            params.extend(numbers)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY number LIMIT ? OFFSET ?"
        params.extend([limit, start])
        for number, state, reason, event_id, rule_id, event_json in self._db.execute(query, params):
            yield JournalRow(number, RowState(state), reason, event_id, rule_id, event_json)

    def count(self, states: Iterable[RowState] | None = None) -> int:
        if states is None:
            return int(self._db.execute("SELECT COUNT(*) FROM rows").fetchone()[0])
        wanted = [s.value for s in states]
        sql = f"SELECT COUNT(*) FROM rows WHERE state IN ({','.join('?' * len(wanted))})"
        return int(self._db.execute(sql, wanted).fetchone()[0])

    # -- delivery (the upload engine) ----------------------------------------------------------------

    def delivery_counts(self) -> DeliveryCounts:
        found: dict[str | None, int] = dict(
            self._db.execute(
                "SELECT d.status, COUNT(*) FROM rows r LEFT JOIN delivery d ON d.number = r.number "
                f"WHERE r.{SENDABLE} GROUP BY d.status"
            ).fetchall()
        )
        (resent,) = self._db.execute("SELECT COUNT(*) FROM delivery WHERE resent > 0").fetchone()
        return DeliveryCounts(
            sendable=sum(found.values()),
            accepted=found.get(Delivery.ACCEPTED.value, 0),
            rejected=found.get(Delivery.REJECTED.value, 0),
            skipped=found.get(Delivery.SKIPPED.value, 0),
            in_flight=found.get(Delivery.IN_FLIGHT.value, 0),
            resent=int(resent),
        )

    def delivery_of(self, number: int) -> tuple[Delivery | None, str | None]:
        row = self._db.execute("SELECT status, reason FROM delivery WHERE number = ?", (number,)).fetchone()
        return (Delivery(row[0]), row[1]) if row else (None, None)

    def accepted_keys(self) -> set[tuple[int, str]]:
        """(rule id, event id) of every accepted row."""
        return {(rule_id, event_id) for rule_id, event_id, _ in self._db.execute(ACCEPTED_EVENTS.format(db="main"))}

    def accepted_span(self) -> tuple[int, int] | None:
        """The earliest and latest conversion time (epoch ms) of the accepted rows, if any."""
        found = self._db.execute(
            "SELECT min(json_extract(r.event_json, '$.conversionHappenedAt')), "
            "max(json_extract(r.event_json, '$.conversionHappenedAt')) "
            "FROM delivery d JOIN rows r ON r.number = d.number WHERE d.status = 'accepted'"
        ).fetchone()
        return (int(found[0]), int(found[1])) if found and found[0] is not None else None

    def in_flight(self) -> dict[int, list[Outgoing]]:
        """Batches handed over before the app stopped without recording LinkedIn's answer."""
        batches: dict[int, list[Outgoing]] = {}
        for batch, *row in self._db.execute(
            "SELECT d.batch, r.number, r.rule_id, r.event_id, r.event_json FROM delivery d "
            "JOIN rows r ON r.number = d.number WHERE d.status = ? ORDER BY d.batch, r.number",
            (Delivery.IN_FLIGHT.value,),
        ):
            batches.setdefault(batch, []).append(Outgoing(*row))
        return batches

    def next_unsent(self, limit: int, after: int = 0) -> list[Outgoing]:
        """The next unsent sendable rows with a number above ``after`` (the caller's cursor keeps each
        call from re-reading the rows already delivered)."""
        return [
            Outgoing(*row)
            for row in self._db.execute(
                "SELECT number, rule_id, event_id, event_json FROM rows r "
                f"WHERE number > ? AND {SENDABLE} AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.number = r.number) "
                "ORDER BY number LIMIT ?",
                (after, limit),
            )
        ]

    def mark_in_flight(self, first: int, last: int) -> int:
        """Record that every unsent sendable row from ``first`` to ``last`` is being handed over, before
        it goes; returns the batch number."""
        with self._writing():
            batch = int(self._db.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM delivery").fetchone()[0])
            self._db.execute(
                "INSERT INTO delivery(number, status, batch) SELECT number, ?, ? FROM rows r "
                f"WHERE number BETWEEN ? AND ? AND {SENDABLE} "
                "AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.number = r.number)",
                (Delivery.IN_FLIGHT.value, batch, first, last),
            )
        return batch

    def mark_resent(self, batch: int) -> int:
        """The rows of ``batch`` still in flight go out again after their answer was lost; returns how many
        go out again for the first time."""
        with self._writing():
            again = self._db.execute(
                "UPDATE delivery SET resent = resent + 1 WHERE batch = ? AND status = ? RETURNING resent",
                (batch, Delivery.IN_FLIGHT.value),
            ).fetchall()
        return sum(1 for (times,) in again if times == 1)

    def accept_batch(self, batch: int, at_ms: int, rejected: Sequence[tuple[int, str]] = ()) -> None:
        """LinkedIn answered ``batch``: the ``rejected`` rows were refused and everything else still in
        flight in it was accepted (one transaction, set-based)."""
        with self._writing():
            self._decide(rejected, (), (), at_ms)
            self._db.execute(
                "UPDATE delivery SET status = ?, at = ? WHERE batch = ? AND status = ?",
                (Delivery.ACCEPTED.value, at_ms, batch, Delivery.IN_FLIGHT.value),
            )

    def mark_delivered(
        self,
        *,
        rejected: Sequence[tuple[int, str]] = (),
        skipped: Sequence[tuple[int, str]] = (),
        released: Sequence[int] = (),
        at_ms: int,
    ) -> None:
        """Record outcomes row by row (``released`` rows become unsent again), in a single transaction."""
        with self._writing():
            self._decide(rejected, skipped, released, at_ms)

    def _decide(
        self, rejected: Sequence[tuple[int, str]], skipped: Sequence[tuple[int, str]], released: Sequence[int], at: int
    ) -> None:
        decided = [(n, Delivery.REJECTED.value, reason, at) for n, reason in rejected]
        decided += [(n, Delivery.SKIPPED.value, reason, at) for n, reason in skipped]
        self._db.executemany(
            "INSERT INTO delivery(number, status, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT(number) "
            "DO UPDATE SET status = excluded.status, reason = excluded.reason, at = excluded.at",
            decided,
        )
        self._db.executemany("DELETE FROM delivery WHERE number = ?", ((n,) for n in released))

    def sendable_keys(self) -> dict[tuple[int, str], tuple[int, RowState]]:
        """(rule id, event id) of every row that would be sent, with its row number and state."""
        query = (
            f"SELECT rule_id, event_id, number, state FROM rows WHERE {SENDABLE} AND event_id IS NOT NULL "
            "ORDER BY number"
        )
        return {(rule, event): (number, RowState(state)) for rule, event, number, state in self._db.execute(query)}

    def rule_ids(self) -> list[int]:
        return [r for (r,) in self._db.execute(f"SELECT DISTINCT rule_id FROM rows WHERE {SENDABLE} ORDER BY rule_id")]

    def problem_rows(self) -> Iterator[tuple[int, RowState, Delivery | None, str]]:
        """Rows the user should look at, in row order: the file's errors and warnings and the rows LinkedIn
        rejected, each with its state, where it stands with LinkedIn, and why."""
        for number, state, status, reason in self._db.execute(
            "SELECT r.number, r.state, d.status, CASE WHEN d.status = 'rejected' THEN d.reason ELSE r.reason END "
            "FROM rows r LEFT JOIN delivery d ON d.number = r.number "
            "WHERE r.state IN ('error', 'warning') OR d.status = 'rejected' ORDER BY r.number"
        ):
            yield number, RowState(state), Delivery(status) if status else None, reason or ""


def staging_space(source_size: int, compressed: bool) -> int:
    """The least disk space staging a source file of ``source_size`` bytes needs: a journal row takes
    about 450 bytes (mostly the event JSON), which is 1.8 times a wide CRM export's line and 9 times a
    narrow one's; workbooks are compressed about three times more. Plus one WAL's worth before a checkpoint."""
    return source_size * (6 if compressed else 2) + _WAL_PAGES * 4096


def jobs_dir(data_dir: Path) -> Path:
    return data_dir / "jobs"


def journal_path(data_dir: Path, job_id: str) -> Path:
    return jobs_dir(data_dir) / f"{job_id}{SUFFIX}"
