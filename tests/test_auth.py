"""Sign-in against the sandbox: pasted tokens, the OAuth code flow (standard and PKCE), refresh, expiry."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
from support import admin, consent_without_browser, stats

from capi_desktop.core.control import Control
from capi_desktop.core.stores.keychain import Keychain
from capi_desktop.core.stores.tokens import Storage, TokenSet, TokenSource, TokenStore
from capi_desktop.linkedin.auth import ACCESS_GUIDE, AuthService, SignInStatus
from capi_desktop.linkedin.client import ApiConfig
from capi_desktop.linkedin.errors import SignInFailed, SignInRequired
from capi_desktop.linkedin.oauth import (
    CallbackResult,
    LoopbackListener,
    OAuthApp,
    OAuthClient,
    build_authorization,
    check_callback,
)
from capi_desktop.sandbox import STANDARD_REDIRECT_PORT, SandboxServer, seed

DEMO_APP = OAuthApp(client_id=seed.DEMO_CLIENT_ID, redirect_port=0, use_pkce=True)


def make_auth(
    sandbox: SandboxServer,
    keychain: Keychain,
    app: OAuthApp | None = DEMO_APP,
    env: dict[str, str] | None = None,
    clock: object = time.time,
) -> AuthService:
    return AuthService(
        store=TokenStore(keychain, "linkedin-token:sandbox-test", env=env or {}),
        api=ApiConfig(api_base=sandbox.api_base, max_backoff_seconds=0.05),
        oauth=OAuthClient(sandbox.oauth_base, clock=clock),
        oauth_base=sandbox.oauth_base,
        app=app,
        clock=clock,  # type: ignore[arg-type]
    )


def browserless_sign_in(auth: AuthService, decision: str = "allow") -> SignInStatus:
    attempt = auth.begin_browser_sign_in()
    threading.Thread(target=consent_without_browser, args=(attempt.url, decision), daemon=True).start()
    return attempt.wait(timeout=20)


# -- pasted tokens ----------------------------------------------------------------------------------


def test_pasted_token_is_checked_then_kept(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    auth = make_auth(sandbox, memory_keychain, app=None)
    status = auth.sign_in_with_token("  " + sandbox.mint_token() + "\n")
    assert status.signed_in and status.member_name == "a LinkedIn member with 4 ad accounts"
    assert status.source is TokenSource.PASTED
    assert status.expires_at is None  # unknown without the app's secret to ask LinkedIn
    assert status.storage is Storage.MEMORY and any("No secure credential store" in w for w in status.warnings)
    assert auth.client().ad_accounts()


def test_pasted_token_with_client_secret_gets_expiry_and_scopes(
    sandbox: SandboxServer, memory_keychain: Keychain
) -> None:
    app = OAuthApp(seed.STANDARD_CLIENT_ID, redirect_port=0, client_secret=seed.STANDARD_CLIENT_SECRET)
    auth = make_auth(sandbox, memory_keychain, app=app)
    status = auth.sign_in_with_token(sandbox.mint_token(client_id=seed.STANDARD_CLIENT_ID, expires_in=30 * 86400))
    assert status.scopes == frozenset({"rw_conversions", "r_ads"})
    assert status.expires_at is not None and 29 * 86400 < status.expires_at - time.time() <= 30 * 86400


@pytest.mark.parametrize(
    "garbage", ["", "abc", "Bearer two words here that are long", "token\twith\ttabs-xxxxxxxxxxxx"]
)
def test_garbage_is_refused_without_asking_linkedin(
    sandbox: SandboxServer, memory_keychain: Keychain, garbage: str
) -> None:
    auth = make_auth(sandbox, memory_keychain, app=None)
    with pytest.raises(SignInFailed) as raised:
        auth.sign_in_with_token(garbage)
    assert "does not look like a LinkedIn access token" in str(raised.value)
    assert stats(sandbox)["requests"] == 0
    assert auth.status().signed_in is False


def test_a_token_linkedin_rejects_is_not_saved(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    auth = make_auth(sandbox, memory_keychain, app=None)
    with pytest.raises(SignInFailed) as raised:
        auth.sign_in_with_token("AQV" + "x" * 60)
    assert "did not accept this token" in str(raised.value)
    assert auth.status().signed_in is False


def test_a_token_without_ads_permission_is_explained(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    auth = make_auth(sandbox, memory_keychain, app=None)
    with pytest.raises(SignInFailed) as raised:
        auth.sign_in_with_token(sandbox.mint_token(scopes=("rw_conversions",)))
    assert "r_ads" in str(raised.value) and "Conversions API" in str(raised.value)


# -- the authorization code flow ------------------------------------------------------------------


def test_pkce_sign_in_flow(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    auth = make_auth(sandbox, memory_keychain)
    status = browserless_sign_in(auth)
    assert status.signed_in and status.member_name == "a LinkedIn member with 4 ad accounts"
    assert status.scopes == frozenset({"rw_conversions", "r_ads"})
    assert status.source is TokenSource.BROWSER
    assert auth.client().conversion_rules(seed.ACCOUNT_USD)


def test_denied_consent_is_reported(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    auth = make_auth(sandbox, memory_keychain)
    with pytest.raises(SignInFailed) as raised:
        browserless_sign_in(auth, decision="cancel")
    assert "declined" in str(raised.value)
    assert auth.status().signed_in is False


def test_standard_app_needs_its_secret(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    app = OAuthApp(seed.STANDARD_CLIENT_ID, redirect_port=STANDARD_REDIRECT_PORT)
    with pytest.raises(SignInFailed) as raised:
        browserless_sign_in(make_auth(sandbox, memory_keychain, app=app))
    assert "client secret is not set" in str(raised.value)


def test_browser_sign_in_without_an_app_is_explained(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    with pytest.raises(SignInFailed) as raised:
        make_auth(sandbox, memory_keychain, app=None).begin_browser_sign_in()
    assert "paste an access token" in str(raised.value)


# -- refresh and expiry -------------------------------------------------------------------------------


def test_revoked_access_token_is_renewed_with_the_refresh_token(
    sandbox: SandboxServer, memory_keychain: Keychain
) -> None:
    auth = make_auth(sandbox, memory_keychain)
    browserless_sign_in(auth)
    old = auth.access_token()
    admin(sandbox, "revoke", {"token": old})
    assert auth.client().ad_account_roles()  # 401, refresh, retry: invisible to the caller
    assert auth.access_token() != old


def test_expired_access_token_is_refreshed_before_use(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    now = [time.time()]
    auth = make_auth(sandbox, memory_keychain, clock=lambda: now[0])
    browserless_sign_in(auth)
    old = auth.access_token()
    now[0] += 61 * 86400  # past the 60-day access token, within the 365-day refresh token
    assert auth.access_token() != old


def test_expired_without_refresh_means_sign_in_again(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    now = [time.time()]
    app = OAuthApp(seed.NO_REFRESH_CLIENT_ID, redirect_port=0, client_secret=seed.NO_REFRESH_CLIENT_SECRET)
    auth = make_auth(sandbox, memory_keychain, app=app, clock=lambda: now[0])
    auth.accept(TokenSet(access_token=sandbox.mint_token(), source=TokenSource.BROWSER, expires_at=now[0] + 3 * 86400))
    assert any("expires on" in w for w in auth.status().warnings)  # 7-day warning
    now[0] += 4 * 86400
    with pytest.raises(SignInRequired) as raised:
        auth.access_token()
    assert "expired on" in str(raised.value)
    status = auth.status()
    assert status.signed_in is False and "expired on" in status.warnings[0]


def test_missing_permissions_show_the_access_guide(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    auth = make_auth(sandbox, memory_keychain)
    auth.accept(TokenSet(access_token=sandbox.mint_token(), source=TokenSource.BROWSER, scopes=frozenset({"r_ads"})))
    status = auth.status()
    assert status.missing_scopes == {"rw_conversions"}
    assert any(ACCESS_GUIDE in w for w in status.warnings)


def test_environment_token_wins_and_sign_out_clears(sandbox: SandboxServer, memory_keychain: Keychain) -> None:
    env_auth = make_auth(sandbox, memory_keychain, env={"CAPI_DESKTOP_ACCESS_TOKEN": sandbox.mint_token()})
    status = env_auth.status()
    assert status.source is TokenSource.ENVIRONMENT and status.storage is Storage.ENVIRONMENT
    auth = make_auth(sandbox, memory_keychain, app=None)
    auth.sign_in_with_token(sandbox.mint_token())
    auth.sign_out()
    assert auth.status().signed_in is False
    with pytest.raises(SignInRequired):
        auth.access_token()


# -- the loopback listener ----------------------------------------------------------------------------


def waiting(listener: LoopbackListener, state: str = "the-real-state") -> tuple[threading.Thread, list[object]]:
    """``listener.wait`` on a thread, as the app runs it; the list gets its result or its exception."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(listener.wait(state, timeout=20))
        except SignInFailed as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_only_the_redirect_with_this_attempts_state_ends_the_sign_in() -> None:
    listener = LoopbackListener(0)
    base = f"http://127.0.0.1:{listener.address[1]}"
    thread, outcome = waiting(listener)

    forged = requests.get(f"{base}/callback?code=stolen&state=forged", timeout=5)
    assert forged.status_code == 400 and "not the sign-in CAPI Desktop is waiting for" in forged.text
    assert requests.get(f"{base}/callback?code=no-state", timeout=5).status_code == 400
    assert requests.get(f"{base}/favicon.ico", timeout=5).status_code == 404
    assert thread.is_alive() and outcome == []  # still waiting for the real one

    real = requests.get(f"{base}/callback?code=the-code&state=the-real-state", timeout=5)
    assert real.status_code == 200 and "You are signed in" in real.text
    thread.join(5)
    (result,) = outcome
    assert isinstance(result, CallbackResult) and check_callback(result) == "the-code"


