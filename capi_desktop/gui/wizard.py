"""The main window: a step-by-step wizard from signing in to sending conversions."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QMessageBox, QVBoxLayout, QWidget, QWizard

from capi_desktop import APP_NAME
from capi_desktop.app.jobs import open_job
from capi_desktop.gui.history_dialog import open_history
from capi_desktop.gui.icons import app_icon
from capi_desktop.gui.pages.account import AccountPage
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.pages.done import DonePage
from capi_desktop.gui.pages.preview import PreviewPage
from capi_desktop.gui.pages.rules import RulesPage
from capi_desktop.gui.pages.sign_in import SignInPage, UrlOpener
from capi_desktop.gui.pages.spreadsheet import SpreadsheetPage
from capi_desktop.gui.pages.upload import UploadPage
from capi_desktop.gui.pages.welcome import WelcomePage
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.settings_dialog import add_settings_button
from capi_desktop.runtime import Runtime

GEOMETRY_KEY = "wizard/geometry"
DEFAULT_SIZE = QSize(1060, 640)
MINIMUM_SIZE = QSize(760, 540)


class PageId(IntEnum):
    """The wizard's steps in order; QWizard goes to the next registered id."""

    WELCOME = 0
    SIGN_IN = 1
    ACCOUNT = 2
    RULES = 3
    SPREADSHEET = 4
    PREVIEW = 5
    UPLOAD = 6
    DONE = 7


STEP_NAMES = {
    PageId.WELCOME: "Start",
    PageId.SIGN_IN: "Sign in",
    PageId.ACCOUNT: "Ad account",
    PageId.RULES: "Conversion rules",
    PageId.SPREADSHEET: "Spreadsheet",
    PageId.PREVIEW: "Check the rows",
    PageId.UPLOAD: "Send",
    PageId.DONE: "Results",
}


