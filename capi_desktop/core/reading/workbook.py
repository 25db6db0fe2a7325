"""Workbooks (XLSX/XLSM, XLS, ODS) through python-calamine, with the work bounded before calamine starts.

calamine loads a whole sheet into memory as a dense grid (about 32 bytes a cell, measured: 1M rows × 26
columns ≈ 800 MB), so rows cannot be streamed from the file; what this module guarantees instead is that
the grid is only alive while rows are being read, and that a sheet whose grid would not fit is refused.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import python_calamine

from capi_desktop.core.reading.formats import (
    SAVE_AS,
    ZIP_ERRORS,
    check_xls_dimensions,
    check_zip_members,
    damaged,
    encrypted,
)
from capi_desktop.core.reading.model import Cell, FileKind, SpreadsheetError, describe_os_error

logger = logging.getLogger(__name__)

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# The largest grid we let calamine build: 60 million cells is about 2 GB, already more than a
# 1M-row × 50-column export needs, and a stray value in XFD1048576 (17 billion cells) is refused.
MAX_CELLS = 60_000_000
# Integers stay exact in a double up to 2**53; xlsx stores every number as a double.
_EXACT_INT = 2**53

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?\"")
# Cell addresses past column Z or row 999,999, and a row's number: cheap to search for because they are
# rare or anchored, unlike matching every one of a million cell addresses. The search fails at the second
# character of a common address; only what it finds is read as an address.
_FAR_CELL = re.compile(rb' r="[A-Z](?:[A-Z]|\d{7})')
_ADDRESS = re.compile(rb' r="([A-Z]{1,4})(\d{0,12})"')
_ROW_NUMBER = re.compile(rb'<row [^>]*?\br="(\d{1,12})"')
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKBOOK_XML_LIMIT = 16 << 20

_KIND_NAMES = {
    FileKind.XLSX: "an Excel workbook",
    FileKind.XLS: "an Excel 97–2003 workbook",
    FileKind.ODS: "an OpenDocument spreadsheet",
}


def column_letter(index: int) -> str:
    """Spreadsheet letters for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + letter - 64
    return index


def _is_panic(exc: BaseException) -> bool:
    # A Rust panic inside calamine surfaces as pyo3's PanicException, which derives from BaseException.
    return type(exc).__name__ == "PanicException"


def _translate(path: Path, kind: FileKind, exc: BaseException) -> SpreadsheetError:
    if isinstance(exc, OSError):
        return describe_os_error(path, exc)
    if isinstance(exc, python_calamine.PasswordError):
        return encrypted(path)
    logger.info("calamine could not read %s: %s: %s", path.name, type(exc).__name__, exc)
    return damaged(path, _KIND_NAMES[kind])


def open_workbook(path: Path, kind: FileKind) -> python_calamine.CalamineWorkbook:
    if kind in (FileKind.XLSX, FileKind.ODS):
        check_zip_members(path)
    else:
        check_xls_dimensions(path)  # calamine reads every sheet of an .xls as it opens it
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except BaseException as exc:
        if not (isinstance(exc, Exception) or _is_panic(exc)):
            raise
        raise _translate(path, kind, exc) from exc


def visible_sheets(workbook: python_calamine.CalamineWorkbook) -> list[str]:
    """Worksheets the user can see, in workbook order.

    Hidden sheets usually hold lookup lists or pivot sources, not the export; they are left out of the
    picker and of the automatic choice, but can still be opened by name.
    """
    return [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.visible == python_calamine.SheetVisibleEnum.Visible
        and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]


def list_workbook_sheets(path: Path, kind: FileKind) -> list[str]:
    workbook = open_workbook(path, kind)
    try:
        return visible_sheets(workbook)
    finally:
        workbook.close()


def to_cell(value: Any) -> Cell:
    """calamine's value as a ``Cell``: empty → None, whole-number doubles → int, durations → "h:mm:ss"."""
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_INT:
        return int(value)
    if isinstance(value, timedelta):
        # A duration cell (Excel "[h]:mm:ss"); Cell has no duration type, so keep what the user sees.
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    result: Cell = value
    return result