def test_an_idle_connection_neither_blocks_the_browser_nor_stays_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LoopbackListener, "READ_TIMEOUT_SECONDS", 0.5)
    listener = LoopbackListener(0)
    port = listener.address[1]
    thread, outcome = waiting(listener)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as idle:  # connects, then says nothing
        started = time.monotonic()
        real = requests.get(f"http://127.0.0.1:{port}/callback?code=c&state=the-real-state", timeout=5)
        assert real.status_code == 200 and time.monotonic() - started < 2
        assert idle.recv(1) == b""  # the listener hung up on it after its read timeout
        assert time.monotonic() - started < 4
    thread.join(5)
    assert isinstance(outcome[0], CallbackResult)


def test_listener_binds_loopback_only_and_closes() -> None:
    listener = LoopbackListener(0)
    host, port = listener.address
    assert host == "127.0.0.1"
    # Linux routes all of 127/8 to loopback: a listener on 0.0.0.0 would answer on 127.0.0.2 too.
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", port), timeout=2):
        pass
    with pytest.raises(SignInFailed) as raised:
        listener.wait("state", timeout=0.3)
    assert "No answer came back from LinkedIn in time" in str(raised.value)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # closed after the attempt


def test_listener_can_be_cancelled() -> None:
    control = Control()
    control.cancel()
    with pytest.raises(SignInFailed) as raised:
        LoopbackListener(0).wait("state", timeout=30, control=control)
    assert "cancelled" in str(raised.value)


