"""The settings dialog: checked values, the client secret only in the OS credential store, the wizard button."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from capi_desktop.core.stores.keychain import Keychain
from capi_desktop.core.stores.settings import SettingsStore
from capi_desktop.gui.settings_dialog import NO_SECURE_STORE, SettingsDialog
from capi_desktop.gui.wizard import UploadWizard
from capi_desktop.runtime import Runtime, client_secret_entry, open_runtime

SECRET = "WPL_AP1.s3cr3tValue.Zq=="
CLIENT_ID = "86testclient42"


def settings_file(app_home: Path) -> Path:
    return app_home / "config" / "settings.json"


def open_dialog(qtbot: QtBot, runtime: Runtime) -> SettingsDialog:
    dialog = SettingsDialog(runtime)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_an_invalid_api_version_is_refused_under_its_field(qtbot: QtBot, runtime: Runtime, app_home: Path) -> None:
    dialog = open_dialog(qtbot, runtime)
    dialog.api_version.clear()
    qtbot.keyClicks(dialog.api_version, "2026-6")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    error = dialog.errors["api_version"]
    assert error.isVisible() and error.text().startswith("The LinkedIn API version is a year and month, for example")
    assert dialog.isVisible() and dialog.saved is None
    assert not settings_file(app_home).exists()
    assert dialog.focusWidget() is dialog.api_version

    dialog.api_version.clear()
    qtbot.keyClicks(dialog.api_version, "202613")  # no 13th month
    assert not dialog.save()
    assert error.isVisible()


def test_values_are_saved_and_limits_apply_to_the_next_upload(qtbot: QtBot, runtime: Runtime, app_home: Path) -> None:
    sandbox_base = runtime.settings.api_base
    dialog = open_dialog(qtbot, runtime)
    dialog.api_version.setText("202605")
    dialog.daily_cap.setValue(1234)
    dialog.per_minute.setValue(30)
    dialog.redirect_port.setValue(9123)
    assert not dialog.restart_notice.isHidden() and "redirect port" in dialog.restart_notice.label.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.saved is not None

    stored = json.loads(settings_file(app_home).read_text(encoding="utf-8"))
    assert stored["api_version"] == "202605" and stored["daily_request_cap"] == 1234
    assert stored["requests_per_minute"] == 30 and stored["redirect_port"] == 9123
    assert stored["api_base"] == "https://api.linkedin.com/rest"  # never the practice sandbox's address
    assert (runtime.settings.daily_request_cap, runtime.settings.requests_per_minute) == (1234, 30)
    assert runtime.auth.api.version == "202605" and runtime.settings.api_base == sandbox_base


def test_practice_mode_choice_is_saved_and_needs_a_restart(qtbot: QtBot, runtime: Runtime, app_home: Path) -> None:
    dialog = open_dialog(qtbot, runtime)
    assert dialog.practice.currentText() == "Automatic"
    assert dialog.restart_notice.isHidden()
    dialog.practice.setCurrentIndex(2)
    assert "practice mode" in dialog.restart_notice.label.text()
    assert dialog.save()
    assert json.loads(settings_file(app_home).read_text(encoding="utf-8"))["sandbox_mode"] is False
    dialog = open_dialog(qtbot, runtime)
    assert dialog.practice.currentText().startswith("Off")


def test_without_a_secure_store_the_secret_is_refused_and_nothing_is_saved(
    qtbot: QtBot, runtime: Runtime, app_home: Path
) -> None:
    assert not runtime.keychain.is_secure  # the GUI tests' default keychain has no backend
    dialog = open_dialog(qtbot, runtime)
    qtbot.keyClicks(dialog.client_id, CLIENT_ID)
    qtbot.waitUntil(lambda: "no secure credential store" in dialog.secret_state.text(), timeout=5000)
    qtbot.keyClicks(dialog.client_secret, SECRET)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors["client_secret"].text() == NO_SECURE_STORE, timeout=5000)
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert not settings_file(app_home).exists()


@pytest.fixture
def keyring_runtime(real_keychain: Keychain, app_home: Path) -> Iterator[Runtime]:
    runtime = open_runtime(env={}, keychain=real_keychain, settings_store=SettingsStore(settings_file(app_home)))
    yield runtime
    runtime.close()
    real_keychain.delete(client_secret_entry(CLIENT_ID))


@pytest.mark.keyring
def test_the_secret_goes_to_the_credential_store_only(
    qtbot: QtBot, keyring_runtime: Runtime, real_keychain: Keychain, app_home: Path
) -> None:
    real_keychain.delete(client_secret_entry(CLIENT_ID))
    dialog = open_dialog(qtbot, keyring_runtime)
    qtbot.keyClicks(dialog.client_id, CLIENT_ID)
    qtbot.waitUntil(lambda: "Not saved" in dialog.secret_state.text(), timeout=5000)
    qtbot.keyClicks(dialog.client_secret, SECRET)
    assert dialog.client_secret.displayText() != SECRET  # dots on screen
    assert "client secret" in dialog.restart_notice.label.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)

    assert real_keychain.get(client_secret_entry(CLIENT_ID)) == SECRET
    text = settings_file(app_home).read_text(encoding="utf-8")
    assert json.loads(text)["client_id"] == CLIENT_ID
    assert SECRET not in text and "s3cr3t" not in text and "secret" not in text.lower()

    again = open_dialog(qtbot, keyring_runtime)
    qtbot.waitUntil(lambda: again.secret_state.text().startswith("Saved in your computer's credential store"))
    assert again.client_secret.text() == "" and again.client_secret.placeholderText() == "Saved"
    qtbot.mouseClick(again.forget_secret_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not saved" in again.secret_state.text(), timeout=5000)
    assert real_keychain.get(client_secret_entry(CLIENT_ID)) is None


def test_the_wizard_has_a_settings_button(qtbot: QtBot, wizard: UploadWizard) -> None:
    button = wizard.button(QWizard.WizardButton.CustomButton1)
    assert button.isVisible() and button.text().replace("&", "") == "Settings…"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialogs = wizard.findChildren(SettingsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].reject()
