"""Every problem reaches the user the same way: a plain-language dialog, with the details in the log.

Known errors (LinkedIn, the credential store, the settings file) carry their own title and message.
Anything else is a bug: the user sees "Something went wrong" and where the log is; the traceback goes
to the log only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from capi_desktop import paths
from capi_desktop.app.jobs import JobProblem
from capi_desktop.app.runlock import UploadBusy
from capi_desktop.app.uploads import PreflightFailed
from capi_desktop.core.journal import JournalError
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import SpreadsheetError
from capi_desktop.core.storage import StorageError
from capi_desktop.core.stores.keychain import KeychainError
from capi_desktop.core.stores.profiles import ProfileError
from capi_desktop.core.stores.settings import SettingsError
from capi_desktop.linkedin.errors import LinkedInError

logger = logging.getLogger(__name__)

UNEXPECTED_TITLE = "Something went wrong"


def log_file() -> Path:
    return paths.log_dir() / "capi-desktop.log"


@dataclass(frozen=True)
class ErrorMessage:
    title: str
    text: str
    action: str = ""
    request_id: str | None = None
    expected: bool = True


def describe(exc: BaseException) -> ErrorMessage:
    """The words to show for ``exc``; never a traceback or an exception class name."""
    if isinstance(exc, LinkedInError):
        return ErrorMessage(exc.title, exc.explanation, exc.action, exc.request_id)
    if isinstance(exc, KeychainError):
        return ErrorMessage(exc.title, str(exc))
    if isinstance(exc, StorageError):
        return ErrorMessage(exc.title, str(exc))
    if isinstance(exc, SettingsError):
        return ErrorMessage("Settings problem", str(exc))
    if isinstance(exc, JournalError | JobProblem):
        return ErrorMessage("Upload job problem", str(exc))
    if isinstance(exc, PreflightFailed):
        return ErrorMessage("LinkedIn cannot take these conversions", str(exc))
    if isinstance(exc, UploadBusy):
        return ErrorMessage("Another upload is sending", str(exc))
    if isinstance(exc, SpreadsheetError | ValueProblem | ProfileError):
        return ErrorMessage("Please check", str(exc))
    return ErrorMessage(
        UNEXPECTED_TITLE,
        "CAPI Desktop ran into a problem it did not expect and could not finish what it was doing.",
        f"Please try again. If it keeps happening, send this file to your support contact:\n{log_file()}",
        expected=False,
    )


def show_error(
    parent: QWidget | None, exc: BaseException, *, wait: bool = False, message: ErrorMessage | None = None
) -> QMessageBox:
    """Show ``exc`` as a dialog (in ``message``'s words if given) and log it. Returns at once unless
    ``wait`` (for use before any window)."""
    message = message or describe(exc)
    if message.expected:
        logger.info("Told the user: %s: %s", message.title, message.text)
    else:
        logger.error("Unexpected problem", exc_info=exc)

    box = QMessageBox(parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setIcon(QMessageBox.Icon.Warning if message.expected else QMessageBox.Icon.Critical)
    box.setWindowTitle(message.title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # messages may quote LinkedIn: never interpret them as HTML
    box.setText(message.text)
    details = [message.action] if message.action else []
    if message.request_id:
        details.append(f"LinkedIn request id (for support): {message.request_id}")
    box.setInformativeText("\n\n".join(details))
    # Selectable so the request id or log path can be copied into a support ticket.
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    if wait:
        box.exec()
    else:
        box.open()
    return box


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def install_excepthook(parent: QWidget | None) -> ExceptHook:
    """Route uncaught exceptions (e.g. from a slot) to the dialog and the log; returns the old hook."""
    previous = sys.excepthook
    showing: list[QMessageBox] = []  # at most one dialog: a fault in a paint event would repeat forever

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        exc = exc.with_traceback(tb)
        if showing:
            logger.error("Unexpected problem", exc_info=exc)
            return
        box = show_error(parent, exc)
        showing.append(box)
        box.finished.connect(showing.clear)

    sys.excepthook = hook
    return previous
