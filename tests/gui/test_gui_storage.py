"""LinkedIn mode (a sandbox standing in for LinkedIn): where the sign-in is kept, and what the page says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gui_support import ScriptedBrowser, error_boxes
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from capi_desktop.core.stores.keychain import Keychain
from capi_desktop.core.stores.settings import SettingsStore
from capi_desktop.gui.app import create_wizard
from capi_desktop.gui.pages.sign_in import SignInPage, SignInState
from capi_desktop.gui.wizard import UploadWizard
from capi_desktop.runtime import Mode, Runtime, open_runtime
from capi_desktop.sandbox import SandboxServer

OpenWizard = Callable[[Keychain], UploadWizard]


@pytest.fixture
def remote() -> Iterator[SandboxServer]:
    with SandboxServer(port=0) as server:
        yield server


@pytest.fixture
def open_wizard(qtbot: QtBot, remote: SandboxServer, app_home: Path) -> Iterator[OpenWizard]:
    """A wizard in LinkedIn mode; each call is a fresh start of the app, with its own runtime."""
    runtimes: list[Runtime] = []
    wizards: list[UploadWizard] = []

    def start(keychain: Keychain) -> UploadWizard:
        # An API address in the environment means "not practice mode", as for an agency's own endpoint.
        env = {"CAPI_DESKTOP_API_BASE": remote.api_base, "CAPI_DESKTOP_OAUTH_BASE": remote.oauth_base}
        runtime = open_runtime(
            env=env, keychain=keychain, settings_store=SettingsStore(app_home / "config" / "settings.json")
        )
        assert runtime.mode is Mode.LINKEDIN
        wizard = create_wizard(runtime, ScriptedBrowser())
        wizard.confirm_quit = lambda parent, question: True  # pytest-qt closes the window before this fixture ends
        qtbot.addWidget(wizard)
        wizard.show()
        runtimes.append(runtime)
        wizards.append(wizard)
        return wizard

    yield start
    for wizard in wizards:
        wizard.done(QDialog.DialogCode.Rejected)
    QThreadPool.globalInstance().waitForDone(5000)
    for runtime in runtimes:
        runtime.close()


def signed_in_with_pasted_token(qtbot: QtBot, wizard: UploadWizard, token: str) -> SignInPage:
    wizard.next()
    page = wizard.sign_in_page
    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_OUT, timeout=10_000)
    qtbot.mouseClick(page.paste_toggle, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.token_edit, token)
    qtbot.mouseClick(page.check_token_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=10_000)
    return page


def test_without_a_credential_store_the_page_says_it_lasts_this_session(
    qtbot: QtBot, open_wizard: OpenWizard, remote: SandboxServer, memory_keychain: Keychain
) -> None:
    wizard = open_wizard(memory_keychain)
    assert wizard.welcome_page.banner.label.text() == Mode.LINKEDIN.description

    page = signed_in_with_pasted_token(qtbot, wizard, remote.mint_token())

    assert page.storage_label.text() == "Until you close the app."
    assert page.notice.isVisibleTo(page)
    assert "No secure credential store was found" in page.notice.label.text()
    assert page.isComplete()  # a warning, not a blocker


def test_with_the_os_keyring_a_returning_user_is_still_signed_in(
    qtbot: QtBot, open_wizard: OpenWizard, remote: SandboxServer, real_keychain: Keychain
) -> None:
    first = signed_in_with_pasted_token(qtbot, open_wizard(real_keychain), remote.mint_token())
    assert first.storage_label.text().startswith("In your computer's credential store")
    assert not first.notice.isVisibleTo(first)

    again = open_wizard(real_keychain)  # the app opened again later
    again.next()
    page = again.sign_in_page
    try:
        qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_IN, timeout=10_000)
        assert page.signed_in_label.text() == "Signed in as a LinkedIn member with 4 ad accounts"
    finally:
        qtbot.mouseClick(page.sign_out_button, Qt.MouseButton.LeftButton)  # leave the keyring as found
        qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_OUT, timeout=10_000)


def test_browser_sign_in_without_a_linkedin_app_explains_the_alternative(
    qtbot: QtBot, open_wizard: OpenWizard, memory_keychain: Keychain
) -> None:
    wizard = open_wizard(memory_keychain)
    wizard.next()
    page = wizard.sign_in_page
    qtbot.waitUntil(lambda: page.state is SignInState.SIGNED_OUT, timeout=10_000)

    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)

    (box,) = error_boxes(page)
    assert box.text() == "No LinkedIn app is set up for browser sign-in."
    assert "paste an access token instead" in box.informativeText()
    assert page.state is SignInState.SIGNED_OUT
