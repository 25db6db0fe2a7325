"""Workbooks: xlsx written by openpyxl or by hand, the checked-in .xls and .ods, sheets, headers, limits."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fixtures.reading_kit import FIXTURES, write_compound_file, write_raw_xlsx

from capi_desktop.core.reading import FileKind, SourceRow, SpreadsheetError, detect_kind, list_sheets, open_table


def deals_workbook(path: Path) -> Path:
    """A typical CRM export: title, "generated on" line and blank rows above the header, a merged title, a
    blank header cell and a repeated name, typed values, and formatting far below and right of the data."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet["A1"] = "Q3 closed deals export"
    sheet.merge_cells("A1:D1")
    sheet["A2"] = "Generated on"
    sheet["B2"] = dt.datetime(2026, 11, 23, 9, 0)
    sheet.append([])
    sheet.append(["  Email ", "Amount", None, "Close Date", "Email", "Won"])
    sheet.append(["ann@example.com", 1234.5, "x", dt.datetime(2026, 10, 1, 14, 5), "ann2@example.com", True])
    sheet.append(["bob@example.com", 99, None, dt.date(2026, 10, 2), None, False])
    sheet.append([])
    sheet.append(["cara@example.com", -7.25, None, None, None, None])
    sheet["H40"].number_format = "0.00"  # formatting only: not data
    book.save(path)
    return path


def test_xlsx_title_rows_blank_header_cells_duplicates_types(tmp_path: Path) -> None:
    table = open_table(deals_workbook(tmp_path / "deals.xlsx"))
    assert (table.kind, table.sheet, table.header_row) == (FileKind.XLSX, "Deals", 4)
    assert (table.encoding, table.delimiter) == (None, None)
    assert table.columns == ("Email", "Amount", "Column C", "Close Date", "Email (2)", "Won")
    assert list(table.rows()) == [
        SourceRow(5, ("ann@example.com", 1234.5, "x", dt.datetime(2026, 10, 1, 14, 5), "ann2@example.com", True)),
        SourceRow(6, ("bob@example.com", 99, None, dt.date(2026, 10, 2), None, False)),
        SourceRow(8, ("cara@example.com", -7.25, None, None, None, None)),
    ]
    # Whole numbers come back as int (xlsx stores every number as a double), fractions as float.
    row = next(table.rows())
    assert type(row.values[1]) is float and type(table.sample(2)[1].values[1]) is int


def test_data_starting_away_from_a1_keeps_sheet_numbers_and_letters(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["C5"], sheet["E5"] = "Email", "Country"
    sheet["C6"], sheet["D6"], sheet["E6"] = "a@example.com", "stray", "DE"
    sheet["C9"], sheet["E9"] = "b@example.com", "FR"
    book.save(tmp_path / "offset.xlsx")
    table = open_table(tmp_path / "offset.xlsx")
    assert (table.header_row, table.columns) == (5, ("Email", "Column D", "Country"))
    assert list(table.rows()) == [
        SourceRow(6, ("a@example.com", "stray", "DE")),
        SourceRow(9, ("b@example.com", None, "FR")),
    ]


def test_formulas_read_as_cached_values(tmp_path: Path) -> None:
    # Written by hand: openpyxl cannot store the value Excel caches beside a formula.
    path = write_raw_xlsx(
        tmp_path / "formulas.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c><c r="B1" t="inlineStr"><is><t>Total</t></is>'
        '</c><c r="C1" t="inlineStr"><is><t>Label</t></is></c><c r="D1" t="inlineStr"><is><t>Ratio</t></is></c>'
        "</row>"
        '<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.com</t></is></c><c r="B2"><f>40+2</f><v>42</v></c>'
        '<c r="C2" t="str"><f>UPPER("x")</f><v>X</v></c><c r="D2"><f>1/4</f><v>0.25</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>b@example.com</t></is></c><c r="B3"><f>1/0</f></c>'
        '<c r="C3" t="e"><f>NA()</f><v>#N/A</v></c></row>',
        dimension="A1:D3",
    )
    table = open_table(path)
    assert table.columns == ("Email", "Total", "Label", "Ratio")
    # A formula never calculated has no cached value; python-calamine 0.9 also returns error cells as empty.
    assert list(table.rows()) == [
        SourceRow(2, ("a@example.com", 42, "X", 0.25)),
        SourceRow(3, ("b@example.com", None, None, None)),
    ]


def test_trailing_empty_rows_and_columns_ignored(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Name", None, None])
    sheet.append(["a@example.com", "Ann", "", "   "])
    for row in range(3, 50):
        sheet.cell(row, 1, "")
    book.save(tmp_path / "trailing.xlsx")
    table = open_table(tmp_path / "trailing.xlsx")
    assert table.columns == ("Email", "Name")
    assert list(table.rows()) == [SourceRow(2, ("a@example.com", "Ann"))]


def test_header_only_workbook_has_zero_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "First name", "Last name"])
    book.save(tmp_path / "template.xlsx")
    table = open_table(tmp_path / "template.xlsx")
    assert (table.header_row, table.columns) == (1, ("Email", "First name", "Last name"))
    assert list(table.rows()) == []


