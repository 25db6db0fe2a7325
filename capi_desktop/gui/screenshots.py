"""Render every wizard page to a PNG, offscreen, by walking a practice-mode session against the sandbox.

    python -m capi_desktop.gui.screenshots OUTDIR

Signs in with a token the sandbox mints, picks the USD ad account and its purchase rule, opens the example
spreadsheet, previews it, sends it and ends on the Done page; the New rule and Settings dialogs are shot on
the way. Pages are the window's default size, dialogs their own size. Used to review the look of the pages (and for the
README). Runs in a throwaway app home, so it never touches the user's settings or keyring; before each
save it checks that no token or client secret is shown anywhere.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    Qt,
    QThreadPool,
    QUrl,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from capi_desktop import paths
from capi_desktop.core.example import example_path, write_example
from capi_desktop.core.stores.keychain import Keychain
from capi_desktop.core.stores.settings import SettingsStore
from capi_desktop.gui.app import apply_look, create_wizard
from capi_desktop.gui.collector import collect_on_gui_thread
from capi_desktop.gui.history_dialog import open_history
from capi_desktop.gui.pages.sign_in import SignInState
from capi_desktop.gui.pages.upload import UploadState
from capi_desktop.gui.pages.welcome import StartChoice
from capi_desktop.gui.settings_dialog import SettingsDialog
from capi_desktop.gui.wizard import DEFAULT_SIZE, PageId, quit_box
from capi_desktop.runtime import open_runtime
from capi_desktop.sandbox import seed


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m capi_desktop.gui.screenshots OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as home:
        os.environ["CAPI_DESKTOP_HOME"] = home
        for path in render(out):
            print(path)
    return 0


def render(out: Path) -> list[Path]:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_look(app)
    collect_on_gui_thread(app)
    runtime = open_runtime(
        env={},
        keychain=Keychain(_RunOnlyKeyring()),
        settings_store=SettingsStore(paths.config_dir() / "settings.json"),
    )
    sandbox = runtime.sandbox
    assert sandbox is not None
    token = sandbox.mint_token(scopes=("rw_conversions", "r_ads", "r_ads_reporting"))
    # Nothing secret may show: the signed-in token, nor any of the sandbox apps' client secrets.
    secrets = (token, seed.DEMO_CLIENT_SECRET, seed.STANDARD_CLIENT_SECRET, seed.NO_REFRESH_CLIENT_SECRET)
    opened: list[str] = []

    def browser(url: QUrl) -> bool:  # a browser that never answers: sign-in goes through a pasted token
        opened.append(url.toString())
        return True

    wizard = create_wizard(runtime, browser)
    saved: list[Path] = []

    def settle() -> None:
        for _ in range(20):  # let layouts, deferred resizes and queued signals run
            app.processEvents()
            time.sleep(0.005)

    def shoot(name: str, widget: QWidget | None = None) -> None:
        shown = widget or wizard
        settle()
        texts = _shown_texts(wizard) + (_shown_texts(shown) if shown is not wizard else [])
        if any(secret in text for text in texts for secret in secrets):
            raise AssertionError(f"{name}: a token or secret is on screen")
        path = out / f"{name}.png"
        if not shown.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        saved.append(path)

    def wait_for(done: Callable[[], bool], what: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    def on(page_id: PageId) -> Callable[[], bool]:
        return lambda: wizard.currentId() == page_id

    try:
        wizard.resize(DEFAULT_SIZE)
        wizard.show()
        shoot("01-welcome")

        sign_in = wizard.sign_in_page
        wizard.next()
        wait_for(lambda: sign_in.state is SignInState.SIGNED_OUT, "the sign-in page")
        shoot("02-sign-in")
        sign_in.paste_toggle.click()
        sign_in.token_edit.setText(token)
        sign_in.check_token_button.click()
        wait_for(lambda: sign_in.state is SignInState.SIGNED_IN, "signing in")
        shoot("03-signed-in")

        account = wizard.account_page
        wizard.next()
        wait_for(lambda: bool(account.accounts) and not account.loader.is_busy, "the ad accounts")
        if not account.select_account(seed.ACCOUNT_USD):
            raise LookupError("the sandbox has no USD ad account")
        shoot("04-ad-account")

        rules = wizard.rules_page
        wizard.next()
        wait_for(lambda: on(PageId.RULES)() and bool(rules.rules) and not rules.loader.is_busy, "the rules")
        if not rules.select_rule(seed.RULE_USD_PURCHASE):
            raise LookupError("the sandbox has no purchase rule")
        shoot("05-rules")

        dialog = rules.open_new_rule_dialog()
        if dialog is None:
            raise RuntimeError("the New rule dialog did not open")
        wait_for(lambda: dialog.campaign_list.count() > 0 and not dialog.is_busy, "the campaigns")
        dialog.type_combo.setCurrentIndex(max(0, dialog.type_combo.findData("SIGN_UP")))
        name = "CRM – Event sign-up"
        dialog.name_edit.setText(name)
        dialog.name_edit.textEdited.emit(name)  # as if typed: the dialog re-checks the rule and enables Create
        dialog.campaign_list.item(0).setCheckState(Qt.CheckState.Checked)
        shoot("06-new-rule", dialog)
        dialog.reject()
        settle()

        sheet = wizard.spreadsheet_page
        wizard.next()
        wait_for(on(PageId.SPREADSHEET), "the spreadsheet page")
        sheet.use_example()
        wait_for(lambda: sheet.table is not None and not sheet.busy, "the example spreadsheet")
        shoot("07-spreadsheet")

        wizard.next()  # checks every row, then moves on by itself
        wait_for(lambda: on(PageId.PREVIEW)() and wizard.preview_page.model is not None, "checking the rows")
        shoot("08-preview")

        upload = wizard.upload_page
        wizard.next()
        wait_for(lambda: on(PageId.UPLOAD)() and upload.state is UploadState.FINISHED, "the upload")
        shoot("09-upload")

        wizard.next()
        wait_for(on(PageId.DONE), "the Done page")
        shoot("10-done")

        wizard.settings_button.click()
        settings = next((d for d in wizard.findChildren(SettingsDialog) if d.isVisible()), None)
        if settings is None:
            raise RuntimeError("the Settings dialog did not open")
        settle()
        shoot("11-settings", settings)
        settings.reject()

        # Later visits, each from the first page: the same export again (all of it sent before); a newer one
        # at LinkedIn's pace, stopped half-way and then sent in full by a fresh upload, so that resuming the
        # stopped one finds nothing new; and one with rows older than the sandbox's age limit, refused.
        def to_spreadsheet(start: StartChoice = StartChoice.NEW_UPLOAD) -> None:
            if not on(PageId.DONE)():
                wizard.next()
                wait_for(on(PageId.DONE), "the Done page")
            wizard.done_page.start_another()
            welcome = wizard.welcome_page
            wait_for(lambda: start is StartChoice.NEW_UPLOAD or bool(welcome.jobs), "the first page's offers")
            welcome.select(start)
            wizard.next()
            if start is StartChoice.RESUME:
                return
            wait_for(lambda: sign_in.state is SignInState.SIGNED_IN, "the remembered sign-in")
            wizard.next()
            wait_for(lambda: bool(account.accounts) and not account.loader.is_busy, "the ad accounts")
            account.select_account(seed.ACCOUNT_USD)
            wizard.next()
            wait_for(lambda: on(PageId.RULES)() and bool(rules.rules) and not rules.loader.is_busy, "the rules")
            rules.select_rule(seed.RULE_USD_PURCHASE)
            wizard.next()
            wait_for(on(PageId.SPREADSHEET), "the spreadsheet page")

        def preview(path: Path) -> None:
            sheet.open_file(path)
            wait_for(lambda: sheet.table is not None and not sheet.busy and sheet.file_label.text() == path.name, "it")
            wizard.next()
            wait_for(lambda: on(PageId.PREVIEW)() and wizard.preview_page.model is not None, "checking the rows")
            settle()

        def send_to_the_end() -> None:
            wizard.next()
            wait_for(lambda: on(PageId.UPLOAD)() and upload.state is UploadState.FINISHED, "the upload", seconds=60)
            wizard.next()
            wait_for(on(PageId.DONE), "the Done page")

        to_spreadsheet()
        preview(example_path(paths.data_dir()))
        wait_for(lambda: wizard.preview_page.already_sent > 0, "what was sent before")
        shoot("12-preview-already-sent")
        question = wizard.quit_question()
        assert question is not None
        box = quit_box(wizard, question)
        box.show()
        shoot("16-quit-question", box)
        box.done(0)

        wizard.back()
        december = write_example(paths.data_dir() / "CRM export – December.xlsx", datetime.now(UTC) - timedelta(days=2))
        preview(december)
        # Today's requests used up (by the app's own count): it waits for tomorrow, and the user stops it.
        first_run = upload.last_progress
        assert first_run is not None
        settings_before = runtime.settings
        runtime.settings = replace(runtime.settings, daily_request_cap=first_run.requests_today)
        wizard.next()
        wait_for(lambda: on(PageId.UPLOAD)() and "daily limit" in upload.note_label.text(), "the daily limit")
        upload.stop_button.click()
        wait_for(lambda: upload.state is UploadState.FINISHED, "stopping")
        runtime.settings = settings_before

        to_spreadsheet()
        preview(december)
        settings_before, config_before = runtime.settings, upload.config
        runtime.settings = replace(runtime.settings, requests_per_minute=6)
        upload.config = replace(upload.config, batch_size=20)  # 10 requests: 6 now, 4 a minute later
        wizard.next()
        wait_for(lambda: "LinkedIn allows" in upload.eta_stat.caption.text(), "LinkedIn's pace")
        shoot("13-upload-paced")
        wait_for(lambda: upload.state is UploadState.FINISHED, "the paced upload", seconds=150)
        runtime.settings, upload.config = settings_before, config_before

        to_spreadsheet(StartChoice.RESUME)  # the stopped one: another upload has sent all its rows since
        wait_for(lambda: on(PageId.UPLOAD)() and upload.state is UploadState.FINISHED, "the resumed upload")
        wizard.next()
        wait_for(on(PageId.DONE), "the Done page")
        shoot("14-done-nothing-new")

        to_spreadsheet()
        preview(write_example(paths.data_dir() / "CRM export – November.xlsx", datetime.now(UTC) - timedelta(days=5)))
        sandbox.knobs.update({"event_max_age_days": 40})
        send_to_the_end()
        shoot("15-done-some-refused")

        history = open_history(wizard, runtime, wizard.show_job, wizard.resume_job)
        wait_for(lambda: history.results is not None, "the history's results")
        shoot("17-history-and-results", history)
        history.reject()
    finally:
        wizard.done(QDialog.DialogCode.Rejected)
        QThreadPool.globalInstance().waitForDone(5000)
        runtime.close()
    return saved


class _RunOnlyKeyring(KeyringBackend):
    """A credential store that lives only as long as this run and never touches the user's keyring.

    It counts as secure, so the Settings dialog looks as it does on a desktop with a keyring instead of
    warning that a client secret cannot be saved (practice mode stores nothing in it anyway).
    """

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def _shown_texts(root: QWidget) -> list[str]:
    """Every text a person (or a screenshot) could see: labels, buttons, fields as displayed, lists, logs,
    tooltips."""
    texts = [root.toolTip(), root.windowTitle()] + [w.toolTip() for w in root.findChildren(QWidget)]
    texts += [w.text() for w in root.findChildren(QLabel)]
    texts += [w.text() for w in root.findChildren(QAbstractButton)]
    texts += [w.displayText() for w in root.findChildren(QLineEdit)]  # a password field shows dots
    texts += [w.toPlainText() for w in root.findChildren(QPlainTextEdit)]
    texts += [w.toPlainText() for w in root.findChildren(QTextEdit)]
    texts += [w.itemText(i) for w in root.findChildren(QComboBox) for i in range(w.count())]
    for view in root.findChildren(QAbstractItemView):
        texts += _model_texts(view.model())
    return texts


def _model_texts(model: QAbstractItemModel | None, parent: QModelIndex | None = None) -> list[str]:
    """The display and tooltip texts of a view's model (tree models included), header first."""
    if model is None:
        return []
    parent = parent or QModelIndex()
    # A list model hides columnCount() from Python: it has one column.
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(parent)
    texts: list[str] = []
    if not parent.isValid():
        for column in range(columns):
            texts.append(str(model.headerData(column, Qt.Orientation.Horizontal) or ""))
    for row in range(model.rowCount(parent)):
        for column in range(columns):
            index = model.index(row, column, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if value is not None:
                    texts.append(str(value))
        first = model.index(row, 0, parent)
        flat = isinstance(model, (QAbstractListModel, QAbstractTableModel))  # these hide hasChildren()
        if not flat and model.hasChildren(first):
            texts += _model_texts(model, first)
    return texts


if __name__ == "__main__":
    sys.exit(main(sys.argv))
