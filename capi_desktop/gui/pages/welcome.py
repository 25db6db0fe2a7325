"""Welcome: what the app does in three steps, and what the user wants to do now."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.widgets import BRAND_BLUE, badge, heading_label, small_label, wrapped_label
from capi_desktop.runtime import Mode

STEPS = (
    ("Sign in with LinkedIn", "Use the LinkedIn account that manages your ads."),
    (
        "Pick an ad account and a conversion rule",
        "The rule tells LinkedIn what these conversions are, for example leads or purchases.",
    ),
    (
        "Drop in your spreadsheet",
        "CAPI Desktop checks every row and shows you what will be sent before anything is sent.",
    ),
)
PRIVACY_TITLE = "Email addresses stay on your computer"
PRIVACY_NOTE = (
    "They are hashed before anything is sent: each one becomes a one-way code that LinkedIn can match to "
    "its members, so the addresses themselves never leave your computer."
)


class StartChoice(Enum):
    """What the user can do from the welcome page. Each has a radio button, in this order."""

    NEW_UPLOAD = ("Start a new upload", "Sign in, choose where the conversions go, then pick your spreadsheet.")

    def __init__(self, label: str, description: str) -> None:
        self.label = label
        self.description = description


class WelcomePage(WizardPage):
    def __init__(self, mode: Mode, parent: QWidget | None = None) -> None:
        super().__init__(
            mode,
            "Welcome to CAPI Desktop",
            "Send the conversions in your spreadsheet to LinkedIn, so your campaigns get credit for them.",
            parent,
        )
        self.body.addLayout(self._steps())
        privacy = QVBoxLayout()
        privacy.setSpacing(2)
        privacy.addWidget(heading_label(PRIVACY_TITLE, scale=1.0))
        self.privacy_label = wrapped_label(PRIVACY_NOTE)
        privacy.addWidget(self.privacy_label)
        self.body.addSpacing(4)
        self.body.addLayout(privacy)
        self.body.addWidget(self._choices())
        self.body.addStretch(1)

    @property
    def choice(self) -> StartChoice:
        checked = self._choice_group.checkedButton()
        return self._choice_buttons[checked] if checked is not None else StartChoice.NEW_UPLOAD

    def _steps(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        for row, (title, text) in enumerate(STEPS):
            grid.addWidget(badge(str(row + 1), BRAND_BLUE), row, 0, Qt.AlignmentFlag.AlignTop)
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(heading_label(title, scale=1.05))
            cell.addWidget(wrapped_label(text))
            grid.addLayout(cell, row, 1)
        return grid

    def _choices(self) -> QGroupBox:
        box = QGroupBox("What would you like to do?")
        layout = QVBoxLayout(box)
        self._choice_group = QButtonGroup(self)
        self._choice_buttons: dict[QAbstractButton, StartChoice] = {}
        for choice in StartChoice:
            button = QRadioButton(choice.label)
            self._choice_group.addButton(button)
            self._choice_buttons[button] = choice
            layout.addWidget(button)
            description = small_label(choice.description)
            description.setIndent(24)  # lines up with the radio button's text
            layout.addWidget(description)
        next(iter(self._choice_buttons)).setChecked(True)
        return box
