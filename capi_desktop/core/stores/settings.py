"""User settings: what the user configured, kept apart from state the app writes.

Secrets are never part of settings; the client secret lives in the OS keyring (see ``secrets``).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from capi_desktop.core.files import write_text_atomic

logger = logging.getLogger(__name__)

# 2: ``api_version`` is kept only when the user chose one (version 1 files all held the default).
SCHEMA_VERSION = 2
_FIRST_DEFAULT_API_VERSION = "202606"
DEFAULT_API_BASE = "https://api.linkedin.com/rest"
DEFAULT_OAUTH_BASE = "https://www.linkedin.com/oauth/v2"
DEFAULT_REDIRECT_PORT = 8765
DEFAULT_REDIRECT_HOST = "127.0.0.1"
DEFAULT_REDIRECT_PATH = "/callback"
ENV_API_BASE = "CAPI_DESKTOP_API_BASE"
ENV_OAUTH_BASE = "CAPI_DESKTOP_OAUTH_BASE"


class SettingsError(Exception):
    """The settings file could not be read or written; ``str()`` is a plain-language message."""


@dataclass(frozen=True)
class Settings:
    api_version: str | None = None  # None: the app finds the version LinkedIn takes (see core.apiversion)
    api_base: str = DEFAULT_API_BASE
    oauth_base: str = DEFAULT_OAUTH_BASE
    client_id: str = ""
    redirect_port: int = DEFAULT_REDIRECT_PORT
    redirect_host: str = DEFAULT_REDIRECT_HOST  # or "localhost": as registered in the LinkedIn app
    redirect_path: str = DEFAULT_REDIRECT_PATH
    use_pkce: bool = False
    # The app has LinkedIn's OpenID Connect product: sign-in also asks for ``openid profile`` (the name).
    sign_in_openid: bool = False
    # The app has LinkedIn's reporting access: sign-in also asks for ``r_ads_reporting``, for the results.
    sign_in_reporting: bool = False
    # LinkedIn's published daily cap differs between sources (300k vs 500k), so it is a setting.
    daily_request_cap: int = 300_000
    requests_per_minute: int = 600
    # None: decide automatically (practice mode when no LinkedIn app and no token is configured).
    sandbox_mode: bool | None = None

    def with_environment(self, env: Mapping[str, str]) -> Settings:
        """Environment variables override the file, for unattended runs and tests."""
        return replace(
            self,
            api_base=env.get(ENV_API_BASE) or self.api_base,
            oauth_base=env.get(ENV_OAUTH_BASE) or self.oauth_base,
        )

    def with_value(self, name: str, text: str) -> Settings:
        """A copy with one setting changed from user text; ``SettingsError`` explains a bad value."""
        key = name.replace("-", "_")
        if key not in _EDITABLE:
            raise SettingsError(f"There is no setting called “{name}”. Known settings: {', '.join(_EDITABLE)}.")
        text = text.strip()
        value: Any
        if key == "api_version":
            if text.lower() in ("", "auto", "automatic"):
                value = None
            elif re.fullmatch(r"20\d\d(0[1-9]|1[0-2])", text):
                value = text
            else:
                raise SettingsError(
                    "The LinkedIn API version is a year and month, for example 202606, or “auto” to let the app "
                    "find the one LinkedIn takes."
                )
        elif key in ("api_base", "oauth_base"):
            if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
                raise SettingsError(f"“{text}” is not a web address (it should start with https://).")
            value = text.rstrip("/")
        elif key == "client_id":
            value = text
        elif key == "redirect_host":
            if text.lower() not in ("127.0.0.1", "localhost"):
                raise SettingsError(
                    "The redirect host is 127.0.0.1 or localhost, as in your LinkedIn app's redirect URL."
                )
            value = text.lower()
        elif key == "redirect_path":
            if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", text):
                raise SettingsError("The redirect path starts with / and has no spaces or ?, for example /callback.")
            value = text
        elif key in ("use_pkce", "sign_in_openid", "sign_in_reporting"):
            value = _parse_bool(text, name)
        elif key == "sandbox_mode":
            value = None if text.lower() == "auto" else _parse_bool(text, name)
        else:
            limits = {"redirect_port": (1024, 65535), "daily_request_cap": (1, 10**9), "requests_per_minute": (1, 6000)}
            low, high = limits[key]
            if not text.isdigit() or not low <= int(text) <= high:
                raise SettingsError(f"{name} must be a whole number from {low} to {high}.")
            value = int(text)
        return replace(self, **{key: value})


_EDITABLE = tuple(f.name for f in fields(Settings))


def _parse_bool(text: str, name: str) -> bool:
    lowered = text.lower()
    if lowered in ("on", "yes", "true", "1"):
        return True
    if lowered in ("off", "no", "false", "0"):
        return False
    raise SettingsError(f"{name} must be on or off.")


@dataclass(frozen=True)
class BundledApp:
    """A LinkedIn developer app an agency ships next to the program (``resources/linkedin_app.json``)."""

    client_id: str = ""
    redirect_port: int = DEFAULT_REDIRECT_PORT
    redirect_host: str = DEFAULT_REDIRECT_HOST
    redirect_path: str = DEFAULT_REDIRECT_PATH
    use_pkce: bool = False


def load_bundled_app(path: Path) -> BundledApp:
    if not path.exists():
        return BundledApp()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"The bundled LinkedIn app file {path.name} could not be read: {exc}") from exc
    return BundledApp(**_known_fields(BundledApp, raw))


class SettingsStore:
    """Loads and saves ``settings.json`` with a schema version; backs up the old file before a migration."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Settings:
        if not self.path.exists():
            return Settings()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(
                f"Your settings file could not be read ({exc}). It is at {self.path}; "
                "delete or fix it to start with default settings."
            ) from exc
        if not isinstance(raw, dict):
            raise SettingsError(f"Your settings file {self.path} is not in the expected format.")
        version = raw.pop("schema_version", SCHEMA_VERSION)
        if version > SCHEMA_VERSION:
            raise SettingsError(
                "Your settings were written by a newer version of CAPI Desktop. Update the app to use them."
            )
        if version < SCHEMA_VERSION:
            shutil.copy2(self.path, self.path.with_suffix(f".v{version}.bak"))
        if version < 2 and raw.get("api_version") == _FIRST_DEFAULT_API_VERSION:
            raw.pop("api_version")  # saved with every setting, never chosen: the app finds it now
        return Settings(**_known_fields(Settings, raw))

    def save(self, settings: Settings) -> None:
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, **asdict(settings)}
        try:
            write_text_atomic(self.path, json.dumps(data, indent=2) + "\n")
        except OSError as exc:
            raise SettingsError(f"Your settings could not be saved to {self.path}: {exc}") from exc


def _known_fields(cls: type, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Drop keys this version does not know, so a file from another version still loads."""
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        logger.warning("Ignoring unknown settings: %s", ", ".join(sorted(unknown)))
    return {k: v for k, v in raw.items() if k in names}
