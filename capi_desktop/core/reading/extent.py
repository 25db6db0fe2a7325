"""How much memory calamine will need for a sheet, found from the file's cells before calamine starts.

calamine builds a sheet as a dense grid from the first to the farthest non-empty cell (32 bytes a cell)
after collecting every cell in a list (about 40 bytes each), and copies a shared string into every cell
that refers to it. Asking it for more than the machine has aborts the process, which no exception handler
can catch, so the sheet is measured here first. Nothing a file says about itself (``<dimension>``,
``uniqueCount``) is trusted: only its cells.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree

# Measured with python-calamine 0.9: a sheet of 10 million mostly empty cells costs 310 MB (31 bytes a
# cell); a dense one 70 bytes a non-empty cell, that is the grid's 32 and the list's 40.
GRID_BYTES_PER_CELL = 32
LIST_BYTES_PER_CELL = 40
# A copied string's allocation beyond its text (Rust String header and malloc's rounding).
STRING_OVERHEAD = 32
# What the reader may use for one sheet: with the app around it, a file stays within 1.5 GB.
READ_BUDGET = 1_200_000_000
# calamine reserves a slot (24 bytes) per string the shared-string table says it holds.
_SST_SLOT = 24
_CHUNK = 4 << 20


class _Patterns:
    """The cell patterns for one spelling of the tags. ``strict``: ``<c r="…"`` with ``r`` first, as every
    common writer spells it, searched at the speed of a literal prefix; otherwise any attribute order,
    quotes and spacing, with an optional namespace prefix (``<x:c``): slower, used only where needed."""

    def __init__(self, prefix: bytes, strict: bool) -> None:
        self.strict = strict
        cell = b"<" + prefix + b"c"
        address = rb'\sr="' if strict else rb"""\s[^>]*?\br\s*=\s*["']"""
        self.cell_at = re.compile(cell + address + rb"([A-Za-z]+)(\d+)")
        # A cell without ``r``: calamine puts it after the previous cell of its row.
        self.unplaced = re.compile(cell + rb"(?:>|/>|\s(?![^>]*\br\s*=)[^>]*>)")
        self.cell_end = re.compile(b"</" + prefix + b"c>")
        self.shared = re.compile(rb"""\st\s*=\s*["']s["']""")
        self.shared_ref = re.compile(self.shared.pattern + rb"[^>]*>\s*<" + prefix + rb"v>\s*(\d{1,12})\s*<")
        self.inline_text = re.compile(b"<" + prefix + rb"is>(.*?)</" + prefix + b"is>", re.S)
        self._cell, self._address = cell, address
        self._reach: dict[int, re.Pattern[bytes]] = {}

    def reach(self, k: int) -> re.Pattern[bytes]:
        """A cell right of the k-th column, or below row 999,999 (compiled when first needed: 27 patterns
        a spelling). Searched from the widest column found so far, it fails at the first letter of
        almost every address, so it costs about one pass."""
        found = self._reach.get(k)
        if found is None:
            letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            far = rb"[A-Za-z]{2}|[A-Za-z]0*[1-9]\d{6}"
            right = b"|[" + letters[k:] + letters[k:].lower() + rb"]\d" if k < 26 else b""
            found = self._reach[k] = re.compile(
                self._cell + self._address + b"(?=" + far + right + rb")([A-Za-z]+)(\d*)"
            )
        return found

    def counts(self, piece: bytes) -> tuple[int, int, int]:
        """(cells with content, shared-string cells, cells without an address) in ``piece``."""
        if self.strict:
            return piece.count(b"</c>"), piece.count(b't="s"'), 0
        return len(self.cell_end.findall(piece)), len(self.shared.findall(piece)), len(self.unplaced.findall(piece))


_STRICT = _Patterns(b"", strict=True)
_ANY_ORDER = _Patterns(b"", strict=False)
_PREFIXED = _Patterns(rb"\w+:", strict=False)


def _spellings(piece: bytes) -> tuple[_Patterns, ...]:
    """Which patterns ``piece`` needs: the strict ones unless some cell is spelled otherwise."""
    odd = piece.count(b"<c ") != piece.count(b'<c r="') or b"<c>" in piece or b"<c/>" in piece
    plain = _ANY_ORDER if odd else _STRICT
    return (plain, _PREFIXED) if b":c" in piece else (plain,)


_ROW = re.compile(rb"<(?:\w+:)?row[\s>].*?</(?:\w+:)?row>", re.S)
_STRING_ITEM = re.compile(rb"<(?:\w+:)?si[\s>/]")
_UNIQUE_COUNT = re.compile(rb'\suniqueCount\s*=\s*["\'](\d+)["\']')


@dataclass(frozen=True)
class SheetSize:
    rows: int
    columns: int
    cells: int
    text_bytes: int
    farthest: str  # the address of the farthest cell, for the message

    @property
    def grid_cells(self) -> int:
        return self.rows * self.columns

    @property
    def memory(self) -> int:
        return self.grid_cells * GRID_BYTES_PER_CELL + self.cells * LIST_BYTES_PER_CELL + self.text_bytes

    @property
    def is_sparse(self) -> bool:
        """Mostly empty: the size comes from stray cells, not from data."""
        return self.cells * 4 < self.grid_cells and self.grid_cells * GRID_BYTES_PER_CELL * 2 > self.memory


def column_letter(index: int) -> str:
    """Spreadsheet letters for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: bytes) -> int:
    """1-based column number of spreadsheet letters, in either case."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + letter - 64
    return index


def _pieces(handle: IO[bytes], boundary: bytes = b"<", longest: int = 1 << 16) -> Iterator[bytes]:
    """The stream in pieces, each cut just before the last ``boundary`` ("<": no tag is split), or, if there
    is none in the last ``longest`` bytes, at that length."""
    tail = b""
    while chunk := handle.read(_CHUNK):
        data = tail + chunk
        cut = max(data.rfind(boundary), len(data) - longest)
        yield data[:cut]
        tail = data[cut:]
    if tail:
        yield tail


def _member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    """A member by name as calamine finds it: case-blind, backslashes as slashes."""
    wanted = name.lstrip("/").lower()
    for info in archive.infolist():
        if info.filename.replace("\\", "/").lower() == wanted:
            return info
    return None


def _read_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo | None) -> ElementTree.Element | None:
    if info is None or info.file_size > 16 << 20:
        return None
    return ElementTree.fromstring(archive.read(info))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sheet_parts(archive: zipfile.ZipFile, sheet: str) -> list[zipfile.ZipInfo]:
    """The members calamine may read as ``sheet``: the one its relationships name, or, when they cannot be
    followed here, every XML member (a file whose structure we cannot follow is measured whole)."""
    try:
        located = _locate_sheet(archive, sheet)
    except ElementTree.ParseError:
        located = None
    if located is not None:
        return [located]
    return [info for info in archive.infolist() if info.filename.lower().endswith(".xml")]


