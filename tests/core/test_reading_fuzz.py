"""Damaged, truncated, random and disguised files: each ends in a SpreadsheetError or a valid table, quickly."""

from __future__ import annotations

import io
import os
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fixtures.reading_kit import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capi_desktop.core.reading import SpreadsheetError, Table, detect_kind, list_sheets, open_table

# Generous for a slow CI machine; a healthy small file takes milliseconds, a hang takes forever.
SECONDS_PER_FILE = 5.0
EXTENSIONS = [".xlsx", ".xls", ".ods", ".csv", ".txt", ".xlsm"]


def read_fully(path: Path) -> Table | SpreadsheetError:
    """Everything the app does with a file; only a SpreadsheetError may escape, with a real sentence."""
    started = time.monotonic()
    try:
        detect_kind(path)
        list_sheets(path)
        table = open_table(path)
        table.sample()
        for row in table.rows():
            assert len(row.values) == len(table.columns)
        outcome: Table | SpreadsheetError = table
    except SpreadsheetError as exc:
        message = str(exc)
        assert message.endswith(".") and path.name in message and "Traceback" not in message, message
        outcome = exc
    assert time.monotonic() - started < SECONDS_PER_FILE, path
    return outcome


def valid_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Report"])
    sheet.append(["Email", "Amount", "Date"])
    for i in range(40):
        sheet.append([f"user{i}@example.com", i * 1.5, f"2026-10-{i % 28 + 1:02d}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


VALID_CSV = (
    "Email;Name;Amount\r\n" + "".join(f"u{i}@example.com;Zoë {i};1.234,{i:02d}\r\n" for i in range(60))
).encode("utf-8")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("deals.xlsx", valid_xlsx()),
        ("deals.csv", VALID_CSV),
        ("deals.ods", (FIXTURES / "deals.ods").read_bytes()),
        ("deals.xls", (FIXTURES / "deals.xls").read_bytes()),
        ("utf16.txt", b"\xff\xfe" + VALID_CSV.decode().replace(";", "\t").encode("utf-16-le")),
    ],
)
def test_every_truncation(tmp_path: Path, name: str, data: bytes) -> None:
    assert isinstance(read_fully(_write(tmp_path / name, data)), Table)
    step = max(1, len(data) // 60)
    outcomes = {"table": 0, "error": 0}
    for cut in range(0, len(data), step):
        outcome = read_fully(_write(tmp_path / name, data[:cut]))
        outcomes["table" if isinstance(outcome, Table) else "error"] += 1
    assert outcomes["error"] > 0  # truncation is noticed at least where the format allows it


def test_empty_files(tmp_path: Path) -> None:
    for extension in EXTENSIONS:
        path = _write(tmp_path / f"empty{extension}", b"")
        outcome = read_fully(path)
        assert isinstance(outcome, SpreadsheetError) and str(outcome) == f"“empty{extension}” is empty."


def test_blank_text_file(tmp_path: Path) -> None:
    outcome = read_fully(_write(tmp_path / "blank.csv", b"\r\n ,, \r\n\r\n"))
    assert str(outcome) == "“blank.csv” has no data: every row is empty."


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.xlsx", docx_bytes(), "“report.xlsx” is a Word document, not a spreadsheet; save it as .xlsx or .csv."),
        ("report.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "“report.xlsx” is a PDF document, not a spreadsheet"),
        (
            "report.xlsx",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "“report.xlsx” is a picture (PNG), not a spreadsheet, whatever its name says. Choose the spreadsheet "
            "itself: from your CRM or Excel, save the data as .xlsx or .csv.",
        ),
        ("sheet.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "“sheet.csv” is a picture (JPEG), not a spreadsheet"),
        ("data.csv", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", "“data.csv” is a compressed archive (gzip)"),
        ("report.csv", b"\x00\x01\x02\x03\x04binary", "“report.csv” is not a spreadsheet CAPI Desktop"),
        ("report.xlsx", plain_zip_bytes(), "“report.xlsx” is a zip archive, not a spreadsheet"),
        ("report.xls", b"<html><body><table><tr><td>Email</td></tr></table>", "“report.xls” is a web page (HTML)"),
        (
            "report.xls",
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "“report.xls” is an old “XML Spreadsheet 2003” file.",
        ),
        ("report.xlsx", b"PK\x03\x04" + b"\x00" * 60, "“report.xlsx” looks like a spreadsheet but is damaged"),
        (
            "report.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "“report.xls” looks like an Excel 97–2003 workbook but is damaged",
        ),
    ],
)
def test_disguised_and_foreign_files(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    outcome = read_fully(_write(tmp_path / name, data))
    assert isinstance(outcome, SpreadsheetError) and str(outcome).startswith(message)


def test_wrong_extension_is_read_by_content(tmp_path: Path) -> None:
    as_csv = read_fully(_write(tmp_path / "actually-xlsx.csv", valid_xlsx()))
    assert isinstance(as_csv, Table) and as_csv.columns == ("Email", "Amount", "Date")
    as_xlsx = read_fully(_write(tmp_path / "actually-csv.xlsx", VALID_CSV))
    assert isinstance(as_xlsx, Table) and as_xlsx.delimiter == ";"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=1, max_size=4096), extension=st.sampled_from(EXTENSIONS))
def test_random_bytes(data: bytes, extension: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        read_fully(_write(Path(folder) / f"random{extension}", data))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    magic=st.sampled_from([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xff\xfe", b"\xef\xbb\xbf"]),
    rest=st.binary(max_size=2048),
)
def test_random_bytes_behind_real_magic_numbers(magic: bytes, rest: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        read_fully(_write(Path(folder) / "random.xlsx", magic + rest))


_XLSX = valid_xlsx()
_XLS = (FIXTURES / "deals.xls").read_bytes()
_ODS = (FIXTURES / "deals.ods").read_bytes()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from([("f.xlsx", _XLSX), ("f.xls", _XLS), ("f.ods", _ODS)]),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=8),
)
def test_corrupted_bytes_in_workbooks(source: tuple[str, bytes], flips: list[tuple[float, int]]) -> None:
    name, original = source
    data = bytearray(original)
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    with tempfile.TemporaryDirectory() as folder:
        read_fully(_write(Path(folder) / name, bytes(data)))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_or_a_device_is_refused_at_once(tmp_path: Path) -> None:
    """Found by the generated corpus: opening a named pipe waited for a writer forever."""
    pipe = tmp_path / "leads.csv"
    os.mkfifo(pipe)
    for path in (pipe, Path("/dev/urandom")):
        outcome = read_fully(path)
        assert isinstance(outcome, SpreadsheetError) and "is not a saved file (it is a device or a pipe)" in str(
            outcome
        )
