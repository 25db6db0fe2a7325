"""Files for the user: the preview of what would be sent, the problems report in their own columns,
and a template spreadsheet. CSV or XLSX by the file's extension.

Spreadsheet formula injection is neutralised: a text cell starting with = + - @ (or a tab/CR) is
written so that Excel and LibreOffice show it as text instead of running it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capi_desktop.core.journal import Delivery, Journal, JournalRow, RowState
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import Table
from capi_desktop.core.storage import StorageError, writing

# openpyxl is imported where an .xlsx report is written: loading it costs every command's start.
if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

PREVIEW_COLUMNS = (
    "Row",
    "State",
    "Reason",
    "Event id",
    "Rule",
    "Hashed email (SHA-256)",
    "First name",
    "Last name",
    "Company",
    "Title",
    "Country",
    "LinkedIn click id",
    "External id",
    "Conversion time (UTC)",
    "Conversion time (ms)",
    "Amount",
    "Currency",
)
PROBLEM_COLUMN = "Problem"
SENT_COLUMN = "Sent?"
TEMPLATE_COLUMNS = (
    "Email",
    "First name",
    "Last name",
    "Company",
    "Job title",
    "Country",
    "Conversion time",
    "Value",
    "Currency",
    "Event name",
    "Event id",
)
TEMPLATE_EXAMPLE = (
    "mike.smith@example.com",
    "Mike",
    "Smith",
    "Contoso",
    "CTO",
    "United States",
    "2026-11-20 14:05",
    "1500.00",
    "USD",
    "PURCHASE",
    "crm-opp-00123-closedwon",
)
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text value that cannot run as a formula when the CSV is opened in a spreadsheet."""
    if isinstance(value, str) and value.startswith(_RISKY_START):
        return "'" + value
    return value


def preview_fields(row: JournalRow) -> list[Any]:
    """One preview line: what the journal will send for this row, in plain columns."""
    state = {RowState.OK: "OK", RowState.WARNING: "Warning", RowState.ERROR: "Error"}[row.state]
    base: list[Any] = [row.number, state, row.reason or "", row.event_id or "", row.rule_id or ""]
    if row.event_json is None:
        return base + [""] * (len(PREVIEW_COLUMNS) - len(base))
    event = json.loads(row.event_json)
    user = event.get("user", {})
    ids = {u["idType"]: u["idValue"] for u in user.get("userIds", [])}
    info = user.get("userInfo", {})
    value = event.get("conversionValue", {})
    ms = int(event["conversionHappenedAt"])
    return base + [
        ids.get("SHA256_EMAIL", ""),
        info.get("firstName", ""),
        info.get("lastName", ""),
        info.get("companyName", ""),
        info.get("title", ""),
        info.get("countryCode", ""),
        ids.get("LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", ""),
        (user.get("externalIds") or [""])[0],
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ms,
        value.get("amount", ""),
        value.get("currencyCode", ""),
    ]


def write_preview(journal: Journal, path: Path) -> int:
    """Write what would leave the computer, one line per source row; returns the number of rows."""
    return _write(path, PREVIEW_COLUMNS, (preview_fields(row) for row in journal.rows()))


def write_problems_report(table: Table | None, journal: Journal, path: Path) -> int:
    """The user's own rows that were not sent cleanly, in their own columns, with whether each was sent and
    why: one format before and after the upload.

    Without the source table (the file has moved or changed since), the report lists row numbers only.
    """
    problems = ((n, _sent_words(state, delivery), reason) for n, state, delivery, reason in journal.problem_rows())
    if table is None:
        return _write(path, ("Row", SENT_COLUMN, PROBLEM_COLUMN), ([n, sent, why] for n, sent, why in problems))
    return _write(path, ("Row", *table.columns, SENT_COLUMN, PROBLEM_COLUMN), _problem_lines(table, problems))


def _sent_words(state: RowState, delivery: Delivery | None) -> str:
    if state is RowState.ERROR:
        return "No: a problem in the file"
    if delivery is Delivery.REJECTED:
        return "No: LinkedIn refused it"
    if delivery is Delivery.ACCEPTED:
        return "Yes, with a note"
    if delivery is Delivery.SKIPPED:
        return "No: already sent in an earlier upload"
    return "Not yet: it will be sent, with a note"


def _problem_lines(table: Table, problems: Iterable[tuple[int, str, str]]) -> Iterator[list[Any]]:
    # Both streams are in row order: a merge join keeps memory flat for a million-row file.
    wanted = iter(problems)
    current = next(wanted, None)
    for source in table.rows():
        if current is None:
            return
        if source.number == current[0]:
            yield [source.number, *source.values, current[1], current[2]]
            current = next(wanted, None)


def write_template(path: Path) -> None:
    _write(path, TEMPLATE_COLUMNS, [list(TEMPLATE_EXAMPLE)])


def _write(path: Path, header: Sequence[str], lines: Iterable[Sequence[Any]]) -> int:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueProblem(f"Reports can be saved as .csv or .xlsx, not “{path.suffix or path.name}”.")
    count = 0
    try:
        with writing(path.parent):
            path.parent.mkdir(parents=True, exist_ok=True)
            if suffix == ".csv":
                # UTF-8 with BOM so Excel opens it with the right characters.
                with path.open("w", newline="", encoding="utf-8-sig") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(header)
                    for line in lines:
                        writer.writerow([inert(v) for v in line])
                        count += 1
            else:
                from openpyxl import Workbook
                from openpyxl.styles import Font

                workbook = Workbook(write_only=True)
                sheet: WriteOnlyWorksheet = workbook.create_sheet("Rows")
                bold = Font(bold=True)
                sheet.append([_cell(sheet, name, bold) for name in header])
                for line in lines:
                    sheet.append([_cell(sheet, v) for v in line])
                    count += 1
                workbook.save(path)
    except StorageError:
        with suppress(OSError):
            path.unlink(missing_ok=True)  # half a report would look like the whole one
        raise
    except OSError as exc:
        raise ValueProblem(f"The file {path} could not be written: {exc.strerror or exc}.") from exc
    return count


def _cell(sheet: WriteOnlyWorksheet, value: Any, font: Font | None = None) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: openpyxl would otherwise store "=..." as a formula
    if font is not None:
        cell.font = font
    return cell