def multi_sheet(path: Path) -> Path:
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Cover"
    hidden = book.create_sheet("Lookup")
    hidden.append(["Code", "Name"])
    hidden.sheet_state = "hidden"
    leads = book.create_sheet("Leads")
    leads.append(["Email", "Score"])
    leads.append(["a@example.com", 10])
    deals = book.create_sheet("Deals")
    deals.append(["Work Email", "Amount (EUR)"])
    deals.append(["b@example.com", 5])
    book.save(path)
    return path


def test_sheet_picking(tmp_path: Path) -> None:
    path = multi_sheet(tmp_path / "book.xlsx")
    # Hidden sheets hold lookup lists, not the export: left out of the list and of the automatic choice.
    assert list_sheets(path) == ["Cover", "Leads", "Deals"]
    first = open_table(path)
    assert (first.sheet, first.columns) == ("Leads", ("Email", "Score"))
    deals = open_table(path, sheet="Deals")
    assert (deals.sheet, deals.columns, list(deals.rows())) == (
        "Deals",
        ("Work Email", "Amount (EUR)"),
        [SourceRow(2, ("b@example.com", 5))],
    )
    assert open_table(path, sheet="Lookup").columns == ("Code", "Name")  # by name it still opens


def test_missing_and_empty_sheets(tmp_path: Path) -> None:
    path = multi_sheet(tmp_path / "book.xlsx")
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path, sheet="Sheet1")
    assert str(caught.value) == "“book.xlsx” has no sheet called “Sheet1”. Its sheets are: “Cover”, “Leads”, “Deals”."
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path, sheet="Cover")
    assert str(caught.value) == "Sheet “Cover” of “book.xlsx” is empty."


def test_workbook_without_data(tmp_path: Path) -> None:
    openpyxl.Workbook().save(tmp_path / "blank.xlsx")
    with pytest.raises(SpreadsheetError) as caught:
        open_table(tmp_path / "blank.xlsx")
    assert str(caught.value) == "“blank.xlsx” has no data on any of its visible sheets."


def test_header_override_in_a_workbook(tmp_path: Path) -> None:
    table = open_table(deals_workbook(tmp_path / "deals.xlsx"), header_row=5)
    assert table.header_row == 5
    assert table.columns[:2] == ("ann@example.com", "1234.5")
    assert [row.number for row in table.rows()] == [6, 8]
    with pytest.raises(SpreadsheetError) as caught:
        open_table(tmp_path / "deals.xlsx", header_row=3)
    assert str(caught.value) == (
        "Row 3 of sheet “Deals” of “deals.xlsx” is empty or beyond the last row; choose the row that holds the "
        "column names."
    )


