"""Render each wizard page to a PNG, offscreen, against a practice-mode sandbox.

    python -m capi_desktop.gui.screenshots OUTDIR

Used to review the look of the pages (and for the README). Runs in a throwaway app home, so it never
touches the user's settings or keyring; before saving, it checks that no token is shown anywhere.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from keyring.backends import fail
from PySide6.QtCore import QThreadPool, QUrl
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget

from capi_desktop import paths
from capi_desktop.core.keychain import Keychain
from capi_desktop.core.settings import SettingsStore
from capi_desktop.gui.app import create_wizard
from capi_desktop.gui.pages.sign_in import SignInState
from capi_desktop.runtime import open_runtime

SIZE = (900, 640)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m capi_desktop.gui.screenshots OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as home:
        os.environ["CAPI_DESKTOP_HOME"] = home
        for path in render(out):
            print(path)
    return 0


def render(out: Path) -> list[Path]:
    app = QApplication.instance() or QApplication([])
    no_keyring = fail.Keyring()  # type: ignore[no-untyped-call]  # practice mode stores nothing anyway
    runtime = open_runtime(
        env={}, keychain=Keychain(no_keyring), settings_store=SettingsStore(paths.config_dir() / "settings.json")
    )
    assert runtime.sandbox is not None
    token = runtime.sandbox.mint_token()
    opened: list[str] = []

    def browser(url: QUrl) -> bool:  # a browser that never answers: the page keeps waiting
        opened.append(url.toString())
        return True

    wizard = create_wizard(runtime, browser)
    page = wizard.sign_in_page
    saved: list[Path] = []

    def shoot(name: str) -> None:
        app.processEvents()
        if any(token in text for text in _shown_texts(wizard)):
            raise AssertionError(f"{name}: a token is on screen")
        path = out / f"{name}.png"
        if not wizard.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        saved.append(path)

    def wait_for(done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 15
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("the page did not settle")
            app.processEvents()
            time.sleep(0.02)

    try:
        wizard.resize(*SIZE)
        wizard.show()
        shoot("01-welcome")
        wizard.next()
        wait_for(lambda: page.state is SignInState.SIGNED_OUT)
        shoot("02-sign-in")
        page.sign_in_button.click()
        wait_for(lambda: bool(opened))
        shoot("03-sign-in-waiting")
        page.cancel_button.click()
        page.paste_toggle.click()
        page.token_edit.setText(token)
        shoot("04-sign-in-token")
        page.check_token_button.click()
        wait_for(lambda: page.state is SignInState.SIGNED_IN)
        shoot("05-signed-in")
    finally:
        wizard.close()
        QThreadPool.globalInstance().waitForDone(5000)
        runtime.close()
    return saved


def _shown_texts(root: QWidget) -> list[str]:
    """Every text a person (or a screenshot) could see: labels, buttons, fields as displayed, tooltips."""
    texts = [w.toolTip() for w in root.findChildren(QWidget)]
    texts += [w.text() for w in root.findChildren(QLabel)]
    texts += [w.text() for w in root.findChildren(QAbstractButton)]
    texts += [w.displayText() for w in root.findChildren(QLineEdit)]  # a password field shows dots
    return texts


if __name__ == "__main__":
    sys.exit(main(sys.argv))
