"""Crafted workbooks that would make the native reader ask for gigabytes (and abort the process) are
answered in plain words, by a real `capi-desktop preview` process, within 60 s and 1.5 GB."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.reading_kit import write_ods_with_rows, write_raw_xlsx

from capi_desktop.cli import ExitCode

HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
STRAY = "has a stray cell at {}, far from the data"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def far(address: str, row: int, cell: str | None = None) -> str:
    return HEADER + f'<row r="{row}">' + (cell or f'<c r="{address}" t="inlineStr"><is><t>x</t></is></c>') + "</row>"


def shared_strings(body: str, unique: int) -> dict[str, bytes]:
    table = f'<sst xmlns="{NS}" count="{unique}" uniqueCount="{unique}">{body}</sst>'
    return {"xl/sharedStrings.xml": table.encode()}


CASES: dict[str, tuple[dict[str, object], str]] = {
    "XFD1048576 behind a small dimension": (
        {"sheet_data": far("XFD1048576", 1048576), "dimension": "A1:B2"},
        STRAY.format("XFD1048576"),
    ),
    "XFD100000": ({"sheet_data": far("XFD100000", 100000), "dimension": "A1:A1"}, STRAY.format("XFD100000")),
    "AAA500000": ({"sheet_data": far("AAA500000", 500000), "dimension": "A1:A1"}, STRAY.format("AAA500000")),
    "ZZ1000000": ({"sheet_data": far("ZZ1000000", 1000000), "dimension": "A1:A1"}, STRAY.format("ZZ1000000")),
    "single quotes": (
        {"sheet_data": far("", 1048576, "<c r='XFD1048576'><v>1</v></c>")},
        STRAY.format("XFD1048576"),
    ),
    "lower-case letters": (
        {"sheet_data": far("", 1048576, '<c r="xfd1048576"><v>1</v></c>')},
        STRAY.format("XFD1048576"),
    ),
    "the address after another attribute": (
        {"sheet_data": far("", 1048576, '<c s="0" t="n" r="XFD1048576"><v>1</v></c>')},
        STRAY.format("XFD1048576"),
    ),
    "a namespace prefix": (
        {"sheet_data": far("", 1048576, f'<x:c xmlns:x="{NS}" r="XFD1048576"><x:v>1</x:v></x:c>')},
        STRAY.format("XFD1048576"),
    ),
    "cells placed by their order, not an address": (
        {
            "sheet_data": HEADER
            + '<row r="2">'
            + "<c/>" * 16383
            + "<c><v>1</v></c></row>"
            + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
        },
        STRAY.format("XFD1048576"),
    ),
    "a shared-string table claiming 100 billion strings": (
        {"sheet_data": HEADER, "extra": shared_strings("<si><t>x</t></si>", 100_000_000_000)},
        "looks like an Excel workbook but is damaged",
    ),
    "one 20 MB shared string in 100,000 cells": (
        {
            "sheet_data": HEADER
            + "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(2, 100002)),
            "extra": shared_strings(f"<si><t>{'x' * 20_000_000}</t></si>", 1),
        },
        "too large to read at once (about 2,000.",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_crafted_workbook_is_refused_in_plain_words(name: str, tmp_path: Path) -> None:
    arguments, message = CASES[name]
    path = write_raw_xlsx(tmp_path / "crafted.xlsx", **arguments)  # type: ignore[arg-type]
    answer = preview(path)
    assert answer.returncode == ExitCode.BAD_INPUT, answer.stderr
    assert message in " ".join(answer.stderr.split())


def test_ods_repeated_rows_below_the_data(tmp_path: Path) -> None:
    # Half a million empty rows (one element) and a value 16,000 empty cells (one element) to the right.
    stray = (
        '<table:table-row table:number-rows-repeated="500000"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="16000"/>'
        '<table:table-cell office:value-type="float" office:value="1"/></table:table-row>'
    )
    path = write_ods_with_rows(tmp_path / "repeats.ods", stray)
    answer = preview(path)
    assert answer.returncode == ExitCode.BAD_INPUT, answer.stderr
    assert "has a stray cell at WQK50" in " ".join(answer.stderr.split())


def preview(path: Path) -> subprocess.CompletedProcess[str]:
    answer = subprocess.run(
        [sys.executable, "-m", "capi_desktop", "preview", str(path), "--rule", "1", "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Traceback" not in answer.stderr
    # The largest of the finished children so far: each of them stayed within the budget.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_500_000
    return answer
