"""Preview: every row of the staged job as LinkedIn would receive it, before anything is sent.

The counts and match-readiness shares come from the staging summary; the table reads the job's journal
page by page (see ``preview_model``), so a million-row job opens as fast as a small one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from capi_desktop import paths
from capi_desktop.app.jobs import AlreadySent, already_sent
from capi_desktop.core.control import Control
from capi_desktop.core.journal import Journal, JournalError, RowState
from capi_desktop.core.normalise.dates import resolve_timezone
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import SpreadsheetError
from capi_desktop.core.staging import StageSummary
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.preview_model import Column, PreviewModel, RowFilter, state_colour
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.widgets import Notice, heading_label, side_button, small_label, wrapped_label
from capi_desktop.runtime import Mode

REPORT_FILTER = "Excel workbook (*.xlsx);;CSV file (*.csv)"
LEAVES_TITLE = "What leaves your computer"
LEAVES_TEXT = (
    "Email addresses only as SHA-256 hashes, one-way codes that never reveal the address. First and last "
    "name, company, job title and country in plain text, as LinkedIn requires them for matching. And each "
    "conversion's time, value and event id. Nothing else from your spreadsheet is sent."
)
ERRORS_NOT_SENT = (
    "Rows with errors are not sent. To include them, fix them in your spreadsheet and open it again; "
    "“Save problems report…” lists each one with the reason."
)
NOTHING_NEW = (
    "Every row that can be sent was sent to this ad account before: there is nothing new to upload. To send "
    "newer conversions, go back and open the newer spreadsheet."
)
COLUMN_WIDTHS = {
    Column.ROW: 64,
    Column.STATE: 104,
    Column.REASON: 380,
    Column.EMAIL_HASH: 160,
    Column.FIRST_NAME: 90,
    Column.LAST_NAME: 100,
    Column.COMPANY: 150,
    Column.TITLE: 140,
    Column.COUNTRY: 64,
    Column.TIME: 160,
    Column.VALUE: 110,
    Column.EVENT_ID: 150,
    Column.RULE: 160,
}

ReportChooser = Callable[[QWidget, Path], Path | None]


def choose_report_path(parent: QWidget, suggested: Path) -> Path | None:
    name, chosen_filter = QFileDialog.getSaveFileName(parent, "Save problems report", str(suggested), REPORT_FILTER)
    if not name:
        return None
    path = Path(name)
    if not path.suffix:
        path = path.with_suffix(".csv" if "csv" in chosen_filter.lower() else ".xlsx")
    return path


@dataclass(frozen=True)
class SavedReport:
    path: Path
    rows: int
    own_columns: bool  # False when the spreadsheet changed since and only row numbers could be listed


def upload_button_text(sendable: int) -> str:
    if not sendable:
        return "Nothing to upload"
    return "Upload 1 conversion" if sendable == 1 else f"Upload {sendable:,} conversions"


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class _Count(QWidget):
    """A number with what it counts, e.g. "183 ready to send"."""

    def __init__(self, caption: str, state: RowState | None) -> None:
        super().__init__()
        self.state = state
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.number = QLabel()
        font = QFont(self.number.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.number.setFont(font)
        self.caption = QLabel(caption)
        layout.addWidget(self.number, 0, Qt.AlignmentFlag.AlignBaseline)
        layout.addWidget(self.caption, 0, Qt.AlignmentFlag.AlignBaseline)

    def show_count(self, count: int, dark: bool) -> None:
        self.number.setText(f"{count:,}")
        if self.state is not None and count:
            self.number.setStyleSheet(f"color: {state_colour(self.state, dark).name()};")
        else:
            self.number.setStyleSheet("")


class PreviewPage(WizardPage):
    def __init__(self, mode: Mode, session: UploadSession, parent: QWidget | None = None) -> None:
        super().__init__(
            mode,
            "Check what will be sent",
            "Nothing has been sent yet. Each row of your spreadsheet is shown as LinkedIn would receive it.",
            parent,
        )
        self._session = session
        self.already_sent = 0  # rows of this job LinkedIn accepted in an earlier upload (found after opening)
        self._messages: tuple[str, ...] = ()
        self.choose_report_path: ReportChooser = choose_report_path  # replaceable by tests
        self.model: PreviewModel | None = None

        counts = QHBoxLayout()
        counts.setSpacing(22)
        self.ok_count = _Count("ready to send", RowState.OK)
        self.warning_count = _Count("with warnings (sent)", RowState.WARNING)
        self.error_count = _Count("with errors (not sent)", RowState.ERROR)
        self.duplicate_count = _Count("of them duplicates", None)
        self.already_count = _Count("already sent before", None)
        for widget in (self.ok_count, self.warning_count, self.error_count, self.duplicate_count, self.already_count):
            counts.addWidget(widget)
        counts.addStretch(1)
        self.body.addLayout(counts)
        self.readiness_label = wrapped_label()
        self.body.addWidget(self.readiness_label)
        self.notice = Notice()
        self.body.addWidget(self.notice)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[RowFilter, QPushButton] = {}
        for row_filter in RowFilter:
            button = QPushButton(row_filter.label)
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked, f=row_filter: self.show_rows(f))
            self.filter_group.addButton(button)
            self.filter_buttons[row_filter] = button
            bar.addWidget(button)
        self.filter_buttons[RowFilter.ALL].setChecked(True)
        self.filter_buttons[RowFilter.PROBLEMS].setToolTip("Rows with errors: these are not sent.")
        self.filter_buttons[RowFilter.WARNINGS].setToolTip("Rows sent with a note, e.g. matched on name only.")
        self.filter_buttons[RowFilter.ALREADY_SENT].setToolTip(
            "Rows LinkedIn accepted in an earlier upload to this ad account: they are not sent again."
        )
        bar.addStretch(1)
        self.report_button = side_button("Save problems report…", self.save_problems_report)
        self.report_button.setToolTip("Your own rows and columns, with a Problem column saying what is wrong.")
        bar.addWidget(self.report_button)
        self.body.addLayout(bar)

        self.view = QTableView()
        self.view.setAccessibleName("Rows as they would be sent")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.verticalHeader().hide()
        rows = self.view.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measures a million rows
        rows.setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        self.view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.body.addWidget(self.view, 1)
        # The whole reason of the row the user clicks: the Reason column is often too narrow for it.
        self.detail_label = wrapped_label()
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.hide()
        self.body.addWidget(self.detail_label)

        self.report_label = small_label()
        self.report_label.hide()
        self.body.addWidget(self.report_label)
        leaves = QVBoxLayout()
        leaves.setSpacing(2)
        leaves.addWidget(heading_label(LEAVES_TITLE, scale=1.0))
        self.leaves_label = small_label(LEAVES_TEXT)
        self.leaves_label.setForegroundRole(QPalette.ColorRole.WindowText)  # a promise, not a footnote
        leaves.addWidget(self.leaves_label)
        self.body.addLayout(leaves)

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        summary, journal = self._session.summary, self._session.journal
        self.already_sent = 0
        self._close_model()
        self.report_label.hide()
        if summary is None or journal is None:
            self.completeChanged.emit()
            return
        names = {rule_id: rule.name for rule_id, rule in self._session.rules_by_id.items()}
        zone = resolve_timezone(self._session.options.timezone if self._session.options else None)
        self.model = PreviewModel(journal, names, dark=is_dark(self.view.palette()), zone=zone)
        self.view.setModel(self.model)
        self.view.selectionModel().currentRowChanged.connect(self._show_detail)
        self.detail_label.hide()
        for column, width in COLUMN_WIDTHS.items():
            self.view.setColumnWidth(column, width)
        self.filter_buttons[RowFilter.ALL].setChecked(True)
        self.filter_buttons[RowFilter.ALREADY_SENT].hide()
        self._show_summary(summary)
        self.setButtonText(QWizard.WizardButton.NextButton, upload_button_text(summary.sendable))
        self.completeChanged.emit()
        account = self._session.account
        if account is not None and summary.sendable:  # what the sent-ledger already holds, off the GUI thread
            job_path, data = journal.path, paths.data_dir()
            self.run_in_background(
                lambda cancel, progress: already_sent(data, job_path, account.id), self._show_already_sent
            )

    def _show_already_sent(self, found: AlreadySent) -> None:
        summary, count = self._session.summary, found.count
        self.already_sent = count
        if not count or summary is None or self.model is None:
            return
        self.model.set_already_sent(found)
        # The ready and warning counts are of rows that go now; the ones sent before are counted apart.
        dark = is_dark(self.palette())
        self.ok_count.show_count(summary.ok - (count - found.warnings), dark)
        self.warning_count.show_count(summary.warnings - found.warnings, dark)
        self.already_count.show_count(count, dark)
        self.already_count.show()
        self.completeChanged.emit()
        button = self.filter_buttons[RowFilter.ALREADY_SENT]
        button.setText(f"Already sent ({count:,})")
        button.show()
        self.setButtonText(QWizard.WizardButton.NextButton, upload_button_text(summary.sendable - count))
        if count == summary.sendable:
            self.readiness_label.setText(NOTHING_NEW)
        rows = "1 row was" if count == 1 else f"{count:,} rows were"
        said = f"{rows} already sent to this ad account {found.when()}, in an earlier upload: they are not sent again."
        self.notice.show_messages((*self._messages, said))

    def cleanupPage(self) -> None:
        self.stop_background_work()
        self._close_model()
        super().cleanupPage()

    def isComplete(self) -> bool:
        summary = self._session.summary
        return self.model is not None and summary is not None and summary.sendable - self.already_sent > 0

    # -- showing ---------------------------------------------------------------------------------

    def show_rows(self, row_filter: RowFilter) -> None:
        self.filter_buttons[row_filter].setChecked(True)
        if self.model is not None and self.model.row_filter is not row_filter:
            self.model.set_filter(row_filter)
            self.view.scrollToTop()

    def _show_summary(self, summary: StageSummary) -> None:
        dark = is_dark(self.palette())
        self.ok_count.show_count(summary.ok, dark)
        self.warning_count.show_count(summary.warnings, dark)
        self.error_count.show_count(summary.errors, dark)
        self.duplicate_count.show_count(summary.duplicates, dark)
        self.duplicate_count.setVisible(summary.duplicates > 0)
        self.already_count.hide()  # until the sent-ledger has answered
        self.filter_buttons[RowFilter.ALL].setText(f"All ({summary.rows:,})")
        self.filter_buttons[RowFilter.PROBLEMS].setText(f"Problems ({summary.errors:,})")
        self.filter_buttons[RowFilter.WARNINGS].setText(f"Warnings ({summary.warnings:,})")
        self.report_button.setEnabled(summary.errors + summary.warnings > 0)
        if summary.sendable:
            self.readiness_label.setText(
                "How well LinkedIn can match the rows sent:  "
                f"{summary.share(summary.with_email):.0%} with a hashed email  ·  "
                f"{summary.share(summary.with_name_company):.0%} with name and company  ·  "
                f"{summary.share(summary.with_click_id):.0%} with a LinkedIn click id"
            )
        else:
            self.readiness_label.setText("No row can be sent as it is. The reasons are in the table.")
        messages = []
        if summary.errors:
            messages.append(ERRORS_NOT_SENT)
        if summary.unmapped_event_names:
            names = ", ".join(f"{name} ({count:,})" for name, count in sorted(summary.unmapped_event_names.items()))
            messages.append(f"These event names have no conversion rule, so their rows are not sent: {names}.")
        if summary.date_order_needed:
            messages.append(
                "Some dates could be day-month or month-day; those rows are not sent. Go back and choose the "
                "date order to include them."
            )
        self._messages = tuple(messages)
        self.notice.show_messages(self._messages)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            if self.model is not None:
                self.model.set_dark(is_dark(self.view.palette()))
            if self._session.summary is not None and self.model is not None:
                self._show_summary(self._session.summary)

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        line = self.model.line(current.row()) if self.model is not None and current.isValid() else None
        if line is None or not line[Column.REASON]:
            self.detail_label.hide()
            return
        self.detail_label.setText(f"Row {line[Column.ROW]:,}: {line[Column.REASON]}")
        self.detail_label.show()

    def _close_model(self) -> None:
        if self.model is not None:
            self.model.close()
            self.view.setModel(None)
            self.model.deleteLater()
            self.model = None

    # -- problems report ---------------------------------------------------------------------------

    def save_problems_report(self) -> None:
        journal = self._session.journal
        if journal is None or self.background_operation is not None:
            return
        source = self._session.source or Path.home() / "conversions.xlsx"
        path = self.choose_report_path(self, source.with_name(f"{source.stem} - problems.xlsx"))
        if path is None:
            return
        journal_path, table = journal.path, self._session.table

        def task(control: Control, report: object) -> SavedReport:
            from capi_desktop.core.reports import write_problems_report  # openpyxl: loaded on first use

            with Journal(journal_path) as reader:  # its own connection: the table keeps reading meanwhile
                if table is not None:
                    try:
                        return SavedReport(path, write_problems_report(table, reader, path), True)
                    except SpreadsheetError:
                        pass  # moved or changed since it was checked: list the row numbers instead
                return SavedReport(path, write_problems_report(None, reader, path), False)

        self.report_button.setEnabled(False)
        self._show_report_status(f"Saving the problems report to {path}…")
        self.run_in_background(task, self._report_saved)

    def _report_saved(self, saved: SavedReport) -> None:
        self._session.report_path = saved.path
        self.report_button.setEnabled(True)
        rows = "1 row" if saved.rows == 1 else f"{saved.rows:,} rows"
        text = f"Saved the problems report ({rows}) to {saved.path}."
        if not saved.own_columns:
            text += " Your spreadsheet changed since it was checked, so the report lists row numbers and reasons only."
        self._show_report_status(text)

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        self.report_button.setEnabled(True)
        if isinstance(exc, ValueProblem | JournalError | SpreadsheetError | OSError):
            self._show_report_status(f"The problems report was not saved: {exc}")
            return
        self.report_label.hide()
        super().background_failed(exc, cancelled)

    def _show_report_status(self, text: str) -> None:
        self.report_label.setText(text)
        self.report_label.show()
