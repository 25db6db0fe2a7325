"""Delimited text: every encoding × delimiter, BOMs, Excel's quirks, header finding, odd row widths."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from capi_desktop.core.reading import FileKind, SourceRow, SpreadsheetError, detect_kind, list_sheets, open_table

ROWS = [
    ["Email", "Name", "Company"],
    ["zoë@example.com", "Zoë Müller", "Café Ñandú"],
    ["bob@example.com", "Bob", "Acme|Co; Ltd"],
]
EXPECTED = [
    SourceRow(2, ("zoë@example.com", "Zoë Müller", "Café Ñandú")),
    SourceRow(3, ("bob@example.com", "Bob", "Acme|Co; Ltd")),
]
DELIMITERS = [",", ";", "\t", "|"]
# (codec used to write, BOM bytes written first, encoding the reader must report)
ENCODINGS = [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
    ("utf-16-le", b"\xff\xfe", "utf-16-le"),
    ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ("cp1252", b"", "cp1252"),
]


def encode_csv(rows: list[list[str]], delimiter: str, codec: str, bom: bytes = b"", newline: str = "\r\n") -> bytes:
    def quote(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    text = "".join(delimiter.join(quote(v) for v in row) + newline for row in rows)
    return bom + text.encode(codec)


@pytest.mark.parametrize("delimiter", DELIMITERS)
@pytest.mark.parametrize(("codec", "bom", "reported"), ENCODINGS)
def test_every_encoding_and_delimiter(tmp_path: Path, delimiter: str, codec: str, bom: bytes, reported: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(encode_csv(ROWS, delimiter, codec, bom))
    table = open_table(path)
    assert (table.kind, table.encoding, table.delimiter) == (FileKind.CSV, reported, delimiter)
    assert table.sheet is None and table.header_row == 1
    assert table.columns == ("Email", "Name", "Company")
    assert list(table.rows()) == EXPECTED
    assert table.sample(1) == EXPECTED[:1]


def test_latin1_when_bytes_undefined_in_cp1252_appear(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    # 0x81 and 0x8D are unassigned in Windows-1252: only Latin-1 decodes them.
    path.write_bytes(b"Email,Note\na@example.com,caf\xe9 \x81\x8d\n")
    table = open_table(path)
    assert table.encoding == "latin-1"
    assert list(table.rows()) == [SourceRow(2, ("a@example.com", "café \x81\x8d"))]


def test_cp1252_specific_characters(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_bytes("Email;Amount\na@example.de;€ 1.234,56 – “ok”\n".encode("cp1252"))
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert next(table.rows()).values == ("a@example.de", "€ 1.234,56 – “ok”")


def test_one_bad_byte_far_down_picks_cp1252_up_front(tmp_path: Path) -> None:
    lines = ["Email,Name"] + [f"user{i}@example.com,Ren\u00e9e" for i in range(50_000)]
    data = "\n".join(lines).encode("utf-8") + b"\nlast@example.com,Andr\xe9\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    table = open_table(path)
    assert table.encoding == "cp1252"  # decided before the first row is read, not at line 50,002
    rows = list(table.rows())
    assert rows[-1] == SourceRow(50_002, ("last@example.com", "Andr\u00e9"))
    assert rows[0].values == ("user0@example.com", "Ren\u00c3\u00a9e")  # what cp1252 makes of UTF-8 "é"


def test_damaged_utf16_is_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(b"\xff\xfe" + "Email\tName\r\na@example.com\tAnn\r\n".encode("utf-16-le") + b"\x00\xdc")
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)
    assert str(caught.value) == (
        "“unicode.txt” is Unicode (UTF-16) text, but line 3 contains bytes that are not valid Unicode (UTF-16); "
        "the file may be damaged. Save it again from the program that made it."
    )


def test_excel_unicode_text_is_utf16_le_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "Unicode Text.txt"
    path.write_bytes(
        encode_csv([["E-mail Address", "Vorname"], ["jörg@example.de", "Jörg"]], "\t", "utf-16-le", b"\xff\xfe")
    )
    table = open_table(path)
    assert (table.encoding, table.delimiter, table.columns) == ("utf-16-le", "\t", ("E-mail Address", "Vorname"))
    assert list(table.rows()) == [SourceRow(2, ("jörg@example.de", "Jörg"))]


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "nobom.txt"
    path.write_bytes("Email\tName\na@example.com\tAnn\n".encode("utf-16-le"))
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("utf-16-le", "\t")
    assert list(table.rows()) == [SourceRow(2, ("a@example.com", "Ann"))]


def test_european_excel_semicolon_cp1252_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "Abschlüsse.csv"
    rows = [["E-Mail", "Nachname", "Betrag"], ["max@example.de", "Groß", "1.234,56"], ["eva@example.de", "Öz", "99,5"]]
    path.write_bytes(encode_csv(rows, ";", "cp1252"))
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert [row.values for row in table.rows()] == [
        ("max@example.de", "Groß", "1.234,56"),
        ("eva@example.de", "Öz", "99,5"),
    ]


def test_sep_line_sets_the_delimiter_and_is_not_the_header(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_bytes(b"sep=;\r\nEmail;Amount\r\na@example.com;1,5\r\n")
    table = open_table(path)
    assert (table.delimiter, table.header_row, table.columns) == (";", 2, ("Email", "Amount"))
    assert list(table.rows()) == [SourceRow(3, ("a@example.com", "1,5"))]


def test_sep_line_after_bom(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_bytes(b"\xef\xbb\xbfsep=|\nEmail|Amount\na@example.com|1\n")
    table = open_table(path)
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8-sig", "|", 2)
    assert list(table.rows()) == [SourceRow(3, ("a@example.com", "1"))]


def test_quoted_newlines_and_delimiters_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes(
        b'Email,Note,Amount\r\n"a@example.com","line one\r\nline two, with comma",1\r\n'
        b'b@example.com,"say ""hi""",2\r\nc@example.com,plain,3\r\n'
    )
    table = open_table(path)
    assert table.delimiter == ","
    assert list(table.rows()) == [
        SourceRow(2, ("a@example.com", "line one\r\nline two, with comma", "1")),
        SourceRow(4, ("b@example.com", 'say "hi"', "2")),
        SourceRow(5, ("c@example.com", "plain", "3")),
    ]


