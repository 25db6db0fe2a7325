"""Small building blocks shared by the wizard pages: the mode banner, notices and text styles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QLocale, Qt, QTime, SignalInstance
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from capi_desktop.runtime import Mode

# Each box sets both its background and its text colour, so it stays readable in light and dark themes.
_PRACTICE = ("#FFF4CE", "#E3C766", "#4D3A00")
_LINKEDIN = ("#E8F1FB", "#9CC3EC", "#003A75")
_WARNING = ("#FDEEE4", "#E5A679", "#5A2600")
BRAND_BLUE = "#0A66C2"
SUCCESS_GREEN = "#057642"


def moment_text(moment: datetime) -> str:
    """A date and time as this computer's locale writes them; the C locale's "3 11 2026" reads as a
    day-month-year riddle, so it gets "3 Nov 2026, 14:05"."""
    locale = QLocale()
    if locale.language() is QLocale.Language.C:
        return f"{moment.day} {moment:%b %Y, %H:%M}"
    when = QDateTime(QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute))
    return locale.toString(when, QLocale.FormatType.ShortFormat)


def _boxed(widget: QWidget, colours: tuple[str, str, str]) -> None:
    background, border, text = colours
    widget.setStyleSheet(
        f"#{widget.objectName()} {{ background: {background}; border: 1px solid {border}; border-radius: 6px; }}"
        f"#{widget.objectName()} QLabel {{ color: {text}; background: transparent; }}"
    )


def wrapped_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def heading_label(text: str = "", scale: float = 1.2) -> QLabel:
    label = wrapped_label(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    return label


def small_label(text: str = "") -> QLabel:
    """Secondary text, e.g. the technical permission names under their plain-language names."""
    label = wrapped_label(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def busy_bar(max_width: int = 420) -> QProgressBar:
    """A progress bar with no known end, which Qt shows as busy."""
    bar = QProgressBar()
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumWidth(max_width)
    return bar


def primary_button(text: str) -> QPushButton:
    """The one button on a page the user most likely wants, drawn in the app's blue."""
    button = QPushButton(text)
    button.setObjectName("primary")
    button.setMinimumHeight(36)
    button.setStyleSheet(
        f"#primary {{ background: {BRAND_BLUE}; color: white; border: 2px solid {BRAND_BLUE};"
        " border-radius: 18px; padding: 6px 22px; font-weight: bold; }"
        "#primary:hover { background: #004182; border-color: #004182; }"
        # Qt's dotted focus rectangle looks broken on a filled button: a dark ring shows focus instead.
        "#primary:focus { border-color: #00254D; outline: none; }"
        "#primary:disabled { background: #9DB8D6; border-color: #9DB8D6; }"
    )
    return button


def side_button(text: str, on_click: Callable[[], object] | SignalInstance) -> QPushButton:
    """A button beside the wizard's own: Enter never presses it, even when it has focus. Enter stays with
    Next or Finish, so a user typing and pressing Enter never stops, cancels or signs out by accident."""
    button = QPushButton(text)
    button.setAutoDefault(False)
    button.clicked.connect(on_click)
    return button


def badge(text: str, colour: str, size: int = 28) -> QLabel:
    """A filled circle with a short white text: step numbers, the signed-in check mark."""
    label = QLabel(text)
    label.setObjectName("badge")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setFixedSize(size, size)
    label.setStyleSheet(
        f"#badge {{ background: {colour}; color: white; border-radius: {size // 2}px; font-weight: bold; }}"
    )
    return label


class ModeBanner(QFrame):
    """One line at the top of every page saying whether uploads are practice or real."""

    def __init__(self, mode: Mode, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modeBanner")
        _boxed(self, _PRACTICE if mode is Mode.SANDBOX else _LINKEDIN)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = wrapped_label(mode.description)
        font = QFont(self.label.font())
        font.setBold(True)
        self.label.setFont(font)
        layout.addWidget(self.label)


class Notice(QFrame):
    """A box of warnings the user should act on (an expiring sign-in, a missing permission)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        _boxed(self, _WARNING)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        self.label = wrapped_label()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label)
        self.hide()

    def show_messages(self, messages: tuple[str, ...]) -> None:
        self.label.setText("\n\n".join(messages))
        self.setVisible(bool(messages))
