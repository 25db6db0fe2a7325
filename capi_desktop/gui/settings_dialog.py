"""Settings: the LinkedIn API version, the user's own LinkedIn app, request limits and practice mode.

Every value goes through ``Settings.with_value``, the same checks as the command line, and a refusal is
shown under its field. The client secret never reaches ``settings.json``: it goes to the OS credential
store only, and the dialog shows whether one is saved, never the secret itself. Without a secure store
the secret is refused with the reason: CAPI Desktop never keeps secrets in a file.

Request limits and the API version apply from the next upload on; practice mode and the LinkedIn app
(client id, secret, redirect port, PKCE) are read when the app starts, which the dialog says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from capi_desktop.core.control import Control
from capi_desktop.core.delivery.apiversion import version_note
from capi_desktop.core.stores.keychain import KeychainError
from capi_desktop.core.stores.settings import Settings, SettingsError
from capi_desktop.gui.background import OperationSlot
from capi_desktop.gui.widgets import Notice, side_button, small_label, wrapped_label
from capi_desktop.linkedin.oauth import redirect_url
from capi_desktop.runtime import Mode, Runtime, client_secret_entry

T = TypeVar("T")

logger = logging.getLogger(__name__)

ERROR_STYLE = "color: #B3261E;"
PRACTICE_CHOICES = (
    ("Automatic", "auto", None),
    ("On: always use the built-in sandbox", "on", True),
    ("Off: always use LinkedIn", "off", False),
)
NO_SECURE_STORE = (
    "This computer has no secure credential store (such as the keychain or the Secret Service), so the "
    "client secret cannot be saved: CAPI Desktop never writes secrets to a file. Use an app with PKCE "
    "instead, or set up the credential store and try again."
)
# Settings read when the app starts (the runtime's mode and sign-in app are built from them then).
RESTART_FIELDS = {
    "sandbox_mode": "practice mode",
    "client_id": "the LinkedIn app's client id",
    "redirect_port": "the redirect port",
    "redirect_host": "the redirect host",
    "redirect_path": "the redirect path",
    "use_pkce": "PKCE",
    "sign_in_openid": "OpenID Connect",
    "sign_in_reporting": "the reporting permission",
}


class SettingsDialog(QDialog):
    def __init__(self, runtime: Runtime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keyring = OperationSlot()
        self._runtime = runtime
        self.setWindowTitle("Settings")
        self.setMinimumWidth(600)
        self.errors: dict[str, QLabel] = {}
        self.saved: Settings | None = None
        self.restart_needed: list[str] = []
        try:
            self._stored = runtime.settings_store.load()
            load_problem = None
        except SettingsError as exc:
            self._stored = Settings()
            load_problem = str(exc)

        outer = QVBoxLayout(self)
        outer.setSpacing(12)
        outer.addWidget(self._api_group())
        outer.addWidget(self._app_group())
        outer.addWidget(self._limits_group())
        outer.addWidget(self._mode_group())
        self.restart_notice = Notice()
        outer.addWidget(self.restart_notice)
        self.problem = wrapped_label()
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setVisible(load_problem is not None)
        self.problem.setText(load_problem or "")
        outer.addWidget(self.problem)
        outer.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self._show_secret_state()
        self._update_restart_notice()

    # -- fields ----------------------------------------------------------------------------------

    def _field(self, form: QFormLayout, label: str, key: str, widget: QWidget, hint: str = "") -> None:
        cell = QVBoxLayout()
        cell.setSpacing(2)
        line = QHBoxLayout()  # a short field stays short; its hint and refusal still get the full width
        line.addWidget(widget)
        if widget.maximumWidth() < 1000:
            line.addStretch(1)
        cell.addLayout(line)
        if hint:
            cell.addWidget(small_label(hint))
        error = wrapped_label()
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        cell.addWidget(error)
        self.errors[key] = error
        form.addRow(label, cell)

    def _form(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        box = QGroupBox(title)
        form = QFormLayout(box)
        # Every field as wide as the dialog, so hints and refusals under a short field wrap at full width.
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        return box, form

    def _api_group(self) -> QGroupBox:
        box, form = self._form("LinkedIn API")
        self.api_version = QLineEdit(self._stored.api_version or "")
        self.api_version.setMaxLength(9)
        self.api_version.setPlaceholderText("automatic")
        self.api_version.setMaximumWidth(120)
        auth = self._runtime.auth
        self._field(
            form,
            "API version:",
            "api_version",
            self.api_version,
            f"In use: {version_note(auth.api.version, auth.known_version)} Leave empty to let the app follow "
            "LinkedIn's versions (recommended); a year and month (YYYYMM) is where it starts looking.",
        )
        return box

    def _show_redirect(self) -> None:
        url = redirect_url(self.redirect_host.currentText(), self.redirect_port.value(), self.redirect_path.text())
        self.redirect_shown.setText(
            f"Register exactly this redirect URL in your LinkedIn app (Auth tab):\n{url}\n"
            "Apps with PKCE use http://127.0.0.1 with a free port instead, as LinkedIn's native flow asks."
        )

    def _app_group(self) -> QGroupBox:
        box, form = self._form("Your LinkedIn app (for “Sign in with LinkedIn”)")
        self.client_id = QLineEdit(self._stored.client_id)
        self.client_id.setPlaceholderText("From the LinkedIn Developer Portal → your app → Auth")
        self.client_id.textChanged.connect(self._show_secret_state)
        self.client_id.textChanged.connect(self._update_restart_notice)
        self._field(form, "Client id:", "client_id", self.client_id)

        self.client_secret = QLineEdit()
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)  # never on screen
        self.client_secret.setAccessibleName("Client secret")
        self.client_secret.textChanged.connect(self._update_restart_notice)
        self.forget_secret_button = side_button("Forget", self._forget_secret)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.client_secret, 1)
        line.addWidget(self.forget_secret_button)
        self.secret_state = small_label()
        cell = QVBoxLayout()
        cell.setSpacing(2)
        cell.addWidget(row)
        cell.addWidget(self.secret_state)
        error = wrapped_label()
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        cell.addWidget(error)
        self.errors["client_secret"] = error
        form.addRow("Client secret:", cell)

        self.redirect_host = QComboBox()
        self.redirect_host.addItems(["127.0.0.1", "localhost"])
        self.redirect_host.setCurrentText(self._stored.redirect_host)
        self.redirect_host.setMaximumWidth(160)
        self._field(form, "Redirect host:", "redirect_host", self.redirect_host)
        self.redirect_port = QSpinBox()
        self.redirect_port.setRange(1024, 65535)
        self.redirect_port.setValue(self._stored.redirect_port)
        self.redirect_port.setMaximumWidth(120)
        self._field(form, "Redirect port:", "redirect_port", self.redirect_port)
        self.redirect_path = QLineEdit(self._stored.redirect_path)
        self.redirect_path.setMaximumWidth(240)
        self._field(form, "Redirect path:", "redirect_path", self.redirect_path)
        self.redirect_shown = small_label("")
        self.redirect_shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self.redirect_shown)
        for changed in (
            self.redirect_host.currentTextChanged,
            self.redirect_port.valueChanged,
            self.redirect_path.textChanged,
        ):
            changed.connect(self._show_redirect)
            changed.connect(self._update_restart_notice)
        self._show_redirect()
        self.use_pkce = QCheckBox("My app uses PKCE (no client secret needed)")
        self.use_pkce.setChecked(self._stored.use_pkce)
        self.use_pkce.toggled.connect(self._update_restart_notice)
        self._field(form, "", "use_pkce", self.use_pkce)
        self.sign_in_openid = QCheckBox("My app has “Sign In with LinkedIn using OpenID Connect”")
        self.sign_in_openid.setChecked(self._stored.sign_in_openid)
        self.sign_in_openid.toggled.connect(self._update_restart_notice)
        self._field(
            form,
            "",
            "sign_in_openid",
            self.sign_in_openid,
            "Then sign-in also asks for your name, to show who is signed in.",
        )
        self.sign_in_reporting = QCheckBox("My app has LinkedIn's reporting access (r_ads_reporting)")
        self.sign_in_reporting.setChecked(self._stored.sign_in_reporting)
        self.sign_in_reporting.toggled.connect(self._update_restart_notice)
        self._field(
            form,
            "",
            "sign_in_reporting",
            self.sign_in_reporting,
            "Then sign-in also asks to read your ad accounts' reports, to show what LinkedIn credited.",
        )
        return box

    def _limits_group(self) -> QGroupBox:
        box, form = self._form("Limits")
        self.daily_cap = QSpinBox()
        self.daily_cap.setRange(1, 10**9)
        self.daily_cap.setGroupSeparatorShown(True)
        self.daily_cap.setValue(self._stored.daily_request_cap)
        self.daily_cap.setMaximumWidth(160)
        self._field(
            form,
            "Requests a day:",
            "daily_request_cap",
            self.daily_cap,
            "LinkedIn's daily limit per sign-in. Each request sends up to 5,000 rows.",
        )
        self.per_minute = QSpinBox()
        self.per_minute.setRange(1, 6000)
        self.per_minute.setValue(self._stored.requests_per_minute)
        self.per_minute.setMaximumWidth(160)
        self._field(form, "Requests a minute:", "requests_per_minute", self.per_minute)
        return box

    def _mode_group(self) -> QGroupBox:
        box, form = self._form("Practice mode")
        self.practice = QComboBox()
        for label, _, value in PRACTICE_CHOICES:
            self.practice.addItem(label, value)
        current = next(i for i, (_, _, value) in enumerate(PRACTICE_CHOICES) if value == self._stored.sandbox_mode)
        self.practice.setCurrentIndex(current)
        self.practice.currentIndexChanged.connect(self._update_restart_notice)
        now = "on" if self._runtime.mode is Mode.SANDBOX else "off"
        self._field(
            form,
            "Practice mode:",
            "sandbox_mode",
            self.practice,
            f"Automatic: practice until a LinkedIn app or access token is set up. It is {now} now.",
        )
        return box

    # -- the client secret -----------------------------------------------------------------------

    def _show_secret_state(self) -> None:
        """What the credential store holds for this client id; asked off the GUI thread (a D-Bus call)."""
        keychain = self._runtime.keychain
        client_id = self.client_id.text().strip()
        if not client_id:
            self._secret_known(None, "Enter the client id first: the secret is saved for that app.")
            return

        def look(control: Control, report: object) -> tuple[bool, str]:
            if not keychain.is_secure:
                return False, "Cannot be saved on this computer: there is no secure credential store."
            try:
                saved = keychain.get(client_secret_entry(client_id)) is not None
            except KeychainError as exc:
                return False, str(exc)
            if saved:
                return True, "Saved in your computer's credential store. Type a new one to replace it."
            return False, "Not saved. Needed unless your app uses PKCE; kept only in your computer's credential store."

        self.secret_state.setText("Looking in your computer's credential store…")
        self._keyring_work(look, lambda found: self._secret_known(*found))

    def _secret_known(self, saved: bool | None, state: str) -> None:
        self.secret_saved = bool(saved)
        self.secret_state.setText(state)
        self.client_secret.setPlaceholderText("Saved" if saved else "")
        self.forget_secret_button.setVisible(bool(saved))

    def _keyring_work(self, work: Callable[[Control, object], T], done: Callable[[T], None]) -> None:
        """Credential-store calls wait on D-Bus (or the Keychain): one at a time, never on the GUI thread."""

        def failed(exc: Exception, cancelled: bool) -> None:
            self._error("client_secret", str(exc))
            self.save_button.setEnabled(True)

        self._keyring.start(work, done, on_failure=failed)

    def done(self, result: int) -> None:
        self._keyring.drop()  # closed while the credential store was asked: nobody to tell
        super().done(result)

    def _forget_secret(self) -> None:
        entry = client_secret_entry(self.client_id.text().strip())
        keychain = self._runtime.keychain
        self._keyring_work(lambda control, report: keychain.delete(entry), lambda _: self._show_secret_state())

    def _values(self) -> dict[str, str]:
        practice = PRACTICE_CHOICES[self.practice.currentIndex()][1]
        return {
            "api_version": self.api_version.text(),
            "client_id": self.client_id.text(),
            "redirect_port": str(self.redirect_port.value()),
            "redirect_host": self.redirect_host.currentText(),
            "redirect_path": self.redirect_path.text(),
            "use_pkce": "on" if self.use_pkce.isChecked() else "off",
            "sign_in_openid": "on" if self.sign_in_openid.isChecked() else "off",
            "sign_in_reporting": "on" if self.sign_in_reporting.isChecked() else "off",
            "daily_request_cap": str(self.daily_cap.value()),
            "requests_per_minute": str(self.per_minute.value()),
            "sandbox_mode": practice,
        }

    def _error(self, key: str, text: str) -> None:
        label = self.errors[key]
        label.setText(text)
        label.setVisible(bool(text))

    def _changed(self) -> dict[str, object]:
        """The settings whose new value differs from the stored one (values as the dialog would save them)."""
        new = self._stored
        for key, text in self._values().items():
            try:
                new = new.with_value(key, text)
            except SettingsError:
                continue
        return {k: getattr(new, k) for k in self._values() if getattr(new, k) != getattr(self._stored, k)}

    def _update_restart_notice(self) -> None:
        changed = [RESTART_FIELDS[k] for k in self._changed() if k in RESTART_FIELDS]
        if self.client_secret.text():
            changed.append("the client secret")
        self.restart_needed = changed
        if changed:
            self.restart_notice.show_messages(
                (f"Takes effect the next time you start CAPI Desktop: {', '.join(changed)}.",)
            )
        else:
            self.restart_notice.show_messages(())

    def save(self) -> bool:
        """Check everything, store the secret in the credential store and the rest in settings.json; the
        dialog closes once both are done. False when something was refused (shown under its field)."""
        for key in self.errors:
            self._error(key, "")
        self.problem.hide()
        new = self._stored
        failed = False
        for key, text in self._values().items():
            try:
                new = new.with_value(key, text)
            except SettingsError as exc:
                self._error(key, str(exc))
                failed = True
        secret = self.client_secret.text().strip()
        if secret and not new.client_id:
            self._error("client_secret", "Enter the client id too: the secret is saved for that app.")
            failed = True
        if failed:
            self._focus_first_error()
            return False
        if secret:
            keychain, entry = self._runtime.keychain, client_secret_entry(new.client_id)

            def store(control: Control, report: object) -> bool:
                if not keychain.is_secure:
                    return False
                keychain.set(entry, secret)
                return True

            def stored(done: bool) -> None:
                if not done:
                    self._error("client_secret", NO_SECURE_STORE)
                    self.save_button.setEnabled(True)
                    return
                self.client_secret.clear()
                self._save_settings(new)

            self.save_button.setEnabled(False)  # until the credential store has answered
            self._keyring_work(store, stored)
            return True
        return self._save_settings(new)

    def _save_settings(self, new: Settings) -> bool:
        try:
            self._runtime.settings_store.save(new)
        except SettingsError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return False
        self._apply(new)
        self.saved = new
        logger.info("Settings saved")
        self.accept()
        return True

    def _apply(self, new: Settings) -> None:
        """What can change without a restart: the API version and the request limits of the next upload."""
        runtime = self._runtime
        runtime.settings = replace(
            runtime.settings,
            api_version=new.api_version,
            daily_request_cap=new.daily_request_cap,
            requests_per_minute=new.requests_per_minute,
        )
        runtime.auth.choose_version(new.api_version)

    def _focus_first_error(self) -> None:
        widgets = {
            "api_version": self.api_version,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_port": self.redirect_port,
            "redirect_host": self.redirect_host,
            "redirect_path": self.redirect_path,
            "use_pkce": self.use_pkce,
            "sign_in_openid": self.sign_in_openid,
            "sign_in_reporting": self.sign_in_reporting,
            "daily_request_cap": self.daily_cap,
            "requests_per_minute": self.per_minute,
            "sandbox_mode": self.practice,
        }
        for key, label in self.errors.items():
            if not label.isHidden():
                widgets[key].setFocus(Qt.FocusReason.OtherFocusReason)
                return


def add_settings_button(wizard: QWizard, runtime: Runtime) -> QAbstractButton:
    """A "Settings…" button at the left of the wizard's buttons that opens the settings dialog."""
    which = QWizard.WizardButton
    wizard.setOption(QWizard.WizardOption.HaveCustomButton1, True)
    wizard.setButtonText(which.CustomButton1, "&Settings…")
    wizard.setButtonLayout(
        [
            which.CustomButton1,
            which.Stretch,
            which.BackButton,
            which.NextButton,
            which.CommitButton,
            which.FinishButton,
            which.CancelButton,
        ]
    )

    def clicked(button: int) -> None:
        if button == which.CustomButton1.value:
            open_settings(wizard, runtime)

    wizard.customButtonClicked.connect(clicked)
    button = wizard.button(which.CustomButton1)
    if isinstance(button, QPushButton):
        button.setAutoDefault(False)
    return button


def open_settings(parent: QWidget, runtime: Runtime) -> SettingsDialog:
    """Show the settings dialog (window-modal) and return it."""
    dialog = SettingsDialog(runtime, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # Wrapped hints need more height at this width than Qt's first guess (it squashed the port field).
    layout = dialog.layout()
    if layout is not None and layout.hasHeightForWidth():
        width = max(dialog.width(), dialog.minimumWidth())
        dialog.resize(width, max(dialog.sizeHint().height(), layout.totalHeightForWidth(width)))
    dialog.open()
    return dialog
