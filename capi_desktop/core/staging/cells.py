"""A spreadsheet's data rows as batches of columns (``Cells``), whatever the file.

A UTF-8 delimited text file is parsed by polars (native code, both cores) a piece at a time; a
workbook's grid, which calamine has already read, is turned into columns a batch of rows at a time;
any other file (another encoding, an unusual delimiter, text only Python's csv module reads this way)
comes as the reader's rows, a batch at a time. Blank rows are dropped; row numbers are the user's.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from datetime import date, datetime
from itertools import islice, zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from capi_desktop.core.reading import FileKind, Table
from capi_desktop.core.reading.text import TextSource
from capi_desktop.core.reading.workbook import EXACT_INT, WorkbookSource

if TYPE_CHECKING:
    import polars as pl

BOM = b"\xef\xbb\xbf"
PIECE_BYTES = 7 << 19  # 3.5 MB of a text file at a time (about 38,000 rows of ten columns)
BATCH_ROWS = 50_000  # of a workbook or of the reader's rows, at a time
_BLANK = r"^[\s\x1c-\x1f]*$"


class NotColumnar(Exception):
    """This text file must be read by the row reader to read it exactly as the preview did."""


class Cells(NamedTuple):
    """A batch of non-blank rows as columns.

    ``frame`` has "number" and, per column i of the table, c{i}: its text cells ("" and whitespace-only
    cells as they are, empty ones null). Other cells (a workbook's dates, numbers, yes/no values…)
    are null there: dates are in t{i} (a date and time) with d{i} (true for a date alone, where the
    column has any), numbers a double holds exactly in n{i}, and any other cell is in ``objects``, at
    the index k{i} gives.
    """

    frame: pl.DataFrame
    objects: list[Any]  # the other cells, as the workbook reader gives them

    def only(self, mask: pl.Series) -> Cells:
        return Cells(self.frame.filter(mask), self.objects)


def batches(table: Table, *, by_rows: bool = False) -> Iterator[Cells]:
    """The table's rows in batches. ``NotColumnar`` (possibly after some batches) means: start again
    with ``by_rows``."""
    source = table.source
    if by_rows or table.preview_complete:
        return _row_batches(table)
    if isinstance(source, WorkbookSource):
        return _grid_batches(table, source)
    if (
        table.kind is FileKind.CSV
        and isinstance(source, TextSource)
        and source.codec in ("utf-8", "utf-8-sig")
        and len(source.delimiter) == 1
    ):
        return _text_batches(table, source)
    return _row_batches(table)


def _row_batches(table: Table) -> Generator[Cells, None, None]:
    rows = (row for row in table.preview) if table.preview_complete else table.rows()
    width = len(table.columns)
    with closing(rows):
        while chunk := list(islice(rows, BATCH_ROWS)):
            # The reader has dropped its blank rows; a row with data only right of the columns stays.
            cells = _grid_cells([row.values for row in chunk], [row.number for row in chunk], width, keep=True)
            if cells is not None:
                yield cells


def _grid_batches(table: Table, source: WorkbookSource) -> Generator[Cells, None, None]:
    """A workbook's rows below the header, ``BATCH_ROWS`` at a time; the grid is freed as this ends."""
    table.check_unchanged()
    grid = source.iter_grid()
    number = 1
    width = len(table.columns)
    while True:
        with source.reading():
            chunk = list(islice(grid, BATCH_ROWS))
        if not chunk:
            return
        skip = max(0, table.header_row + 1 - number)
        cells = _grid_cells(chunk[skip:], range(number + skip, number + len(chunk)), width)
        number += len(chunk)
        if cells is not None:
            yield cells


def _grid_cells(raw: Sequence[Sequence[Any]], numbers: Sequence[int], width: int, keep: bool = False) -> Cells | None:
    """Rows of cells ("" or None when empty) as columns, without the blank ones unless ``keep``;
    ``None`` when none is left. Cells beyond ``width`` only make their row not blank."""
    import polars as pl

    height = len(raw)
    columns: dict[str, pl.Series] = {"number": pl.Series(numbers, dtype=pl.Int64)}
    texts, typed = [], []
    objects: list[Any] = []
    for i, column in enumerate(zip_longest(*raw, fillvalue=None)):
        kinds = set(map(type, column)) - {type(None)}
        if not kinds or (kinds == {str} and column.count("") + column.count(None) == height):
            continue  # an empty stretch of a column: the commonest case beyond the table's columns
        if str in kinds:
            text = column if kinds == {str} else [cell if type(cell) is str else None for cell in column]
            columns[f"c{i}"] = pl.Series(text, dtype=pl.String)
            texts.append(f"c{i}")
        if kinds & {datetime, date}:
            moments = column if kinds == {datetime} else [c if type(c) in (datetime, date) else None for c in column]
            columns[f"t{i}"] = pl.Series(moments, dtype=pl.Datetime("us"), strict=False)
            if date in kinds:
                columns[f"d{i}"] = pl.Series([type(cell) is date for cell in column], dtype=pl.Boolean)
            typed.append(f"t{i}")
        if kinds & {float, int}:
            exact = column if kinds == {float} else [c if _exact_number(c) else None for c in column]
            columns[f"n{i}"] = pl.Series(exact, dtype=pl.Float64, strict=False)
            typed.append(f"n{i}")
        odd = [j for j, cell in enumerate(column) if _odd(cell)] if kinds - {str, float, datetime, date} else []
        if odd:
            # A yes/no, time of day, duration or error cell, or an int beyond a double's exact range: kept
            # as it is, for the scalar readers (see ``fields.Batch.per_object``).
            index: list[int | None] = [None] * height
            for j in odd:
                index[j] = len(objects)
                objects.append(column[j])
            columns[f"k{i}"] = pl.Series(index, dtype=pl.UInt32)
            typed.append(f"k{i}")
    frame = _filled(pl.DataFrame(columns), texts, typed, keep)
    frame = frame.drop([name for name in frame.columns if name != "number" and int(name[1:]) >= width])
    return Cells(frame, objects) if frame.height else None


def _exact_number(cell: Any) -> bool:
    kind = type(cell)
    return kind is float or (kind is int and abs(cell) < EXACT_INT)


def _odd(cell: Any) -> bool:
    """Not text, and neither a date nor a number a double holds exactly."""
    return cell is not None and type(cell) not in (str, float, datetime, date) and not _exact_number(cell)


def _filled(frame: pl.DataFrame, texts: Sequence[str], typed: Sequence[str] = (), keep: bool = False) -> pl.DataFrame:
    """The rows with a cell that is neither empty nor only spaces (all rows if ``keep``), empty text
    cells made null."""
    import polars as pl

    frame = frame.with_columns(pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in texts)
    if keep:
        return frame
    blank = [pl.col(name).is_null() | pl.col(name).str.contains(_BLANK) for name in texts]
    return frame.filter(~pl.all_horizontal(blank + [pl.col(name).is_null() for name in typed]))


def _text_batches(table: Table, source: TextSource) -> Generator[Cells, None, None]:
    import polars as pl

    skip = max(table.header_row, 1 if source.skip_first_line else 0)
    width = len(table.columns)
    number = skip + 1
    pieces = _pieces(table.path, skip)
    with closing(pieces):
        for piece in pieces:
            batch = _parsed(piece, source.delimiter, width, skip)
            skip = 0
            frame = _filled(batch.with_row_index("number", offset=number), [f"c{i}" for i in range(width + 1)])
            number += batch.height
            if frame.height:
                yield Cells(frame.drop(f"c{width}").with_columns(frame["number"].cast(pl.Int64)), [])


def _pieces(path: Path, skip: int) -> Generator[bytes, None, None]:
    """The file in pieces of about ``PIECE_BYTES``, each ending at a line end outside quotes; the first
    holds at least the ``skip`` lines before the rows."""
    with open(path, "rb") as handle:
        buffer = b""
        while chunk := handle.read(PIECE_BYTES):
            buffer += chunk
            cut = _cut(buffer, skip)
            if cut:
                skip = 0
                yield buffer[:cut]
                buffer = buffer[cut:]
            elif len(buffer) > 8 * PIECE_BYTES:
                raise NotColumnar("no line end outside quotes in a long stretch of the file")
        if buffer:
            yield buffer


def _cut(buffer: bytes, skip: int) -> int:
    """Where ``buffer`` can be cut: after its last line end with an even number of quote marks before
    it (and at least ``skip`` line ends), or 0."""
    cut = buffer.rfind(b"\n") + 1
    quotes = buffer.count(b'"', 0, cut)
    while cut and quotes % 2:
        earlier = buffer.rfind(b"\n", 0, cut - 1) + 1
        quotes -= buffer.count(b'"', earlier, cut)
        cut = earlier
    return cut if buffer.count(b"\n", 0, cut) >= skip else 0


def _parsed(piece: bytes, delimiter: str, width: int, skip: int) -> pl.DataFrame:
    """One piece as a frame of text columns (one more than the table's: a row with data only right of
    its columns is not blank), checked to be read as Python's csv module reads it."""
    import polars as pl

    _check_quotes(piece, delimiter.encode())
    try:
        frame = pl.read_csv(
            piece,
            separator=delimiter,
            has_header=False,
            skip_rows=skip,
            schema={f"c{i}": pl.String for i in range(width + 1)},
            truncate_ragged_lines=True,
            missing_columns="insert",
            infer_schema=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        # Not polars' message: it quotes the text it stopped at, and this one is logged.
        raise NotColumnar(f"polars could not read a piece ({type(exc).__name__})") from exc
    lines = piece.count(b"\n") + (not piece.endswith(b"\n"))
    if skip + frame.height != lines:
        raise NotColumnar(f"{frame.height:,} records on {lines - skip:,} lines: some value spans lines")
    return frame


def _check_quotes(piece: bytes, delimiter: bytes) -> None:
    """Every quote mark opens a value (after a delimiter or a line end), closes one (before them), or is
    doubled; with any other ("5\" screen") a piece's end may be inside quotes, so the file is read
    row by row."""
    quotes = piece.count(b'"')
    if not quotes:
        return
    piece = piece.replace(b'""', b"")
    quotes = piece.count(b'"')
    opening = piece.count(delimiter + b'"') + piece.count(b'\n"') + piece.startswith((b'"', BOM + b'"'))
    closing_ = piece.count(b'"' + delimiter) + piece.count(b'"\r') + piece.count(b'"\n') + piece.endswith(b'"')
    if opening != closing_ or opening + closing_ != quotes:
        raise NotColumnar("quote marks inside values")