def test_busy_redirect_port_is_explained() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SignInFailed) as raised:
            LoopbackListener(taken.getsockname()[1])
    assert "Another program is using port" in str(raised.value)


def test_the_authorization_address_encodes_as_linkedins_sdk_does() -> None:
    app = OAuthApp(client_id="86abc", redirect_port=8765, scopes=("rw_conversions", "r_ads", "openid"))
    request = build_authorization(app, "https://www.linkedin.com/oauth/v2")
    assert "scope=rw_conversions%20r_ads%20openid" in request.url and "+" not in request.url
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback" in request.url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_redirect_is_the_one_registered_host_port_and_path(
    sandbox: SandboxServer, memory_keychain: Keychain
) -> None:
    port = free_port()
    sandbox.knobs.update({"standard_redirect_uris": [f"http://localhost:{port}/oauth"]})  # as in LinkedIn's SDK
    app = OAuthApp(
        seed.STANDARD_CLIENT_ID, redirect_port=port, redirect_host="localhost", redirect_path="/oauth",
        client_secret=seed.STANDARD_CLIENT_SECRET,
    )  # fmt: skip
    assert build_authorization(app, sandbox.oauth_base).redirect_uri == f"http://localhost:{port}/oauth"
    assert browserless_sign_in(make_auth(sandbox, memory_keychain, app=app)).signed_in

    elsewhere = OAuthApp(seed.STANDARD_CLIENT_ID, redirect_port=port, client_secret=seed.STANDARD_CLIENT_SECRET)
    # http://127.0.0.1:PORT/callback is not the registered URL: LinkedIn refuses it on its own page.
    refused = requests.get(build_authorization(elsewhere, sandbox.oauth_base).url, timeout=10)
    assert refused.status_code == 400 and "redirect" in refused.text.lower()


def test_pkce_uses_the_loopback_address_and_a_free_port_whatever_the_settings() -> None:
    app = OAuthApp("86abc", redirect_port=0, use_pkce=True, redirect_host="localhost", redirect_path="/oauth")
    assert build_authorization(app, "https://www.linkedin.com/oauth/v2", 50123).redirect_uri == (
        "http://127.0.0.1:50123/oauth"
    )