def _locate_sheet(archive: zipfile.ZipFile, sheet: str) -> zipfile.ZipInfo | None:
    package = _read_xml(archive, _member(archive, "_rels/.rels"))
    if package is None:
        return None
    target = next(
        (
            node.get("Target", "")
            for node in package.iter()
            if _local(node.tag) == "Relationship" and node.get("Type", "").endswith("/relationships/officeDocument")
        ),
        "",
    )
    folder = target.lstrip("/").rpartition("/")[0]
    base = f"{folder}/" if folder else ""
    workbook = _read_xml(archive, _member(archive, f"{base}workbook.xml"))
    relations = _read_xml(archive, _member(archive, f"{base}_rels/workbook.xml.rels"))
    if workbook is None or relations is None:
        return None
    ids = [
        value
        for node in workbook.iter()
        if _local(node.tag) == "sheet" and node.get("name") == sheet
        for key, value in node.attrib.items()
        if _local(key) == "id"
    ]
    targets = [
        node.get("Target", "")
        for node in relations.iter()
        if _local(node.tag) == "Relationship" and node.get("Id") in ids
    ]
    if len(targets) != 1:
        return None
    part = targets[0][1:] if targets[0].startswith("/") else str(PurePosixPath(base or ".") / targets[0])
    return _member(archive, part.removeprefix("./"))


@dataclass
class _Strings:
    """The shared-string table: each string's length in bytes, by index."""

    lengths: list[int]

    @property
    def longest(self) -> int:
        return max(self.lengths, default=0)


def shared_strings(archive: zipfile.ZipFile) -> _Strings:
    """Each shared string's length (the gap to the next item bounds it), read from every member calamine
    could take for the table. Refuses a table that claims more strings than it holds: calamine reserves
    room for the claimed number before reading one."""
    lengths: list[int] = []
    for info in archive.infolist():
        if not info.filename.replace("\\", "/").lower().endswith("sharedstrings.xml"):
            continue
        starts: list[int] = []
        offset, claimed = 0, 0
        with archive.open(info) as handle:
            for piece in _pieces(handle):
                if not offset:
                    found = _UNIQUE_COUNT.search(piece, 0, 4096)
                    claimed = int(found.group(1)) if found else 0
                starts.extend(offset + match.start() for match in _STRING_ITEM.finditer(piece))
                offset += len(piece)
        starts.append(offset)
        lengths.extend(b - a for a, b in zip(starts, starts[1:], strict=False))
        if claimed * _SST_SLOT > READ_BUDGET and claimed > len(starts) - 1:
            raise ClaimedStrings(claimed, len(starts) - 1)
    return _Strings(lengths)


