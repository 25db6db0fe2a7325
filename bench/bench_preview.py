"""Whole-process preview benchmark: ``capi-desktop preview`` of a 100,000-row XLSX and a 200,000-row,
10-column CSV, each against a baseline run in turn with it (A B A B …), so the ratio holds when the
machine's speed drifts:

- the XLSX against openpyxl read-only merely reading the same file;
- the CSV against the least a Python program must do: the stdlib ``csv`` module reading it, and the
  email column trimmed, lowercased and SHA-256 hashed.

Run with `make bench` (or `python bench/bench_preview.py [--runs N]`). Prints medians and the median of
the pair-by-pair ratios. Not a timed test.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import HEADER, OUT, messy_rows  # noqa: E402

OPENPYXL_READ = """
import sys
from openpyxl import load_workbook
sheet = load_workbook(sys.argv[1], read_only=True).active
print(sum(1 for _ in sheet.iter_rows(values_only=True)))
"""
STDLIB_HASH = """
import csv, hashlib, sys
with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    rows = csv.reader(handle, delimiter=";")
    next(rows)
    print(sum(1 for row in rows if hashlib.sha256(row[0].strip().lower().encode()).hexdigest()))
"""


def files() -> tuple[Path, Path]:
    OUT.mkdir(exist_ok=True)
    xlsx, text = OUT / "preview-100000.xlsx", OUT / "preview-200000.csv"
    if not xlsx.exists():
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Deals")
        sheet.append(HEADER)
        for row in messy_rows(100_000, typed=True):
            sheet.append(row)
        book.save(xlsx)
    if not text.exists():
        with text.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(HEADER)
            writer.writerows(messy_rows(200_000, typed=False))
    return xlsx, text


def seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def compare(label: str, ours: list[str], baseline: list[str], runs: int, env: dict[str, str]) -> None:
    seconds(ours, env), seconds(baseline, env)  # warm the file cache and the interpreter's
    pairs = [(seconds(ours, env), seconds(baseline, env)) for _ in range(runs)]
    a = statistics.median(p[0] for p in pairs)
    b = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[0] / p[1] for p in pairs)
    print(f"{label}: preview {a:.2f} s, baseline {b:.2f} s; preview/baseline {ratio:.2f} ({runs} pairs)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    xlsx, text = files()
    env = {**os.environ, "CAPI_DESKTOP_HOME": tempfile.mkdtemp(prefix="capi-bench-")}
    preview = [sys.executable, "-m", "capi_desktop", "preview", "--rule-map", "WON=1,LEAD=2", "--json"]
    compare(
        "XLSX 100,000 rows vs openpyxl read-only reading it",
        [*preview, str(xlsx)],
        [sys.executable, "-c", OPENPYXL_READ, str(xlsx)],
        args.runs,
        env,
    )
    compare(
        "CSV 200,000 rows vs stdlib csv reading it and hashing the emails",
        [*preview, str(text)],
        [sys.executable, "-c", STDLIB_HASH, str(text)],
        args.runs,
        env,
    )


if __name__ == "__main__":
    main()
