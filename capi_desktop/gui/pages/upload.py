"""Upload: sends the staged job to LinkedIn in the background, with progress, pause, stop and a log.

The engine runs as the page's one background operation (``run_in_background``); its ``UploadProgress``
reports arrive on the GUI thread, and the operation's control is what Pause and Stop work. The work
opens its own connection to the job's journal: closing the window (which closes the session's
connection) never pulls the file from under a batch that is still being recorded.

When the engine stops because the sign-in is no longer accepted, the page offers "Sign in again…": the
sign-in step opens in a window over the upload, and the same job resumes once signed in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from enum import Enum

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QDesktopServices, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from capi_desktop.app.jobs import open_job
from capi_desktop.app.outcome import Outcome, UploadReport
from capi_desktop.app.timeleft import time_left
from capi_desktop.app.uploads import RESUME_LATER, send_job
from capi_desktop.core.control import Control
from capi_desktop.core.delivery import AuthFailure, TransientFailure
from capi_desktop.core.delivery.engine import Pace, UploadConfig, UploadProgress
from capi_desktop.core.journal import DeliveryCounts
from capi_desktop.core.storage import StorageError
from capi_desktop.gui.background import Operation
from capi_desktop.gui.errors import describe, show_error
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.pages.sign_in import SignInPage, UrlOpener
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.widgets import Notice, heading_label, primary_button, small_label, wrapped_label
from capi_desktop.linkedin.errors import LinkedInError
from capi_desktop.runtime import Runtime

logger = logging.getLogger(__name__)

STOP_LABEL = "Stop — you can resume later"
PAUSED_NOTE = "Paused: nothing more is sent until you choose Resume."
MAX_LOG_LINES = 2000
NOTE_REPEAT_SECONDS = 60  # the same waiting note goes into the log at most once a minute
SUMMARY_SECONDS = 30  # batches LinkedIn took whole are summed up in the log at most this often


class UploadState(Enum):
    IDLE = "idle"  # nothing started yet (no job)
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"  # cancel asked; the batch on its way is still being answered
    FINISHED = "finished"  # the run ended: completed, stopped by the user, or stopped by a problem


class SignInDialog(QDialog):
    """The sign-in step in a window over the upload, so the job continues where it stopped."""

    def __init__(self, runtime: Runtime, open_url: UrlOpener, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to LinkedIn")
        self.setMinimumSize(620, 480)
        layout = QVBoxLayout(self)
        layout.addWidget(heading_label("Sign in to continue the upload"))
        layout.addWidget(
            wrapped_label(
                f"{reason} Sign in; the upload then continues where it stopped, and nothing already accepted "
                "is sent again."
            )
        )
        self.sign_in = SignInPage(runtime.mode, runtime.auth, open_url)
        layout.addWidget(self.sign_in, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.continue_button = self.buttons.addButton("Continue the upload", QDialogButtonBox.ButtonRole.AcceptRole)
        self.continue_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.sign_in.completeChanged.connect(self._update_button)
        self.sign_in.initializePage()

    def _update_button(self) -> None:
        done = self.sign_in.isComplete()
        self.continue_button.setEnabled(done)
        if done:
            self.continue_button.setDefault(True)
            self.continue_button.setFocus()

    def done(self, result: int) -> None:
        self.sign_in.stop_background_work()
        super().done(result)


def _ask_to_stop(parent: QWidget) -> bool:
    answer = QMessageBox.question(
        parent,
        "Stop the upload?",
        "An upload is still running. Stop it and close CAPI Desktop?\n\n"
        "Nothing is lost: the rows sent so far stay sent, and you can resume the rest next time from the "
        "first page (“Resume an unfinished upload”).",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class _Stat(QWidget):
    """A figure with its caption underneath: one cell of the counts grid."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.value = heading_label("–", scale=1.3)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption = small_label(caption)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)

    def set(self, text: str) -> None:
        self.value.setText(text)


