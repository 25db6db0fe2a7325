"""Done: what happened to every row, the report of rows that need a look, and what to do next.

Files are written on the page's worker with their own journal connection (a million-row report takes a
moment); the dialogs that ask where are replaceable so tests can answer them.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

import PySide6
from PySide6.QtCore import QStandardPaths, QUrl, qVersion
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from capi_desktop import __version__, paths
from capi_desktop.app.jobs import open_job, source_table, support_snapshot
from capi_desktop.app.outcome import Outcome, UploadReport
from capi_desktop.app.uploads import report_of
from capi_desktop.core.control import Control
from capi_desktop.core.delivery.engine import REPORTING_NOTE
from capi_desktop.core.mapping import ImportOptions
from capi_desktop.core.reports import write_problems_report
from capi_desktop.core.stores.profiles import Profile, ProfileError
from capi_desktop.core.stores.settings import SettingsError
from capi_desktop.core.support import recent_log_lines, system_info, write_support_bundle
from capi_desktop.gui.errors import log_file, show_error
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.pages.sign_in import UrlOpener
from capi_desktop.gui.pages.welcome import profile_store
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.widgets import (
    SUCCESS_GREEN,
    Notice,
    badge,
    heading_label,
    primary_button,
    small_label,
    wrapped_label,
)
from capi_desktop.runtime import Runtime, client_secret_entry

logger = logging.getLogger(__name__)

WARNING_ORANGE = "#B24020"
NEUTRAL_GREY = "#5E6A75"

# (parent, caption, suggested path, file filter) -> the chosen path, or "" when the user cancelled.
AskSavePath = Callable[[QWidget, str, str, str], str]
# (parent, title, label, suggested text) -> the text, or None when the user cancelled.
AskText = Callable[[QWidget, str, str, str], "str | None"]
# (parent, title, question) -> yes?
Confirm = Callable[[QWidget, str, str], bool]


def _ask_save_path(parent: QWidget, caption: str, suggested: str, filters: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
    return str(path)


def _ask_text(parent: QWidget, title: str, label: str, suggested: str) -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, suggested)
    return str(text) if ok else None


def _confirm(parent: QWidget, title: str, question: str) -> bool:
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.question(parent, title, question, buttons, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def reports_dir() -> Path:
    return paths.data_dir() / "reports"


class DonePage(WizardPage):
    def __init__(
        self,
        runtime: Runtime,
        session: UploadSession,
        open_url: UrlOpener = QDesktopServices.openUrl,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runtime.mode, "Done", "", parent)
        self._runtime = runtime
        self._session = session
        self.open_url = open_url
        self.ask_save_path: AskSavePath = _ask_save_path
        self.ask_text: AskText = _ask_text
        self.confirm: Confirm = _confirm
        self.figures: UploadReport | None = None
        self.bundle_path: Path | None = None
        self._build()

    # -- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        head = QHBoxLayout()
        head.setSpacing(10)
        self.mark = badge("✓", SUCCESS_GREEN)
        self.headline = heading_label(scale=1.25)
        head.addWidget(self.mark)
        head.addWidget(self.headline, 1)
        self.body.addLayout(head)

        figures = QGridLayout()
        figures.setHorizontalSpacing(18)
        figures.setVerticalSpacing(4)
        self._figure_labels: dict[str, tuple[QLabel, QLabel]] = {}
        rows = (
            ("accepted", "Accepted by LinkedIn"),
            ("rejected", "Rejected by LinkedIn"),
            ("skipped", "Skipped: already sent in an earlier upload"),
            ("errors", "Not sent: problems in the file"),
            ("left", "Not sent yet"),
            ("resent", "Sent again after LinkedIn's answer was lost (LinkedIn may count these more than once)"),
        )
        for row, (key, caption) in enumerate(rows):
            value = heading_label(scale=1.0)
            label = wrapped_label(caption)
            figures.addWidget(value, row, 0)
            figures.addWidget(label, row, 1)
            self._figure_labels[key] = (value, label)
        figures.setColumnStretch(1, 1)
        self.body.addLayout(figures)

        self.reporting_note = wrapped_label(REPORTING_NOTE)
        self.body.addWidget(self.reporting_note)
        self.resume_notice = Notice()
        self.body.addWidget(self.resume_notice)

        actions = QGridLayout()
        actions.setHorizontalSpacing(14)
        actions.setVerticalSpacing(8)
        self.open_report_button = QPushButton("Open report")
        self.open_report_button.clicked.connect(self._open_report)
        self.save_report_button = QPushButton("Save report as…")
        self.save_report_button.clicked.connect(self._save_report_as)
        self.report_label = small_label()
        self.save_profile_button = QPushButton("Save these choices as a profile…")
        self.save_profile_button.clicked.connect(self._save_profile)
        self.profile_label = small_label(
            "Next time, start from the same ad account, rule, columns and date settings. No sign-in is saved in it."
        )
        self.bundle_button = QPushButton("Create support bundle…")
        self.bundle_button.clicked.connect(self._create_bundle)
        self.bundle_label = small_label(
            "A zip for a support ticket: versions, settings and recent log lines with LinkedIn's request ids. "
            "No sign-in, secret or email address is in it."
        )
        report_buttons = QHBoxLayout()
        report_buttons.setSpacing(8)
        report_buttons.addWidget(self.open_report_button)
        report_buttons.addWidget(self.save_report_button)
        report_buttons.addStretch(1)
        actions.addLayout(report_buttons, 0, 0)
        actions.addWidget(self.report_label, 0, 1)
        actions.addWidget(self.save_profile_button, 1, 0)
        actions.addWidget(self.profile_label, 1, 1)
        actions.addWidget(self.bundle_button, 2, 0)
        actions.addWidget(self.bundle_label, 2, 1)
        actions.setColumnStretch(1, 1)
        self.body.addSpacing(4)
        self.body.addLayout(actions)

        status_row = QHBoxLayout()
        self.status = small_label()
        self.status.hide()
        status_row.addWidget(self.status, 1)
        self.copy_path_button = QPushButton("Copy path")
        self.copy_path_button.setAutoDefault(False)
        self.copy_path_button.setToolTip("Copy where the report is, to paste it into a file window or an email.")
        self.copy_path_button.clicked.connect(self._copy_report_path)
        self.copy_path_button.hide()
        status_row.addWidget(self.copy_path_button)
        self.body.addLayout(status_row)

        another = QHBoxLayout()
        self.resume_now_button = primary_button("Resume the upload now")
        self.resume_now_button.clicked.connect(self.resume_now)
        self.resume_now_button.hide()
        self.another_button = primary_button("Start another upload")
        self.another_button.clicked.connect(self.start_another)
        another.addWidget(self.resume_now_button)
        another.addWidget(self.another_button)
        another.addStretch(1)
        self.body.addLayout(another)
        self.body.addStretch(1)
        for button in (
            self.open_report_button,
            self.save_report_button,
            self.save_profile_button,
            self.bundle_button,
            self.resume_now_button,
            self.another_button,
        ):
            button.setAutoDefault(False)  # Enter means Finish

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        journal = self._session.journal
        result = self._session.result
        self.status.hide()
        self.bundle_path = None
        if journal is None:
            self.figures = None
            self._set_title("Nothing was sent")
            self.headline.setText("There is no upload to summarise.")
            return
        record = self._session.record
        if result is None and record is not None:
            result = report_of(journal, record)  # nothing sent in this visit: the job as its journal has it
        self.figures = result
        if result is not None:
            self._show_figures(result)

    def _set_title(self, title: str) -> None:
        self.setTitle(f'<span style="font-size: large">{html.escape(title)}</span>')

    def _show_figures(self, f: UploadReport) -> None:
        c = f.counts
        resumable = f.outcome is Outcome.STOPPED
        self._set_title("Upload not finished yet" if resumable else "Upload finished")
        self.setSubTitle(
            "Some rows are not sent yet. Nothing is lost: you can resume the upload any time."
            if resumable
            else "Here is what happened to every row of your spreadsheet."
        )
        mark, colour = _MARKS[f.outcome]
        self.mark.setText(mark)
        self.mark.setStyleSheet(
            f"#badge {{ background: {colour}; color: white; border-radius: 14px; font-weight: bold; }}"
        )
        self.headline.setText(f.headline)
        values = {
            "accepted": c.accepted,
            "rejected": c.rejected,
            "skipped": c.skipped,
            "errors": f.rows.error,
            "left": f.left,
            "resent": c.resent,
        }
        for key, (value, label) in self._figure_labels.items():
            value.setText(f"{values[key]:,}")
            shown = key in ("accepted", "rejected", "errors") or values[key] > 0
            value.setVisible(shown)
            label.setVisible(shown)
        self.reporting_note.setVisible(c.accepted > 0)
        if resumable:
            why = f" It stopped because: {f.stop_reason}" if f.stop_reason and not f.cancelled else ""
            self.resume_notice.show_messages(
                (
                    f"{f.left:,} rows are not sent yet.{why}\n"
                    "Send them now with “Resume the upload now”, or later: choose “Resume an unfinished "
                    "upload” on the first page (also after closing the app). Rows LinkedIn accepted are not "
                    "sent again.",
                )
            )
        else:
            self.resume_notice.show_messages(())
        self.resume_now_button.setVisible(resumable)
        has_problems = f.not_sent > 0
        self.open_report_button.setEnabled(has_problems)
        self.save_report_button.setEnabled(has_problems)
        self.report_label.setText(
            f"{f.not_sent:,} {'rows need' if f.not_sent != 1 else 'row needs'} a look: the report lists "
            "them in your own columns, with the reason for each."
            if has_problems
            else "No row needs a look: nothing was rejected and the file had no errors."
        )

    # -- the problems report ---------------------------------------------------------------------

    def default_report_path(self) -> Path:
        journal = self._session.journal
        job = journal.job_id if journal is not None else "upload"
        return reports_dir() / f"{job}-problems.csv"

    def _open_report(self) -> None:
        self._write_report(self.default_report_path(), open_after=True)

    def _save_report_as(self) -> None:
        suggested = Path(_documents()) / self.default_report_path().name
        chosen = self.ask_save_path(self, "Save the report", str(suggested), "CSV (*.csv);;Excel workbook (*.xlsx)")
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_suffix(".csv")
        self._write_report(path, open_after=False)

    def _write_report(self, path: Path, open_after: bool) -> None:
        journal = self._session.journal
        if journal is None:
            return
        job_path = journal.path
        table = self._session.table

        def write(control: Control, report: object) -> Path:
            own, record = open_job(job_path)
            with own:
                source = table if table is not None else source_table(record)
                write_problems_report(source, own, path)
            return path

        def written(done: Path) -> None:
            self._session.report_path = done
            self._busy(False)
            self._say(f"Report saved: {done}")
            self.copy_path_button.show()
            if not open_after or self.open_url(QUrl.fromLocalFile(str(done))):
                return
            # No program opens this kind of file here: show the folder instead, and where the file is.
            if self.open_url(QUrl.fromLocalFile(str(done.parent))):
                self._say(f"No program on this computer opens {done.suffix} files, so its folder is open: {done}")
            else:
                self._say(f"No program on this computer opened the report. It is saved at {done}")

        self._busy(True)
        self._say("Writing the report…")
        self.run_in_background(write, written)

    # -- saving a profile ------------------------------------------------------------------------

    def profile_choices(self) -> tuple[int | None, str | None, int | None, ImportOptions] | None:
        """The account, sheet, header row and import options behind this job (the session's or the job's)."""
        session, record = self._session, self._session.record
        options = session.options or (record.options if record is not None else None)
        if options is None:
            return None
        account_id = session.account.id if session.account is not None else record.account_id if record else None
        if session.table is not None:
            return account_id, session.table.sheet, session.table.header_row, options
        if record is not None:
            return account_id, record.source.sheet, record.source.header_row, options
        return account_id, None, None, options

    def _save_profile(self) -> None:
        choices = self.profile_choices()
        if choices is None:
            self._say("This upload's choices are not known, so they cannot be saved as a profile.")
            return
        suggested = self._session.profile.name if self._session.profile is not None else ""
        name = self.ask_text(self, "Save as a profile", "Name for these choices (for example “CRM leads”):", suggested)
        if name is None or not name.strip():
            return
        account_id, sheet, header_row, options = choices
        store = profile_store()
        profile = Profile.from_options(name.strip(), account_id, sheet, header_row, options)
        try:
            overwrite = False
            if store.exists(profile.name):
                existing = store.load(profile.name).name
                if not self.confirm(self, "Replace the profile?", f"A profile called “{existing}” exists. Replace it?"):
                    return
                overwrite = True
            saved = store.save(profile, overwrite=overwrite)
        except ProfileError as exc:
            QMessageBox.warning(self, "The profile was not saved", str(exc))
            return
        self._session.profile = saved
        self._say(f"Saved the profile “{saved.name}”. Choose it on the first page next time.")

    # -- support bundle --------------------------------------------------------------------------

    def _create_bundle(self) -> None:
        journal = self._session.journal
        stem = journal.job_id if journal is not None else "app"
        suggested = Path(_documents()) / f"capi-desktop-support-{stem}.zip"
        chosen = self.ask_save_path(self, "Save the support bundle", str(suggested), "Zip archive (*.zip)")
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".zip":
            path = path.with_suffix(".zip")
        runtime = self._runtime
        result = self._session.result
        job_path = journal.path if journal is not None else None
        upload_log = self._upload_log()
        versions = {"qt": qVersion(), "pyside6": PySide6.__version__, "mode": runtime.mode.value}

        def build(control: Control, report: object) -> Path:
            about = system_info(__version__, {**versions, "keyring_backend": runtime.keychain.backend_name})
            try:
                settings = runtime.settings_store.load()
            except SettingsError:
                settings = runtime.settings
            job = None
            if job_path is not None:
                job = support_snapshot(job_path, result.outcome if result else None, result.message if result else None)
            lines = recent_log_lines(log_file())
            if upload_log:
                lines += ["", "--- This upload, as shown on the Upload page ---", *upload_log]
            return write_support_bundle(
                path, about=about, settings=settings, job=job, log_lines=lines, secrets=_known_secrets(runtime)
            )

        def written(done: Path) -> None:
            self.bundle_path = done
            self._busy(False)
            self._say(f"Support bundle saved: {done}. Attach it to your support ticket.")

        self._busy(True)
        self._say("Creating the support bundle…")
        self.run_in_background(build, written)

    def _upload_log(self) -> list[str]:
        wizard = self.wizard()
        if wizard is None:
            return []
        for page_id in wizard.pageIds():
            lines = getattr(wizard.page(page_id), "log_lines", None)
            if isinstance(lines, list):
                return [str(line) for line in lines]
        return []

    # -- start again -----------------------------------------------------------------------------

    def resume_now(self) -> None:
        """Back to the Upload page with the same job: it sends what is left."""
        wizard = self.wizard()
        if wizard is None or self._session.journal is None:
            return
        from capi_desktop.gui.wizard import PageId  # the wizard imports this module

        wizard.setStartId(PageId.UPLOAD)  # Done is not a page to go back to; Upload starts afresh
        wizard.restart()

    def start_another(self) -> None:
        """Back to the first page, still signed in, with the ad account and rule remembered."""
        session = self._session
        session.close()  # the finished job's journal
        session.source = session.table = session.options = session.summary = None
        session.result = session.report_path = None
        wizard = self.wizard()
        if wizard is not None:
            from capi_desktop.gui.wizard import PageId  # the wizard imports this module

            wizard.setStartId(PageId.WELCOME)
            wizard.restart()

    # -- helpers ---------------------------------------------------------------------------------

    def _busy(self, busy: bool) -> None:
        has_problems = self.figures is not None and self.figures.not_sent > 0
        for button in (self.open_report_button, self.save_report_button):
            button.setEnabled(not busy and has_problems)
        for button in (self.save_profile_button, self.bundle_button, self.resume_now_button, self.another_button):
            button.setEnabled(not busy)

    def _copy_report_path(self) -> None:
        if self._session.report_path is not None:
            QApplication.clipboard().setText(str(self._session.report_path))
            self._say(f"Copied: {self._session.report_path}")

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        self._busy(False)
        self._say("")
        if not cancelled:
            show_error(self, exc)


# The mark beside the headline: a ✓ only when everything was accepted.
_MARKS = {
    Outcome.ALL_ACCEPTED: ("✓", SUCCESS_GREEN),
    Outcome.SOME_REFUSED: ("!", WARNING_ORANGE),
    Outcome.NONE_ACCEPTED: ("✕", WARNING_ORANGE),
    Outcome.NOTHING_NEW: ("=", NEUTRAL_GREY),
    Outcome.STOPPED: ("!", WARNING_ORANGE),
}


def _documents() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())


def _known_secrets(runtime: Runtime) -> list[str]:
    """Every secret this app holds, so the bundle can remove it wherever it appears."""
    found: list[str] = []
    try:
        tokens = runtime.auth.store.load()
    except Exception:  # a locked credential store: nothing to remove that the bundle could contain
        tokens = None
    if tokens is not None:
        found += [tokens.access_token, tokens.refresh_token or ""]
    app = runtime.auth.app
    if app is not None and app.client_secret:
        found.append(app.client_secret)
    client_id = runtime.settings.client_id
    if client_id and runtime.keychain.is_secure:
        try:
            found.append(runtime.keychain.get(client_secret_entry(client_id)) or "")
        except Exception:
            pass
    return [s for s in found if s]
