"""Spreadsheet: open the file, check which column is which, and stage every row into a new job.

Opening and staging run on the page's background worker (a big workbook takes seconds to read, a
million rows longer to check). Staging happens when the user presses Next (``validatePage``): the page
stays put with a progress bar and Cancel, and moves on by itself once the rows are checked. Staging
here rather than on the Preview page means a question the rows raise (which day/month order the dates
use) is asked where it can be answered, next to the setting, and the Preview page only ever shows a
finished job. Pressing Next again with the same choices reuses the staged job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from PySide6.QtCore import QMimeData, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from capi_desktop import paths
from capi_desktop.app.jobs import StagedJob, release_job, stage_job
from capi_desktop.core.control import Control
from capi_desktop.core.journal import JournalError
from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, parse_constant_value
from capi_desktop.core.normalise.dates import DateOrder, local_timezone, resolve_timezone
from capi_desktop.core.normalise.money import normalise_currency
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import SpreadsheetError, Table
from capi_desktop.core.staging import ImportCancelled
from capi_desktop.gui.mapping_table import MappingTable, column_samples
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.widgets import (
    BRAND_BLUE,
    Notice,
    busy_bar,
    heading_label,
    primary_button,
    side_button,
    small_label,
    wrapped_label,
)
from capi_desktop.runtime import Mode

if TYPE_CHECKING:
    from capi_desktop.app.imports import InspectedFile

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
FILE_FILTER = "Spreadsheets (*.xlsx *.xlsm *.xls *.ods *.csv *.tsv *.txt);;All files (*)"
COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "JPY", "INR", "BRL")
DATE_ORDERS = (
    (DateOrder.AUTO, "Automatic (from the dates themselves)"),
    (DateOrder.DMY, "Day-month-year (23/11/2026)"),
    (DateOrder.MDY, "Month-day-year (11/23/2026)"),
    (DateOrder.YMD, "Year-month-day (2026-11-23)"),
)
CHOOSE_EVENT = "— choose —"
STOPPED_MESSAGE = "Checking the rows was stopped; nothing was kept. Press Next to check them again."
DATE_ORDER_QUESTION = (
    "Some dates, such as 05/06/2026, could be day-month or month-day, and no row in the file tells which. "
    "Choose the date order above and press Next. If you go on without choosing, the rows with such dates "
    "are not sent."
)
NO_RULE = "Go back and choose the conversion rule these conversions count for."
EVENT_NAME_NEEDED = (
    "Choose the column with the event names (such as LEAD or PURCHASE) that decide the conversion rule, "
    "or one event name for every row."
)

# (parent, the folder to start in) -> the chosen file, or None when the user cancelled.
FileChooser = Callable[[QWidget, Path], Path | None]
LAST_FOLDER_KEY = "files/last_folder"


def browse_for_spreadsheet(parent: QWidget, folder: Path) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Choose your spreadsheet", str(folder), FILE_FILTER)
    return Path(name) if name else None


def dropped_file(mime: QMimeData) -> Path | None:
    """The one local spreadsheet being dragged, if that is what it is."""
    files = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    if len(files) != 1 or files[0].suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    return files[0]


@dataclass(frozen=True)
class OpenedFile:
    inspected: InspectedFile
    samples: list[list[str]]  # each column's examples, as shown
    zones: list[str] | None  # the time zone names, loaded with the first file

    @property
    def path(self) -> Path:
        return self.inspected.path

    @property
    def table(self) -> Table:
        return self.inspected.table


@dataclass(frozen=True)
class Choices:
    """What the page's controls say, checked: the options to stage with, or the reasons they cannot be."""

    options: ImportOptions | None
    problems: list[str]


