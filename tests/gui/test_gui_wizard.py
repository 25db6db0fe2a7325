"""The wizard shell, the welcome page, and starting the app."""

from __future__ import annotations

from configparser import ConfigParser
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QRadioButton, QWizard
from pytestqt.qtbot import QtBot

from capi_desktop.core.stores.settings import SettingsError
from capi_desktop.gui import app as app_module
from capi_desktop.gui.app import create_wizard, run
from capi_desktop.gui.pages.welcome import StartChoice
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.runtime import Mode, Runtime


def label_texts(widget: QLabel | QWizard) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel)]


def test_window_is_titled_with_icon_and_modern_style(wizard: UploadWizard) -> None:
    assert wizard.windowTitle() == "CAPI Desktop"
    assert not wizard.windowIcon().isNull()
    assert wizard.wizardStyle() is QWizard.WizardStyle.ModernStyle
    assert wizard.currentId() == PageId.WELCOME


def test_every_page_says_it_is_practice_mode(wizard: UploadWizard) -> None:
    for page in (wizard.welcome_page, wizard.sign_in_page):
        assert page.banner.label.text() == Mode.SANDBOX.description
        assert "Nothing is sent to LinkedIn" in page.banner.label.text()


def test_welcome_explains_the_three_steps_and_hashing(wizard: UploadWizard) -> None:
    texts = label_texts(wizard.welcome_page)
    for step in ("Sign in with LinkedIn", "Pick an ad account and a conversion rule", "Drop in your spreadsheet"):
        assert step in texts
    assert "hashed before anything is sent" in wizard.welcome_page.privacy_label.text()


def test_welcome_offers_only_what_works(wizard: UploadWizard) -> None:
    radios = wizard.welcome_page.findChildren(QRadioButton)
    assert [radio.text() for radio in radios] == ["Start a new upload"]
    assert radios[0].isChecked()
    assert wizard.welcome_page.choice is StartChoice.NEW_UPLOAD


def test_enter_means_next(qtbot: QtBot, wizard: UploadWizard) -> None:
    assert wizard.button(QWizard.WizardButton.NextButton).isDefault()
    qtbot.keyClick(wizard, "\r")
    assert wizard.currentId() == PageId.SIGN_IN


def test_window_size_is_remembered_and_nothing_else(qtbot: QtBot, runtime: Runtime, app_home: Path) -> None:
    first = create_wizard(runtime)
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 580)  # within the offscreen screen (800×600), which restoring clamps to
    first.reject()

    second = create_wizard(runtime)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (760, 580)
    stored = ConfigParser()
    stored.read(app_home / "config" / "window.ini")
    assert [(section, list(stored[section])) for section in stored.sections()] == [("wizard", ["geometry"])]


def test_run_explains_a_startup_failure_and_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = SettingsError("Your settings file could not be read.")
    shown: list[BaseException] = []

    def broken_runtime() -> Runtime:
        raise problem

    monkeypatch.setattr(app_module, "open_runtime", broken_runtime)
    monkeypatch.setattr(app_module, "show_error", lambda parent, exc, wait=False: shown.append(exc))
    assert run([]) == app_module.EXIT_STARTUP_FAILED
    assert shown == [problem]


def test_run_shows_the_wizard_and_closes_the_runtime(
    qtbot: QtBot, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "open_runtime", lambda: runtime)
    seen: list[UploadWizard] = []

    def close_the_window() -> None:
        # Closing the last window ends the app, as for a user. No extra quit(): a second one would
        # stay queued and end the event loops of later tests.
        seen.extend(w for w in QApplication.topLevelWidgets() if isinstance(w, UploadWizard) and w.isVisible())
        for wizard in seen:
            wizard.reject()

    QTimer.singleShot(0, close_the_window)
    assert run([]) == 0
    assert len(seen) == 1
    assert runtime.sandbox is None  # stopped on the way out


def test_the_step_list_marks_where_the_user_is(qtbot: QtBot, wizard: UploadWizard) -> None:
    steps = wizard.steps
    assert wizard.sideWidget() is steps and [label.text() for label in steps.labels.values()] == [
        "1  Start", "2  Sign in", "3  Ad account", "4  Conversion rules", "5  Spreadsheet", "6  Check the rows",
        "7  Send", "8  Results",
    ]  # fmt: skip
    assert steps.current is PageId.WELCOME
    wizard.next()
    assert steps.current is PageId.SIGN_IN
    assert "bold" in steps.labels[PageId.SIGN_IN].styleSheet()
    assert "bold" not in steps.labels[PageId.WELCOME].styleSheet()
    assert steps.labels[PageId.SIGN_IN].accessibleDescription() == "current step"


def test_cancel_in_the_middle_asks_first_and_no_keeps_the_window(qtbot: QtBot, wizard: UploadWizard) -> None:
    asked: list[str] = []

    def refuse(parent: object, question: str) -> bool:
        asked.append(question)
        return False

    wizard.confirm_quit = refuse
    wizard.setStartId(PageId.PREVIEW)
    wizard.restart()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), Qt.MouseButton.LeftButton)
    assert asked == [
        "Quit without uploading?\n\nNothing has been sent to LinkedIn. Your sign-in is kept; the choices on "
        "these pages are not."
    ]
    assert wizard.isVisible()
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    wizard.close()
    assert len(asked) == 3 and wizard.isVisible()  # Esc and the window's close button ask too

    wizard.confirm_quit = lambda parent, question: True
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()


@pytest.mark.parametrize("page", [PageId.WELCOME, PageId.SIGN_IN, PageId.DONE])
def test_cancel_where_nothing_is_left_undone_quits_at_once(qtbot: QtBot, wizard: UploadWizard, page: PageId) -> None:
    asked: list[str] = []

    def refuse(parent: object, question: str) -> bool:
        asked.append(question)
        return False

    wizard.confirm_quit = refuse
    wizard.setStartId(page)
    wizard.restart()
    wizard.reject()
    assert asked == [] and not wizard.isVisible()