def test_xlsm_is_xlsx(tmp_path: Path) -> None:
    path = deals_workbook(tmp_path / "deals.xlsx").rename(tmp_path / "deals.xlsm")
    assert detect_kind(path) is FileKind.XLSX
    assert open_table(path).header_row == 4


def test_rows_release_the_loaded_sheet(tmp_path: Path) -> None:
    table = open_table(deals_workbook(tmp_path / "deals.xlsx"))
    source = table.source
    assert source.handoff.sheet is not None  # type: ignore[attr-defined]  # lent from opening
    assert len(table.sample(50)) == 3 and source.handoff.sheet is not None  # type: ignore[attr-defined]
    first = list(table.rows())
    assert source.handoff.sheet is None  # type: ignore[attr-defined]  # nothing kept after an import
    assert list(table.rows()) == first  # and the file is simply read again
    table2 = open_table(tmp_path / "deals.xlsx")
    table2.release()
    assert table2.source.handoff.sheet is None  # type: ignore[attr-defined]
    assert list(table2.rows()) == first


# The checked-in fixtures hold: "Cover" (empty), "Deals" (title, blank, header with a blank and a repeated
# name, typed data, a blank row inside), "Lists" (hidden). See fixtures/make_fixtures.py.
FIXTURE_ROWS = [
    SourceRow(4, ("anna@example.com", "Anna", 1234.5, dt.date(2026, 9, 30), None, "anna.alt@example.com")),
    SourceRow(5, ("bob@example.com", "Bob", 99, dt.datetime(2026, 9, 1, 14, 5), "x", None)),
    SourceRow(7, ("cara@example.com", "Cara", 7, None, None, None)),
]


def test_xls_fixture() -> None:
    path = FIXTURES / "deals.xls"
    assert detect_kind(path) is FileKind.XLS
    assert list_sheets(path) == ["Cover", "Deals"]
    table = open_table(path)
    assert (table.kind, table.sheet, table.header_row) == (FileKind.XLS, "Deals", 3)
    assert table.columns == ("Email", "First name", "Amount", "Close Date", "Column E", "Email (2)")
    assert list(table.rows()) == FIXTURE_ROWS


def test_ods_fixture() -> None:
    path = FIXTURES / "deals.ods"
    assert detect_kind(path) is FileKind.ODS
    assert list_sheets(path) == ["Cover", "Deals"]
    table = open_table(path)
    assert (table.kind, table.sheet, table.header_row) == (FileKind.ODS, "Deals", 3)
    # The ODS also has a formula in G7 (cached 42) and a #DIV/0! in C8, which python-calamine returns empty.
    assert table.columns == ("Email", "First name", "Amount", "Close Date", "Column E", "Email (2)", "Column G")
    assert list(table.rows()) == [
        SourceRow(r.number, (*r.values, 42 if r.number == 7 else None)) for r in FIXTURE_ROWS
    ] + [SourceRow(8, ("dan@example.com", "Dan", None, None, None, None, None))]


def test_password_protected_xlsx() -> None:
    # Made with msoffcrypto-tool (password "secret"); Excel stores it as a Compound File, not a zip.
    with pytest.raises(SpreadsheetError) as caught:
        open_table(FIXTURES / "encrypted.xlsx")
    assert str(caught.value) == (
        "“encrypted.xlsx” is protected with a password, so it cannot be read. In Excel, remove the password "
        "(File › Info › Protect Workbook › Encrypt with Password, then clear it), save, and try again."
    )


@pytest.mark.parametrize(
    ("streams", "message"),
    [
        (["WordDocument"], "“old.xls” is a Word document, not a spreadsheet; save it as .xlsx or .csv."),
        (["Other"], "“old.xls” is not a spreadsheet CAPI Desktop can read; save it as .xlsx or .csv."),
        (["EncryptionInfo", "EncryptedPackage"], "“old.xls” is protected with a password"),
    ],
)
def test_compound_files_that_are_not_workbooks(tmp_path: Path, streams: list[str], message: str) -> None:
    path = write_compound_file(tmp_path / "old.xls", streams)
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)
    assert str(caught.value).startswith(message)


