"""GUI fixtures: a practice-mode runtime (real in-process sandbox), the wizard, and a scripted browser.

The root conftest already gives every test a fresh ``CAPI_DESKTOP_HOME`` and a keyring-free keychain.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_support import ScriptedBrowser
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from capi_desktop.core.stores.keychain import Keychain
from capi_desktop.core.stores.settings import SettingsStore
from capi_desktop.gui.app import apply_look, create_wizard
from capi_desktop.gui.collector import collect_on_gui_thread
from capi_desktop.gui.wizard import UploadWizard
from capi_desktop.runtime import Mode, Runtime, open_runtime
from capi_desktop.sandbox import SandboxServer


@pytest.fixture(scope="module", autouse=True)
def cycle_collector(qapp: QApplication) -> Iterator[None]:
    """As the app does: its look, and cycles collected on the GUI thread only; other tests keep Python's own
    collector."""
    apply_look(qapp)
    timer = collect_on_gui_thread(qapp)
    yield
    timer.stop()
    timer.setParent(None)  # gone with this reference, so the next module installs its own
    gc.enable()


@pytest.fixture
def runtime(app_home: Path, memory_keychain: Keychain) -> Iterator[Runtime]:
    # env={}: no LinkedIn app and no token configured, so the app starts in practice mode.
    runtime = open_runtime(
        env={}, keychain=memory_keychain, settings_store=SettingsStore(app_home / "config" / "settings.json")
    )
    assert runtime.mode is Mode.SANDBOX
    yield runtime
    runtime.close()


@pytest.fixture
def sandbox(runtime: Runtime) -> SandboxServer:
    """The runtime's own sandbox (the one the wizard talks to), not a second server."""
    assert runtime.sandbox is not None
    return runtime.sandbox


@pytest.fixture
def browser() -> ScriptedBrowser:
    return ScriptedBrowser()


@pytest.fixture
def wizard(qtbot: QtBot, runtime: Runtime, browser: ScriptedBrowser) -> Iterator[UploadWizard]:
    wizard = create_wizard(runtime, browser)
    # pytest-qt closes the window before this fixture ends: as a user who agrees to quit and to stop sending.
    wizard.confirm_quit = lambda parent, question: True
    wizard.upload_page.confirm_close = lambda parent: True
    qtbot.addWidget(wizard)
    wizard.show()
    yield wizard
    wizard.done(QDialog.DialogCode.Rejected)  # what closing the window ends in, once the user agreed
    QThreadPool.globalInstance().waitForDone(5000)
