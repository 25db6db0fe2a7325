"""The shapes every reader produces: the file kind, a cell, a source row, an opened table."""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import NamedTuple, Protocol

logger = logging.getLogger(__name__)

Cell = str | int | float | bool | datetime | date | time | None


class SpreadsheetError(Exception):
    """A file could not be read; ``str()`` is a plain-language sentence naming the file, sheet or row."""


class FileKind(enum.Enum):
    CSV = "csv"  # any delimited text: .csv, .tsv, .txt
    XLSX = "xlsx"  # includes .xlsm
    XLS = "xls"
    ODS = "ods"


def describe_os_error(path: Path, exc: OSError) -> SpreadsheetError:
    """Turn a failure to open or read the file into a sentence the user can act on."""
    if isinstance(exc, FileNotFoundError):
        return SpreadsheetError(f"“{path.name}” cannot be found any more; it may have been moved, renamed or deleted.")
    if isinstance(exc, IsADirectoryError):
        return SpreadsheetError(f"“{path.name}” is a folder, not a spreadsheet.")
    if isinstance(exc, PermissionError):
        return SpreadsheetError(
            f"CAPI Desktop is not allowed to read “{path.name}”. Check the file's permissions, or close it in the "
            "program that has it locked, and try again."
        )
    return SpreadsheetError(f"“{path.name}” could not be read ({exc.strerror or exc}).")


class SourceRow(NamedTuple):
    """One data row as the user sees it: ``number`` is the Excel row / text line where it starts (1-based).

    A tuple rather than a dataclass: a million are made per import."""

    number: int
    values: tuple[Cell, ...]
    # Non-empty cells found right of the last known column. Columns are fixed when the file is opened (from
    # a sample), so a wider row further down cannot add one; its extra values travel here instead of being
    # dropped, for validation to report.
    overflow: tuple[Cell, ...] = ()


class RawSource(Protocol):
    """How a table gets its raw rows again: each call re-reads the file from the start."""

    def iter_raw(self) -> Iterator[tuple[int, Sequence[Cell]]]: ...

    def peek_raw(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        """Like ``iter_raw`` but leaves anything kept from opening in place, for a sample."""
        ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class FileStamp:
    """Size and modification time when the file was opened, to notice it changing before an import."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        try:
            info = os.stat(path)
        except OSError as exc:
            raise describe_os_error(path, exc) from exc
        return cls(info.st_size, info.st_mtime_ns)


@dataclass(frozen=True)
class Table:
    """An opened sheet or text file: its columns, where its header is, and a way to stream its rows."""

    path: Path
    kind: FileKind
    sheet: str | None
    # 1-based as the user sees it; 0 means the file has no header row and every row is data.
    header_row: int
    columns: tuple[str, ...]
    encoding: str | None
    delimiter: str | None
    fingerprint: str
    source: RawSource = field(repr=False, compare=False)
    stamp: FileStamp = field(repr=False, compare=False)
    # The first data rows, read while opening; enough for a preview without touching the file again.
    preview: tuple[SourceRow, ...] = field(default=(), repr=False, compare=False)
    # True when ``preview`` holds every data row of the file (a short file).
    preview_complete: bool = field(default=False, repr=False, compare=False)

    def rows(self) -> Generator[SourceRow, None, None]:
        """Stream the data rows, re-reading the file; fully blank rows are skipped, numbers are the user's."""
        self.check_unchanged()
        yield from self._shape(self.source.iter_raw())

    def check_unchanged(self) -> None:
        """Refuse to read rows of a file that changed since it was opened (and previewed)."""
        if FileStamp.of(self.path) != self.stamp:
            raise SpreadsheetError(
                f"“{self.path.name}” has changed since it was opened. Open it again so that what is imported "
                "is what you checked."
            )

    def _shape(self, raw_rows: Iterator[tuple[int, Sequence[Cell]]]) -> Generator[SourceRow, None, None]:
        width = len(self.columns)
        for number, raw in raw_rows:
            if number <= self.header_row or is_blank_row(raw):
                continue
            yield shape_row(number, raw, width)

    def release(self) -> None:
        """Free what was kept from opening (a workbook's loaded sheet) when the rows will not be read soon."""
        self.source.release()

    def sample(self, n: int = 5) -> list[SourceRow]:
        """The first ``n`` data rows; served from the rows read while opening whenever they suffice."""
        if n <= len(self.preview) or self.preview_complete:
            return list(self.preview[:n])
        rows = self._shape(self.source.peek_raw())
        try:
            return list(islice(rows, n))
        finally:
            rows.close()


def is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_blank_row(raw: Sequence[Cell]) -> bool:
    return all(is_blank(value) for value in raw)


def shape_row(number: int, raw: Sequence[Cell], width: int) -> SourceRow:
    """Fit a raw row to the table's width: pad short rows with None, keep non-empty extra cells as overflow."""
    if len(raw) == width:  # the common case, once per row of a big file
        return SourceRow(number, tuple(raw))
    values = tuple(raw[:width])
    if len(values) < width:
        values += (None,) * (width - len(values))
    overflow = tuple(value for value in raw[width:] if not is_blank(value))
    return SourceRow(number, values, overflow)
