"""Telling file kinds apart by their content, and refusing files that would cost unbounded work."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from capi_desktop.core.reading.model import FileKind, SpreadsheetError, describe_os_error

logger = logging.getLogger(__name__)

T = TypeVar("T")

SAVE_AS = "save it as .xlsx or .csv"
CHUNK = 1 << 20

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Binary files people pick by mistake (a screenshot of the sheet, an archive), named as they know them.
_OTHER_FILES = (
    (b"\x89PNG\r\n\x1a\n", "a picture (PNG)"),
    (b"\xff\xd8\xff", "a picture (JPEG)"),
    (b"GIF8", "a picture (GIF)"),
    (b"II*\x00", "a picture (TIFF)"),
    (b"MM\x00*", "a picture (TIFF)"),
    (b"\x1f\x8b", "a compressed archive (gzip)"),
    (b"7z\xbc\xaf\x27\x1c", "a compressed archive (7-Zip)"),
    (b"Rar!", "a compressed archive (RAR)"),
)
# A member may be this many times larger than its compressed bytes. Spreadsheet XML compresses about
# 10:1 (a generated 200k-row sheet: 9.9:1) and very repetitive sheets stay well under 100:1; deflate's
# ceiling is about 1000:1, which is what zip bombs use.
MAX_ZIP_RATIO = 200
# Below this, a member is small enough to inflate whatever its ratio.
ZIP_RATIO_FLOOR = 32 << 20
# What the zipfile module raises for archives that are not well-formed (besides OSError for the file itself).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)


def guarded(path: Path, action: Callable[[], T]) -> T:
    """Run a file operation, translating OS errors into a ``SpreadsheetError``."""
    try:
        return action()
    except OSError as exc:
        raise describe_os_error(path, exc) from exc


def fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes, read in chunks so a large file never sits in memory."""

    def digest() -> str:
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                sha.update(chunk)
        return sha.hexdigest()

    return guarded(path, digest)


def detect_kind(path: str | Path) -> FileKind:
    """What kind of spreadsheet ``path`` is, judged by its bytes rather than its name."""
    path = Path(path)

    def read_head() -> bytes:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(mode):  # opening a named pipe waits for a writer; a device never ends
            raise SpreadsheetError(
                f"“{path.name}” is not a saved file (it is a device or a pipe). Save the data as .xlsx or .csv and "
                "choose that file."
            )
        with open(path, "rb") as handle:
            return handle.read(8192)

    head = guarded(path, read_head)
    if not head:
        raise SpreadsheetError(f"“{path.name}” is empty.")
    if head.startswith(_ZIP_MAGIC) or head.startswith(_EMPTY_ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(_CFB_MAGIC):
        return _cfb_kind(path)
    if head.startswith(b"%PDF"):  # before the text test: a PDF can start as text
        raise _other_file(path, "a PDF document")
    if not looks_like_text(head):
        what = next((what for magic, what in _OTHER_FILES if head.startswith(magic)), None)
        raise not_a_spreadsheet(path) if what is None else _other_file(path, what)
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        raise SpreadsheetError(
            f"“{path.name}” is an old “XML Spreadsheet 2003” file. Open it in Excel and {SAVE_AS}, then try again."
        )
    if lowered.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in lowered[:512]:
        # CRMs often export an HTML table under a .xls name; Excel opens it, but it is a web page.
        raise SpreadsheetError(
            f"“{path.name}” is a web page (HTML) with a spreadsheet's name. Open it in Excel and {SAVE_AS}, "
            "then try again."
        )
    return FileKind.CSV


_UTF8_BOM = b"\xef\xbb\xbf"
# Control bytes that never appear in a text export (tab, newlines and form feed excluded).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"


def utf16_byte_order(head: bytes) -> str | None:
    """ "le" or "be" when ``head`` is UTF-16 (by its BOM, or by the zero bytes of mostly-ASCII text)."""
    if head.startswith(b"\xff\xfe"):
        return "le"
    if head.startswith(b"\xfe\xff"):
        return "be"
    sample = head[: len(head) - len(head) % 2]
    if len(sample) >= 4:
        even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) // 2
        if odd_zeros > 0.6 * half and even_zeros < 0.1 * half:
            return "le"
        if even_zeros > 0.6 * half and odd_zeros < 0.1 * half:
            return "be"
    return None


def looks_like_text(head: bytes) -> bool:
    """Whether the first bytes of a file could be delimited text rather than some binary format."""
    if utf16_byte_order(head):
        return True
    if head.startswith(_UTF8_BOM):
        head = head[3:]
    if b"\x00" in head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls <= len(head) // 100


def not_a_spreadsheet(path: Path) -> SpreadsheetError:
    return SpreadsheetError(f"“{path.name}” is not a spreadsheet CAPI Desktop can read; {SAVE_AS}.")


def _other_file(path: Path, what: str) -> SpreadsheetError:
    return SpreadsheetError(
        f"“{path.name}” is {what}, not a spreadsheet, whatever its name says. Choose the spreadsheet itself: "
        "from your CRM or Excel, save the data as .xlsx or .csv."
    )


