"""A job journal's tables, and the steps that bring a journal of an older version up to this one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from capi_desktop.core.events import legacy_derived_sql, rederived

SCHEMA_VERSION = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS job (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    number INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    reason TEXT,
    event_id TEXT,
    rule_id INTEGER,
    event_json TEXT
);
-- Delivery state lives in its own narrow table: a batch's status changes then rewrite a few pages,
-- not the pages holding the event JSON (which made each batch write megabytes).
CREATE TABLE IF NOT EXISTS delivery (
    number INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    batch INTEGER,
    reason TEXT,
    at INTEGER,
    resent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS delivery_batch ON delivery(batch);
"""

# Dropped while rows are staged and built afterwards (``Journal.index_rows``): one sort instead of a million
# random index inserts.
ROW_INDEXES = """
CREATE INDEX IF NOT EXISTS rows_state ON rows(state);
"""


def _rederive(db: sqlite3.Connection) -> None:
    """Give the rows LinkedIn has not been sent the event id this version derives for them; a refused
    row's or an error row's legacy id goes too (an error row has no derived id now)."""
    untouched = "SELECT number FROM delivery WHERE status IN ('accepted', 'skipped', 'in_flight')"
    legacy = f"{legacy_derived_sql('event_id')} AND number NOT IN ({untouched})"
    db.execute(f"UPDATE rows SET event_id = NULL WHERE {legacy} AND event_json IS NULL")
    rows = db.execute(f"SELECT number, rule_id, event_id, event_json FROM rows WHERE {legacy}").fetchall()
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        ids = rederived([(rule_id, event_id, event_json) for _, rule_id, event_id, event_json in chunk])
        db.executemany(
            "UPDATE rows SET event_id = ?, event_json = replace(event_json, ?, ?) WHERE number = ?",
            [
                (new, f'"eventId":"{old}"', f'"eventId":"{new}"', number)
                for (number, _, old, _), (_, new) in zip(chunk, ids, strict=True)
            ],
        )


# Each step brings a journal from the previous version to the next (statements run before SCHEMA,
# which creates any table a version added).
# Version 3: duplicates are found from the rows staging names (``flag_duplicates``), not an index
# whose build read the whole table again. Version 4: ``delivery.resent`` (added after the schema runs,
# in ``Journal._add_columns``).
# Version 5: event ids derived from what the event sends (``events.derived_event_ids``), not from the
# cells as written; rows not yet handed to LinkedIn take their new id (``_rederive``), rows it has (or
# may have) keep the one it knows them by.
MIGRATIONS: dict[int, tuple[str | Callable[[sqlite3.Connection], None], ...]] = {
    2: (),
    3: ("DROP INDEX IF EXISTS rows_event",),
    4: (),
    5: (_rederive,),
}
ADDED_COLUMNS = {"delivery": (("resent", "INTEGER NOT NULL DEFAULT 0"),)}
SENDABLE = "state != 'error'"
# (rule id, event id, accepted at) of every accepted row; ``db`` names the attached journal.
ACCEPTED_EVENTS = (
    "SELECT r.rule_id, r.event_id, d.at FROM {db}.delivery d JOIN {db}.rows r ON r.number = d.number "
    "WHERE d.status = 'accepted'"
)
