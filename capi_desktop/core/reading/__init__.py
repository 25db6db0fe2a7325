"""Reading a marketer's spreadsheet: CSV/TSV/TXT in any common encoding, XLSX/XLSM, XLS and ODS.

Files are recognised by content, the header is found below title rows, and rows are streamed from the
file each time they are asked for. Every failure is a ``SpreadsheetError`` with a sentence for the user.
"""

from capi_desktop.core.reading.formats import detect_kind
from capi_desktop.core.reading.model import Cell, FileKind, SourceRow, SpreadsheetError, Table
from capi_desktop.core.reading.opening import list_sheets, open_table

__all__ = [
    "Cell",
    "FileKind",
    "SourceRow",
    "SpreadsheetError",
    "Table",
    "detect_kind",
    "list_sheets",
    "open_table",
]