class ClaimedStrings(Exception):
    def __init__(self, claimed: int, held: int) -> None:
        super().__init__(f"the shared-string table claims {claimed:,} strings and holds {held:,}")


def measure_sheet(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], strings: _Strings) -> SheetSize:
    """The size calamine's grid for these parts would have (the largest, when several are measured)."""
    sizes = [_measure_part(archive, info, strings) for info in parts]
    return max(sizes, key=lambda size: size.memory, default=SheetSize(0, 0, 0, 0, "A1"))


def _measure_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, strings: _Strings) -> SheetSize:
    rows = columns = cells = shared = unplaced = inline = 0
    farthest = (0, 0)
    with archive.open(info) as handle:
        for piece in _pieces(handle):
            for patterns in _spellings(piece):
                content, strings_here, unplaced_here = patterns.counts(piece)
                cells, shared, unplaced = cells + content, shared + strings_here, unplaced + unplaced_here
                if b"is>" in piece:
                    inline += sum(map(len, patterns.inline_text.findall(piece)))
                # Searched again with the pattern for the widest column so far whenever it grows: after the
                # first row, hardly a cell matches.
                found = patterns.reach(min(columns, 26)).search(piece)
                while found is not None:
                    place = (int(found.group(2) or 0), column_index(found.group(1)))
                    farthest = max(farthest, place, key=lambda p: p[0] * p[1])
                    rows, columns = max(rows, place[0]), max(columns, place[1])
                    found = patterns.reach(min(columns, 26)).search(piece, found.end())
                last = piece.rfind(b"c r=")
                if last >= 0 and (cell := patterns.cell_at.search(piece, max(0, last - 64))):
                    rows = max(rows, int(cell.group(2)))
    if unplaced:
        unplaced_rows, widest = _unplaced_extent(archive, info)
        if unplaced_rows * widest > rows * columns:
            rows, columns = max(rows, unplaced_rows), max(columns, widest)
            farthest = (rows, columns)
    text = inline + _shared_text(archive, info, strings, shared)
    if farthest == (0, 0):
        farthest = (rows, columns)
    return SheetSize(rows, columns, cells, text, f"{column_letter(max(farthest[1], 1) - 1)}{farthest[0]}")


_ROW_NUMBER = re.compile(rb"""^<(?:\w+:)?row\s[^>]*?\br\s*=\s*["'](\d{1,12})["']""")


def _unplaced_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(rows, columns) that cells without ``r`` can reach, walking the rows as calamine does: such a cell is
    in its row's row (the row's ``r``, or the one after the previous row) and after the row's previous cell,
    so no further right than the row's cell count past an explicit address (slow, rarely needed)."""
    row = rows = widest = 0
    with archive.open(info) as handle:
        # Pieces cut before a row's start; a row longer than 64 MB holds millions of cells anyway.
        for piece in _pieces(handle, boundary=b"<row", longest=64 << 20):
            for element in _ROW.finditer(piece):
                body = element.group(0)
                number = _ROW_NUMBER.match(body)
                row = int(number.group(1)) if number else row + 1
                rows = max(rows, row)
                # A cell with an address may start the count anywhere in A–Z (beyond Z it is searched for).
                addressed = 26 if b" r=" in body[5:] or b"\tr=" in body or b"\nr=" in body else 0
                widest = max(widest, body.count(b"<c") + body.count(b":c") + addressed)
    return rows, widest


def _shared_text(archive: zipfile.ZipFile, info: zipfile.ZipInfo, strings: _Strings, references: int) -> int:
    """Bytes of shared strings copied into cells: from the average, unless the longest string copied into
    every cell could exceed the budget, in which case each reference is looked up (slow, rarely needed)."""
    if not references or not strings.lengths:
        return references * STRING_OVERHEAD
    if references * (strings.longest + STRING_OVERHEAD) <= READ_BUDGET:
        return references * (sum(strings.lengths) // len(strings.lengths) + STRING_OVERHEAD)
    total = 0
    with archive.open(info) as handle:
        for piece in _pieces(handle):
            for index in _ANY_ORDER.shared_ref.findall(piece) + _PREFIXED.shared_ref.findall(piece):
                position = int(index)
                total += STRING_OVERHEAD + (strings.lengths[position] if position < len(strings.lengths) else 0)
    return total
