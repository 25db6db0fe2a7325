"""OAuth 2.0 sign-in with LinkedIn: browser authorization, a one-shot loopback listener, token calls.

Standard apps use the authorization-code flow with the client secret at the token exchange. Apps for
which LinkedIn has enabled the native PKCE flow use a code verifier instead and need no secret.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

from capi_desktop.core.control import Control
from capi_desktop.core.stores.settings import DEFAULT_REDIRECT_PATH
from capi_desktop.core.stores.tokens import TokenSet, TokenSource, parse_scopes
from capi_desktop.linkedin.errors import SignInFailed, UnexpectedResponse
from capi_desktop.linkedin.http import DEFAULT_TIMEOUT, json_body, perform, request_id
from capi_desktop.linkedin.models import TokenInfo

logger = logging.getLogger(__name__)

SCOPES = ("rw_conversions", "r_ads")
REPORTING_SCOPE = "r_ads_reporting"  # optional: what LinkedIn credited (``app.results``)
# Asked for only when the app has LinkedIn's "Sign In with LinkedIn using OpenID Connect" product: they show
# the member's name (``/v2/userinfo``); without them the app names the member by their ad accounts.
OPENID_SCOPES = frozenset({"openid", "profile"})
LOOPBACK_HOST = "127.0.0.1"
SIGN_IN_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class OAuthApp:
    """The LinkedIn developer app the user signs in through."""

    client_id: str
    redirect_port: int
    use_pkce: bool = False
    # The standard flow's redirect URL must match the registered one exactly: host (127.0.0.1 or
    # localhost), port and path are the user's. The native PKCE flow always uses 127.0.0.1 and a free port.
    redirect_host: str = LOOPBACK_HOST
    redirect_path: str = DEFAULT_REDIRECT_PATH
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = SCOPES


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str = field(repr=False)
    redirect_uri: str
    code_verifier: str | None = field(default=None, repr=False)


def redirect_url(host: str, port: int, path: str) -> str:
    """The redirect URL exactly as it must be registered in the LinkedIn app."""
    return f"http://{host}:{port}{path}"


def build_authorization(app: OAuthApp, oauth_base: str, redirect_port: int | None = None) -> AuthorizationRequest:
    """The URL to open in the browser, with a fresh random ``state`` (and PKCE challenge if enabled)."""
    port = app.redirect_port if redirect_port is None else redirect_port
    redirect_uri = redirect_url(LOOPBACK_HOST if app.use_pkce else app.redirect_host, port, app.redirect_path)
    state = secrets.token_urlsafe(24)
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": " ".join(app.scopes),
    }
    base = oauth_base.rstrip("/")
    verifier = None
    if app.use_pkce:
        verifier = secrets.token_urlsafe(64)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params.update(code_challenge=challenge, code_challenge_method="S256")
        # The native flow lives beside /oauth/v2: https://www.linkedin.com/oauth/native-pkce/authorization
        endpoint = base.rsplit("/", 1)[0] + "/native-pkce/authorization"
    else:
        endpoint = base + "/authorization"
    # Spaces as %20, not +: how LinkedIn's own SDK encodes the scope list.
    query = urlencode(params, quote_via=quote)
    return AuthorizationRequest(
        url=f"{endpoint}?{query}", state=state, redirect_uri=redirect_uri, code_verifier=verifier
    )


@dataclass(frozen=True)
class CallbackResult:
    code: str | None = field(default=None, repr=False)
    error: str | None = None
    error_description: str | None = None
    state: str | None = field(default=None, repr=False)


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>CAPI Desktop</title>
<style>body{{font-family:system-ui,sans-serif;margin:0;display:flex;min-height:100vh;align-items:center;
justify-content:center;background:#f3f2ef;color:#1d2226}}main{{background:#fff;padding:2.5em 3em;
border-radius:12px;box-shadow:0 2px 12px #0002;max-width:32em}}h1{{font-size:1.4em;color:{color}}}</style>
</head><body><main><h1>{title}</h1><p>{text}</p></main></body></html>"""


