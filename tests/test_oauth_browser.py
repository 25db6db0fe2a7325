"""The whole browser sign-in with a real browser: headless Chromium opens the sandbox's consent page,
the page submits itself (sandbox auto-consent), Chromium follows the redirect to our loopback listener,
the code is exchanged, and the token lands in the OS keyring."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import set_knobs

from capi_desktop.core.stores.keychain import Keychain
from capi_desktop.core.stores.tokens import Storage, TokenSource, TokenStore
from capi_desktop.linkedin.auth import AuthService
from capi_desktop.linkedin.client import ApiConfig
from capi_desktop.linkedin.errors import SignInFailed
from capi_desktop.linkedin.oauth import OAuthApp, OAuthClient
from capi_desktop.sandbox import STANDARD_REDIRECT_PORT, SandboxServer, seed

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags from RECIPES.md: headless as root, and no attempts to reach hosts outside this machine.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Opens a URL in a fresh headless Chromium, as the system browser would."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed (make test installs the Debian package 'chromium')")
    processes: list[subprocess.Popen[bytes]] = []

    def open_url(url: str) -> None:
        profile = tmp_path / f"chromium-{len(processes)}"
        processes.append(
            subprocess.Popen(
                [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    yield open_url
    for process in processes:
        process.kill()
        process.wait()


def _auth(sandbox: SandboxServer, keychain: Keychain, app: OAuthApp) -> AuthService:
    return AuthService(
        store=TokenStore(keychain, "linkedin-token:browser-test"),
        api=ApiConfig(api_base=sandbox.api_base),
        oauth=OAuthClient(sandbox.oauth_base),
        oauth_base=sandbox.oauth_base,
        app=app,
    )


def test_standard_flow_in_chromium_lands_in_the_keyring(
    sandbox: SandboxServer, real_keychain: Keychain, browser: Callable[[str], None]
) -> None:
    set_knobs(sandbox, auto_consent="allow")
    app = OAuthApp(
        seed.STANDARD_CLIENT_ID, redirect_port=STANDARD_REDIRECT_PORT, client_secret=seed.STANDARD_CLIENT_SECRET
    )
    auth = _auth(sandbox, real_keychain, app)
    attempt = auth.begin_browser_sign_in()
    assert attempt.request.redirect_uri == f"http://127.0.0.1:{STANDARD_REDIRECT_PORT}/callback"
    browser(attempt.url)
    status = attempt.wait(timeout=60)
    try:
        assert status.signed_in and status.member_name == "a LinkedIn member with 4 ad accounts"
        assert status.storage is Storage.KEYRING
        # A fresh store (as after restarting the app) reads the token set back from the OS keyring.
        stored = TokenStore(real_keychain, "linkedin-token:browser-test").load()
        assert stored is not None and stored.source is TokenSource.BROWSER
        assert stored.refresh_token and stored.scopes == frozenset({"rw_conversions", "r_ads"})
        assert stored.access_token == auth.access_token()
    finally:
        auth.sign_out()
    assert TokenStore(real_keychain, "linkedin-token:browser-test").load() is None


def test_pkce_flow_in_chromium(
    sandbox: SandboxServer, memory_keychain: Keychain, browser: Callable[[str], None]
) -> None:
    set_knobs(sandbox, auto_consent="allow")
    auth = _auth(sandbox, memory_keychain, OAuthApp(seed.DEMO_CLIENT_ID, redirect_port=0, use_pkce=True))
    attempt = auth.begin_browser_sign_in()
    assert "/oauth/native-pkce/authorization" in attempt.url and "code_challenge=" in attempt.url
    browser(attempt.url)
    assert attempt.wait(timeout=60).signed_in


def test_denied_consent_in_chromium(
    sandbox: SandboxServer, memory_keychain: Keychain, browser: Callable[[str], None]
) -> None:
    set_knobs(sandbox, auto_consent="deny")
    auth = _auth(sandbox, memory_keychain, OAuthApp(seed.DEMO_CLIENT_ID, redirect_port=0, use_pkce=True))
    attempt = auth.begin_browser_sign_in()
    browser(attempt.url)
    with pytest.raises(SignInFailed) as raised:
        attempt.wait(timeout=60)
    assert "declined" in str(raised.value)
    assert auth.status().signed_in is False
