"""Shared fixtures: a real sandbox over HTTP on 127.0.0.1, a fresh app home, the real keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from capi_desktop.core.stores.keychain import Keychain
from capi_desktop.linkedin.client import ApiConfig, LinkedInClient, StaticToken
from capi_desktop.sandbox import SandboxServer

# Set by `make test`, which runs the suite inside a D-Bus session with an unlocked gnome-keyring.
REAL_KEYRING_REQUIRED = os.environ.get("CAPI_DESKTOP_REAL_KEYRING") == "1"


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own settings/data folder and no ambient LinkedIn configuration."""
    home = tmp_path / "home"
    monkeypatch.setenv("CAPI_DESKTOP_HOME", str(home))
    for name in ("CAPI_DESKTOP_ACCESS_TOKEN", "CAPI_DESKTOP_API_BASE", "CAPI_DESKTOP_OAUTH_BASE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(port=0) as server:
        yield server


@pytest.fixture
def api_config(sandbox: SandboxServer) -> ApiConfig:
    return ApiConfig(api_base=sandbox.api_base, max_backoff_seconds=0.05)


@pytest.fixture
def client(sandbox: SandboxServer, api_config: ApiConfig) -> LinkedInClient:
    return LinkedInClient(api_config, StaticToken(sandbox.mint_token()))


@pytest.fixture
def memory_keychain() -> Keychain:
    """The keyring library's own "no backend found" keyring: nothing can be stored securely."""
    return Keychain(fail.Keyring())


@pytest.fixture
def real_keychain() -> Iterator[Keychain]:
    """The OS keyring (Secret Service). Required under `make test`; skipped only outside it."""
    backend = keyring.get_keyring()
    chain = Keychain(backend, service="CAPI Desktop tests")
    if not chain.is_secure:
        message = f"no Secret Service keyring in this session (backend: {chain.backend_name})"
        if REAL_KEYRING_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    yield chain