def test_a_lying_dimension_is_not_believed(tmp_path: Path) -> None:
    path = write_raw_xlsx(tmp_path / "huge.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>', "A1:XFE2000000")
    assert open_table(path).columns  # the <dimension> is not believed: only the cells count


def test_stray_cell_in_the_far_corner(tmp_path: Path) -> None:
    # Valid for Excel, but calamine would build a 17-billion-cell grid: refused before it starts.
    path = write_raw_xlsx(
        tmp_path / "stray.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        "A1:XFD1048576",
    )
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)
    assert str(caught.value) == (
        "Sheet “Data” of “stray.xlsx” has a stray cell at XFD1048576, far from the data, so reading it would need "
        "about 549.8 GB of memory. Delete the empty rows and columns after your data (Ctrl+End in Excel shows the "
        "last cell it counts), save, and try again."
    )


def test_far_cells_without_a_dimension_are_found_by_scanning(tmp_path: Path) -> None:
    path = write_raw_xlsx(
        tmp_path / "nodim.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        '<row r="900000"><c s="0" r="ZZ900000"><v>1</v></c></row>',
    )
    with pytest.raises(
        SpreadsheetError,
        match="has a stray cell at ZZ900000, far from the data, so reading it would need about 20.2 GB",
    ):
        open_table(path)


def test_a_far_row_in_a_cell_address_is_found_by_scanning(tmp_path: Path) -> None:
    # The cell's own address counts, whatever its <row> says: calamine places the cell by it.
    path = write_raw_xlsx(
        tmp_path / "nodim.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        '<row r="2"><c r="B3000000"><v>1</v></c></row>',
    )
    with pytest.raises(SpreadsheetError, match="has a cell at B3000000, beyond Excel's own limits"):
        open_table(path)


def test_ods_repeated_cells_bomb(tmp_path: Path) -> None:
    content = (FIXTURES / "deals.ods").read_bytes()
    with zipfile.ZipFile(FIXTURES / "deals.ods") as source:
        xml = source.read("content.xml").decode()
        assert content  # the fixture is readable
    bomb_row = (
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
        'table:number-columns-repeated="16000" office:value-type="float" office:value="1"/></table:table-row>'
    )
    xml = xml.replace('<table:table table:name="Deals">', f'<table:table table:name="Deals">{bomb_row}', 1)
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", xml, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    with pytest.raises(
        SpreadsheetError,
        match="has 1,000,008 rows × 16,000 columns, too large to read at once .about 1,152.0 GB",
    ):
        open_table(path, sheet="Deals")


def test_zip_bomb_shared_strings(tmp_path: Path) -> None:
    shared = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>' + b"A" * (64 << 20)
    path = write_raw_xlsx(
        tmp_path / "bomb.xlsx",
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        "A1",
        extra={"xl/sharedStrings.xml": shared + b"</t></si></sst>"},
    )
    assert path.stat().st_size < 200_000
    with pytest.raises(SpreadsheetError) as caught:
        open_table(path)
    assert str(caught.value) == (
        "“bomb.xlsx” claims to unpack to 0.1 GB from 0.1 MB, far more than any real spreadsheet; it was not opened. "
        "Open it in Excel and save it as .xlsx or .csv."
    )


@pytest.mark.parametrize("name", ["damaged-dimensions.xls", "damaged-cells.xls"])
def test_xls_records_that_would_abort_calamine(name: str) -> None:
    # Without the check these abort the test process itself (an allocation failure inside Rust).
    with pytest.raises(SpreadsheetError) as caught:
        open_table(FIXTURES / name)
    assert str(caught.value) == (
        f"“{name}” looks like an Excel 97–2003 workbook but is damaged or incomplete (perhaps a download or copy "
        "that did not finish). Open it in Excel and save it again, or save it as .xlsx or .csv."
    )