class SpreadsheetPage(WizardPage):
    def __init__(
        self, mode: Mode, session: UploadSession, window_state: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            mode,
            "Your spreadsheet",
            "Open the file with your conversions, then check which column holds what. Nothing is sent yet.",
            parent,
        )
        self._mode = mode
        self._session = session
        self.choose_file: FileChooser = browse_for_spreadsheet  # replaceable by tests
        self._window_state = window_state  # the folder of the last file chosen, for next month's upload
        self._table: Table | None = None
        self._busy = False
        self._message: str | None = None  # an open failure, a stopped import, or the date-order question
        self._event_constant: str | None = None
        self._currency_edited = False
        self._initialised = False
        self._staged_table: Table | None = None
        self._staged_options: ImportOptions | None = None
        self.setAcceptDrops(True)

        self.stack = QStackedWidget()
        self.choose_view = self._build_choose_view()
        self.mapping_view = self._build_mapping_view()
        self.stack.addWidget(self.choose_view)
        self.stack.addWidget(self.mapping_view)
        self.body.addWidget(self.stack, 1)
        self.notice = Notice()
        self.body.addWidget(self.notice)
        self.progress_panel = self._build_progress_panel()
        self.body.addWidget(self.progress_panel)

    # -- building ------------------------------------------------------------------------------------

    def _build_choose_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        self.drop_zone = QFrame()
        self.drop_zone.setObjectName("dropZone")
        self._highlight_drop_zone(False)
        zone = QVBoxLayout(self.drop_zone)
        zone.setContentsMargins(24, 24, 24, 24)
        zone.setSpacing(10)
        zone.addStretch(1)
        title = heading_label("Drop your spreadsheet here", scale=1.3)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        zone.addWidget(title)
        formats = wrapped_label("Excel (.xlsx, .xlsm, .xls), OpenDocument (.ods), or CSV and text files")
        formats.setAlignment(Qt.AlignmentFlag.AlignCenter)
        zone.addWidget(formats)
        self.browse_button = primary_button("Browse…")
        self.browse_button.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.browse_button)
        row.addStretch(1)
        zone.addSpacing(6)
        zone.addLayout(row)
        self.example_button = side_button("Use an example spreadsheet", self.use_example)
        self.example_hint = small_label(
            "Practice with a made-up CRM export: 200 conversions, a few of them with typical mistakes."
        )
        self.example_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.example_button)
        row.addStretch(1)
        zone.addSpacing(12)
        zone.addLayout(row)
        zone.addWidget(self.example_hint)
        practice = self._mode is Mode.SANDBOX
        self.example_button.setVisible(practice)
        self.example_hint.setVisible(practice)
        zone.addStretch(1)
        layout.addWidget(self.drop_zone)
        return view

    def _build_mapping_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        top = QHBoxLayout()
        top.setSpacing(8)
        self.file_label = heading_label(scale=1.05)
        self.file_label.setWordWrap(False)
        top.addWidget(self.file_label, 1)
        self.sheet_label = QLabel("Sheet:")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("Sheet")
        self.sheet_combo.setMinimumContentsLength(10)
        self.sheet_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sheet_combo.activated.connect(self._sheet_chosen)
        self.sheet_label.setBuddy(self.sheet_combo)
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet_combo)
        header_label = QLabel("Column names in row:")
        self.header_spin = QSpinBox()
        self.header_spin.setAccessibleName("Row with the column names")
        self.header_spin.setRange(0, 1_048_576)
        self.header_spin.setSpecialValueText("none")
        self.header_spin.setKeyboardTracking(False)  # reopen once the number is typed, not per digit
        self.header_spin.setToolTip("The row that holds the column names; 0 if the file has none.")
        self.header_spin.valueChanged.connect(self._header_row_chosen)
        header_label.setBuddy(self.header_spin)
        top.addSpacing(8)
        top.addWidget(header_label)
        top.addWidget(self.header_spin)
        self.other_file_button = side_button("Other file…", self._browse)
        top.addSpacing(8)
        top.addWidget(self.other_file_button)
        layout.addLayout(top)

        self.mapping_table = MappingTable()
        self.mapping_table.mappingChanged.connect(self._mapping_changed)
        layout.addWidget(self.mapping_table, 1)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.timezone_combo = QComboBox()
        self.timezone_combo.setEditable(True)
        self.timezone_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.timezone_combo.setAccessibleName("Time zone")
        self.timezone_combo.setToolTip("Times in the file without a time zone are read in this one. Type to search.")
        completer = QCompleter(self.timezone_combo.model(), self.timezone_combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.timezone_combo.setCompleter(completer)
        self.timezone_combo.currentTextChanged.connect(self._setting_changed)
        self.timezone_note = small_label("your computer's time zone")
        self.timezone_note.setWordWrap(False)
        here = local_timezone().key
        self.timezone_combo.currentTextChanged.connect(lambda text: self.timezone_note.setVisible(text.strip() == here))
        zone_box = QWidget()
        zone_row = QHBoxLayout(zone_box)
        zone_row.setContentsMargins(0, 0, 0, 0)
        zone_row.addWidget(self.timezone_combo, 1)
        zone_row.addWidget(self.timezone_note)
        self._add_setting(grid, 0, 0, "Time zone:", zone_box, buddy=self.timezone_combo)

        self.date_order_combo = QComboBox()
        self.date_order_combo.setAccessibleName("Date order")
        self.date_order_combo.setToolTip("How the file writes dates such as 05/06/2026.")
        for order, text in DATE_ORDERS:
            self.date_order_combo.addItem(text, order)
        self.date_order_combo.currentIndexChanged.connect(self._date_order_chosen)
        self.date_order_box = QFrame()
        self.date_order_box.setObjectName("dateOrderBox")
        box = QHBoxLayout(self.date_order_box)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(self.date_order_combo)
        self._add_setting(grid, 0, 2, "Date order:", self.date_order_box, buddy=self.date_order_combo)

        self.currency_combo = QComboBox()
        self.currency_combo.setEditable(True)
        self.currency_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.currency_combo.addItems(["", *COMMON_CURRENCIES])
        self.currency_combo.setAccessibleName("Default currency")
        self.currency_combo.setToolTip("For values without a currency sign or currency column, e.g. EUR.")
        line = self.currency_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("none")
            line.textEdited.connect(self._currency_edited_by_user)
        self.currency_combo.activated.connect(self._currency_edited_by_user)
        self.currency_combo.currentTextChanged.connect(self._setting_changed)
        self._add_setting(grid, 1, 0, "Default currency:", self.currency_combo)

        self.value_edit = QLineEdit()
        self.value_edit.setAccessibleName("Default value")
        self.value_edit.setPlaceholderText("optional, e.g. 100")
        self.value_edit.setToolTip("For rows whose value is empty. Leave it empty to send those rows without one.")
        self.value_edit.textChanged.connect(self._setting_changed)
        self._add_setting(grid, 1, 2, "Default value:", self.value_edit)

        self.event_combo = QComboBox()
        self.event_combo.setAccessibleName("Event name")
        self.event_combo.setToolTip("The event name of each row decides which conversion rule it counts for.")
        self.event_combo.activated.connect(self._event_chosen)
        self.event_label = self._add_setting(grid, 2, 0, "Event name:", self.event_combo, span=3)
        layout.addLayout(grid)
        return view

    @staticmethod
    def _add_setting(
        grid: QGridLayout,
        row: int,
        column: int,
        text: str,
        widget: QWidget,
        *,
        buddy: QWidget | None = None,
        span: int = 1,
    ) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy or widget)
        grid.addWidget(label, row, column)
        grid.addWidget(widget, row, column + 1, 1, span)
        return label

    def _build_progress_panel(self) -> QWidget:
        panel = QWidget()
        layout = QHBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.progress_label = wrapped_label()
        self.progress_bar = busy_bar(260)  # how many rows a file has is only known at its end
        self.cancel_button = side_button("Stop", self.cancel_staging)
        layout.addWidget(self.progress_label, 1)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.cancel_button)
        panel.hide()
        return panel

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        if not self._initialised:
            self._initialised = True
            self._apply_profile_settings()
        elif not self._currency_edited:
            self._set_currency(self._default_currency())  # the account may have changed
        self._refresh_event_row()
        self._refresh()

    def cleanupPage(self) -> None:
        # Back: stop reading or checking; every choice stays for when the user returns.
        self.stop_background_work()
        self._set_idle()
        super().cleanupPage()

    def isComplete(self) -> bool:
        return self._table is not None and not self._busy and not self.choices().problems

    def validatePage(self) -> bool:
        if self._busy or self._table is None:
            return False
        choices = self.choices()
        if choices.options is None:
            return False
        if (
            self._session.journal is not None
            and self._staged_table is self._table
            and self._staged_options == choices.options
        ):
            return True
        self._stage(self._table, choices.options)
        return False  # the page moves on by itself once the rows are checked

    # -- what the controls say --------------------------------------------------------------------

    @property
    def table(self) -> Table | None:
        return self._table

    @property
    def busy(self) -> bool:
        return self._busy

    def choices(self) -> Choices:
        table = self._table
        if table is None:
            return Choices(None, ["Open your spreadsheet first."])
        problems: list[str] = []
        rules = self._session.rules
        if rules is None or (rules.rule_id is None and not rules.by_event):
            problems.append(NO_RULE)
        zone_text = self.timezone_combo.currentText().strip()
        zone = None
        if not zone_text:
            problems.append("Choose the time zone of the times in your file.")
        else:
            try:
                zone = resolve_timezone(zone_text).key
            except ValueProblem as problem:
                problems.append(str(problem))
        currency = None
        if self.currency_combo.currentText().strip():
            try:
                currency = normalise_currency(self.currency_combo.currentText())
            except ValueProblem as problem:
                problems.append(f"Default currency: {problem}")
        value: Decimal | None = None
        if self.value_edit.text().strip():
            try:
                value = parse_constant_value(self.value_edit.text())
            except ValueProblem as problem:
                problems.append(f"Default value: {problem}")
        by_event = bool(rules and rules.rule_id is None and rules.by_event)
        columns = self.mapping_table.chosen()
        mapping = ColumnMapping(
            columns=columns, currency=currency, value=value, event_name=self._event_constant if by_event else None
        )
        problems = mapping.problems(table.columns) + problems
        if by_event and Field.EVENT_NAME not in columns and mapping.event_name is None:
            problems.append(EVENT_NAME_NEEDED)
        if problems or rules is None or zone is None:
            return Choices(None, problems)
        order = self.date_order_combo.currentData()
        return Choices(ImportOptions(rules=rules, mapping=mapping, timezone=zone, date_order=order), [])

    # -- opening a file ---------------------------------------------------------------------------

    def open_file(self, path: Path) -> None:
        """Open ``path`` as a new spreadsheet: sheet, header row and mapping are found (or taken from the
        profile) afresh."""
        self._window_state.setValue(LAST_FOLDER_KEY, str(path.parent))
        self._open(path, sheet=None, header_row=None, fresh=True)

    def use_example(self) -> None:
        """Write a fresh example spreadsheet (dates relative to today) into the data folder and open it."""
        from capi_desktop.core.example import example_path

        self._open(example_path(paths.data_dir()), sheet=None, header_row=None, fresh=True, write_example=True)

    def _browse(self) -> None:
        if self._busy:
            return
        path = self.choose_file(self, self.last_folder())
        if path is not None:
            self.open_file(path)

    def last_folder(self) -> Path:
        """Where the user last took a spreadsheet from (by the dialog or by dragging), else their home."""
        saved = Path(str(self._window_state.value(LAST_FOLDER_KEY, "")))
        return saved if saved.is_absolute() and saved.is_dir() else Path.home()

    def _open(
        self, path: Path, *, sheet: str | None, header_row: int | None, fresh: bool, write_example: bool = False
    ) -> None:
        profile = self._session.profile if fresh else None
        need_zones = self.timezone_combo.count() <= 1

        def task(control: Control, report: object) -> OpenedFile:
            if write_example:
                from capi_desktop.core.example import write_example as write

                write(path)
            from capi_desktop.app.imports import inspect_file  # the readers and detection: loaded when first used

            inspected = inspect_file(path, sheet=sheet, header_row=header_row, profile=profile)
            zones = sorted(available_timezones()) if need_zones else None
            table = inspected.table
            return OpenedFile(inspected, column_samples(table.columns, inspected.samples), zones)

        self._message = None
        self._set_busy(f"Opening “{path.name}”…", cancellable=False)
        self.run_in_background(task, lambda opened: self._opened(opened, fresh))

    def _opened(self, opened: OpenedFile, fresh: bool) -> None:
        previous = self._table
        if previous is not None and previous is not opened.table:
            previous.release()
        table = opened.table
        keep = not fresh and previous is not None and previous.columns == table.columns
        mapping = self.mapping_table.chosen() if keep else self._initial_mapping(opened, fresh)
        self._table = table
        self._session.source = opened.path
        self._session.table = table
        if opened.zones:
            self._fill_zones(opened.zones)

        self.file_label.setText(opened.path.name)
        self.file_label.setToolTip(str(opened.path))
        self.sheet_combo.clear()
        self.sheet_combo.addItems(opened.inspected.sheets)
        if table.sheet is not None:
            self.sheet_combo.setCurrentText(table.sheet)
        for widget in (self.sheet_label, self.sheet_combo):
            widget.setVisible(bool(opened.inspected.sheets))  # text files have no sheets
        self.sheet_combo.setEnabled(len(opened.inspected.sheets) > 1)
        self.header_spin.blockSignals(True)
        self.header_spin.setValue(table.header_row)
        self.header_spin.blockSignals(False)
        self.mapping_table.set_columns(table.columns, opened.samples, mapping)
        if fresh and opened.inspected.guess.currency and not self._currency_edited:
            self._set_currency(opened.inspected.guess.currency)  # "Amount (EUR)": the header says it
        if opened.inspected.header_note:
            self._message = opened.inspected.header_note
        self._refresh_event_row()
        self.stack.setCurrentWidget(self.mapping_view)
        self._set_idle()
        self._refresh()

    def _initial_mapping(self, opened: OpenedFile, fresh: bool) -> dict[Field, tuple[str, ...]]:
        """The guess, overridden by the profile's choices wherever the profile's columns are in this file."""
        profile = self._session.profile if fresh else None
        from capi_desktop.app.imports import merge_mapping

        return dict(merge_mapping(opened.inspected.guess, profile, opened.table.columns).columns)

    def _sheet_chosen(self, index: int) -> None:
        name = self.sheet_combo.itemText(index)
        if self._table is not None and name != self._table.sheet:
            self._open(self._table.path, sheet=name, header_row=None, fresh=False)

    def _header_row_chosen(self, row: int) -> None:
        if self._table is not None and row != self._table.header_row:
            self._open(self._table.path, sheet=self._table.sheet, header_row=row, fresh=False)

    # -- staging ----------------------------------------------------------------------------------

    def _stage(self, table: Table, options: ImportOptions) -> None:
        self._discard_staged_job()
        account = self._session.account
        data_dir = paths.data_dir()
        names = {rule_id: rule.name for rule_id, rule in self._session.rules_by_id.items()}

        def task(control: Control, report: Callable[[int], None]) -> StagedJob:
            return stage_job(
                data_dir,
                table,
                options,
                account_id=account.id if account is not None else None,
                account_name=account.name if account is not None else "",
                rule_names=names,
                progress=report,
                control=control,
            )

        self._message = None
        self._set_busy("Checking your rows…", cancellable=True)
        self.run_in_background(task, lambda staged: self._staged(staged, table, options), self._staging_progress)

    def cancel_staging(self) -> None:
        operation = self.background_operation
        if operation is not None:
            operation.cancel()
            self.progress_label.setText("Stopping…")
            self.cancel_button.setEnabled(False)

    def _staging_progress(self, done: int) -> None:
        if self._busy:
            self.progress_label.setText(f"Checking your rows… {done:,} done")

    def _staged(self, staged: StagedJob, table: Table, options: ImportOptions) -> None:
        session = self._session
        session.journal, session.record, session.summary = staged.journal, staged.record, staged.summary
        session.options, session.table, session.source = options, table, table.path
        session.report_path = None
        self._staged_table, self._staged_options = table, options
        logger.info("staged %s into job %s", table.path.name, staged.journal.job_id)
        self._set_idle()
        if staged.summary.date_order_needed:
            self._message = DATE_ORDER_QUESTION
            self._highlight_date_order(True)
            self.date_order_combo.setFocus()
            self._refresh()
            return
        wizard = self.wizard()
        if wizard is not None and wizard.currentPage() is self:
            wizard.next()

    def _discard_staged_job(self) -> None:
        """Forget the job staged with earlier choices; delete it unless an upload already used it."""
        session = self._session
        journal, session.journal, session.record, session.summary = session.journal, None, None, None
        self._staged_table = self._staged_options = None
        if journal is not None:
            release_job(journal)

    # -- background job results ---------------------------------------------------------------------

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        self._set_idle()
        self._restore_table_controls()
        if cancelled or isinstance(exc, ImportCancelled):
            self._message = STOPPED_MESSAGE
        elif isinstance(exc, SpreadsheetError | ValueProblem | JournalError):
            self._message = str(exc)  # the user's file or choices: said plainly, right here
        else:
            super().background_failed(exc, cancelled)
        self._refresh()

    def _restore_table_controls(self) -> None:
        table = self._table
        if table is None:
            return
        self.header_spin.blockSignals(True)
        self.header_spin.setValue(table.header_row)
        self.header_spin.blockSignals(False)
        if table.sheet is not None:
            self.sheet_combo.setCurrentText(table.sheet)

    def _set_busy(self, text: str, *, cancellable: bool) -> None:
        self._busy = True
        self.progress_label.setText(text)
        self.cancel_button.setVisible(cancellable)
        self.cancel_button.setEnabled(True)
        self.progress_panel.show()
        self.stack.setEnabled(False)
        self.notice.show_messages(())
        self.completeChanged.emit()

    def _set_idle(self) -> None:
        self._busy = False
        self.progress_panel.hide()
        self.stack.setEnabled(True)

    # -- settings ------------------------------------------------------------------------------------

    def _apply_profile_settings(self) -> None:
        profile = self._session.profile
        zone = profile.timezone if profile and profile.timezone else local_timezone().key
        self.timezone_combo.addItem(zone)
        self.timezone_combo.setCurrentText(zone)
        order = profile.date_order if profile else DateOrder.AUTO
        self.date_order_combo.setCurrentIndex(self.date_order_combo.findData(order))
        if profile and profile.mapping.currency:
            self._set_currency(profile.mapping.currency)
            self._currency_edited = True  # the profile's choice, not a default to follow the account
        else:
            self._set_currency(self._default_currency())
        if profile and profile.mapping.value is not None:
            self.value_edit.setText(str(profile.mapping.value))
        if profile and profile.mapping.event_name:
            self._event_constant = profile.mapping.event_name

    def _default_currency(self) -> str:
        account = self._session.account
        return account.currency if account is not None else ""

    def _set_currency(self, code: str) -> None:
        if code and self.currency_combo.findText(code) < 0:
            self.currency_combo.addItem(code)
        self.currency_combo.setCurrentText(code)

    def _currency_edited_by_user(self, *_: object) -> None:
        self._currency_edited = True

    def _fill_zones(self, zones: list[str]) -> None:
        current = self.timezone_combo.currentText()
        self.timezone_combo.blockSignals(True)
        self.timezone_combo.clear()
        self.timezone_combo.addItems(zones)
        if current and self.timezone_combo.findText(current) < 0:
            self.timezone_combo.addItem(current)
        self.timezone_combo.setCurrentText(current)
        self.timezone_combo.blockSignals(False)

    def _refresh_event_row(self) -> None:
        rules = self._session.rules
        by_event = bool(rules and rules.rule_id is None and rules.by_event)
        self.event_label.setVisible(by_event)
        self.event_combo.setVisible(by_event)
        if not by_event or rules is None:
            return
        self.event_combo.clear()
        self.event_combo.addItem(CHOOSE_EVENT, None)
        for column in self.mapping_table.columns:
            self.event_combo.addItem(f"From the column “{column}”", ("column", column))
        for name in rules.by_event:
            self.event_combo.addItem(f"Every row is {name.upper()}", ("constant", name.upper()))
        columns = self.mapping_table.chosen().get(Field.EVENT_NAME)
        if columns:
            self.event_combo.setCurrentIndex(self.event_combo.findData(("column", columns[0])))
        elif self._event_constant:
            self.event_combo.setCurrentIndex(max(0, self.event_combo.findData(("constant", self._event_constant))))

    def _event_chosen(self, index: int) -> None:
        choice = self.event_combo.itemData(index)
        if choice is None:
            self._event_constant = None
            self.mapping_table.clear_field(Field.EVENT_NAME)
        elif choice[0] == "column":
            self._event_constant = None
            self.mapping_table.set_field(choice[1], Field.EVENT_NAME)
        else:
            self._event_constant = choice[1]
            self.mapping_table.clear_field(Field.EVENT_NAME)
        self._refresh()

    def _mapping_changed(self) -> None:
        if Field.EVENT_NAME in self.mapping_table.chosen():
            self._event_constant = None
        self._refresh_event_row()
        self._setting_changed()

    def _date_order_chosen(self) -> None:
        self._highlight_date_order(False)
        if self._message == DATE_ORDER_QUESTION:
            self._message = None
        self._refresh()

    def _setting_changed(self, *_: object) -> None:
        if self._message == STOPPED_MESSAGE:
            self._message = None
        self._refresh()

    def _refresh(self) -> None:
        if self._busy:
            return
        messages = list(self.choices().problems) if self._table is not None else []
        if self._message:
            messages.insert(0, self._message)
        self.notice.show_messages(tuple(messages))
        self.completeChanged.emit()

    # -- look ----------------------------------------------------------------------------------------

    def _highlight_drop_zone(self, on: bool) -> None:
        border = BRAND_BLUE if on else "palette(mid)"
        background = "palette(alternate-base)" if on else "transparent"
        self.drop_zone.setStyleSheet(
            f"#dropZone {{ border: 2px dashed {border}; border-radius: 12px; background: {background}; }}"
        )

    def _highlight_date_order(self, on: bool) -> None:
        self.date_order_box.setStyleSheet(
            "#dateOrderBox { border: 2px solid #E5A679; border-radius: 5px; background: #FDEEE4; }" if on else ""
        )

    # -- drag and drop -----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not self._busy and dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()
            self._highlight_drop_zone(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not self._busy and dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._highlight_drop_zone(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._highlight_drop_zone(False)
        path = dropped_file(event.mimeData())
        if self._busy or path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_file(path)
