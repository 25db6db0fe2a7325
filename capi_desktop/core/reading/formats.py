"""Telling file kinds apart by their content, and refusing files that would cost unbounded work."""

from __future__ import annotations

import hashlib
import logging
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from capi_desktop.core.reading.model import FileKind, SpreadsheetError

logger = logging.getLogger(__name__)

T = TypeVar("T")

SAVE_AS = "save it as .xlsx or .csv"
CHUNK = 1 << 20

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A member may be this many times larger than its compressed bytes. Spreadsheet XML compresses about
# 10:1 (a generated 200k-row sheet: 9.9:1) and very repetitive sheets stay well under 100:1; deflate's
# ceiling is about 1000:1, which is what zip bombs use.
MAX_ZIP_RATIO = 200
# Below this, a member is small enough to inflate whatever its ratio.
ZIP_RATIO_FLOOR = 32 << 20


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
        with open(path, "rb") as handle:
            return handle.read(8192)

    head = guarded(path, read_head)
    if not head:
        raise SpreadsheetError(f"“{path.name}” is empty.")
    if head.startswith(_ZIP_MAGIC) or head.startswith(_EMPTY_ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(_CFB_MAGIC):
        return _cfb_kind(path)
    if head.startswith(b"%PDF"):
        raise SpreadsheetError(f"“{path.name}” is a PDF, not a spreadsheet CAPI Desktop can read; {SAVE_AS}.")
    if not looks_like_text(head):
        raise not_a_spreadsheet(path)
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


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
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
    if head.startswith(_BOMS[0]):
        head = head[3:]
    if b"\x00" in head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls <= len(head) // 100


def not_a_spreadsheet(path: Path) -> SpreadsheetError:
    return SpreadsheetError(f"“{path.name}” is not a spreadsheet CAPI Desktop can read; {SAVE_AS}.")


def damaged(path: Path, what: str = "spreadsheet") -> SpreadsheetError:
    return SpreadsheetError(
        f"“{path.name}” looks like a {what} but is damaged or incomplete (perhaps a download or copy that did not "
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
    except zipfile.BadZipFile as exc:
        raise damaged(path) from exc
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except (RuntimeError, NotImplementedError, ValueError, EOFError, zipfile.LargeZipFile) as exc:
        # Encrypted members, unknown compression methods and similar oddities of a zip that is not ours.
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
    except zipfile.BadZipFile as exc:
        raise damaged(path) from exc
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
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
# to list the stream names in its directory, with every loop bounded so a damaged file cannot hang us.
_CFB_END_OF_CHAIN = 0xFFFFFFFE
_CFB_MAX_SECTORS = 100_000


def _cfb_kind(path: Path) -> FileKind:
    try:
        with open(path, "rb") as handle:
            names = _cfb_stream_names(handle)
    except OSError as exc:
        raise describe_os_error(path, exc) from exc
    except (struct.error, ValueError) as exc:
        logger.info("unreadable compound file %s: %s", path.name, exc)
        raise damaged(path, "Excel 97–2003 workbook") from exc
    if "EncryptedPackage" in names:
        raise encrypted(path)
    if "Workbook" in names or "Book" in names:
        return FileKind.XLS
    if "WordDocument" in names:
        raise SpreadsheetError(f"“{path.name}” is a Word document, not a spreadsheet; {SAVE_AS}.")
    if "PowerPoint Document" in names:
        raise SpreadsheetError(f"“{path.name}” is a PowerPoint presentation, not a spreadsheet; {SAVE_AS}.")
    raise not_a_spreadsheet(path)


def _cfb_stream_names(handle: BinaryIO) -> set[str]:
    header = handle.read(512)
    if len(header) < 512:
        raise ValueError("short header")
    sector_shift = struct.unpack_from("<H", header, 30)[0]
    if sector_shift not in (9, 12):
        raise ValueError(f"sector shift {sector_shift}")
    sector_size = 1 << sector_shift
    first_directory_sector = struct.unpack_from("<I", header, 48)[0]
    # The first 109 FAT sector numbers sit in the header; they map files up to 6.8 MB (512-byte sectors)
    # or 436 MB (4096-byte sectors). A directory beyond that is treated as damaged: an .xls's directory is
    # written at the start, and a password-protected .xlsx of that size is not a marketer's export.
    fat_sectors = [s for s in struct.unpack_from("<109I", header, 76) if s < 0xFFFFFFFA]
    entries_per_fat_sector = sector_size // 4

    def read_sector(number: int) -> bytes:
        handle.seek((number + 1) * sector_size)
        data = handle.read(sector_size)
        if len(data) < sector_size:
            raise ValueError(f"sector {number} beyond end of file")
        return data

    def next_sector(number: int) -> int:
        fat_index, offset = divmod(number, entries_per_fat_sector)
        if fat_index >= len(fat_sectors):
            raise ValueError(f"sector {number} not mapped")
        value: int = struct.unpack_from("<I", read_sector(fat_sectors[fat_index]), offset * 4)[0]
        return value

    names: set[str] = set()
    sector, seen = first_directory_sector, set[int]()
    while sector != _CFB_END_OF_CHAIN:
        if sector in seen or len(seen) >= _CFB_MAX_SECTORS:
            raise ValueError("directory chain loops")
        seen.add(sector)
        data = read_sector(sector)
        for start in range(0, sector_size, 128):
            name_length = struct.unpack_from("<H", data, start + 64)[0]
            if 2 <= name_length <= 64:
                names.add(data[start : start + name_length - 2].decode("utf-16-le", "replace"))
        sector = next_sector(sector)
    return names
