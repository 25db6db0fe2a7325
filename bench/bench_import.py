"""Import benchmark: generate 1M-row CSV and XLSX files with messy values, stage each into a job
journal, and print seconds, rows/s and peak memory; an openpyxl read-only pipeline is the baseline.

Run with `make bench` (or `python bench/bench_import.py [--rows N]`). Not a timed test.
Each measurement runs in a fresh process so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
HEADER = [
    "Email",
    "First name",
    "Last name",
    "Company",
    "Title",
    "Country",
    "Close Date",
    "Amount",
    "Currency",
    "Stage",
]
COUNTRIES = ["Germany", "DE", "United Kingdom", "uk", "France", "US", "España", "Nederland"]
STAGES = ["Won", "Lead"]


def messy_rows(count: int, typed: bool) -> Iterator[list[object]]:
    rng = random.Random(42)
    now = datetime.now(UTC).replace(tzinfo=None)
    for i in range(count):
        when = now - timedelta(minutes=rng.randrange(60, 80 * 24 * 60))
        email = f" User{i}.Name@Example{i % 97}.com " if i % 10 else ("n/a" if i % 20 else "")
        amount: object = round(rng.uniform(-10, 5000), 2)
        if not typed:
            amount = f"{amount:,.2f}".replace(",", " ").replace(".", ",") if i % 3 == 0 else f"{amount}"
        yield [
            email,
            rng.choice(["Anna", "Bernd", "Chloé", "Dmitri", ""]),
            rng.choice(["Schmidt", "Meyer", "Dubois", "Ivanov"]),
            rng.choice(["Acme GmbH", "Contoso", "Fabrikam SA", ""]),
            rng.choice(["CTO", "Head of Sales", ""]),
            rng.choice(COUNTRIES),
            when if typed else when.strftime("%d/%m/%Y %H:%M"),
            amount,
            rng.choice(["EUR", "usd", "GBP"]),
            rng.choice(STAGES),
        ]


def generate(rows: int) -> tuple[Path, Path]:
    OUT.mkdir(exist_ok=True)
    csv_path, xlsx_path = OUT / f"messy-{rows}.csv", OUT / f"messy-{rows}.xlsx"
    if not csv_path.exists():
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(HEADER)
            writer.writerows(messy_rows(rows, typed=False))
    if not xlsx_path.exists():
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Deals")
        sheet.append(HEADER)
        for row in messy_rows(rows, typed=True):
            sheet.append(row)
        book.save(xlsx_path)
    return csv_path, xlsx_path


def measure_stage(path: str) -> dict[str, float]:
    from capi_desktop.collector import collector_paused
    from capi_desktop.core.journal import Journal
    from capi_desktop.core.mapping import ImportOptions, guess_mapping, parse_rule_map
    from capi_desktop.core.reading import open_table
    from capi_desktop.core.staging import stage

    start = time.perf_counter()
    table = open_table(Path(path))
    mapping = guess_mapping(table.columns, [r.values for r in table.sample(50)])
    journal_file = OUT / f"bench-{Path(path).suffix[1:]}.capijob"
    for stale in OUT.glob(journal_file.name + "*"):
        stale.unlink()
    # As the app's commands and window run it (see collector_paused).
    with Journal(journal_file, create=True) as journal, collector_paused():
        summary = stage(
            table,
            ImportOptions(rules=parse_rule_map("WON=1,LEAD=2"), mapping=mapping, timezone="Europe/Berlin"),
            journal,
            now_ms=int(time.time() * 1000),
        )
    seconds = time.perf_counter() - start
    del table  # as the app drops it after an import: what memory it still holds shows below
    return {
        "rss_after_mb": _status_kb(Path("/proc/self/status"), "VmRSS:") / 1024,
        "seconds": seconds,
        "rows": summary.rows,
        "ok": summary.ok + summary.warnings,
        "errors": summary.errors,
    }


def _status_kb(status: Path, key: str) -> int:
    try:
        lines = status.read_text().splitlines()
    except OSError:  # the helper has just ended
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith(key)), 0)


def measure_openpyxl(path: str, limit: int) -> dict[str, float]:
    """The baseline: openpyxl read-only, reading the same cells (no normalising)."""
    from openpyxl import load_workbook

    start = time.perf_counter()
    book = load_workbook(path, read_only=True)
    count = 0
    for _ in book.active.iter_rows(values_only=True):
        count += 1
        if count > limit:
            break
    return {"seconds": time.perf_counter() - start, "rows": count - 1}


def peak_rss_mb() -> float:
    return _status_kb(Path("/proc/self/status"), "VmHWM:") / 1024


def child(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, *rest = args.child
        result = measure_stage(path) if kind == "stage" else measure_openpyxl(path, int(rest[0]))
        print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))
        return

    print(f"Generating {args.rows:,}-row CSV and XLSX files (10 columns, messy values) in {OUT} …", flush=True)
    started = time.perf_counter()
    csv_path, xlsx_path = generate(args.rows)
    print(f"  ready in {time.perf_counter() - started:.0f} s (kept for the next run)")
    for label, path in (("CSV ", csv_path), ("XLSX", xlsx_path)):
        r = child(["stage", str(path)])
        print(
            f"{label} stage {r['rows']:>9,.0f} rows: {r['seconds']:6.1f} s, {r['rows'] / r['seconds']:>9,.0f} rows/s, "
            f"peak RSS {r['peak_rss_mb']:6.0f} MB ({r['rss_after_mb']:.0f} MB once staged)  "
            f"({r['ok']:,.0f} sendable, {r['errors']:,.0f} with errors)"
        )
    base = child(["openpyxl", str(xlsx_path), str(args.baseline_rows)])
    print(
        f"Baseline: openpyxl read-only reads {base['rows']:,.0f} rows of the same XLSX in {base['seconds']:.1f} s "
        f"({base['rows'] / base['seconds']:,.0f} rows/s, read only, no normalising; "
        f"{args.baseline_rows:,} rows to keep it short)"
    )


if __name__ == "__main__":
    main()
