"""Sign in: through the browser (LinkedIn's consent page) or with a pasted access token.

The page is complete only when the user is signed in with every permission uploads need. Every call
that waits on the network or the browser runs on the page's background worker.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from capi_desktop.core.control import Control
from capi_desktop.core.normalise.dates import format_day
from capi_desktop.core.stores.tokens import REQUIRED_SCOPES, Storage, TokenSource
from capi_desktop.gui.errors import show_error
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.widgets import (
    SUCCESS_GREEN,
    Notice,
    badge,
    busy_bar,
    heading_label,
    primary_button,
    side_button,
    small_label,
    wrapped_label,
)
from capi_desktop.linkedin.auth import AuthService, BrowserSignIn, SignInStatus
from capi_desktop.linkedin.errors import LinkedInError
from capi_desktop.runtime import Mode

UrlOpener = Callable[[QUrl], bool]

# Plain words for LinkedIn's permission names; unknown ones are shown as LinkedIn names them.
PERMISSION_NAMES = {
    "rw_conversions": "Send conversions to your ad accounts",
    "r_ads": "See your ad accounts and campaigns",
    "r_ads_reporting": "See your ad accounts' reports (what LinkedIn credited)",
    "openid": "Sign you in with your LinkedIn account",
    "profile": "See your name (shown as who is signed in)",
}

BROWSER_HINT = {
    Mode.SANDBOX: "Your browser opens a practice sign-in page that CAPI Desktop shows itself. "
    "Choose Allow there, then come back here.",
    Mode.LINKEDIN: "Your browser opens LinkedIn. Sign in there and choose Allow, then come back here.",
}
WAITING_HINT = (
    "Finish signing in using your browser. If it did not open, copy the sign-in link and paste it into "
    "your browser's address bar."
)
NO_BROWSER_HINT = "Your browser did not open. Copy the sign-in link and paste it into your browser's address bar."
PASTE_TOKEN = "Paste an access token instead"
LINK_COPIED_HINT = "The sign-in link is copied. Paste it into your browser's address bar."


class SignInState(Enum):
    BUSY = "busy"  # checking, waiting for the browser, or signing out
    SIGNED_OUT = "signed out"
    SIGNED_IN = "signed in"


class SignInPage(WizardPage):
    def __init__(
        self,
        mode: Mode,
        auth: AuthService,
        open_url: UrlOpener = QDesktopServices.openUrl,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            mode,
            "Sign in to LinkedIn",
            "CAPI Desktop needs your permission to send conversions to your ad accounts.",
            parent,
        )
        self._mode = mode
        self._auth = auth
        self._open_url = open_url
        self._status: SignInStatus | None = None
        self._attempt: BrowserSignIn | None = None

        self.stack = QStackedWidget()
        self._busy_view = self._build_busy_view()
        self._signed_out_view = self._build_signed_out_view()
        self._signed_in_view = self._build_signed_in_view()
        for view in (self._busy_view, self._signed_out_view, self._signed_in_view):
            self.stack.addWidget(view)
        self.body.addWidget(self.stack)
        self.notice = Notice()
        self.body.addWidget(self.notice)
        self.body.addStretch(1)

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        self._show_busy("Checking whether you are already signed in…")
        self.run_in_background(lambda control, report: self._auth.status(), self._show_status)

    def cleanupPage(self) -> None:
        # Going Back abandons a browser sign-in that is still waiting.
        self.stop_background_work()
        super().cleanupPage()

    def isComplete(self) -> bool:
        status = self._status
        return (
            self.state is SignInState.SIGNED_IN
            and status is not None
            and status.signed_in
            and not status.missing_scopes
        )

    @property
    def state(self) -> SignInState:
        view = self.stack.currentWidget()
        if view is self._signed_in_view:
            return SignInState.SIGNED_IN
        return SignInState.SIGNED_OUT if view is self._signed_out_view else SignInState.BUSY

    # -- building the three views ----------------------------------------------------------------

    def _build_busy_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        self.busy_label = heading_label(scale=1.05)
        layout.addWidget(self.busy_label)
        layout.addWidget(busy_bar())
        self.waiting_hint = wrapped_label()
        layout.addWidget(self.waiting_hint)
        buttons = QHBoxLayout()
        self.cancel_button = side_button("Cancel sign-in", self._cancel_browser_sign_in)
        self.copy_link_button = side_button("Copy sign-in link", self._copy_link)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.copy_link_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return view

    def _build_signed_out_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.sign_in_button = primary_button("Sign in with LinkedIn")
        self.sign_in_button.clicked.connect(self._start_browser_sign_in)
        row = QHBoxLayout()
        row.addWidget(self.sign_in_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(wrapped_label(BROWSER_HINT[self._mode]))

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addSpacing(6)
        layout.addWidget(line)

        self.paste_toggle = QToolButton()
        self.paste_toggle.setText(PASTE_TOKEN)
        self.paste_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.paste_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.paste_toggle.setAutoRaise(True)
        self.paste_toggle.clicked.connect(self._toggle_token_panel)
        row = QHBoxLayout()
        row.addWidget(self.paste_toggle)
        row.addStretch(1)
        layout.addLayout(row)

        self.token_panel = QWidget()
        panel = QVBoxLayout(self.token_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.addWidget(
            wrapped_label(
                "If you made an access token with LinkedIn's token generator, paste it here. It needs both "
                "permissions: send conversions (rw_conversions) and see your ad accounts (r_ads)."
            )
        )
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)  # never on screen, nor in a screenshot
        self.token_edit.setPlaceholderText("Paste your access token here")
        self.token_edit.setAccessibleName("Access token")
        self.token_edit.textChanged.connect(self._token_edited)
        self.token_edit.returnPressed.connect(self._check_token)
        self.check_token_button = QPushButton("Check and save")
        self.check_token_button.setEnabled(False)
        self.check_token_button.clicked.connect(self._check_token)
        row = QHBoxLayout()
        row.addWidget(self.token_edit, 1)
        row.addWidget(self.check_token_button)
        panel.addLayout(row)
        self.token_panel.hide()
        layout.addWidget(self.token_panel)
        layout.addStretch(1)
        return view

    def _build_signed_in_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.signed_in_label = heading_label(scale=1.25)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(badge("✓", SUCCESS_GREEN))
        row.addWidget(self.signed_in_label, 1)
        layout.addLayout(row)
        form = QFormLayout()
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(10)
        self.expiry_label = wrapped_label()
        self.permissions_label = wrapped_label()
        self.permission_names_label = small_label()
        permissions = QVBoxLayout()
        permissions.setSpacing(2)
        permissions.addWidget(self.permissions_label)
        permissions.addWidget(self.permission_names_label)
        self.storage_label = wrapped_label()
        form.addRow("Expires:", self.expiry_label)
        form.addRow("Permissions:", permissions)
        form.addRow("Remembered:", self.storage_label)
        layout.addLayout(form)
        self.sign_out_button = side_button("Sign out", self._sign_out)
        row = QHBoxLayout()
        row.addWidget(self.sign_out_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        return view

    # -- showing state ---------------------------------------------------------------------------

    def _show_busy(self, message: str, *, browser: bool = False) -> None:
        self.busy_label.setText(message)
        self.waiting_hint.setText(WAITING_HINT if browser else "")
        self.waiting_hint.setVisible(browser)
        self.cancel_button.setVisible(browser)
        self.copy_link_button.setVisible(browser)
        self.notice.show_messages(())
        self.stack.setCurrentWidget(self._busy_view)
        self.completeChanged.emit()
        if browser:
            self.copy_link_button.setFocus()

    def _show_signed_out(self) -> None:
        self.stack.setCurrentWidget(self._signed_out_view)
        self.notice.show_messages(self._status.warnings if self._status else ())
        self.completeChanged.emit()
        if not self.token_panel.isHidden():
            self.token_edit.setFocus()
        else:
            self.sign_in_button.setFocus()

    def _show_status(self, status: SignInStatus) -> None:
        self._status = status
        if not status.signed_in:
            self._show_signed_out()
            return
        self.signed_in_label.setText(f"Signed in as {status.member_name}")
        self.expiry_label.setText(_expiry_text(status))
        self.permissions_label.setText(_permissions_text(status))
        self.permission_names_label.setText(
            "As LinkedIn names them: " + ", ".join(sorted(status.scopes)) if status.scopes else ""
        )
        self.permission_names_label.setVisible(bool(status.scopes))
        self.storage_label.setText(_storage_text(status, self._mode))
        self.sign_out_button.setVisible(status.storage is not Storage.ENVIRONMENT)
        self.stack.setCurrentWidget(self._signed_in_view)
        self.notice.show_messages(status.warnings)
        self.completeChanged.emit()
        forward = self.forward_button()
        if self.isComplete() and forward is not None:
            forward.setFocus()  # so Enter moves on

    # -- actions ---------------------------------------------------------------------------------

    def _start_browser_sign_in(self) -> None:
        try:
            attempt = self._auth.begin_browser_sign_in()  # binds the loopback listener: quick
        except LinkedInError as exc:
            show_error(self, exc)
            return
        self._attempt = attempt

        def wait(control: Control, report: object) -> SignInStatus:
            return attempt.wait(control=control)

        # The listener is served by the worker, so start it before the browser can answer.
        self._show_busy("Waiting for you to finish in your browser…", browser=True)
        self.run_in_background(wait, self._back_from_browser)
        if not self._open_url(QUrl(attempt.url)):
            self.waiting_hint.setText(NO_BROWSER_HINT)

    def _back_from_browser(self, status: SignInStatus) -> None:
        # The browser had the user's attention: come back to the front, where the next step is.
        window = self.window()
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()
        QApplication.alert(window)  # where the system will not hand over the focus, the taskbar entry asks
        self._show_status(status)

    def _cancel_browser_sign_in(self) -> None:
        operation = self.background_operation
        if operation is not None:
            # The wait ends within a moment; a sign-in that completed just now is still shown.
            operation.cancel()
        self._show_signed_out()

    def _copy_link(self) -> None:
        if self._attempt is not None:
            QGuiApplication.clipboard().setText(self._attempt.url)
            self.waiting_hint.setText(LINK_COPIED_HINT)

    def _toggle_token_panel(self) -> None:
        self._show_token_panel(self.token_panel.isHidden())

    def _show_token_panel(self, shown: bool) -> None:
        self.token_panel.setVisible(shown)
        self.paste_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        if shown:
            self.token_edit.setFocus()

    def _token_edited(self, text: str) -> None:
        self.check_token_button.setEnabled(bool(text.strip()))

    def _check_token(self) -> None:
        token = self.token_edit.text()
        if not token.strip() or self.state is not SignInState.SIGNED_OUT:
            return

        def check(control: Control, report: object) -> SignInStatus:
            return self._auth.sign_in_with_token(token)

        self._show_busy("Checking your access token with LinkedIn…")
        self.run_in_background(check, self._token_accepted)

    def _token_accepted(self, status: SignInStatus) -> None:
        self.token_edit.clear()  # the token now lives only in the credential store or memory
        self._show_token_panel(False)
        self._show_status(status)

    def _sign_out(self) -> None:
        def sign_out(control: Control, report: object) -> SignInStatus:
            self._auth.sign_out()
            return self._auth.status()

        self._show_busy("Signing out…")
        self.run_in_background(sign_out, self._show_status)

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        super().background_failed(exc, cancelled)
        if self.state is SignInState.BUSY:
            # Nothing changed: a failed sign-out leaves the user signed in, a failed sign-in signed out.
            if self._status is not None:
                self._show_status(self._status)
            else:
                self._show_signed_out()
        self.token_edit.selectAll()  # a rejected token is replaced by the next paste


def _expiry_text(status: SignInStatus) -> str:
    if status.expires_at is not None:
        return format_day(status.expires_at)
    if status.source is TokenSource.PASTED:
        return "Expiry unknown: LinkedIn does not say for pasted tokens"
    return "Expiry unknown"


def _permissions_text(status: SignInStatus) -> str:
    scopes = status.scopes
    if scopes is None:
        if status.source is TokenSource.PASTED:  # sign_in_with_token checked it can list the ad accounts
            return "Not listed for pasted tokens; LinkedIn confirmed the token can see your ad accounts"
        return "Not reported by LinkedIn for this sign-in"
    lines = [f"✓  {PERMISSION_NAMES[s]}" for s in sorted(REQUIRED_SCOPES & scopes)]
    lines += [f"✗  {PERMISSION_NAMES[s]} (not granted)" for s in sorted(REQUIRED_SCOPES - scopes)]
    lines += [f"✓  {PERMISSION_NAMES.get(s, s)}" for s in sorted(scopes - REQUIRED_SCOPES)]
    return "\n".join(lines)


def _storage_text(status: SignInStatus, mode: Mode) -> str:
    if status.storage is Storage.KEYRING:
        return "In your computer's credential store, so you stay signed in next time."
    if status.storage is Storage.ENVIRONMENT:
        return "Given by the CAPI_DESKTOP_ACCESS_TOKEN setting. Remove that setting to sign out."
    if mode is Mode.SANDBOX:
        return "Until you close the app (practice sign-ins are never saved)."
    return "Until you close the app."  # the notice below says why