def test_values_stay_text_and_empty_fields_are_none(tmp_path: Path) -> None:
    path = tmp_path / "types.csv"
    path.write_bytes(b"Email,Amount,Date,Flag\na@example.com,0012,2026-11-23,TRUE\nb@example.com,,,\n")
    assert [row.values for row in open_table(path).rows()] == [
        ("a@example.com", "0012", "2026-11-23", "TRUE"),
        ("b@example.com", None, None, None),
    ]


def test_trailing_carriage_return_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b"Email,Name\r\r\na@example.com,Ann\r\r\n")
    table = open_table(path)
    assert table.columns == ("Email", "Name")
    assert list(table.rows()) == [SourceRow(3, ("a@example.com", "Ann"))]


def test_title_and_blank_lines_before_header(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "Q3 closed deals export\nGenerated on 2026-11-23 09:00\n\n,,\nEmail,First Name,Close Date\n"
        "a@example.com,Ann,2026-10-01\n\n,,\nb@example.com,Bob,2026-10-02\n",
        encoding="utf-8",
    )
    table = open_table(path)
    assert table.header_row == 5
    assert table.columns == ("Email", "First Name", "Close Date")
    # Blank lines (even ",,") are skipped; numbers remain the lines the user sees in a text editor.
    assert list(table.rows()) == [
        SourceRow(6, ("a@example.com", "Ann", "2026-10-01")),
        SourceRow(9, ("b@example.com", "Bob", "2026-10-02")),
    ]