def damaged(path: Path, what: str = "a spreadsheet") -> SpreadsheetError:
    return SpreadsheetError(
        f"“{path.name}” looks like {what} but is damaged or incomplete (perhaps a download or copy that did not "
        f"finish). Open it in Excel and save it again, or {SAVE_AS}."
    )


def encrypted(path: Path) -> SpreadsheetError:
    return SpreadsheetError(
        f"“{path.name}” is protected with a password, so it cannot be read. In Excel, remove the password "
        "(File › Info › Protect Workbook › Encrypt with Password, then clear it), save, and try again."
    )


def _zip_kind(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except ZIP_ERRORS as exc:
        logger.info("unreadable zip %s: %s", path.name, exc)
        raise damaged(path) from exc
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise SpreadsheetError(
                f"“{path.name}” is an Excel binary workbook (.xlsb), which CAPI Desktop cannot read; {SAVE_AS}."
            )
        return FileKind.XLSX
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet") or (
        not mimetype and "content.xml" in names and "META-INF/manifest.xml" in names
    ):
        return FileKind.ODS
    if "word/document.xml" in names:
        raise SpreadsheetError(f"“{path.name}” is a Word document, not a spreadsheet; {SAVE_AS}.")
    if "ppt/presentation.xml" in names:
        raise SpreadsheetError(f"“{path.name}” is a PowerPoint presentation, not a spreadsheet; {SAVE_AS}.")
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise SpreadsheetError(f"“{path.name}” is an OpenDocument file but not a spreadsheet; {SAVE_AS}.")
    raise SpreadsheetError(f"“{path.name}” is a zip archive, not a spreadsheet; unzip it first, or {SAVE_AS}.")


def check_zip_members(path: Path) -> None:
    """Refuse a zip whose members claim to inflate far beyond any real spreadsheet (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except ZIP_ERRORS as exc:
        raise damaged(path) from exc
    for member in members:
        if member.file_size > ZIP_RATIO_FLOOR and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1):
            logger.warning(
                "refusing %s: member %s inflates %d -> %d bytes",
                path.name,
                member.filename,
                member.compress_size,
                member.file_size,
            )
            raise SpreadsheetError(
                f"“{path.name}” claims to unpack to {member.file_size / 1e9:.1f} GB from "
                f"{member.compress_size / 1e6:.1f} MB, far more than any real spreadsheet; it was not opened. "
                f"Open it in Excel and {SAVE_AS}."
            )


# Compound File Binary (the container of .xls, and of password-protected .xlsx): just enough of the format
# to list its streams and read one, with every loop bounded so a damaged file cannot hang us.
_CFB_END_OF_CHAIN = 0xFFFFFFFE
_CFB_MINI_SECTOR = 64


class CompoundFile:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        header = handle.read(512)
        if len(header) < 512:
            raise ValueError("short header")
        shift = struct.unpack_from("<H", header, 30)[0]
        if shift not in (9, 12):
            raise ValueError(f"sector shift {shift}")
        self._sector_size = 1 << shift
        handle.seek(0, 2)
        self._max_sectors = handle.tell() // self._sector_size + 1
        (first_directory,) = struct.unpack_from("<I", header, 48)
        self._cutoff, self._first_mini_fat = struct.unpack_from("<II", header, 56)
        # The first 109 FAT sector numbers sit in the header; they map files up to 6.8 MB (512-byte sectors)
        # or 436 MB (4096-byte sectors), more than any .xls. Later ones would be in a DIFAT chain, not read.
        self._fat_sectors = [s for s in struct.unpack_from("<109I", header, 76) if s < 0xFFFFFFFA]
        self.entries: dict[str, tuple[int, int]] = {}
        directory = self._chain(first_directory)
        for start in range(0, len(directory) - 127, 128):
            name_length, kind = struct.unpack_from("<HB", directory, start + 64)
            if 2 <= name_length <= 64 and kind in (1, 2, 5):
                name = directory[start : start + name_length - 2].decode("utf-16-le", "replace")
                first_sector, size = struct.unpack_from("<II", directory, start + 116)
                self.entries.setdefault(name, (first_sector, size))

    def _sector(self, number: int) -> bytes:
        if number >= self._max_sectors:
            raise ValueError(f"sector {number} beyond end of file")
        self._handle.seek((number + 1) * self._sector_size)
        return self._handle.read(self._sector_size)

    def _next(self, number: int) -> int:
        fat_index, offset = divmod(number, self._sector_size // 4)
        if fat_index >= len(self._fat_sectors):
            raise ValueError(f"sector {number} not mapped")
        value: int = struct.unpack_from("<I", self._sector(self._fat_sectors[fat_index]), offset * 4)[0]
        return value

    def _chain(self, sector: int) -> bytes:
        parts: list[bytes] = []
        seen = set[int]()
        while sector != _CFB_END_OF_CHAIN:
            if sector in seen:
                raise ValueError("sector chain loops")
            seen.add(sector)
            parts.append(self._sector(sector))
            sector = self._next(sector)
        return b"".join(parts)

    def read(self, name: str) -> bytes:
        """One stream's bytes (small streams live in the "mini stream", in 64-byte pieces)."""
        first, size = self.entries[name]
        if size >= self._cutoff:
            return self._chain(first)[:size]
        mini_stream = self._chain(self.entries["Root Entry"][0])
        mini_fat = self._chain(self._first_mini_fat)
        parts: list[bytes] = []
        seen, sector = set[int](), first
        while sector != _CFB_END_OF_CHAIN and len(parts) * _CFB_MINI_SECTOR < size:
            if sector in seen or (sector + 1) * 4 > len(mini_fat):
                raise ValueError("broken mini stream chain")
            seen.add(sector)
            parts.append(mini_stream[sector * _CFB_MINI_SECTOR : (sector + 1) * _CFB_MINI_SECTOR])
            sector = struct.unpack_from("<I", mini_fat, sector * 4)[0]
        return b"".join(parts)[:size]


