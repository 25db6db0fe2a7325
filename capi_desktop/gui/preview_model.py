"""The preview table's model: a staged job's rows, read from its journal a page at a time.

Nothing holds all rows: the view asks for the rows it shows, the model reads the page around them
(``Journal.rows(start=, limit=)``) and keeps a few recent pages. A page near the top is read at once
(a few milliseconds); a page deep in a large job costs SQLite a walk past every row before it (about a
quarter of a second at row 1,000,000), so it is read on a worker with its own connection, showing
"…" until it arrives. Only the latest page asked for is fetched, so dragging the scroll bar does not
queue up reads.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from capi_desktop.app.jobs import AlreadySent
from capi_desktop.core.control import Control
from capi_desktop.core.journal import Journal, JournalError, JournalRow, RowState
from capi_desktop.core.normalise.dates import local_timezone
from capi_desktop.gui.background import Operation
from capi_desktop.gui.widgets import moment_text

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
CACHE_PAGES = 24
# Positional reads skip rows one by one: up to here that takes a few milliseconds on the GUI thread.
SYNC_ROWS = 40_000
LOADING = "…"


class RowFilter(enum.Enum):
    """Which rows the table shows."""

    ALL = ("All", None)
    PROBLEMS = ("Problems", (RowState.ERROR,))
    WARNINGS = ("Warnings", (RowState.WARNING,))
    ALREADY_SENT = ("Already sent", None)  # by row number: what the sent-ledger says, not a state

    def __init__(self, label: str, states: tuple[RowState, ...] | None) -> None:
        self.label = label
        self.states = states


class Column(enum.IntEnum):
    ROW = 0
    STATE = 1
    REASON = 2
    EMAIL_HASH = 3
    FIRST_NAME = 4
    LAST_NAME = 5
    COMPANY = 6
    TITLE = 7
    COUNTRY = 8
    TIME = 9
    VALUE = 10
    EVENT_ID = 11
    RULE = 12


HEADERS = {
    Column.ROW: "Row",
    Column.STATE: "State",
    Column.REASON: "Reason",
    Column.EMAIL_HASH: "Hashed email",
    Column.FIRST_NAME: "First name",
    Column.LAST_NAME: "Last name",
    Column.COMPANY: "Company",
    Column.TITLE: "Job title",
    Column.COUNTRY: "Country",
    Column.TIME: "Conversion time",
    Column.VALUE: "Value",
    Column.EVENT_ID: "Event id",
    Column.RULE: "Conversion rule",
}
STATE_WORDS = {RowState.OK: "OK", RowState.WARNING: "Warning", RowState.ERROR: "Error"}
# (light palette, dark palette): each readable on that palette's base colour.
STATE_COLOURS = {
    RowState.OK: ("#057642", "#5CCB8F"),
    RowState.WARNING: ("#8A5300", "#F2C14E"),
    RowState.ERROR: ("#B3261E", "#FF8A80"),
}

Line = tuple[Any, ...]  # one row's shown values, indexed by Column, then its RowState last


def state_colour(state: RowState, dark: bool) -> QColor:
    return QColor(STATE_COLOURS[state][1 if dark else 0])


def _line(row: JournalRow, rule_names: Mapping[int, str], zone: ZoneInfo) -> Line:
    from capi_desktop.core.reports import preview_fields  # openpyxl comes with it: loaded on first use

    fields = preview_fields(row)
    (number, _state, reason, event_id, rule_id, email_hash, first, last, company, title, country) = fields[:11]
    ms, amount, currency = fields[14], fields[15], fields[16]
    # In the zone the file's times were read in, so a row reads as the spreadsheet wrote it.
    moment = moment_text(datetime.fromtimestamp(ms / 1000, zone)) if ms != "" else ""
    value = f"{amount} {currency}" if amount else ""
    rule = rule_names.get(row.rule_id, str(row.rule_id)) if row.rule_id is not None else ""
    del rule_id
    return (
        number,
        STATE_WORDS[row.state],
        reason,
        email_hash,
        first,
        last,
        company,
        title,
        country,
        moment,
        value,
        event_id,
        rule,
        row.state,
    )


@dataclass(frozen=True)
class _Reading:
    """What a page read needs, copied so a worker thread can do it with its own connection."""

    row_filter: RowFilter
    numbers: Sequence[int]  # the already-sent rows, in order: that filter's rows
    names: Mapping[int, str]
    zone: ZoneInfo

    def page(self, journal: Journal, page: int) -> list[Line]:
        start = page * PAGE_SIZE
        if self.row_filter is RowFilter.ALREADY_SENT:
            rows = journal.rows(numbers=self.numbers[start : start + PAGE_SIZE])
        else:
            rows = journal.rows(self.row_filter.states, start=start, limit=PAGE_SIZE)
        return [_line(row, self.names, self.zone) for row in rows]


class PreviewModel(QAbstractTableModel):
    def __init__(
        self,
        journal: Journal,
        rule_names: Mapping[int, str] | None = None,
        dark: bool = False,
        zone: ZoneInfo | None = None,
    ) -> None:
        super().__init__()
        self._journal = journal
        self._path: Path = journal.path
        self._names = dict(rule_names or {})
        self._zone = zone or local_timezone()
        # The zone is named only when it is not the computer's own: then the user chose it for this file.
        own = self._zone.key == local_timezone().key
        self._headers = {**HEADERS, Column.TIME: HEADERS[Column.TIME] + ("" if own else f" ({self._zone.key})")}
        self._dark = dark
        self._filter = RowFilter.ALL
        self._already = AlreadySent({})
        self._already_numbers: list[int] = []
        self._count = journal.count()
        self._pages: OrderedDict[int, list[Line]] = OrderedDict()
        self._generation = 0  # bumped whenever the rows shown change, so late pages are dropped
        self._wanted: int | None = None
        self._fetching: Operation[list[Line], Any] | None = None
        self._closed = False
        self.sync_rows = SYNC_ROWS  # tests lower it to exercise background reads on a small job

    # -- what is shown ------------------------------------------------------------------------------

    @property
    def row_filter(self) -> RowFilter:
        return self._filter

    @property
    def cached_pages(self) -> int:
        return len(self._pages)

    def set_filter(self, row_filter: RowFilter) -> None:
        self.beginResetModel()
        self._filter = row_filter
        if row_filter is RowFilter.ALREADY_SENT:
            self._count = len(self._already_numbers)
        else:
            self._count = self._journal.count(row_filter.states)
        self._forget_pages()
        self.endResetModel()

    def set_already_sent(self, already: AlreadySent) -> None:
        """Mark the rows LinkedIn accepted in an earlier upload, and make them a filter of their own."""
        self._already = already
        self._already_numbers = sorted(already.rows)
        self.set_filter(self._filter)

    def set_dark(self, dark: bool) -> None:
        if dark != self._dark:
            self._dark = dark
            if self._count:
                last = self.index(self._count - 1, Column.STATE)
                self.dataChanged.emit(self.index(0, Column.STATE), last, [Qt.ItemDataRole.ForegroundRole])

    def close(self) -> None:
        """Stop reading: the journal is about to be closed, or the page left."""
        self.beginResetModel()
        self._closed = True
        self._forget_pages()
        self.endResetModel()
        if self._fetching is not None:
            self._fetching.drop()
            self._fetching = None

    def line(self, row: int) -> Line | None:
        """Row ``row``'s values if its page is loaded (loading it now if that is cheap)."""
        if self._closed or not 0 <= row < self._count:
            return None
        page, offset = divmod(row, PAGE_SIZE)
        lines = self._page(page)
        if lines is None or offset >= len(lines):
            return None
        return lines[offset]

    # -- QAbstractTableModel ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._closed else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[Column(section)]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = Column(index.column())
        line = self.line(index.row())
        if line is None:
            return LOADING if role == Qt.ItemDataRole.DisplayRole and column is Column.ROW else None
        state: RowState = line[-1]
        sent_before = self._already.reason(line[Column.ROW])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole) and sent_before is not None:
            if column is Column.STATE:
                return "Already sent" if role == Qt.ItemDataRole.DisplayRole else None
            if column is Column.REASON:
                return sent_before
        if role == Qt.ItemDataRole.DisplayRole:
            value = line[column]
            return f"{value:,}" if column is Column.ROW else value
        if role == Qt.ItemDataRole.ToolTipRole and column in (Column.REASON, Column.EMAIL_HASH, Column.EVENT_ID):
            return line[column] or None
        if role == Qt.ItemDataRole.ForegroundRole and column is Column.STATE:
            return None if sent_before is not None else state_colour(state, self._dark)
        if role == Qt.ItemDataRole.FontRole and column is Column.STATE:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column is Column.ROW:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return state
        return None

    # -- pages --------------------------------------------------------------------------------------

    def _page(self, page: int) -> list[Line] | None:
        lines = self._pages.get(page)
        if lines is not None:
            self._pages.move_to_end(page)
            return lines
        if page * PAGE_SIZE < self.sync_rows:
            try:
                lines = self._reading().page(self._journal, page)
            except (sqlite3.Error, JournalError) as exc:  # a view never raises while painting
                logger.warning("Could not read preview rows: %s", exc)
                return None
            self._keep(page, lines)
            return lines
        self._request(page)
        return None

    def _keep(self, page: int, lines: list[Line]) -> None:
        self._pages[page] = lines
        while len(self._pages) > CACHE_PAGES:
            self._pages.popitem(last=False)

    def _forget_pages(self) -> None:
        self._pages.clear()
        self._generation += 1
        self._wanted = None

    def _request(self, page: int) -> None:
        self._wanted = page
        if self._fetching is None:
            self._fetch(page)

    def _reading(self) -> _Reading:
        return _Reading(self._filter, self._already_numbers, self._names, self._zone)

    def _fetch(self, page: int) -> None:
        path, reading, generation = self._path, self._reading(), self._generation

        def task(control: Control, report: object) -> list[Line]:
            # Its own connection: the GUI thread keeps using the model's, and WAL lets both read at once.
            with Journal(path) as reader:
                return reading.page(reader, page)

        self._fetching = Operation(
            task, lambda lines: self._fetched(generation, page, lines), on_failure=self._fetch_failed
        ).start()

    def _fetched(self, generation: int, page: int, lines: list[Line]) -> None:
        self._fetching = None
        if generation == self._generation:
            self._keep(page, lines)
            if self._wanted == page:
                self._wanted = None
            first = page * PAGE_SIZE
            last = min(first + len(lines), self._count) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))
        wanted = self._wanted
        if wanted is not None and wanted not in self._pages and not self._closed:
            self._fetch(wanted)

    def _fetch_failed(self, exc: Exception, cancelled: bool) -> None:
        self._fetching = None
        logger.warning("Could not read preview rows: %s", exc)
