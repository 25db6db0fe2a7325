"""The app icon, from the PNGs rendered out of ``resources/icons/capi-desktop.svg``."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from capi_desktop import paths


def app_icon() -> QIcon:
    # One file per size, so every platform picks a crisp one without needing Qt's SVG icon plugin.
    icon = QIcon()
    for png in sorted((paths.resources_dir() / "icons").glob("capi-desktop-*.png")):
        icon.addFile(str(png))
    return icon