def _cfb_kind(path: Path) -> FileKind:
    try:
        with open(path, "rb") as handle:
            names = set(CompoundFile(handle).entries)
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except (struct.error, ValueError) as exc:
        logger.info("unreadable compound file %s: %s", path.name, exc)
        raise damaged(path, "an Excel 97–2003 workbook") from exc
    if "EncryptedPackage" in names:
        raise encrypted(path)
    if "Workbook" in names or "Book" in names:
        return FileKind.XLS
    if "WordDocument" in names:
        raise SpreadsheetError(f"“{path.name}” is a Word document, not a spreadsheet; {SAVE_AS}.")
    if "PowerPoint Document" in names:
        raise SpreadsheetError(f"“{path.name}” is a PowerPoint presentation, not a spreadsheet; {SAVE_AS}.")
    raise not_a_spreadsheet(path)


# BIFF8 sheets stop at 65,536 rows and 256 columns.
_XLS_MAX_ROWS = 65_536
_XLS_MAX_COLUMNS = 256
# Records that place a value in a cell: FORMULA, RSTRING, LABELSST, MULRK, MULBLANK, BLANK, NUMBER, LABEL,
# BOOLERR, RK.
_XLS_CELL_RECORDS = frozenset({0x0006, 0x00D6, 0x00FD, 0x00BD, 0x00BE, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E})


def check_xls_dimensions(path: Path) -> None:
    """Refuse an .xls whose records would make calamine ask for an impossible amount of memory.

    calamine reserves rows × columns as a sheet's DIMENSIONS record states before reading any cell, and then
    builds a dense grid up to the farthest cell; a damaged record (last row before first row, a column past
    the format's 256) makes it ask for tens of gigabytes and the process aborts, which no exception handler
    can catch. The records are checked here first, walking the stream from each sheet's start as calamine does.
    """
    try:
        with open(path, "rb") as handle:
            compound = CompoundFile(handle)
            stream = compound.read("Workbook" if "Workbook" in compound.entries else "Book")
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except (struct.error, ValueError, KeyError) as exc:
        raise damaged(path, "an Excel 97–2003 workbook") from exc
    sheet_starts = [
        struct.unpack_from("<I", data)[0]
        for kind, data in _biff_records(stream, 0)
        if kind == 0x0085 and len(data) >= 4
    ]
    for start in sheet_starts:
        for kind, data in _biff_records(stream, start):
            if kind in _XLS_CELL_RECORDS and len(data) >= 4:
                # Every cell record starts with its row and column (u16 each); MULRK/MULBLANK end with the last.
                last_column = struct.unpack_from("<H", data, len(data) - 2)[0] if kind in (0x00BD, 0x00BE) else 0
                if max(struct.unpack_from("<H", data, 2)[0], last_column) >= _XLS_MAX_COLUMNS:
                    logger.warning("refusing %s: cell record %#06x beyond column IV", path.name, kind)
                    raise damaged(path, "an Excel 97–2003 workbook")
            if kind != 0x0200:
                continue
            if len(data) == 14:
                first_row, last_row, first_column, last_column = struct.unpack_from("<IIHH", data)
            elif len(data) == 10:
                first_row, last_row, first_column, last_column = struct.unpack_from("<HHHH", data)
            else:
                continue  # calamine rejects other lengths itself
            if (
                last_row >= 1
                and last_column >= 1
                and not (first_row < last_row <= _XLS_MAX_ROWS and first_column < last_column <= _XLS_MAX_COLUMNS)
            ):
                logger.warning(
                    "refusing %s: DIMENSIONS %r", path.name, (first_row, last_row, first_column, last_column)
                )
                raise damaged(path, "an Excel 97–2003 workbook")


def _biff_records(stream: bytes, position: int) -> list[tuple[int, bytes]]:
    """The records of one BIFF substream, up to its EOF record or the end of the stream."""
    records = []
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        records.append((kind, stream[position + 4 : position + 4 + length]))
        position += 4 + length
        if kind == 0x000A:
            break
    return records
