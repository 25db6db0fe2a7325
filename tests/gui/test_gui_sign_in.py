"""The sign-in page against a real sandbox: pasted tokens, the browser flow, sign-out, missing permissions."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from gui_support import ScriptedBrowser, error_boxes
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from capi_desktop.core.normalise.dates import format_day
from capi_desktop.gui.pages.sign_in import SignInPage, SignInState
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.linkedin.auth import ACCESS_GUIDE
from capi_desktop.runtime import Runtime
from capi_desktop.sandbox import SandboxServer

DATE = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$")


def open_sign_in(qtbot: QtBot, wizard: UploadWizard, expected: SignInState) -> SignInPage:
    wizard.next()
    page = wizard.sign_in_page
    assert wizard.currentId() == PageId.SIGN_IN
    qtbot.waitUntil(lambda: page.state is expected, timeout=10_000)
    return page


def forward(page: SignInPage) -> QAbstractButton:
    button = page.forward_button()
    assert button is not None
    return button


def paste_token(qtbot: QtBot, page: SignInPage, token: str) -> None:
    qtbot.mouseClick(page.paste_toggle, Qt.MouseButton.LeftButton)
    assert page.token_panel.isVisibleTo(page)
    qtbot.keyClicks(page.token_edit, token)
    qtbot.keyClick(page.token_edit, Qt.Key.Key_Return)  # Enter in the field checks the token


def visible_texts(page: SignInPage) -> str:
    return "\n".join(label.text() for label in page.findChildren(QLabel) if label.isVisibleTo(page))


def test_returning_user_is_shown_signed_in(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    runtime.auth.sign_in_with_token(sandbox.mint_token())
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_IN)
    assert page.signed_in_label.text() == "Signed in as a LinkedIn member with 4 ad accounts"
    assert page.isComplete() and forward(page).isEnabled()


def test_pasted_token_signs_in_and_enables_next(qtbot: QtBot, wizard: UploadWizard, sandbox: SandboxServer) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)
    assert not forward(page).isEnabled()
    token = sandbox.mint_token()

    paste_token(qtbot, page, token)

    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=10_000)
    assert page.signed_in_label.text() == "Signed in as a LinkedIn member with 4 ad accounts"
    # Practice mode knows the demo app's secret, so LinkedIn's introspection gives the real expiry.
    assert page.expiry_label.text() == format_day(time.time() + 60 * 86400)
    assert page.storage_label.text().startswith("Until you close the app")
    assert forward(page).isEnabled()
    assert page.token_edit.text() == ""  # the field does not keep the token
    assert token not in visible_texts(page)
    assert error_boxes(page) == []


def test_garbage_token_shows_the_reason_and_next_stays_disabled(qtbot: QtBot, wizard: UploadWizard) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)

    paste_token(qtbot, page, "this-is-not-a-linkedin-token-0123456789")

    qtbot.waitUntil(lambda: bool(error_boxes(page)), timeout=10_000)
    (box,) = error_boxes(page)
    assert box.windowTitle() == "Sign-in did not complete"
    assert box.text().startswith("LinkedIn did not accept this token")
    assert page.state is SignInState.SIGNED_OUT
    assert not page.isComplete() and not forward(page).isEnabled()
    assert page.token_panel.isVisibleTo(page)  # ready for another try


def test_token_without_r_ads_is_refused_with_the_access_guide(
    qtbot: QtBot, wizard: UploadWizard, sandbox: SandboxServer
) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)

    paste_token(qtbot, page, sandbox.mint_token(scopes=("rw_conversions",)))

    qtbot.waitUntil(lambda: bool(error_boxes(page)), timeout=10_000)
    (box,) = error_boxes(page)
    assert "r_ads" in box.text()
    assert ACCESS_GUIDE in box.informativeText()
    assert page.state is SignInState.SIGNED_OUT and not forward(page).isEnabled()


def test_browser_sign_in_with_allow(
    qtbot: QtBot, wizard: UploadWizard, browser: ScriptedBrowser, sandbox: SandboxServer
) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)
    browser.decision = "allow"
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    wizard.showMinimized()  # the browser comes to the front, the app goes out of sight
    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=10_000)
    assert not wizard.isMinimized()  # and it comes back once LinkedIn answered
    qtbot.waitUntil(wizard.isActiveWindow, timeout=2000)
    assert browser.opened[0].startswith(sandbox.url + "/oauth/native-pkce/authorization?")
    assert "You are signed in" in browser.final_page
    assert page.signed_in_label.text() == "Signed in as Alex Morgan"
    assert DATE.match(page.expiry_label.text())
    assert page.permissions_label.text().splitlines() == [
        "✓  See your ad accounts and campaigns",  # the two the app needs first, then the others
        "✓  Send conversions to your ad accounts",
        "✓  Sign you in with your LinkedIn account",
        "✓  See your name (shown as who is signed in)",
        "✓  See your ad accounts' reports (what LinkedIn credited)",
    ]
    assert page.permission_names_label.text() == (
        "As LinkedIn names them: openid, profile, r_ads, r_ads_reporting, rw_conversions"
    )
    assert not page.notice.isVisibleTo(page)
    assert forward(page).isEnabled()


def test_browser_sign_in_denied_shows_why(qtbot: QtBot, wizard: UploadWizard, browser: ScriptedBrowser) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)
    browser.decision = "cancel"

    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: bool(error_boxes(page)), timeout=10_000)
    (box,) = error_boxes(page)
    assert box.text() == "You declined the permissions in the browser, so CAPI Desktop cannot upload for you."
    assert "Sign-in did not complete" in browser.final_page
    assert page.state is SignInState.SIGNED_OUT and not forward(page).isEnabled()


def _redirect_uri(sign_in_url: str) -> str:
    return parse_qs(urlsplit(sign_in_url).query)["redirect_uri"][0]


def test_cancel_while_waiting_stops_listening_quietly(
    qtbot: QtBot, wizard: UploadWizard, browser: ScriptedBrowser, sandbox: SandboxServer
) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    assert page.state is SignInState.BUSY
    assert page.busy_label.text() == "Waiting for you to finish in your browser…"
    assert page.cancel_button.isVisibleTo(page) and page.copy_link_button.isVisibleTo(page)

    qtbot.mouseClick(page.copy_link_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text().startswith(sandbox.url + "/oauth/native-pkce/authorization?")

    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    assert page.state is SignInState.SIGNED_OUT
    qtbot.waitUntil(lambda: page.background_operation is None, timeout=5000)
    assert error_boxes(page) == []  # the user cancelled: nothing to explain
    assert not forward(page).isEnabled()
    with pytest.raises(requests.ConnectionError):  # the loopback listener is closed
        requests.get(_redirect_uri(browser.opened[0]), timeout=5)


def test_going_back_abandons_a_waiting_sign_in(qtbot: QtBot, wizard: UploadWizard, browser: ScriptedBrowser) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    worker = page.background_operation
    assert worker is not None and worker.running

    wizard.back()

    assert wizard.currentId() == PageId.WELCOME
    qtbot.waitUntil(lambda: not worker.running, timeout=5000)
    assert worker.cancelled and error_boxes(page) == []


def test_sign_out_disables_next(qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer) -> None:
    runtime.auth.sign_in_with_token(sandbox.mint_token())
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_IN)
    assert forward(page).isEnabled()

    qtbot.mouseClick(page.sign_out_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_OUT, timeout=10_000)
    assert not page.isComplete() and not forward(page).isEnabled()
    assert not runtime.auth.status().signed_in


def test_missing_permission_shows_the_access_guide_and_keeps_next_disabled(
    qtbot: QtBot, wizard: UploadWizard, browser: ScriptedBrowser
) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)
    browser.decision, browser.grant = "allow", "r_ads"  # LinkedIn grants only one of the two

    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=10_000)
    assert "✗  Send conversions to your ad accounts (not granted)" in page.permissions_label.text()
    assert page.notice.isVisibleTo(page)
    assert "LinkedIn did not grant rw_conversions." in page.notice.label.text()
    assert ACCESS_GUIDE in page.notice.label.text()
    assert not page.isComplete() and not forward(page).isEnabled()


def test_pasted_token_without_conversions_permission_keeps_next_disabled(
    qtbot: QtBot, wizard: UploadWizard, sandbox: SandboxServer
) -> None:
    page = open_sign_in(qtbot, wizard, SignInState.SIGNED_OUT)
    paste_token(qtbot, page, sandbox.mint_token(scopes=("r_ads",)))

    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=10_000)
    assert "LinkedIn did not grant rw_conversions." in page.notice.label.text()
    assert not page.isComplete() and not forward(page).isEnabled()