class LoopbackListener:
    """Waits on 127.0.0.1 for the one OAuth redirect that belongs to this sign-in, then closes.

    Binding to 127.0.0.1 (never 0.0.0.0) keeps the sign-in answer off the network. Port 0 picks a free
    port, which LinkedIn allows for the native PKCE flow only. Any program on this computer can connect,
    so each connection is served on its own thread with a read timeout (an idle one cannot hold up the
    browser's), and only a redirect carrying this attempt's ``state`` ends the wait: any other request
    gets an error page and the listener keeps waiting.
    """

    READ_TIMEOUT_SECONDS = 10.0

    def __init__(self, port: int, path: str = DEFAULT_REDIRECT_PATH) -> None:
        self._result: CallbackResult | None = None
        self._state: str | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            timeout = self.READ_TIMEOUT_SECONDS  # applied to the connection's socket

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                result = CallbackResult(
                    code=query.get("code"),
                    error=query.get("error"),
                    error_description=query.get("error_description"),
                    state=query.get("state"),
                )
                if url.path != path or not listener._take(result):
                    self._page(
                        400 if url.path == path else 404,
                        "#b24020",
                        "This is not the sign-in CAPI Desktop is waiting for",
                        "The link may be from an earlier sign-in attempt. Return to CAPI Desktop and sign in from "
                        "there. You can close this tab.",
                    )
                    return
                if result.code is not None and result.error is None:
                    self._page(
                        200,
                        "#057642",
                        "You are signed in",
                        "CAPI Desktop has your LinkedIn sign-in. You can close this tab and return to the app.",
                    )
                else:
                    self._page(
                        200,
                        "#b24020",
                        "Sign-in did not complete",
                        "Return to CAPI Desktop to see what happened and try again. You can close this tab.",
                    )

            def _page(self, status: int, color: str, title: str, text: str) -> None:
                page = _PAGE.format(color=color, title=title, text=text).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                # The request line carries the authorization code: never log it.
                return

        try:
            self._server = ThreadingHTTPServer((LOOPBACK_HOST, port), Handler)
        except OSError as exc:
            raise SignInFailed(
                f"Another program is using port {port} on this computer, which sign-in needs.",
                "Close the other program, or change the redirect port in Settings (and in your LinkedIn app).",
            ) from exc
        self._server.daemon_threads = True
        self._server.timeout = 0.2

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def _take(self, result: CallbackResult) -> bool:
        """Keep ``result`` if it is the first answer with this attempt's state."""
        with self._lock:
            expected = self._state
            if self._done.is_set() or expected is None or result.state is None:
                return False
            if not secrets.compare_digest(result.state.encode(), expected.encode()):
                return False
            self._result = result
            self._done.set()
            return True

    def wait(self, state: str, timeout: float, control: Control | None = None) -> CallbackResult:
        """Serve until the redirect with ``state`` arrives, ``timeout`` passes, or ``control`` is cancelled;
        always closes."""
        with self._lock:
            self._state = state
        deadline = time.monotonic() + timeout
        try:
            while not self._done.is_set():
                if control is not None and control.cancelled:
                    raise SignInFailed("Sign-in was cancelled.")
                if time.monotonic() >= deadline:
                    raise SignInFailed(
                        f"No answer came back from LinkedIn {_within(timeout)}.",
                        "Try signing in again and finish the steps in your browser.",
                    )
                self._server.handle_request()
        finally:
            self.close()
        assert self._result is not None
        return self._result

    def close(self) -> None:
        self._server.server_close()


def _within(seconds: float) -> str:
    return f"within {seconds / 60:.0f} minutes" if seconds >= 120 else "in time"


def check_callback(result: CallbackResult) -> str:
    """The authorization code from this attempt's redirect; raises ``SignInFailed`` otherwise."""
    if result.error:
        if result.error.startswith("user_cancelled"):
            raise SignInFailed(
                "You declined the permissions in the browser, so CAPI Desktop cannot upload for you.",
                "Sign in again and choose Allow to continue.",
                code=result.error,
            )
        raise SignInFailed(
            f"LinkedIn refused the sign-in: {result.error_description or result.error}.",
            "Check the LinkedIn app's settings (redirect URL and products) and try again.",
            code=result.error,
        )
    if not result.code:
        raise SignInFailed("The browser came back without a sign-in code.", "Try signing in again.")
    return result.code