def _xlsx_sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding ``sheet``'s cells, from the workbook's relationships."""
    infos = {info.filename: info for info in archive.infolist()}
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if name not in infos or infos[name].file_size > _WORKBOOK_XML_LIMIT:
            return None
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    rel_id = next(
        (node.get(f"{_NS_REL}id") for node in workbook.iter(f"{_NS_MAIN}sheet") if node.get("name") == sheet), None
    )
    target = next(
        (node.get("Target") for node in relations.iter(f"{_NS_PKG_REL}Relationship") if node.get("Id") == rel_id),
        None,
    )
    if not target:
        return None
    part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return part if part in infos else None


def _grid_extent(handle: Any) -> tuple[int, int]:
    """(rows, columns) the sheet's cells span, from its <dimension> or, if absent, by scanning the cells.

    Streaming writers (openpyxl's write-only mode among them) leave <dimension> out, so the scan has to be
    cheap: it only looks for what could make the grid too large, which is rare in a real file.
    """
    head = handle.read(64 * 1024)
    found = _DIMENSION.search(head)
    if found and found.group(4):
        return int(found.group(4)), _column_index(found.group(3))
    if found and found.group(2):
        return int(found.group(2)), _column_index(found.group(1))
    wide_columns, long_rows, row_numbers = 0, 0, 0
    has_cells = False
    tail, chunk = b"", head
    while chunk:
        data = tail + chunk
        # Cut before the last tag so no address is split; a tag longer than 4 kB is not a cell.
        cut = max(data.rfind(b"<"), len(data) - 4096)
        body, tail = data[:cut], data[cut:]
        has_cells = has_cells or b"<c" in body
        for far in _FAR_CELL.finditer(body):
            address = _ADDRESS.match(body, far.start())
            if address:
                wide_columns = max(wide_columns, _column_index(address.group(1)))
                long_rows = max(long_rows, int(address.group(2) or 0))
        row_numbers = max(row_numbers, _last_row_number(body))
        chunk = handle.read(1 << 20)
    columns = max(wide_columns, 26 if has_cells else 0)
    return max(long_rows, row_numbers), columns


def _last_row_number(body: bytes) -> int:
    """The number of the last <row> in ``body``: rows are written in order, so it is the largest."""
    position = body.rfind(b"<row ")
    while position >= 0:
        found = _ROW_NUMBER.match(body, position)
        if found:
            return int(found.group(1))
        position = body.rfind(b"<row ", 0, position)
    return 0


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_extent(handle: Any, sheet: str) -> tuple[int, int]:
    """(rows, columns) spanned by ``sheet``'s non-empty cells, counting ODS's repeated rows and cells.

    LibreOffice compresses runs of identical cells into one element with a repeat count, so a few bytes can
    stand for billions of cells; calamine expands them, so they are counted here first, streaming.
    """
    rows = columns = extent_rows = 0
    row_repeat, column, row_has_data, in_sheet = 1, 0, False, False
    for event, element in ElementTree.iterparse(handle, events=("start", "end")):
        tag = element.tag
        if tag == f"{_ODS_TABLE}table":
            if event == "start":
                in_sheet = element.get(f"{_ODS_TABLE}name") == sheet
            elif in_sheet:
                return extent_rows, columns
            else:
                element.clear()
        elif not in_sheet:
            continue
        elif tag == f"{_ODS_TABLE}table-row":
            if event == "start":
                row_repeat = int(element.get(f"{_ODS_TABLE}number-rows-repeated", "1"))
                column, row_has_data = 0, False
            else:
                rows += row_repeat
                if row_has_data:
                    extent_rows = rows
                element.clear()
        elif tag in (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell") and event == "end":
            repeat = int(element.get(f"{_ODS_TABLE}number-columns-repeated", "1"))
            if element.get(f"{_ODS_OFFICE}value-type") or len(element):
                columns = max(columns, column + repeat)
                row_has_data = True
            column += repeat
            element.clear()
    return extent_rows, columns


def check_extent(path: Path, kind: FileKind, sheet: str) -> None:
    """Refuse a sheet whose cells reach beyond Excel's limits or would make too large a grid for calamine.

    An .xls cannot exceed 65,536 × 256 cells, well within the budget (``open_workbook`` checks its records).
    """
    if kind is FileKind.XLS:
        return
    try:
        with zipfile.ZipFile(path) as archive:
            if kind is FileKind.XLSX:
                part = _xlsx_sheet_part(archive, sheet)
                if part is None:
                    return  # calamine will report what is wrong with the workbook's structure
                with archive.open(part) as handle:
                    rows, columns = _grid_extent(handle)
            else:
                with archive.open("content.xml") as handle:
                    rows, columns = _ods_extent(handle, sheet)
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except (*ZIP_ERRORS, ElementTree.ParseError) as exc:
        raise damaged(path, _KIND_NAMES[kind]) from exc
    if rows > EXCEL_MAX_ROWS or columns > EXCEL_MAX_COLUMNS:
        raise SpreadsheetError(
            f"Sheet “{sheet}” of “{path.name}” claims cells beyond Excel's own limits "
            f"({EXCEL_MAX_ROWS:,} rows × {EXCEL_MAX_COLUMNS:,} columns), so the file is damaged or was not made "
            f"by a spreadsheet program. Open it in Excel and {SAVE_AS}."
        )
    if rows * columns > MAX_CELLS:
        raise SpreadsheetError(
            f"Sheet “{sheet}” of “{path.name}” uses cells up to {column_letter(columns - 1)}{rows:,}, which is "
            f"{rows * columns:,} cells: too large to read at once. Delete stray cells far right or far below "
            "the data (Ctrl+End in Excel shows the last one), or copy the data to a new sheet, and try again."
        )


def load_sheet(path: Path, kind: FileKind, sheet: str) -> python_calamine.CalamineSheet:
    """Load one sheet's grid; the caller must drop it as soon as its rows have been read."""
    check_extent(path, kind, sheet)
    workbook = open_workbook(path, kind)
    try:
        if sheet not in workbook.sheet_names:
            shown = visible_sheets(workbook)
            listing = ", ".join(f"“{name}”" for name in shown) or "none"
            raise SpreadsheetError(f"“{path.name}” has no sheet called “{sheet}”. Its sheets are: {listing}.")
        return workbook.get_sheet_by_name(sheet)
    except SpreadsheetError:
        raise
    except BaseException as exc:
        if not (isinstance(exc, Exception) or _is_panic(exc)):
            raise
        raise _translate(path, kind, exc) from exc
    finally:
        workbook.close()  # the sheet's grid is its own copy; the file handle can go now


@dataclass
class _Handoff:
    """The grid loaded while opening, lent once to the first ``rows()`` call so the sheet is not read twice."""

    sheet: python_calamine.CalamineSheet | None = None


@dataclass(frozen=True)
class WorkbookSource:
    path: Path
    kind: FileKind
    sheet: str
    handoff: _Handoff = field(default_factory=_Handoff, repr=False, compare=False)

    def iter_raw(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        return self._read(take=True)

    def peek_raw(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        return self._read(take=False)

    def iter_grid(self) -> Iterator[list[Any]]:
        """The grid's rows from row 1 as calamine gives them ("" for an empty cell, nothing converted),
        for column staging, which converts whole columns at once; read them within ``reading()``."""
        return self._grid_rows(take=True)

    def reading(self) -> AbstractContextManager[None]:
        return translated_errors(self.path, self.kind)

    def _read(self, take: bool) -> Iterator[tuple[int, Sequence[Cell]]]:
        yield from number_rows(self._grid_rows(take), self.path, self.kind)

    def _grid_rows(self, take: bool) -> Iterator[list[Any]]:
        grid = self.handoff.sheet
        if take:
            self.handoff.sheet = None
        if grid is None:
            grid = load_sheet(self.path, self.kind, self.sheet)
        rows = grid.iter_rows()
        del grid  # from here the iterator alone keeps the grid alive, and it dies with the caller's generator
        return rows

    def lend(self, grid: python_calamine.CalamineSheet) -> None:
        self.handoff.sheet = grid

    def release(self) -> None:
        self.handoff.sheet = None


def number_rows(rows: Iterator[list[Any]], path: Path, kind: FileKind) -> Iterator[tuple[int, Sequence[Cell]]]:
    """Number the grid's rows and convert their cells."""
    # python-calamine pads the rows above the first used one, so the position is the sheet's row number.
    with translated_errors(path, kind):
        for number, row in enumerate(rows, start=1):
            if row.count("") == len(row):
                yield number, ()  # an empty row, recognised at C speed: sparse grids are mostly these
            else:
                yield number, [to_cell(value) for value in row]


@contextmanager
def translated_errors(path: Path, kind: FileKind) -> Iterator[None]:
    """calamine converts the grid's rows lazily, so reading them can still fail: said in plain words."""
    try:
        yield
    except BaseException as exc:
        if not (isinstance(exc, Exception) or _is_panic(exc)):
            raise
        raise _translate(path, kind, exc) from exc
