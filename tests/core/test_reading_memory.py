"""Streaming: a large CSV is read row by row, never held in memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from capi_desktop.core.reading import SourceRow, open_table

ROWS = 200_000


def test_csv_rows_stream_in_small_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("Email;First name;Last name;Company;Amount;Close Date\r\n")
        for i in range(ROWS):
            handle.write(f"user{i}@example.com;Zoë;Müller-{i};Company {i % 997};{i},50;2026-10-{i % 28 + 1:02d}\r\n")
    size_mb = path.stat().st_size / 1e6
    assert size_mb > 14  # big enough that holding it (as text or as row objects) would show

    tracemalloc.start()
    try:
        table = open_table(path)
        count, last = 0, None
        for row in table.rows():
            count += 1
            last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ";", 1)
    assert count == ROWS
    assert last == SourceRow(
        ROWS + 1, (f"user{ROWS - 1}@example.com", "Zoë", f"Müller-{ROWS - 1}", "Company 599", "199999,50", "2026-10-24")
    )
    # The whole file as Python row objects would take hundreds of MB; streaming stays at a few MB.
    assert peak < 20e6, f"peak {peak / 1e6:.1f} MB"
