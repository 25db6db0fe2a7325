"""OAuth end to end with plain requests: authorize page -> consent form -> redirect -> token, refresh,
introspection, and every rejection."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sandbox_kit import DAY, NOW, PROBE, VERSION, FakeClock

from capi_desktop.sandbox import (
    DEFAULT_REDIRECT_URIS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    NO_REFRESH_CLIENT_ID,
    NO_REFRESH_CLIENT_SECRET,
    STANDARD_CLIENT_ID,
    STANDARD_CLIENT_SECRET,
    STANDARD_REDIRECT_PORT,
    Knobs,
    SandboxServer,
)

REDIRECT = f"http://127.0.0.1:{STANDARD_REDIRECT_PORT}/callback"
LOOPBACK = "http://127.0.0.1:53124/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")


def authorize(server: SandboxServer, *, pkce: bool = False, **overrides: str | None) -> requests.Response:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID if pkce else STANDARD_CLIENT_ID,
        "redirect_uri": LOOPBACK if pkce else REDIRECT,
        "scope": "r_ads rw_conversions",
        "state": "xyz-123",
    }
    if pkce:
        params |= {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    params |= overrides
    path = "/oauth/native-pkce/authorization" if pkce else "/oauth/v2/authorization"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return requests.get(f"{server.url}{path}?{query}", allow_redirects=False, timeout=10)


def consent_form(page: requests.Response) -> tuple[str, dict[str, str]]:
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    fields = {
        unescape(n): unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text)
    }
    return unescape(action.group(1)), fields


def decide(server: SandboxServer, page: requests.Response, decision: str = "allow") -> dict[str, str]:
    """Press a consent button; return the query of the redirect Location."""
    action, fields = consent_form(page)
    answer = requests.post(server.url + action, data=fields | {"decision": decision}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return redirect_query(answer, fields["redirect_uri"])


def redirect_query(response: requests.Response, redirect_uri: str) -> dict[str, str]:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(redirect_uri + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token_request(server: SandboxServer, **form: str) -> requests.Response:
    return requests.post(server.oauth_base + "/accessToken", data=form, timeout=10)


def exchange(server: SandboxServer, code: str, **overrides: str | None) -> requests.Response:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": STANDARD_CLIENT_ID,
        "client_secret": STANDARD_CLIENT_SECRET,
        "redirect_uri": REDIRECT,
    }
    form |= overrides
    return token_request(server, **{k: v for k, v in form.items() if v is not None})


def pkce_exchange(
    server: SandboxServer, code: str, verifier: str = VERIFIER, redirect_uri: str = LOOPBACK
) -> requests.Response:
    return token_request(
        server,
        grant_type="authorization_code",
        code=code,
        client_id=DEMO_CLIENT_ID,
        code_verifier=verifier,
        redirect_uri=redirect_uri,
    )


def standard_code(server: SandboxServer, client_id: str = STANDARD_CLIENT_ID) -> str:
    return decide(server, authorize(server, client_id=client_id))["code"]


def introspect(
    server: SandboxServer, token: str, client_id: str = STANDARD_CLIENT_ID, secret: str = STANDARD_CLIENT_SECRET
) -> requests.Response:
    return requests.post(
        server.oauth_base + "/introspectToken",
        data={"client_id": client_id, "client_secret": secret, "token": token},
        timeout=10,
    )


def oauth_error(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error", "error_description"}
    return response.status_code, body["error"], body["error_description"]


def rest_me(server: SandboxServer, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "LinkedIn-Version": VERSION, "X-Restli-Protocol-Version": "2.0.0"}
    return requests.get(server.api_base + PROBE, headers=headers, timeout=10)


# --- the standard flow --------------------------------------------------------------------------------------
def test_standard_flow_end_to_end(sandbox: SandboxServer) -> None:
    page = authorize(sandbox)
    assert "LinkedIn sandbox (practice mode)" in page.text
    assert "CAPI Desktop would like to:" in page.text
    assert "Alex Morgan" in page.text
    assert "Send conversions and manage conversion tracking for your ad accounts" in page.text
    assert "See your ad accounts, campaigns and conversion rules" in page.text
    assert 'id="allow"' in page.text and 'id="cancel"' in page.text
    assert "<script" not in page.text

    query = decide(sandbox, page)
    assert query["state"] == "xyz-123"
    response = exchange(sandbox, query["code"])
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "scope",
        "token_type",
        "refresh_token",
        "refresh_token_expires_in",
    }
    assert (body["expires_in"], body["scope"], body["token_type"], body["refresh_token_expires_in"]) == (
        5184000,
        "r_ads,rw_conversions",
        "Bearer",
        31536000,
    )
    assert rest_me(sandbox, body["access_token"]).status_code == 200


def test_localhost_redirect_is_registered_too(sandbox: SandboxServer) -> None:
    localhost = f"http://localhost:{STANDARD_REDIRECT_PORT}/callback"
    assert DEFAULT_REDIRECT_URIS == (REDIRECT, localhost)
    code = decide(sandbox, authorize(sandbox, redirect_uri=localhost))["code"]
    assert exchange(sandbox, code, redirect_uri=localhost).status_code == 200


def test_redirect_uris_are_a_knob(clock: FakeClock) -> None:
    custom = "http://127.0.0.1:40404/cb"
    with SandboxServer(knobs=Knobs(standard_redirect_uris=(custom,)), clock=clock) as server:
        assert authorize(server).status_code == 400
        code = decide(server, authorize(server, redirect_uri=custom))["code"]
        assert exchange(server, code, redirect_uri=custom).status_code == 200


def test_state_is_optional(sandbox: SandboxServer) -> None:
    query = decide(sandbox, authorize(sandbox, state=None))
    assert set(query) == {"code"}


def test_cancel(sandbox: SandboxServer) -> None:
    query = decide(sandbox, authorize(sandbox), decision="cancel")
    assert query == {
        "error": "user_cancelled_authorize",
        "error_description": "The user cancelled the authorization",
        "state": "xyz-123",
    }


@pytest.mark.parametrize(
    ("overrides", "title"),
    [
        ({"client_id": "nobody"}, "Unknown application"),
        ({"client_id": None}, "Unknown application"),
        ({"redirect_uri": "http://127.0.0.1:9999/callback"}, "Invalid redirect_uri"),
        ({"redirect_uri": REDIRECT + "/"}, "Invalid redirect_uri"),
        ({"redirect_uri": REDIRECT + "?x=1"}, "Invalid redirect_uri"),
        ({"redirect_uri": None}, "Invalid redirect_uri"),
    ],
)
def test_untrusted_requests_get_an_error_page(
    sandbox: SandboxServer, overrides: dict[str, str | None], title: str
) -> None:
    response = authorize(sandbox, **overrides)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in response.text


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        (
            {"scope": "r_ads rw_conversions w_member_social"},
            "invalid_scope",
            'Scope "w_member_social" is not authorized for your application',
        ),
        (
            {"scope": "r_ads,rw_conversions"},
            "invalid_scope",
            'Scope "r_ads,rw_conversions" is not authorized for your application',
        ),
        ({"scope": None}, "invalid_scope", "No scope was requested"),
        ({"response_type": "token"}, "unsupported_response_type", 'response_type must be "code"'),
    ],
)
def test_bad_parameters_are_redirected_back(
    sandbox: SandboxServer, overrides: dict[str, str | None], error: str, description: str
) -> None:
    query = redirect_query(authorize(sandbox, **overrides), REDIRECT)
    assert query == {"error": error, "error_description": description, "state": "xyz-123"}


def test_consent_form_is_validated_again(sandbox: SandboxServer) -> None:
    action, fields = consent_form(authorize(sandbox))
    tampered = fields | {"redirect_uri": "http://evil.example/cb", "decision": "allow"}
    response = requests.post(sandbox.url + action, data=tampered, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize(("decision", "expected"), [("allow", "allow"), ("deny", "cancel")])
def test_auto_consent_clicks_the_button(clock: FakeClock, decision: str, expected: str) -> None:
    with SandboxServer(knobs=Knobs(auto_consent=decision), clock=clock) as server:
        page = authorize(server).text
        assert f'document.getElementById("{expected}").click()' in page


# --- token exchange -----------------------------------------------------------------------------------------
def test_code_is_single_use(sandbox: SandboxServer) -> None:
    code = standard_code(sandbox)
    assert exchange(sandbox, code).status_code == 200
    assert oauth_error(exchange(sandbox, code)) == (
        400,
        "invalid_grant",
        "The provided authorization grant or refresh token is invalid, expired or revoked",
    )


def test_code_expires(sandbox: SandboxServer, clock: FakeClock) -> None:
    code = standard_code(sandbox)
    clock.advance(1800)
    assert oauth_error(exchange(sandbox, code)) == (400, "invalid_grant", "The authorization code has expired")


def test_code_just_before_expiry(sandbox: SandboxServer, clock: FakeClock) -> None:
    code = standard_code(sandbox)
    clock.advance(1799)
    assert exchange(sandbox, code).status_code == 200


def test_redirect_uri_must_match_the_authorization(sandbox: SandboxServer) -> None:
    code = standard_code(sandbox)
    response = exchange(sandbox, code, redirect_uri=f"http://localhost:{STANDARD_REDIRECT_PORT}/callback")
    assert oauth_error(response) == (
        400,
        "invalid_grant",
        "The redirect_uri does not match the one used for the authorization request",
    )


def test_wrong_secret(sandbox: SandboxServer) -> None:
    code = standard_code(sandbox)
    assert oauth_error(exchange(sandbox, code, client_secret="guess")) == (
        401,
        "invalid_client",
        "Client authentication failed",
    )
    assert exchange(sandbox, code).status_code == 200  # a failed client check does not burn the code


def test_code_of_another_app(sandbox: SandboxServer) -> None:
    code = standard_code(sandbox)
    response = exchange(sandbox, code, client_id=NO_REFRESH_CLIENT_ID, client_secret=NO_REFRESH_CLIENT_SECRET)
    assert oauth_error(response)[:2] == (400, "invalid_grant")


@pytest.mark.parametrize("missing", ["code", "client_id", "redirect_uri", "grant_type"])
def test_missing_parameters(sandbox: SandboxServer, missing: str) -> None:
    form = {
        "grant_type": "authorization_code",
        "code": "x",
        "client_id": STANDARD_CLIENT_ID,
        "client_secret": STANDARD_CLIENT_SECRET,
        "redirect_uri": REDIRECT,
    }
    del form[missing]
    assert oauth_error(token_request(sandbox, **form)) == (
        400,
        "invalid_request",
        f'A required parameter "{missing}" is missing',
    )


def test_missing_secret(sandbox: SandboxServer) -> None:
    response = exchange(sandbox, standard_code(sandbox), client_secret=None)
    assert oauth_error(response) == (400, "invalid_request", 'A required parameter "client_secret" is missing')


def test_unknown_client_and_grant_type(sandbox: SandboxServer) -> None:
    assert oauth_error(exchange(sandbox, "x", client_id="nobody"))[:2] == (401, "invalid_client")
    response = token_request(sandbox, grant_type="client_credentials", client_id=STANDARD_CLIENT_ID)
    assert oauth_error(response)[:2] == (400, "unsupported_grant_type")


def test_token_endpoint_wants_a_form(sandbox: SandboxServer) -> None:
    response = requests.post(sandbox.oauth_base + "/accessToken", json={"grant_type": "authorization_code"}, timeout=10)
    assert oauth_error(response) == (400, "invalid_request", 'A required parameter "grant_type" is missing')
    assert requests.get(sandbox.oauth_base + "/accessToken", timeout=10).status_code == 405


# --- PKCE ---------------------------------------------------------------------------------------------------
def test_pkce_flow_end_to_end(sandbox: SandboxServer) -> None:
    page = authorize(sandbox, pkce=True)
    assert "CAPI Desktop (demo) would like to:" in page.text
    query = decide(sandbox, page)
    response = pkce_exchange(sandbox, query["code"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" in body
    assert rest_me(sandbox, body["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1:1/cb", "http://[::1]:65535/", "https://127.0.0.1:443/x", "http://127.0.0.1:8080"]
)
def test_pkce_accepts_any_loopback_port(sandbox: SandboxServer, redirect_uri: str) -> None:
    code = decide(sandbox, authorize(sandbox, pkce=True, redirect_uri=redirect_uri))["code"]
    assert pkce_exchange(sandbox, code, redirect_uri=redirect_uri).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:8080/cb",
        "http://127.0.0.1/cb",
        "http://10.0.0.1:80/",
        "http://127.0.0.1:70000/",
        "http://127.0.0.1:80/#frag",
    ],
)
def test_pkce_rejects_other_redirects(sandbox: SandboxServer, redirect_uri: str) -> None:
    response = authorize(sandbox, pkce=True, redirect_uri=redirect_uri)
    assert response.status_code == 400 and "<h1>Invalid redirect_uri</h1>" in response.text


def test_pkce_needs_an_enabled_app(sandbox: SandboxServer) -> None:
    response = authorize(sandbox, pkce=True, client_id=STANDARD_CLIENT_ID)
    assert response.status_code == 400 and "<h1>PKCE is not enabled</h1>" in response.text


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"code_challenge": None}, "code_challenge and code_challenge_method=S256 are required"),
        ({"code_challenge_method": "plain"}, "code_challenge and code_challenge_method=S256 are required"),
        ({"code_challenge_method": None}, "code_challenge and code_challenge_method=S256 are required"),
        ({"code_challenge": "short"}, "code_challenge must be the unpadded base64url SHA-256 of the verifier"),
    ],
)
def test_pkce_challenge_is_required(sandbox: SandboxServer, overrides: dict[str, str | None], description: str) -> None:
    query = redirect_query(authorize(sandbox, pkce=True, **overrides), LOOPBACK)
    assert query == {"error": "invalid_request", "error_description": description, "state": "xyz-123"}


def test_pkce_wrong_verifier(sandbox: SandboxServer) -> None:
    code = decide(sandbox, authorize(sandbox, pkce=True))["code"]
    wrong = "x" * 43
    assert oauth_error(pkce_exchange(sandbox, code, verifier=wrong)) == (
        400,
        "invalid_grant",
        "The code_verifier does not match the code_challenge",
    )
    assert oauth_error(pkce_exchange(sandbox, code))[:2] == (400, "invalid_grant")  # the code is burnt


def test_pkce_malformed_verifier(sandbox: SandboxServer) -> None:
    code = decide(sandbox, authorize(sandbox, pkce=True))["code"]
    assert oauth_error(pkce_exchange(sandbox, code, verifier="too-short")) == (
        400,
        "invalid_request",
        "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]",
    )


def test_pkce_code_needs_its_verifier_even_with_the_secret(sandbox: SandboxServer) -> None:
    code = decide(sandbox, authorize(sandbox, pkce=True))["code"]
    response = token_request(
        sandbox,
        grant_type="authorization_code",
        code=code,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        redirect_uri=LOOPBACK,
    )
    assert oauth_error(response) == (400, "invalid_grant", '"code_verifier" is required for this authorization code')


def test_verifier_cannot_replace_the_secret_for_standard_apps(sandbox: SandboxServer) -> None:
    response = exchange(sandbox, standard_code(sandbox), client_secret=None, code_verifier=VERIFIER)
    assert oauth_error(response) == (400, "invalid_request", 'A required parameter "client_secret" is missing')


# --- refresh ------------------------------------------------------------------------------------------------
def refresh(
    server: SandboxServer, token: str, client_id: str = STANDARD_CLIENT_ID, secret: str | None = STANDARD_CLIENT_SECRET
) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
    if secret is not None:
        form["client_secret"] = secret
    return token_request(server, **form)


def test_refresh_stays_anchored_to_the_authorization(sandbox: SandboxServer, clock: FakeClock) -> None:
    first = exchange(sandbox, standard_code(sandbox)).json()
    clock.advance(59 * DAY)
    renewed = refresh(sandbox, first["refresh_token"])
    assert renewed.status_code == 200
    body = renewed.json()
    assert body["access_token"] != first["access_token"]
    assert body["expires_in"] == 5184000
    assert body["refresh_token"] == first["refresh_token"]
    assert body["refresh_token_expires_in"] == 31536000 - 59 * DAY
    details = introspect(sandbox, body["access_token"]).json()
    assert details["authorized_at"] == int(NOW)
    assert details["created_at"] == int(NOW) + 59 * DAY

    clock.advance(306 * DAY)  # day 365: the refresh token is gone, the member must sign in again
    assert oauth_error(refresh(sandbox, first["refresh_token"]))[:2] == (400, "invalid_grant")


def test_refresh_token_is_not_issued_to_apps_without_approval(sandbox: SandboxServer) -> None:
    code = standard_code(sandbox, client_id=NO_REFRESH_CLIENT_ID)
    body = exchange(sandbox, code, client_id=NO_REFRESH_CLIENT_ID, client_secret=NO_REFRESH_CLIENT_SECRET).json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}


def test_refresh_rejections(sandbox: SandboxServer) -> None:
    token = exchange(sandbox, standard_code(sandbox)).json()["refresh_token"]
    assert oauth_error(refresh(sandbox, token, secret="guess"))[:2] == (401, "invalid_client")
    assert oauth_error(refresh(sandbox, token, secret=None)) == (
        400,
        "invalid_request",
        'A required parameter "client_secret" is missing',
    )
    assert oauth_error(refresh(sandbox, "AQXunknown"))[:2] == (400, "invalid_grant")
    assert oauth_error(refresh(sandbox, token, NO_REFRESH_CLIENT_ID, NO_REFRESH_CLIENT_SECRET))[:2] == (
        400,
        "invalid_grant",
    )
    assert sandbox.revoke_token(token)
    assert oauth_error(refresh(sandbox, token))[:2] == (400, "invalid_grant")


def test_pkce_app_refreshes_without_a_secret(sandbox: SandboxServer) -> None:
    code = decide(sandbox, authorize(sandbox, pkce=True))["code"]
    token = pkce_exchange(sandbox, code).json()["refresh_token"]
    assert refresh(sandbox, token, DEMO_CLIENT_ID, secret=None).status_code == 200


# --- introspection ------------------------------------------------------------------------------------------
def test_introspect_active_token(sandbox: SandboxServer) -> None:
    token = exchange(sandbox, standard_code(sandbox)).json()["access_token"]
    assert introspect(sandbox, token).json() == {
        "active": True,
        "status": "active",
        "scope": "r_ads,rw_conversions",
        "client_id": STANDARD_CLIENT_ID,
        "created_at": int(NOW),
        "expires_at": int(NOW) + 5184000,
        "authorized_at": int(NOW),
        "auth_type": "3L",
    }


def test_introspect_expired_and_revoked(sandbox: SandboxServer, clock: FakeClock) -> None:
    expiring = sandbox.mint_token(expires_in=60, client_id=STANDARD_CLIENT_ID)
    revoked = sandbox.mint_token(client_id=STANDARD_CLIENT_ID)
    sandbox.revoke_token(revoked)
    clock.advance(60)
    expired_body = introspect(sandbox, expiring).json()
    assert (expired_body["active"], expired_body["status"]) == (False, "expired")
    revoked_body = introspect(sandbox, revoked).json()
    assert (revoked_body["active"], revoked_body["status"]) == (False, "revoked")


def test_introspect_token_of_another_app(sandbox: SandboxServer) -> None:
    token = sandbox.mint_token(client_id=DEMO_CLIENT_ID)
    assert introspect(sandbox, token).json() == {"active": False}
    assert introspect(sandbox, token, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).json()["active"] is True


def test_introspect_rejections(sandbox: SandboxServer) -> None:
    token = sandbox.mint_token(client_id=STANDARD_CLIENT_ID)
    assert oauth_error(introspect(sandbox, token, client_id="nobody")) == (400, "invalid_request", "Invalid client id")
    assert oauth_error(introspect(sandbox, token, secret="guess"))[:2] == (401, "invalid_client")
    assert oauth_error(introspect(sandbox, "AQVunknown")) == (400, "invalid_request", "Invalid token")
    response = requests.post(
        sandbox.oauth_base + "/introspectToken", data={"client_id": STANDARD_CLIENT_ID}, timeout=10
    )
    assert oauth_error(response) == (400, "invalid_request", 'A required parameter "client_secret" is missing')
