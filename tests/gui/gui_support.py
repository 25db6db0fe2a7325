"""Helpers for the GUI tests: a scripted browser for the sandbox's consent page, open dialogs."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMessageBox, QWidget


class _ConsentForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = attributes["action"]
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes["value"]


class ScriptedBrowser:
    """Stands in for the system browser: does what a person would on the sandbox's consent page.

    ``decision`` None opens nothing (the user never finishes); "allow" or "cancel" presses that button.
    ``grant`` replaces the requested permissions, as if LinkedIn granted fewer.
    """

    def __init__(self) -> None:
        self.decision: str | None = None
        self.grant: str | None = None
        self.opened: list[str] = []
        self.final_page = ""

    def __call__(self, url: QUrl) -> bool:
        address = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        self.opened.append(address)
        if self.decision is None:
            return True
        page = requests.get(address, timeout=10)
        page.raise_for_status()
        form = _ConsentForm()
        form.feed(page.text)
        fields = {**form.fields, "decision": self.decision}
        if self.grant is not None:
            fields["scope"] = self.grant
        answer = requests.post(urljoin(address, form.action), data=fields, allow_redirects=False, timeout=10)
        assert answer.status_code in (302, 303), answer.text
        # The redirect lands on the app's loopback listener, which the page's worker is serving.
        self.final_page = requests.get(answer.headers["Location"], timeout=10).text
        return True


def error_boxes(parent: QWidget) -> list[QMessageBox]:
    return [box for box in parent.findChildren(QMessageBox) if box.isVisible()]
