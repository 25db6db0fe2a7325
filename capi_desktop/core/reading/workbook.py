"""Workbooks (XLSX/XLSM, XLS, ODS) through python-calamine, with the work bounded before calamine starts.

calamine loads a whole sheet into memory as a dense grid (about 32 bytes a cell, measured: 1M rows × 26
columns ≈ 800 MB), so rows cannot be streamed from the file; what this module guarantees instead is that
the grid is only alive while rows are being read, and that a sheet whose grid would not fit is refused.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import python_calamine

from capi_desktop.core.reading.extent import (
    READ_BUDGET,
    ClaimedStrings,
    SheetSize,
    column_letter,
    measure_sheet,
    shared_strings,
    sheet_parts,
)
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
# Integers stay exact in a double up to 2**53; xlsx stores every number as a double.
EXACT_INT = 2**53


_KIND_NAMES = {
    FileKind.XLSX: "an Excel workbook",
    FileKind.XLS: "an Excel 97–2003 workbook",
    FileKind.ODS: "an OpenDocument spreadsheet",
}


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
        if kind is FileKind.XLSX:
            check_shared_strings(path)
        else:
            check_ods_extent(path)
    else:
        check_xls_dimensions(path)  # calamine reads every sheet of an .xls as it opens it
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except BaseException as exc:
        if not (isinstance(exc, Exception) or _is_panic(exc)):
            raise
        raise _translate(path, kind, exc) from exc


def check_shared_strings(path: Path) -> None:
    """calamine reads the shared-string table as it opens a workbook, reserving room for as many strings as
    the table claims: a false claim is refused first."""
    try:
        with zipfile.ZipFile(path) as archive:
            shared_strings(archive)
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except ClaimedStrings as exc:
        logger.warning("refusing %s: %s", path.name, exc)
        raise damaged(path, _KIND_NAMES[FileKind.XLSX]) from exc
    except ZIP_ERRORS as exc:
        raise damaged(path, _KIND_NAMES[FileKind.XLSX]) from exc


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
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_INT:
        return int(value)
    if isinstance(value, timedelta):
        # A duration cell (Excel "[h]:mm:ss"); Cell has no duration type, so keep what the user sees.
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    result: Cell = value
    return result


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_tables(handle: Any) -> dict[str, SheetSize]:
    """Every table's size from its non-empty cells, counting ODS's repeated rows and cells.

    LibreOffice compresses runs of identical cells into one element with a repeat count, so a few bytes can
    stand for billions of cells; calamine expands them as it opens the file (every sheet at once), so they
    are counted here first, streaming.
    """
    sizes: dict[str, SheetSize] = {}
    rows = columns = extent_rows = cells = 0
    row_repeat, column, row_has_data, name = 1, 0, False, ""
    for event, element in ElementTree.iterparse(handle, events=("start", "end")):
        tag = element.tag
        if tag == f"{_ODS_TABLE}table":
            if event == "start":
                name, rows, columns, extent_rows, cells = element.get(f"{_ODS_TABLE}name", ""), 0, 0, 0, 0
            else:
                farthest = f"{column_letter(max(columns, 1) - 1)}{extent_rows}"
                sizes[name] = SheetSize(extent_rows, columns, cells, 0, farthest)
                element.clear()
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
                cells += repeat * row_repeat
                row_has_data = True
            column += repeat
            element.clear()
    return sizes


def check_extent(path: Path, kind: FileKind, sheet: str) -> None:
    """Refuse an XLSX sheet whose cells reach beyond Excel's limits or whose grid would not fit in memory.

    An .xls cannot exceed 65,536 × 256 cells, well within the budget (``open_workbook`` checks its records),
    and an .ods is checked whole as it is opened, since calamine reads every sheet then.
    """
    if kind is not FileKind.XLSX:
        return
    try:
        with zipfile.ZipFile(path) as archive:
            size = measure_sheet(archive, sheet_parts(archive, sheet), shared_strings(archive))
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except (*ZIP_ERRORS, ElementTree.ParseError, ClaimedStrings) as exc:
        raise damaged(path, _KIND_NAMES[kind]) from exc
    _refuse_beyond_budget(path, sheet, size, size.memory)


def check_ods_extent(path: Path) -> None:
    """Refuse an .ods whose sheets together would not fit in memory, naming the largest."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as handle:
            sizes = _ods_tables(handle)
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except (*ZIP_ERRORS, ElementTree.ParseError, ValueError) as exc:
        raise damaged(path, _KIND_NAMES[FileKind.ODS]) from exc
    if sizes:
        largest = max(sizes, key=lambda name: sizes[name].memory)
        _refuse_beyond_budget(path, largest, sizes[largest], sum(size.memory for size in sizes.values()))


def _refuse_beyond_budget(path: Path, sheet: str, size: SheetSize, memory: int) -> None:
    where = f"Sheet “{sheet}” of “{path.name}”"
    if size.rows > EXCEL_MAX_ROWS or size.columns > EXCEL_MAX_COLUMNS:
        raise SpreadsheetError(
            f"{where} has a cell at {size.farthest}, beyond Excel's own limits ({EXCEL_MAX_ROWS:,} rows × "
            f"{EXCEL_MAX_COLUMNS:,} columns), so the file is damaged or was not made by a spreadsheet program. "
            f"Open it in Excel and {SAVE_AS}."
        )
    if memory <= READ_BUDGET:
        return
    need = f"about {memory / 1e9:,.1f} GB of memory"
    if size.is_sparse:
        raise SpreadsheetError(
            f"{where} has a stray cell at {size.farthest}, far from the data, so reading it would need {need}. "
            "Delete the empty rows and columns after your data (Ctrl+End in Excel shows the last cell it counts), "
            "save, and try again."
        )
    raise SpreadsheetError(
        f"{where} has {size.rows:,} rows × {size.columns:,} columns, too large to read at once ({need}). "
        "Save it as CSV (CSV files are read a piece at a time, whatever their size) and try again."
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