class UploadPage(WizardPage):
    def __init__(
        self,
        runtime: Runtime,
        session: UploadSession,
        open_url: UrlOpener = QDesktopServices.openUrl,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            runtime.mode,
            "Sending your conversions",
            "Keep CAPI Desktop open while it sends. You can pause, or stop and resume later: rows LinkedIn accepted "
            "are not sent again.",
            parent,
        )
        self._runtime = runtime
        self._session = session
        self._open_url = open_url
        self.config = UploadConfig()
        self.confirm_close: Callable[[QWidget], bool] = _ask_to_stop  # replaceable in tests
        self.state = UploadState.IDLE
        self.result: UploadReport | None = None
        self.last_progress: UploadProgress | None = None
        self.log_lines: list[str] = []
        self.sign_in_dialog: SignInDialog | None = None
        self._control: Control | None = None
        self._job: str | None = None  # the journal path the result belongs to
        self._logged_counts: DeliveryCounts | None = None
        self._summary_logged: tuple[float, DeliveryCounts | None] = (0.0, None)
        self._notes_logged: dict[str, float] = {}
        self._close_after_stop = False
        self._held: QWizard | None = None  # the wizard whose Cancel and closing this page holds while sending
        # Done has no way back here: what was sent is sent.
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Next >")
        self._build()

    # -- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.destination_label = small_label()
        self.body.addWidget(self.destination_label)
        self.status_label = heading_label(scale=1.1)
        self.body.addWidget(self.status_label)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setMinimumHeight(22)
        self.body.addWidget(self.progress_bar)

        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(8)
        self.accepted_stat = _Stat("accepted by LinkedIn")
        self.rejected_stat = _Stat("rejected by LinkedIn")
        self.skipped_stat = _Stat("already sent before, skipped")
        self.sent_stat = _Stat("sent this time")
        self.eta_stat = _Stat("time left")
        self.eta_stat.caption.setWordWrap(True)  # a reason follows when one of LinkedIn's limits sets the time
        self.requests_stat = _Stat("requests left today")
        for column, stat in enumerate((self.accepted_stat, self.rejected_stat, self.skipped_stat, self.sent_stat)):
            grid.addWidget(stat, 0, column)
        # No rows-a-second figure: under LinkedIn's limits it says nothing the time left does not say better.
        grid.addWidget(self.eta_stat, 1, 0, 1, 2)
        grid.addWidget(self.requests_stat, 1, 2, 1, 2)
        for column in range(4):
            grid.setColumnStretch(column, 1)
        self.body.addLayout(grid)

        self.note_label = wrapped_label()
        self.note_label.hide()
        self.body.addWidget(self.note_label)

        self.problem = Notice()
        self.body.addWidget(self.problem)

        buttons = QHBoxLayout()
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.stop_button = QPushButton(STOP_LABEL)
        self.stop_button.clicked.connect(self._stop)
        self.resume_button = primary_button("Resume the upload")
        self.resume_button.clicked.connect(self._start)
        self.sign_in_button = primary_button("Sign in…")
        self.sign_in_button.clicked.connect(self._sign_in_again)
        for button in (self.pause_button, self.stop_button, self.resume_button, self.sign_in_button):
            button.setAutoDefault(False)  # Enter means Next, never "stop" because a button had focus
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.body.addLayout(buttons)

        log_title = QLabel("What happened")
        self.body.addWidget(log_title)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(MAX_LOG_LINES)
        self.log_view.setMinimumHeight(90)
        self.log_view.setFrameShape(QFrame.Shape.StyledPanel)
        self.log_view.setAccessibleName("Upload log")
        self.body.addWidget(self.log_view, 1)
        self._show_state()

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        journal = self._session.journal
        account = self._session.account
        if account is not None:
            who = f"{account.name} ({account.id})" if account.name else str(account.id)
            self.destination_label.setText(f"Sending to the ad account {who}.")
        if journal is None or account is None:
            self.state = UploadState.IDLE
            self.problem.show_messages(("There is no upload to send. Go back and choose a spreadsheet.",))
            self._show_state()
            return
        same_job = self._job == str(journal.path)
        if same_job and self.result is not None and self.result.outcome is not Outcome.STOPPED:
            self._show_state()  # already sent: nothing to do again
            return
        self._reset_view()  # each visit tells its own story; the first line says what earlier runs sent
        self._start()

    def cleanupPage(self) -> None:
        # Back is disabled while sending; leaving otherwise never leaves a run behind.
        self._stop_now()
        super().cleanupPage()

    def isComplete(self) -> bool:
        return self.state is UploadState.FINISHED and self.result is not None

    def validatePage(self) -> bool:
        self._session.result = self.result
        return self.result is not None

    # -- running ---------------------------------------------------------------------------------

    def _reset_view(self) -> None:
        self.result = None
        self.last_progress = None
        self.log_lines.clear()
        self.log_view.clear()
        self._logged_counts = None
        self._summary_logged = (0.0, None)
        self._notes_logged.clear()
        self.problem.show_messages(())
        self._session.result = None

    def _start(self) -> None:
        journal = self._session.journal
        account = self._session.account
        if journal is None or account is None or self.state in (UploadState.RUNNING, UploadState.PAUSED):
            return
        self._job = str(journal.path)
        self.result = None
        self._session.result = None
        self.problem.show_messages(())
        self._close_after_stop = False
        self._log("Resuming the upload." if self._logged_counts is not None else "Starting the upload.")
        runtime, path, config = self._runtime, journal.path, self.config

        def upload(control: Control, report: Callable[[UploadProgress], None]) -> UploadReport:
            # Its own journal connection; progress goes through ``report`` only.
            own, record = open_job(path)
            with own:
                return send_job(runtime, own, record, config=config, progress=report, control=control)

        self._control = self.run_in_background(upload, self._finished, self._show_progress).control
        self.state = UploadState.RUNNING
        self._show_state()
        # QWizard re-enables Back after initializePage returns; take it away again once it has.
        QTimer.singleShot(0, self, self._hold_wizard)

    def _toggle_pause(self) -> None:
        control = self._control
        if control is None:
            return
        if self.state is UploadState.RUNNING:
            control.pause()
            self.state = UploadState.PAUSED
            self._log("Paused. Nothing more is sent until you resume (a batch already on its way still finishes).")
        elif self.state is UploadState.PAUSED:
            control.resume()
            self.state = UploadState.RUNNING
            self._log("Resumed.")
        if self.last_progress is not None:  # the figures say "paused" at once, not at the next answer
            self._show_progress(self.last_progress, log=False)
        self._show_state()

    def _stop(self) -> None:
        control = self._control
        if control is None or self.state not in (UploadState.RUNNING, UploadState.PAUSED):
            return
        control.cancel()
        self.state = UploadState.STOPPING
        self._log("Stopping after the batch that is on its way…")
        self._show_state()

    def _stop_now(self) -> None:
        if self._control is not None:
            self._control.cancel()

    def stop_background_work(self) -> None:
        # The wizard is closing or the page is left: the engine must stop too, not only be ignored.
        self._stop_now()
        super().stop_background_work()
        self._control = None
        if self.busy:
            self.state = UploadState.IDLE
            self._hold_wizard()

    @property
    def busy(self) -> bool:
        return self.state in (UploadState.RUNNING, UploadState.PAUSED, UploadState.STOPPING)

    def _finished(self, result: UploadReport) -> None:
        self.result = result
        self._session.result, self._session.record = result, result.record
        self._control = None
        self.state = UploadState.FINISHED
        if self.last_progress is not None:
            self._show_progress(replace(self.last_progress, counts=result.counts), log=False)
        self._log_counts(result.counts)
        self._log_summary(result.counts, now=True)
        if result.outcome is Outcome.STOPPED and not result.cancelled:
            self._show_failure(result)
        else:
            self._log(result.message)
        self._show_state()
        if self._close_after_stop:
            self._close_wizard()

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        """Something the engine does not report as an outcome (a damaged job file, a full disk, a bug)."""
        message = describe(exc)
        if isinstance(exc, StorageError):  # it stopped half-way: what was sent is kept, the rest resumes
            message = replace(message, action=RESUME_LATER)
            show_error(self, exc, message=message)
        elif message.expected:
            logger.warning("Upload stopped: %s: %s", message.title, message.text)
        else:
            super().background_failed(exc, cancelled)  # the dialog, and the traceback into the log
        self.result = None
        self._session.result = None
        self._control = None
        self.state = UploadState.FINISHED
        self.problem.show_messages((message.title, "\n".join(p for p in (message.text, message.action) if p)))
        self._log(f"Stopped: {message.text}")
        self._show_state()

    # -- showing progress ------------------------------------------------------------------------

    def _show_progress(self, progress: UploadProgress, log: bool = True) -> None:
        self.last_progress = progress
        c = progress.counts
        done = c.accepted + c.rejected + c.skipped
        total = max(c.sendable, 1)
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(done, total))
        self.progress_bar.setFormat(f"{done:,} of {c.sendable:,} rows")
        self.accepted_stat.set(f"{c.accepted:,}")
        self.rejected_stat.set(f"{c.rejected:,}")
        self.skipped_stat.set(f"{c.skipped:,}")
        self.sent_stat.set(f"{progress.sent_this_run:,}")
        running = self.state in (UploadState.RUNNING, UploadState.STOPPING)
        paused = self.state is UploadState.PAUSED
        left = time_left(progress) if running else None
        self.eta_stat.caption.setText(left.caption if left is not None and not c.finished else "time left")
        self.eta_stat.setVisible(not c.finished)  # the status line above says how it ended
        if paused:
            self.eta_stat.set("paused")
        elif left is not None:
            self.eta_stat.set(left.figure)
        else:
            self.eta_stat.set("working it out…" if running else "–")
        left_today = max(0, progress.daily_cap - progress.requests_today)
        self.requests_stat.set(f"{left_today:,}")
        # Worth a look only when LinkedIn's daily limit is near or sets the time left.
        self.requests_stat.setVisible(progress.pace is Pace.PER_DAY or left_today < progress.daily_cap // 10)
        self.requests_stat.caption.setText(f"requests left today, of {progress.daily_cap:,}")
        self.requests_stat.setToolTip(
            f"LinkedIn allows {progress.daily_cap:,} requests a day; {progress.requests_today:,} are used today. "
            f"Each request carries up to {self.config.batch_size:,} rows."
        )
        note = progress.note or (PAUSED_NOTE if self.state is UploadState.PAUSED else "")
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self._update_status_text()
        if log:
            self._log_counts(c)
            if progress.note:
                self._log_note(progress.note)

    def _log_counts(self, counts: DeliveryCounts) -> None:
        before = self._logged_counts
        self._logged_counts = counts
        if before is None:
            if counts.accepted or counts.rejected or counts.skipped:
                self._log(
                    f"{counts.sendable:,} rows to send; {counts.accepted + counts.rejected + counts.skipped:,} "
                    "were already answered in an earlier run."
                )
            else:
                self._log(f"{counts.sendable:,} rows to send.")
            return
        skipped = counts.skipped - before.skipped
        if skipped > 0:
            self._log(f"{_rows(skipped)} skipped: already sent in an earlier upload.")
        if counts.rejected and not before.rejected:  # worth a line of its own, once; then the running total
            self._log(
                f"LinkedIn rejected {_rows(counts.rejected, 'event')}; the report on the next page says why. "
                "Further rejections are counted in the totals."
            )
        self._log_summary(counts)

    def _log_summary(self, counts: DeliveryCounts, *, now: bool = False) -> None:
        """A running total instead of a line per batch: at most every SUMMARY_SECONDS, and at the end."""
        last = self._summary_logged
        moment = time.monotonic()
        if counts == last[1] or (not now and last[1] is not None and moment - last[0] < SUMMARY_SECONDS):
            return
        self._summary_logged = (moment, counts)
        left = counts.pending + counts.in_flight
        self._log(
            f"So far: {counts.accepted:,} accepted, {counts.rejected:,} rejected by LinkedIn, "
            f"{left:,} {'row' if left == 1 else 'rows'} left to send."
        )

    def _log_note(self, note: str) -> None:
        now = time.monotonic()
        last = self._notes_logged.get(note)
        if last is None or now - last >= NOTE_REPEAT_SECONDS:
            self._notes_logged[note] = now
            self._log(note)

    def _log(self, line: str) -> None:
        stamped = f"{time.strftime('%H:%M:%S')}  {line}"
        self.log_lines.append(stamped)
        del self.log_lines[:-MAX_LOG_LINES]
        self.log_view.appendPlainText(stamped)
        bar = self.log_view.verticalScrollBar()
        bar.setValue(bar.maximum())  # the last line in view, even after the user scrolled up
        logger.info("Upload: %s", line)

    def _show_failure(self, result: UploadReport) -> None:
        """What stopped the upload and what to do, on the page (not in a dialog: the page is the place)."""
        failure = result.failure
        request_id = getattr(failure, "request_id", None)
        if isinstance(failure, TransientFailure):
            title, what = "LinkedIn is not answering properly", result.stop_reason or ""  # names the request id
            request_id = None
        elif isinstance(failure, LinkedInError):
            title, what = failure.title, failure.explanation
        else:
            title, what = "The upload stopped", result.stop_reason or ""
        if isinstance(failure, AuthFailure):
            todo = "Choose “Sign in…”: the upload then continues where it stopped."
        elif isinstance(failure, LinkedInError) and failure.action:
            todo = f"{failure.action} Nothing is lost: then resume the upload here, or later from the first page."
        else:
            todo = "Nothing is lost: resume the upload here, or later from the first page."
        support = f"LinkedIn request id (for support): {request_id}" if request_id else ""
        body = "\n".join(p for p in (what, todo, support) if p)
        self.problem.show_messages((title, body))
        logger.warning("Upload stopped: %s: %s (LinkedIn request id %s)", title, what, request_id or "none")
        self._log(f"Stopped: {title}. {what}" + (f" (LinkedIn request id: {request_id})" if request_id else ""))

    def _update_status_text(self) -> None:
        c = self.last_progress.counts if self.last_progress else None
        left = (c.pending + c.in_flight) if c else 0
        if self.state is UploadState.RUNNING:
            text = f"Sending… {left:,} rows to go" if c else "Getting ready to send…"
        elif self.state is UploadState.PAUSED:
            text = "Paused"
        elif self.state is UploadState.STOPPING:
            text = "Stopping…"
        elif self.state is UploadState.FINISHED and self.result is not None:
            text = self.result.headline
        else:
            text = ""
        self.status_label.setText(text)

    def _show_state(self) -> None:
        state = self.state
        running = state in (UploadState.RUNNING, UploadState.PAUSED)
        self.pause_button.setVisible(running)
        self.pause_button.setText("Resume" if state is UploadState.PAUSED else "Pause")
        self.stop_button.setVisible(running or state is UploadState.STOPPING)
        self.stop_button.setEnabled(running)
        finished = state is UploadState.FINISHED
        result = self.result if finished else None
        stopped = result is not None and result.outcome is Outcome.STOPPED
        needs_sign_in = stopped and isinstance(result.failure if result else None, AuthFailure)
        self.sign_in_button.setVisible(needs_sign_in)
        # Also after a refusal before sending (another upload busy, a rule gone): the user may fix it and retry.
        self.resume_button.setVisible(finished and (result is None or stopped) and not needs_sign_in
                                      and self._session.journal is not None)  # fmt: skip
        self.resume_button.setText("Resume the upload" if result is not None and result.cancelled else "Try again")
        if state is UploadState.PAUSED:
            self.note_label.setText(PAUSED_NOTE)
            self.note_label.show()
        elif self.note_label.text() == PAUSED_NOTE:
            self.note_label.hide()
        self._update_status_text()
        self.completeChanged.emit()
        self._hold_wizard()
        if result is not None and not stopped:
            wizard = self.wizard()
            if wizard is not None and self.isVisible():
                wizard.button(QWizard.WizardButton.CommitButton).setFocus()

    # -- the wizard around the page while sending -----------------------------------------------

    def _hold_wizard(self) -> None:
        """While sending: no Back and no Cancel (the page's own Stop button says what stopping means), and
        closing the window (or Esc) asks first, then stops cleanly before closing."""
        wizard = self.wizard()
        busy = self.busy and wizard is not None and wizard.currentPage() is self
        if busy and wizard is not None and self._held is None:
            self._held = wizard
            wizard.installEventFilter(self)
        elif not busy and self._held is not None:
            held, self._held = self._held, None
            held.removeEventFilter(self)
            held.button(QWizard.WizardButton.CancelButton).setEnabled(True)
            held.button(QWizard.WizardButton.CancelButton).setToolTip("")
        result = self.result
        sent = result is not None and bool(result.counts.accepted or result.counts.rejected)
        if wizard is not None and wizard.currentPage() is self and sent and not busy:
            # Back would show the preview's "nothing has been sent yet": what was sent stays sent.
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)
        if busy and wizard is not None:
            # QWizard re-enables Back whenever it updates its buttons; it leaves Cancel alone.
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)
            cancel = wizard.button(QWizard.WizardButton.CancelButton)
            cancel.setEnabled(False)
            cancel.setToolTip("To stop sending, use “Stop” above: the upload can be resumed later.")

    def _close_wizard(self) -> None:
        """Close as the user already agreed to: not through ``reject()``, which would ask again."""
        wizard = self.wizard()
        if wizard is not None:
            wizard.done(QDialog.DialogCode.Rejected)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._held:
            return False
        closing = event.type() == QEvent.Type.Close
        escape = (
            event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape
        )
        if not (closing or escape):
            return False
        if self.state is UploadState.STOPPING and self._close_after_stop:
            self._close_wizard()  # asked twice: close now; the worker's own journal connection finishes on its own
            event.ignore()
            return True
        if self.confirm_close(self):
            self._close_after_stop = True
            if self.state in (UploadState.RUNNING, UploadState.PAUSED):
                self._stop()
            self._log("Closing once the upload has stopped.")
        event.ignore()
        return True

    # -- signing in again ------------------------------------------------------------------------

    def _sign_in_again(self) -> None:
        """Forget the stored sign-in (no longer accepted: start from a clean one), then ask for a new one.
        The credential store is asked off the GUI thread."""
        auth = self._runtime.auth

        def kept(exc: Exception, cancelled: bool) -> None:  # a locked store: the dialog says so when it checks
            logger.warning("Could not clear the old sign-in: %s", type(exc).__name__)
            self._open_sign_in()

        Operation(lambda control, report: auth.sign_out(), lambda _: self._open_sign_in(), on_failure=kept).start()

    def _open_sign_in(self) -> None:
        failure = self.result.failure if self.result is not None else None
        reason = str(failure) if failure is not None else "LinkedIn needs you to sign in again."
        dialog = SignInDialog(self._runtime, self._open_url, reason, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._signed_in_again)
        dialog.finished.connect(self._forget_dialog)
        self.sign_in_dialog = dialog
        dialog.open()

    def _forget_dialog(self) -> None:
        self.sign_in_dialog = None

    def _signed_in_again(self) -> None:
        self._log("Signed in again.")
        self.state = UploadState.IDLE
        self._start()


def _rows(count: int, noun: str = "row") -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