class OAuthClient:
    """LinkedIn's token endpoints: exchange, refresh and introspection (form-encoded POSTs)."""

    def __init__(
        self,
        oauth_base: str,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Any = time.time,
    ) -> None:
        self._base = oauth_base.rstrip("/")
        self._session = session or requests.Session()
        self._timeout = timeout
        self._clock = clock

    def exchange_code(self, app: OAuthApp, code: str, request: AuthorizationRequest) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "redirect_uri": request.redirect_uri,
        }
        form.update(self._client_proof(app, request.code_verifier))
        return self._token_set(self._post("/accessToken", form), TokenSource.BROWSER)

    def refresh(self, app: OAuthApp, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise SignInFailed("This sign-in cannot be renewed automatically.", "Sign in again.")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": app.client_id,
        }
        if app.client_secret:
            form["client_secret"] = app.client_secret
        fresh = self._token_set(self._post("/accessToken", form), tokens.source)
        # LinkedIn does not extend the refresh token's life; keep the old one if none came back.
        if fresh.refresh_token is None:
            fresh = TokenSet(
                access_token=fresh.access_token,
                source=fresh.source,
                expires_at=fresh.expires_at,
                scopes=fresh.scopes if fresh.scopes is not None else tokens.scopes,
                refresh_token=tokens.refresh_token,
                refresh_expires_at=tokens.refresh_expires_at,
            )
        return fresh

    def introspect(self, app: OAuthApp, token: str) -> TokenInfo:
        if not app.client_secret:
            raise SignInFailed("Checking a token with LinkedIn needs the app's client secret (see Settings).")
        data = self._post(
            "/introspectToken",
            {"client_id": app.client_id, "client_secret": app.client_secret, "token": token},
        )
        return TokenInfo(
            active=bool(data.get("active", False)),
            status=data.get("status"),
            scopes=parse_scopes(data.get("scope")),
            client_id=data.get("client_id"),
            created_at=data.get("created_at"),
            expires_at=data.get("expires_at"),
            authorized_at=data.get("authorized_at"),
            auth_type=data.get("auth_type"),
        )

    def _client_proof(self, app: OAuthApp, verifier: str | None) -> dict[str, str]:
        if app.use_pkce:
            if verifier is None:
                raise SignInFailed("This sign-in attempt has no PKCE verifier.", "Start the sign-in again.")
            return {"code_verifier": verifier}
        if not app.client_secret:
            raise SignInFailed(
                "The LinkedIn app's client secret is not set on this computer.",
                "Enter it in Settings (it is kept in your computer's credential store), "
                "or ask LinkedIn to enable PKCE for the app.",
            )
        return {"client_secret": app.client_secret}

    def _post(self, path: str, form: Mapping[str, str]) -> Mapping[str, Any]:
        response = perform(self._session, "POST", self._base + path, timeout=self._timeout, data=dict(form))
        if response.status_code >= 400:
            raise _oauth_error(response)
        return json_body(response)

    def _token_set(self, data: Mapping[str, Any], source: TokenSource) -> TokenSet:
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise UnexpectedResponse("LinkedIn's sign-in answer had no access token.")
        now = self._clock()
        expires_in = data.get("expires_in")
        refresh_in = data.get("refresh_token_expires_in")
        return TokenSet(
            access_token=token,
            source=source,
            expires_at=now + float(expires_in) if isinstance(expires_in, int | float) else None,
            scopes=parse_scopes(data.get("scope")),
            refresh_token=data.get("refresh_token") or None,
            refresh_expires_at=now + float(refresh_in) if isinstance(refresh_in, int | float) else None,
        )


def _oauth_error(response: requests.Response) -> SignInFailed:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    error = str(data.get("error") or f"HTTP {response.status_code}")
    description = data.get("error_description")
    if error == "invalid_client" or response.status_code == 401:
        explanation = "LinkedIn did not accept the app's client id or client secret."
        action = "Check both in Settings against the LinkedIn Developer Portal (your app → Auth)."
    elif error == "invalid_grant":
        explanation = "LinkedIn did not accept the sign-in code or saved sign-in; it may have expired or been used."
        action = "Sign in again."
    else:
        explanation = f"LinkedIn refused the sign-in ({error}{': ' + str(description) if description else ''})."
        action = "Check the app's settings in the LinkedIn Developer Portal and try again."
    return SignInFailed(
        explanation,
        action,
        status=response.status_code,
        code=error,
        linkedin_message=str(description) if description else None,
        request_id=request_id(response),
    )
