"""History and results: every upload job, newest first, the same list as ``capi-desktop history``; for
the selected job, what LinkedIn has credited to its rules since (``app.results``), as a sentence, a
chart of the last 90 days and the rules' health. Jobs can be deleted here (their accepted events stay
remembered, so nothing is sent twice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from capi_desktop import paths
from capi_desktop.app.jobs import JobEntry, delete_job, list_jobs, open_job, source_table
from capi_desktop.app.results import Results, results
from capi_desktop.core.control import Control
from capi_desktop.core.normalise.dates import format_day
from capi_desktop.core.reports import write_problems_report
from capi_desktop.gui.background import OperationSlot
from capi_desktop.gui.errors import show_error
from capi_desktop.gui.results_chart import ResultsChart
from capi_desktop.gui.widgets import heading_label, small_label, wrapped_label
from capi_desktop.runtime import Mode, Runtime

T = TypeVar("T")
COLUMNS = ("Date", "File", "Account", "Rules", "Rows", "Accepted", "Refused", "Already sent", "Status")


class HistoryDialog(QDialog):
    open_requested = Signal(Path)
    resume_requested = Signal(Path)

    def __init__(self, runtime: Runtime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History and results")
        self.resize(920, 640)
        self._runtime = runtime
        self._work = OperationSlot()  # the list, or the selected job's results
        self.jobs: list[JobEntry] = []
        layout = QVBoxLayout(self)
        layout.addWidget(heading_label("Every upload from this computer"))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Its finish page: what happened to every row, its report and its profile.")
        self.open_button.clicked.connect(self._open)
        self.resume_button = QPushButton("Resume upload")
        self.resume_button.clicked.connect(self._resume)
        self.report_button = QPushButton("Save problems report…")
        self.report_button.clicked.connect(self._save_report)
        self.delete_button = QPushButton("Delete job…")
        self.delete_button.clicked.connect(self._delete)
        for button in (self.open_button, self.resume_button, self.report_button, self.delete_button):
            button.setEnabled(False)
            actions.addWidget(button)
        self.action_note = small_label()
        actions.addWidget(self.action_note, 1)
        layout.addLayout(actions)
        layout.addWidget(heading_label("What LinkedIn credited", 1.1))
        self.sentence = wrapped_label("Choose an upload to see what LinkedIn has credited since.")
        layout.addWidget(self.sentence)
        self.chart = ResultsChart()
        layout.addWidget(self.chart)
        self.breakdown = small_label()
        self.breakdown.setWordWrap(True)
        layout.addWidget(self.breakdown)
        self.health = wrapped_label()
        self.health.setStyleSheet("color: #8a3c00")
        layout.addWidget(self.health)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.results: Results | None = None
        self._report = OperationSlot()
        self.confirm_delete = _confirm_delete  # tests answer for the user
        self.ask_report_path = _ask_report_path
        self._load()

    # -- the list ------------------------------------------------------------------------------------

    def _load(self) -> None:
        data_dir = paths.data_dir()
        self._run(lambda control, report: list_jobs(data_dir), self._show_jobs)

    def _show_jobs(self, jobs: list[JobEntry]) -> None:
        self.jobs = [job for job in jobs if job.record is not None]
        self.table.setRowCount(len(self.jobs))
        for row, job in enumerate(self.jobs):
            record = job.record
            assert record is not None
            rules = ", ".join(record.rule_name(rule) for rule in record.rule_ids)
            values = (
                format_day(record.created) if record.created else "",
                record.source.name,
                record.account_name or (str(record.account_id) if record.account_id else "preview"),
                rules,
                f"{job.counts.total:,}",
                f"{job.delivered.accepted:,}",
                f"{job.delivered.rejected:,}",
                f"{job.delivered.skipped:,}",
                job.status,
            )
            for column, text in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if self.jobs:
            self.table.selectRow(0)
        else:
            self.sentence.setText("Nothing has been uploaded from this computer yet.")

    def selected(self) -> JobEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.jobs[rows[0].row()] if rows else None

    # -- results -------------------------------------------------------------------------------------

    def _selected(self) -> None:
        job = self.selected()
        self.delete_button.setEnabled(job is not None and not job.running)
        self.report_button.setEnabled(job is not None)
        self.open_button.setEnabled(job is not None and not job.running)
        self.resume_button.setEnabled(job is not None and job.resumable)
        record = job.record if job is not None else None
        if record is None or record.account_id is None:
            self.sentence.setText("A preview was never sent, so LinkedIn has nothing to credit for it.")
            return
        if record.upload_started is None:
            self.sentence.setText("This job was not sent yet, so LinkedIn has nothing to credit for it.")
            return
        client, data_dir, account = self._runtime.auth.client(), paths.data_dir(), record.account_id
        practice, job_id = self._runtime.mode is Mode.SANDBOX, record.job_id
        self.sentence.setText("Asking LinkedIn's reporting…")

        def ask(control: Control, report: object) -> Results:
            return results(client, data_dir, account, practice=practice, job_id=job_id)

        self._run(ask, self._show_results)

    def _show_results(self, found: Results) -> None:
        self.results = found
        self.sentence.setText(found.sentence)
        counts: dict[date, int] = {}
        sent: set[date] = set()
        lines = []
        for result in found.rules:
            for day in result.days:
                counts[day.day] = counts.get(day.day, 0) + day.conversions
            sent |= {datetime.fromtimestamp(u.sent_at, UTC).astimezone().date() for u in result.uploads}
            split = ""
            if result.post_click is not None and result.post_view is not None:
                split = f": {result.post_click:,} after a click, {result.post_view:,} after a view"
            lines.append(f"{result.rule.name}: {result.credited:,} credited{split}")
            if result.windows:
                lines.append(result.windows)
        self.chart.show_days(found.first, found.last, counts, sent)
        self.breakdown.setText("\n".join(lines))
        self.health.setText("\n".join(found.notes))

    # -- resume, report, delete ----------------------------------------------------------------------

    def _open(self) -> None:
        job = self.selected()
        if job is not None and not job.running:
            self.open_requested.emit(job.path)
            self.accept()

    def _resume(self) -> None:
        job = self.selected()
        if job is not None and job.resumable:
            self.resume_requested.emit(job.path)
            self.accept()

    def _save_report(self) -> None:
        job = self.selected()
        if job is None or job.record is None:
            return
        suggested = Path.home() / f"{Path(job.record.source.name).stem} - problems.csv"
        path = self.ask_report_path(self, suggested)
        if path is None:
            return
        job_path = job.path

        def write(control: Control, report: object) -> Path:
            own, record = open_job(job_path)
            with own:
                write_problems_report(source_table(record), own, path)
            return path

        def written(done: Path) -> None:
            self.action_note.setText(f"Report of the rows that need a look saved: {done}")

        self.action_note.setText("Writing the report…")
        self._report.start(write, written, on_failure=self._failed)

    def _delete(self) -> None:
        job = self.selected()
        if job is None or job.record is None or not self.confirm_delete(self, job.record.source.name):
            return
        data_dir, path = paths.data_dir(), job.path
        self._run(lambda control, report: delete_job(data_dir, path), lambda _: self._load())

    # -- background ----------------------------------------------------------------------------------

    def _run(self, work: Callable[[Control, Callable[[object], None]], T], done: Callable[[T], None]) -> None:
        """One operation at a time: a newer one (another row chosen) drops the older one's result."""
        self._work.start(work, done, on_failure=self._failed)

    def _failed(self, exc: Exception, cancelled: bool) -> None:
        show_error(self, exc)

    def done(self, result: int) -> None:
        self._work.drop()
        self._report.drop()
        super().done(result)


def _confirm_delete(parent: QWidget, name: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Delete this job?",
        f"Delete the upload job of “{name}”? Rows it sent stay remembered, so they are not sent again.",
    )
    return answer == QMessageBox.StandardButton.Yes


def _ask_report_path(parent: QWidget, suggested: Path) -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "Save the problems report", str(suggested), "CSV (*.csv);;Excel (*.xlsx)"
    )
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() in (".csv", ".xlsx") else path.with_suffix(".csv")


def open_history(
    parent: QWidget, runtime: Runtime, show: Callable[[Path], None], resume: Callable[[Path], None]
) -> HistoryDialog:
    """The dialog, open; ``show`` and ``resume`` are called with the job the user chose to open or resume."""
    dialog = HistoryDialog(runtime, parent)
    dialog.open_requested.connect(show)
    dialog.resume_requested.connect(resume)
    dialog.open()
    return dialog
