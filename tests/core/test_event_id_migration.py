"""Journals and the sent-ledger from before event ids were derived from the event: rows LinkedIn
accepted then are still known as sent when the same file is imported again now."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from capi_desktop.core.journal import SCHEMA_VERSION, Delivery, Journal, RowState
from capi_desktop.core.journal.ledger import SentLedger
from capi_desktop.core.mapping import ImportOptions
from capi_desktop.core.reading import open_table
from capi_desktop.core.staging import stage

LEGACY = Path(__file__).parent / "fixtures" / "legacy"
GOLDEN = Path(__file__).parent / "golden"
SPEC = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))
ACCOUNT = 507404993
JOB = "20261119-100000-abc123"


def legacy_copy(folder: Path) -> tuple[Path, Path]:
    journal = folder / "jobs" / f"{JOB}.capijob"
    journal.parent.mkdir(parents=True)
    shutil.copy(LEGACY / f"{JOB}.capijob", journal)
    ledger = folder / "sent-ledger.sqlite"
    shutil.copy(LEGACY / "sent-ledger.sqlite", ledger)
    with closing(sqlite3.connect(ledger)) as db, db:
        db.execute("UPDATE jobs SET path = ?", (str(journal),))
    return journal, ledger


def legacy_rows(path: Path) -> dict[int, tuple[str | None, str | None]]:
    with closing(sqlite3.connect(path)) as db:
        return {n: (e, d) for n, e, d in db.execute("SELECT r.number, r.event_id, d.status FROM rows r "
                                                   "LEFT JOIN delivery d ON d.number = r.number")}  # fmt: skip


def staged_again(tmp: Path) -> Journal:
    case = SPEC["cases"]["constants"]
    journal = Journal(tmp / "again.capijob", create=True)
    stage(open_table(GOLDEN / case["file"]), ImportOptions.from_dict(case["options"]), journal, now_ms=SPEC["now_ms"])
    return journal


def test_rows_accepted_before_the_new_ids_are_still_already_sent(tmp_path: Path) -> None:
    journal_path, ledger_path = legacy_copy(tmp_path)
    before = legacy_rows(journal_path)
    accepted = {n for n, (_, status) in before.items() if status == "accepted"}
    assert len(accepted) == 143 and all(event_id.startswith("cd-") for event_id, _ in map(before.get, accepted))
    ledger = SentLedger(ledger_path)  # migrates: the accepted events under their new ids too
    with staged_again(tmp_path) as again:
        keys = again.sendable_keys()
        sent = ledger.sent_at(ACCOUNT, list(keys))
        already = {number for key, (number, _) in keys.items() if key in sent}
    ledger.close()
    assert already == accepted


def test_a_legacy_journal_gives_its_unsent_rows_their_new_ids_and_keeps_what_linkedin_knows(tmp_path: Path) -> None:
    journal_path, _ = legacy_copy(tmp_path)
    before = legacy_rows(journal_path)
    with staged_again(tmp_path) as again:
        now = {row.number: row for row in again.rows()}
    with Journal(journal_path) as journal:
        rows = {row.number: row for row in journal.rows()}
        delivery = {number: journal.delivery_of(number)[0] for number in rows}
    with closing(sqlite3.connect(journal_path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    handed = {Delivery.ACCEPTED, Delivery.IN_FLIGHT}
    kept = [n for n in rows if delivery[n] in handed]
    moved = [n for n in rows if delivery[n] not in handed and rows[n].state is not RowState.ERROR]
    assert len(kept) > 150 and len(moved) > 50
    assert all(rows[n].event_id == before[n][0] and f'"eventId":"{before[n][0]}"' in (rows[n].event_json or "")
               for n in kept)  # fmt: skip
    assert all(rows[n].event_id == now[n].event_id and rows[n].event_json == now[n].event_json for n in moved)
    errors = [n for n in rows if delivery[n] not in handed and rows[n].state is RowState.ERROR]
    assert errors and all(rows[n].event_id == now[n].event_id for n in errors)
