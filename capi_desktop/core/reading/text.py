"""Delimited text (CSV, TSV, TXT): encoding and delimiter detection, and a streaming row reader."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from capi_desktop.core.reading.formats import CHUNK, guarded, utf16_byte_order
from capi_desktop.core.reading.model import Cell, SpreadsheetError, describe_os_error

logger = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t", "|")
_UTF8_BOM = b"\xef\xbb\xbf"
# Bytes that Windows-1252 leaves undefined: a file containing them can only be Latin-1.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
# How much text the delimiter vote looks at: enough lines to see the header and some data.
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 200
_SEP_LINE = re.compile(r"sep=(.)\r?\n?", re.IGNORECASE)


@dataclass(frozen=True)
class TextEncoding:
    name: str  # what the table reports: a Python codec name
    codec: str  # what the file is opened with (``utf-16`` consumes the BOM whichever byte order)
    fingerprint: str


def probe_encoding(path: Path) -> TextEncoding:
    """Hash the file and decide its encoding in one streamed pass over every byte.

    UTF-8 is verified over the whole file so that a stray byte at row 900,000 picks Windows-1252 up front
    instead of failing in the middle of an import.
    """
    return guarded(path, lambda: _probe(path))


def _probe(path: Path) -> TextEncoding:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        first = handle.read(CHUNK)
        order = utf16_byte_order(first[:4096])
        has_bom = first.startswith(_UTF8_BOM) or first.startswith((b"\xff\xfe", b"\xfe\xff"))
        if order:
            name = f"utf-16-{order}"
            decoder = codecs.getincrementaldecoder("utf-16" if has_bom else name)()
        else:
            name = "utf-8-sig" if has_bom else "utf-8"
            decoder = codecs.getincrementaldecoder("utf-8")()
        valid, undefined_in_cp1252 = True, False
        newlines, bad_line = 0, 0
        chunk = first
        while chunk:
            sha.update(chunk)
            if valid:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    valid = False
                    bad_line = newlines + chunk.count(b"\n", 0, max(exc.start, 0)) + 1
            if not undefined_in_cp1252:
                undefined_in_cp1252 = any(byte in chunk for byte in _CP1252_UNDEFINED)
            newlines += chunk.count(b"\n")
            chunk = handle.read(CHUNK)
        if valid:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                valid, bad_line = False, newlines + 1
    fingerprint = sha.hexdigest()
    if valid:
        return TextEncoding(name, "utf-16" if order and has_bom else name, fingerprint)
    if order or has_bom:
        # The file announced its encoding and then broke it: decoding it another way would garble every
        # accented name, so stop and say where.
        readable = "Unicode (UTF-16)" if order else "UTF-8"
        raise SpreadsheetError(
            f"“{path.name}” is {readable} text, but line {bad_line:,} contains bytes that are not valid "
            f"{readable}; the file may be damaged. Save it again from the program that made it."
        )
    legacy = "latin-1" if undefined_in_cp1252 else "cp1252"
    logger.info("%s is not UTF-8 (first bad byte on line %d); reading it as %s", path.name, bad_line, legacy)
    return TextEncoding(legacy, legacy, fingerprint)


def sniff_delimiter(text: str, complete: bool) -> str:
    """The delimiter under which the opening records have the most consistent width (at least two fields).

    ``csv.Sniffer`` guesses from character frequencies and often picks the comma inside "1.234,56" in a
    semicolon file; parsing with each candidate and counting fields per record is steadier. Ties go to the
    order of ``DELIMITERS``; a file where no candidate splits anything is a one-column file (comma).
    """
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
        if not complete and len(records) > 1:
            records.pop()  # the sample may end in the middle of a record
        widths = [len(record) for record in records if any(field.strip() for field in record)]
        if not widths:
            continue
        mode, count = Counter(widths).most_common(1)[0]
        score = (count / len(widths), mode)
        if mode >= 2 and score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass(frozen=True)
class TextSource:
    """Re-reads a text file from its start on every call; only the current record is in memory."""

    path: Path
    codec: str
    delimiter: str
    skip_first_line: bool  # an Excel "sep=;" line, which is not data

    def iter_raw(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        try:
            with open(self.path, encoding=self.codec, newline="") as handle:
                yield from self._records(handle)
        except OSError as exc:
            raise describe_os_error(self.path, exc) from exc
        except UnicodeDecodeError as exc:
            raise SpreadsheetError(
                f"“{self.path.name}” could not be decoded as {self.codec}; it may have changed while being read."
            ) from exc

    def peek_raw(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        return self.iter_raw()

    def release(self) -> None:
        """Nothing is kept between reads of a text file."""

    def _records(self, handle: io.TextIOWrapper) -> Iterator[tuple[int, Sequence[Cell]]]:
        lines_before = 0
        if self.skip_first_line:
            handle.readline()
            lines_before = 1
        reader = csv.reader(handle, delimiter=self.delimiter, strict=False)
        previous_line = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = lines_before + previous_line + 1  # where the unreadable record starts
                if "field larger than field limit" in str(exc):
                    raise SpreadsheetError(
                        f"Line {line:,} of “{self.path.name}” starts a value longer than {csv.field_size_limit():,} "
                        'characters, usually a quote mark (") that is never closed.'
                    ) from exc
                raise SpreadsheetError(f"Line {line:,} of “{self.path.name}” cannot be read: {exc}.") from exc
            number = lines_before + previous_line + 1  # the line where the record starts
            previous_line = reader.line_num
            if record and record[-1].endswith("\r"):
                record[-1] = record[-1].rstrip("\r")
            yield number, [value if value else None for value in record]


def open_text(path: Path) -> tuple[TextSource, TextEncoding]:
    """Decide how to read a text file: its encoding, its delimiter, and whether line 1 is a "sep=" line."""
    encoding = probe_encoding(path)

    def read_start() -> str:
        with open(path, encoding=encoding.codec, newline="") as handle:
            return handle.read(_SNIFF_CHARS + 1)

    start = guarded(path, read_start)
    sep = _SEP_LINE.match(start)
    if sep and sep.group(1) not in '\r\n"':
        delimiter = sep.group(1)
        skip = True
    else:
        complete = len(start) <= _SNIFF_CHARS
        lines = start[:_SNIFF_CHARS].splitlines(keepends=True)[:_SNIFF_RECORDS]
        delimiter = sniff_delimiter("".join(lines), complete and len(lines) < _SNIFF_RECORDS)
        skip = False
    logger.debug("%s: encoding %s, delimiter %r", path.name, encoding.name, delimiter)
    return TextSource(path, encoding.codec, delimiter, skip), encoding