def test_header_override(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("Email,Name\nEmail address,Full name\na@example.com,Ann\n", encoding="utf-8")
    assert open_table(path).header_row == 1
    table = open_table(path, header_row=2)
    assert (table.header_row, table.columns) == (2, ("Email address", "Full name"))
    assert list(table.rows()) == [SourceRow(3, ("a@example.com", "Ann"))]


def test_no_header_row(tmp_path: Path) -> None:
    path = tmp_path / "emails.csv"
    path.write_text("a@example.com,Ann\nb@example.com,Bob\n", encoding="utf-8")
    table = open_table(path)
    assert (table.header_row, table.columns) == (0, ("Column 1", "Column 2"))
    assert [row.number for row in table.rows()] == [1, 2]
    assert open_table(path, header_row=0).columns == ("Column 1", "Column 2")


def test_header_override_beyond_the_file(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Email\na@example.com\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path, header_row=9)
    assert str(caught.value) == (
        "Row 9 of “short.csv” is empty or beyond the last row; choose the row that holds the column names."
    )
    with pytest.raises(SpreadsheetError, match="not -1"):
        open_table(path, header_row=-1)


def test_column_names_blank_duplicate_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text(
        " Email , ,email,Email,Name,,\na@example.com,x,b@example.com,c@example.com,Ann,,\n", encoding="utf-8"
    )
    table = open_table(path)
    # Trailing columns empty in the header and in every sampled row are dropped.
    assert table.columns == ("Email", "Column 2", "email (2)", "Email (3)", "Name")
    assert list(table.rows()) == [SourceRow(2, ("a@example.com", "x", "b@example.com", "c@example.com", "Ann"))]


def test_short_rows_padded_and_wider_rows_get_columns(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("Email,Name\na@example.com\nb@example.com,Bob,extra,,more\n", encoding="utf-8")
    table = open_table(path)
    assert table.columns == ("Email", "Name", "Column 3", "Column 4", "Column 5")
    assert list(table.rows()) == [
        SourceRow(2, ("a@example.com", None, None, None, None)),
        SourceRow(3, ("b@example.com", "Bob", "extra", None, "more")),
    ]


def test_wider_row_after_the_sample_keeps_its_extra_values(tmp_path: Path) -> None:
    lines = ["Email,Name"] + [f"u{i}@example.com,N{i}" for i in range(500)] + ["late@example.com,Late,surprise,,again"]
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = open_table(path)
    assert table.columns == ("Email", "Name")
    assert list(table.rows())[-1] == SourceRow(502, ("late@example.com", "Late"), overflow=("surprise", "again"))


def test_header_only_is_zero_rows(tmp_path: Path) -> None:
    path = tmp_path / "template.csv"
    path.write_text("Email,Name\n", encoding="utf-8")
    table = open_table(path)
    assert (table.header_row, table.columns) == (1, ("Email", "Name"))
    assert list(table.rows()) == [] and table.sample() == []


def test_single_column_file(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("Email\na@example.com\nb@example.com\n", encoding="utf-8")
    table = open_table(path)
    assert (table.header_row, table.columns, table.delimiter) == (1, ("Email",), ",")
    assert [row.values for row in table.rows()] == [("a@example.com",), ("b@example.com",)]


def test_sample_beyond_the_preview_reads_on(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("Email\n" + "".join(f"u{i}@example.com\n" for i in range(300)), encoding="utf-8")
    table = open_table(path)
    sample = table.sample(250)
    assert len(sample) == 250 and sample[-1] == SourceRow(251, ("u249@example.com",))
    assert table.sample(3) == [SourceRow(n, (f"u{n - 2}@example.com",)) for n in (2, 3, 4)]


def test_fingerprint_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"Email\na@example.com\n")
    assert open_table(path).fingerprint == hashlib.sha256(b"Email\na@example.com\n").hexdigest()


def test_detect_kind_and_list_sheets_for_text(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("Email\ta\n", encoding="utf-8")
    assert detect_kind(path) is FileKind.CSV
    assert list_sheets(path) == []


def test_rows_refuses_a_file_changed_since_opening(tmp_path: Path) -> None:
    path = tmp_path / "live.csv"
    path.write_text("Email\na@example.com\n", encoding="utf-8")
    table = open_table(path)
    path.write_text("Email\na@example.com\nb@example.com\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError) as caught:
        list(table.rows())
    assert str(caught.value) == (
        "“live.csv” has changed since it was opened. Open it again so that what is imported is what you checked."
    )


def test_file_that_disappears(tmp_path: Path) -> None:
    path = tmp_path / "gone.csv"
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)
    assert str(caught.value) == "“gone.csv” cannot be found any more; it may have been moved, renamed or deleted."
    path.write_text("Email\na@example.com\n", encoding="utf-8")
    table = open_table(path)
    path.unlink()
    with pytest.raises(SpreadsheetError, match="cannot be found any more"):
        list(table.rows())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.csv"
    path.write_text("Email\n", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)
    assert str(caught.value).startswith("CAPI Desktop is not allowed to read “locked.csv”.")


def test_unreadable_file_via_denied_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.csv"
    path.write_text("Email\n", encoding="utf-8")
    real_open = open

    def deny(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)
    assert str(caught.value) == (
        "CAPI Desktop is not allowed to read “locked.csv”. Check the file's permissions, or close it in the "
        "program that has it locked, and try again."
    )


def test_folder_is_not_a_spreadsheet(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError) as caught:
        open_table(tmp_path)
    assert str(caught.value) == f"“{tmp_path.name}” is a folder, not a spreadsheet."


def test_unclosed_quote_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('Email,Note\na@example.com,ok\nb@example.com,"never closed\n' + "x,y\n" * 40_000, encoding="utf-8")
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)  # the preview already reads into the runaway value
    assert str(caught.value) == (
        'Line 3 of “quote.csv” starts a value longer than 131,072 characters, usually a quote mark (") that is '
        "never closed."
    )
