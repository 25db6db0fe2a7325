"""Golden journals: each spreadsheet in ``golden/`` stages to exactly the journal rows and summary
checked in beside it, in whole batches and in batches of a few dozen rows.

The files hold every shape the normalisers know (messy text, typed workbook cells, day/month orders
told early, late and never, constants, ragged and quoted lines, Windows-1252). A change of behaviour
shows here as a diff of the expected files: write them again with ``GOLDEN_UPDATE=1`` and read it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from capi_desktop.core.events import derived_event_ids, id_content
from capi_desktop.core.journal import Journal
from capi_desktop.core.mapping import ImportOptions
from capi_desktop.core.reading import open_table
from capi_desktop.core.staging import cells, stage

GOLDEN = Path(__file__).parent / "golden"
SPEC = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))
CASES = SPEC["cases"]


def staged(name: str, tmp: Path) -> tuple[dict[str, Any], list[list[Any]]]:
    case = CASES[name]
    journal_path = tmp / f"{name}.capijob"
    with Journal(journal_path, create=True) as journal:
        summary = stage(
            open_table(GOLDEN / case["file"]), ImportOptions.from_dict(case["options"]), journal, now_ms=SPEC["now_ms"]
        )
    with closing(sqlite3.connect(journal_path)) as db:
        rows = [list(row) for row in db.execute("SELECT * FROM rows ORDER BY number")]
    return summary.to_dict(), rows


def expected(name: str) -> tuple[dict[str, Any], list[list[Any]]]:
    lines = (GOLDEN / "expected" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_file_stages_to_its_golden_journal(name: str, tmp_path: Path) -> None:
    summary, rows = staged(name, tmp_path)
    if os.environ.get("GOLDEN_UPDATE"):
        lines = [json.dumps(summary, ensure_ascii=False)] + [json.dumps(row, ensure_ascii=False) for row in rows]
        (GOLDEN / "expected" / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    golden_summary, golden_rows = expected(name)
    by_number = {row[0]: row for row in golden_rows}
    for row in rows:
        assert row == by_number.get(row[0]), f"row {row[0]} of {CASES[name]['file']}"
    assert len(rows) == len(golden_rows)
    assert summary == golden_summary


@pytest.mark.parametrize("name", ["messy", "late-order", "told-early", "typed", "text-and-typed-dates", "quoted"])
def test_small_batches_stage_the_same_journal(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cells, "BATCH_ROWS", 37)
    monkeypatch.setattr(cells, "PIECE_BYTES", 3000)
    assert staged(name, tmp_path) == expected(name)


@pytest.mark.parametrize("name", ["messy", "typed", "constants"])
def test_every_derived_event_id_is_what_its_event_says(name: str) -> None:
    """The id of a row without one of its own is the documented hash of its event's content."""
    _, rows = expected(name)
    derived = [row for row in rows if row[5] is not None and row[3].startswith("cd2-")]
    assert len(derived) > 100
    again = derived_event_ids(id_content([row[5] for row in derived])).to_list()
    assert again == [row[3] for row in derived]
    assert all(f'"eventId":"{row[3]}"' in row[5] for row in derived)


def test_the_golden_files_cover_every_outcome() -> None:
    summaries = [expected(name)[0] for name in CASES]
    assert all(sum(s[key] for s in summaries) for key in ("ok", "warnings", "errors", "duplicates"))
    assert any(s["date_order_needed"] for s in summaries) and any(s["unmapped_event_names"] for s in summaries)
    reasons = {row[2] for name in CASES for row in expected(name)[1] if row[2]}
    assert len(reasons) > 200
