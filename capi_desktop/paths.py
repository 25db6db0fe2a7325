"""Where the app keeps things: bundled resources, user settings, and the data it writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from capi_desktop import APP_NAME

ENV_HOME = "CAPI_DESKTOP_HOME"  # one folder for everything: tests and portable installs


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:  # inside a PyInstaller bundle
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def config_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    return Path(home) / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def profiles_dir() -> Path:
    """Saved upload profiles: one file each, the user's own choices (see core.profiles)."""
    return config_dir() / "profiles"


def data_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    return Path(home) / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    return Path(home) / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