class StepList(QWidget):
    """The steps beside the pages, the current one marked, so the user always sees where they are."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("steps")
        self.setAccessibleName("Steps")
        self.setFixedWidth(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 20, 8, 20)
        layout.setSpacing(10)
        self.labels: dict[PageId, QLabel] = {}
        for number, (page, name) in enumerate(STEP_NAMES.items(), 1):
            label = QLabel(f"{number}  {name}")
            layout.addWidget(label)
            self.labels[page] = label
        layout.addStretch(1)
        self.current: PageId | None = None

    def show_step(self, page_id: int) -> None:
        self.current = PageId(page_id) if page_id in self.labels else None
        for page, label in self.labels.items():
            if page == page_id:
                style = "font-weight: bold; color: palette(highlight);"
            else:  # the steps ahead fainter than those behind
                style = "color: palette(mid);" if page > page_id else ""
            label.setStyleSheet(style)
            label.setAccessibleDescription("current step" if page == page_id else "")


QuitConfirmer = Callable[[QWidget, str], bool]


def quit_box(parent: QWidget, question: str) -> QMessageBox:
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    box = QMessageBox(QMessageBox.Icon.Question, f"Quit {APP_NAME}?", question, buttons, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box


def ask_to_quit(parent: QWidget, question: str) -> bool:
    return quit_box(parent, question).exec() == QMessageBox.StandardButton.Yes


class UploadWizard(QWizard):
    """Everything it needs comes in as arguments, so tests build it with a sandbox and a fake browser.

    ``window_state`` keeps the window's size and position and the folder of the last spreadsheet; the user's
    choices live in profiles.
    """

    def __init__(
        self,
        runtime: Runtime,
        window_state: QSettings,
        open_url: UrlOpener = QDesktopServices.openUrl,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._window_state = window_state
        self.setWindowTitle(APP_NAME)
        icon = app_icon()
        self.setWindowIcon(icon)
        # The same look on every system; colours still follow the system's light or dark palette.
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setPixmap(QWizard.WizardPixmap.LogoPixmap, icon.pixmap(QSize(48, 48), self.devicePixelRatioF()))
        self.setTitleFormat(Qt.TextFormat.RichText)  # see WizardPage: titles carry their size
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setMinimumSize(MINIMUM_SIZE)

        self.session = UploadSession()
        self.confirm_quit: QuitConfirmer = ask_to_quit  # replaceable by tests
        self.welcome_page = WelcomePage(runtime.mode)
        self.sign_in_page = SignInPage(runtime.mode, runtime.auth, open_url)
        self.setPage(PageId.WELCOME, self.welcome_page)
        self.setPage(PageId.SIGN_IN, self.sign_in_page)
        self.account_page = AccountPage(runtime.mode, runtime, self.session)
        self.setPage(PageId.ACCOUNT, self.account_page)
        self.rules_page = RulesPage(runtime.mode, runtime, self.session)
        self.setPage(PageId.RULES, self.rules_page)
        self.spreadsheet_page = SpreadsheetPage(runtime.mode, self.session, window_state)
        self.setPage(PageId.SPREADSHEET, self.spreadsheet_page)
        self.preview_page = PreviewPage(runtime.mode, self.session)
        self.setPage(PageId.PREVIEW, self.preview_page)
        self.upload_page = UploadPage(runtime, self.session, open_url)
        self.setPage(PageId.UPLOAD, self.upload_page)
        self.done_page = DonePage(runtime, self.session, open_url)
        self.setPage(PageId.DONE, self.done_page)
        self.settings_button = add_settings_button(self, runtime)
        self.welcome_page.history_requested.connect(lambda: open_history(self, runtime, self.show_job, self.resume_job))
        self.steps = StepList()
        self.setSideWidget(self.steps)
        self.currentIdChanged.connect(self.steps.show_step)
        self.setStartId(PageId.WELCOME)
        self._restore_geometry()

    def show_job(self, path: Path) -> None:
        """The finish page of the job at ``path``, as after its upload: its figures, report and profile."""
        journal, record = open_job(path)
        self.session.close()
        self.session.journal, self.session.record, self.session.result = journal, record, None
        self.session.source = Path(record.source.path) if record.source.path else None
        self.setStartId(PageId.DONE)
        self.restart()
        self.setStartId(PageId.WELCOME)

    def resume_job(self, path: Path) -> None:
        """Resume the job at ``path`` from the first page, as choosing it there does."""
        self.restart()
        self.welcome_page.resume(path)

    def quit_question(self) -> str | None:
        """What quitting now would leave undone, as a question; None when nothing would be (the first two
        steps, the results, an upload that finished). A running upload asks on its own page."""
        page = self.currentId()
        if page in (PageId.WELCOME, PageId.SIGN_IN, PageId.DONE):
            return None
        result = self.session.result
        if page == PageId.UPLOAD and result is not None:
            if not result.left:
                return None
            rows = "1 row is" if result.left == 1 else f"{result.left:,} rows are"
            return (
                f"{rows} not sent yet. Quit now?\n\nNothing is lost: next time, choose “Resume an unfinished "
                "upload” on the first page to send them."
            )
        return (
            "Quit without uploading?\n\nNothing has been sent to LinkedIn. Your sign-in is kept; the choices "
            "on these pages are not."
        )

    def reject(self) -> None:
        # Cancel, Escape and closing the window: ask first when work would be left undone.
        question = self.quit_question()
        if question is None or self.confirm_quit(self, question):
            super().reject()

    def done(self, result: int) -> None:
        # Finish, Cancel and closing the window all end here: stop waiting on anything, remember the place.
        for page_id in self.pageIds():
            page = self.page(page_id)
            if isinstance(page, WizardPage):
                page.stop_background_work()
        self.session.close()
        self._window_state.setValue(GEOMETRY_KEY, self.saveGeometry())
        self._window_state.sync()
        super().done(result)

    def _restore_geometry(self) -> None:
        saved = self._window_state.value(GEOMETRY_KEY)
        if not (isinstance(saved, QByteArray) and self.restoreGeometry(saved)):
            self.resize(DEFAULT_SIZE)
