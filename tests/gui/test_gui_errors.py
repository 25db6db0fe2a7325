"""Error dialogs: plain words and a copyable request id for known errors, never a traceback for bugs."""

from __future__ import annotations

import logging
import sys

import pytest
from gui_support import error_boxes
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from capi_desktop.core.stores.keychain import KeychainError
from capi_desktop.core.stores.settings import SettingsError
from capi_desktop.gui.errors import UNEXPECTED_TITLE, install_excepthook, log_file, show_error
from capi_desktop.linkedin.errors import PermissionDenied


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _all_text(box: QMessageBox) -> str:
    return "\n".join((box.windowTitle(), box.text(), box.informativeText(), box.detailedText()))


def test_linkedin_error_shows_title_explanation_action_and_copyable_request_id(parent: QWidget) -> None:
    exc = PermissionDenied("LinkedIn refused this request.", "Check the app's products.", request_id="req-123")
    box = show_error(parent, exc)
    assert box.windowTitle() == "LinkedIn refused access"
    assert box.text() == "LinkedIn refused this request."
    assert "Check the app's products." in box.informativeText()
    assert "LinkedIn request id (for support): req-123" in box.informativeText()
    assert box.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert error_boxes(parent) == [box]


@pytest.mark.parametrize(
    ("exc", "title", "text"),
    [
        (
            KeychainError("Credential store unavailable", "It is locked."),
            "Credential store unavailable",
            "It is locked.",
        ),
        (
            SettingsError("Your settings file could not be read."),
            "Settings problem",
            "Your settings file could not be read.",
        ),
    ],
)
def test_app_errors_show_their_own_words(parent: QWidget, exc: Exception, title: str, text: str) -> None:
    box = show_error(parent, exc)
    assert (box.windowTitle(), box.text()) == (title, text)


def test_unexpected_error_is_something_went_wrong_with_details_only_in_the_log(
    parent: QWidget, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        raise KeyError("internal-detail")
    except KeyError as exc:
        with caplog.at_level(logging.ERROR, logger="capi_desktop.gui.errors"):
            box = show_error(parent, exc)
    shown = _all_text(box)
    assert box.windowTitle() == UNEXPECTED_TITLE
    assert "internal-detail" not in shown and "KeyError" not in shown and "Traceback" not in shown
    assert str(log_file()) in box.informativeText()
    assert any(record.exc_info and record.exc_info[0] is KeyError for record in caplog.records)


def test_excepthook_routes_uncaught_exceptions_to_one_dialog(parent: QWidget, caplog: pytest.LogCaptureFixture) -> None:
    previous = install_excepthook(parent)
    try:
        for _ in range(2):  # a fault that repeats (say, in a paint event) must not stack dialogs
            try:
                raise RuntimeError("from a slot")
            except RuntimeError as exc:
                sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    boxes = error_boxes(parent)
    assert [box.windowTitle() for box in boxes] == [UNEXPECTED_TITLE]
    assert sum(1 for record in caplog.records if record.exc_info) == 2
