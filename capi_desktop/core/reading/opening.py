"""Opening a file as a table: pick the reader, the sheet and the header, and read a preview."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from python_calamine import CalamineSheet

from capi_desktop.core.reading.extent import column_letter
from capi_desktop.core.reading.formats import detect_kind, fingerprint, guarded
from capi_desktop.core.reading.header import HEADER_SCAN_ROWS, detect_header_row, make_columns
from capi_desktop.core.reading.model import (
    Cell,
    FileKind,
    FileStamp,
    RawSource,
    SpreadsheetError,
    Table,
    is_blank_row,
    shape_row,
)
from capi_desktop.core.reading.text import open_text
from capi_desktop.core.reading.workbook import (
    WorkbookSource,
    list_workbook_sheets,
    load_sheet,
    number_rows,
    open_workbook,
    visible_sheets,
)

logger = logging.getLogger(__name__)

# Data rows read while opening: the preview, and the sample that decides how many columns there are.
PREVIEW_ROWS = 100


def list_sheets(path: str | Path) -> list[str]:
    """The visible worksheets of a workbook, in order; [] for delimited text, which has no sheets."""
    path = Path(path)
    kind = detect_kind(path)
    if kind is FileKind.CSV:
        return []
    return list_workbook_sheets(path, kind)


def open_table(path: str | Path, sheet: str | None = None, header_row: int | None = None) -> Table:
    """Open ``path`` as a table.

    ``sheet`` None takes the first visible sheet with data (text files have no sheets and ignore it);
    ``header_row`` None finds the header below any title or blank rows, 0 means there is none, and any
    other number is the row as the user sees it.
    """
    path = Path(path)
    if header_row is not None and header_row < 0:
        raise SpreadsheetError(f"The header row must be a row number (1 or more), or 0 for none, not {header_row}.")
    kind = detect_kind(path)
    stamp = guarded(path, lambda: FileStamp.of(path))
    if kind is FileKind.CSV:
        if sheet is not None:
            logger.debug("%s is delimited text; ignoring sheet %r", path.name, sheet)
        text, encoding = open_text(path)
        rows, exhausted, header = _read_start(text.iter_raw(), header_row, path.name, None)
        return _table(
            path,
            kind,
            sheet=None,
            header_row=header,
            rows=rows,
            exhausted=exhausted,
            placeholder=lambda index: f"Column {index + 1}",
            encoding=encoding.name,
            delimiter=text.delimiter,
            digest=encoding.fingerprint,
            source=text,
            stamp=stamp,
        )

    digest = fingerprint(path)
    name, grid = _pick_sheet(path, kind, sheet)
    offset = grid.start[1] if grid.start else 0
    source = WorkbookSource(path, kind, name)
    rows, exhausted, header = _read_start(number_rows(grid.iter_rows(), path, kind), header_row, path.name, name)
    source.lend(grid)
    return _table(
        path,
        kind,
        sheet=name,
        header_row=header,
        rows=rows,
        exhausted=exhausted,
        placeholder=lambda index: f"Column {column_letter(offset + index)}",
        encoding=None,
        delimiter=None,
        digest=digest,
        source=source,
        stamp=stamp,
    )


def _pick_sheet(path: Path, kind: FileKind, sheet: str | None) -> tuple[str, CalamineSheet]:
    if sheet is not None:
        grid = load_sheet(path, kind, sheet)
        if not _has_data(grid, path, kind):
            raise SpreadsheetError(f"Sheet “{sheet}” of “{path.name}” is empty.")
        return sheet, grid
    workbook = open_workbook(path, kind)
    try:
        names = visible_sheets(workbook)
    finally:
        workbook.close()
    for name in names:
        grid = load_sheet(path, kind, name)
        if _has_data(grid, path, kind):
            return name, grid
        del grid
    raise SpreadsheetError(f"“{path.name}” has no data on any of its visible sheets.")


def _has_data(grid: CalamineSheet, path: Path, kind: FileKind) -> bool:
    return any(not is_blank_row(row) for _, row in number_rows(grid.iter_rows(), path, kind))


def _read_start(
    raw: Iterator[tuple[int, Sequence[Cell]]], header_row: int | None, file_name: str, sheet: str | None
) -> tuple[list[tuple[int, Sequence[Cell]]], bool, int]:
    """The non-blank rows from the header (found or given) to ``PREVIEW_ROWS`` data rows past it.

    Returns those rows, whether the file ended within them, and the header row number.
    """
    where = f"sheet “{sheet}” of “{file_name}”" if sheet else f"“{file_name}”"
    rows: list[tuple[int, Sequence[Cell]]] = []
    exhausted = True
    limit = HEADER_SCAN_ROWS + PREVIEW_ROWS
    try:
        for number, values in raw:
            if is_blank_row(values) or (header_row and number < header_row):
                continue
            rows.append((number, values))
            if len(rows) >= limit:
                exhausted = False
                break
    finally:
        close = getattr(raw, "close", None)
        if close:
            close()
    if not rows and not header_row:
        raise SpreadsheetError(f"{where[0].upper()}{where[1:]} has no data: every row is empty.")
    if header_row is None:
        return rows, exhausted, detect_header_row(rows)
    if header_row and not any(number == header_row for number, _ in rows):
        raise SpreadsheetError(
            f"Row {header_row} of {where} is empty or beyond the last row; choose the row that holds the column names."
        )
    return rows, exhausted, header_row


def _table(
    path: Path,
    kind: FileKind,
    sheet: str | None,
    header_row: int,
    rows: list[tuple[int, Sequence[Cell]]],
    exhausted: bool,
    placeholder: Callable[[int], str],
    encoding: str | None,
    delimiter: str | None,
    digest: str,
    source: RawSource,
    stamp: FileStamp,
) -> Table:
    header: Sequence[Cell] = next((values for number, values in rows if number == header_row), ())
    data = [(number, values) for number, values in rows if number > header_row][:PREVIEW_ROWS]
    columns = make_columns(header, [values for _, values in data], placeholder)
    preview = tuple(shape_row(number, values, len(columns)) for number, values in data)
    complete = exhausted and len(data) == sum(1 for number, _ in rows if number > header_row)
    logger.info(
        "opened %s%s: header row %d, %d columns", path.name, f" [{sheet}]" if sheet else "", header_row, len(columns)
    )
    return Table(
        path=path,
        kind=kind,
        sheet=sheet,
        header_row=header_row,
        columns=columns,
        encoding=encoding,
        delimiter=delimiter,
        fingerprint=digest,
        source=source,
        stamp=stamp,
        preview=preview,
        preview_complete=complete,
    )
