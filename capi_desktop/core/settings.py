"""User settings: what the user configured, kept apart from state the app writes.

Secrets are never part of settings; the client secret lives in the OS keyring (see ``secrets``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DEFAULT_API_BASE = "https://api.linkedin.com/rest"
DEFAULT_OAUTH_BASE = "https://www.linkedin.com/oauth/v2"
# A recent monthly version known to exist; LinkedIn retires each version about a year after release.
DEFAULT_API_VERSION = "202606"
DEFAULT_REDIRECT_PORT = 8765
ENV_API_BASE = "CAPI_DESKTOP_API_BASE"
ENV_OAUTH_BASE = "CAPI_DESKTOP_OAUTH_BASE"


class SettingsError(Exception):
    """The settings file could not be read or written; ``str()`` is a plain-language message."""


@dataclass(frozen=True)
class Settings:
    api_version: str = DEFAULT_API_VERSION
    api_base: str = DEFAULT_API_BASE
    oauth_base: str = DEFAULT_OAUTH_BASE
    client_id: str = ""
    redirect_port: int = DEFAULT_REDIRECT_PORT
    use_pkce: bool = False
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


@dataclass(frozen=True)
class BundledApp:
    """A LinkedIn developer app an agency ships next to the program (``resources/linkedin_app.json``)."""

    client_id: str = ""
    redirect_port: int = DEFAULT_REDIRECT_PORT
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
        return Settings(**_known_fields(Settings, raw))

    def save(self, settings: Settings) -> None:
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, **asdict(settings)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise SettingsError(f"Your settings could not be saved to {self.path}: {exc}") from exc


def _known_fields(cls: type, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Drop keys this version does not know, so a file from another version still loads."""
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        logger.warning("Ignoring unknown settings: %s", ", ".join(sorted(unknown)))
    return {k: v for k, v in raw.items() if k in names}
