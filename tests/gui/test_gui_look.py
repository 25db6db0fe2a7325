"""The app's look on a real X display: what the offscreen platform does not show (it has no icon theme)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from capi_desktop.gui.app import apply_look

app = QApplication(["capi-desktop"])
apply_look(app)
box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
answers = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
question = QMessageBox(QMessageBox.Icon.Question, "Quit?", "Quit?", answers)
buttons = box.buttons() + question.buttons()
print(len(buttons), sum(not button.icon().isNull() for button in buttons))
"""


def test_dialog_buttons_carry_words_without_stock_icons() -> None:
    # Fusion on X11 puts a tick and a cross (which look like banknotes) on OK, Cancel, Yes and No.
    env = {"QT_QPA_PLATFORM": "xcb", "PATH": "/usr/bin:/bin"}
    shown = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=env
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["4", "0"]  # four buttons, none with an icon
