"""LinkedIn's OAuth 2.0 endpoints: authorization (standard and native PKCE), consent, token exchange,
refresh and introspection.

The authorization request is validated twice: when the consent page is shown and again when its form
comes back, because the form's hidden fields are under the browser's control.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from capi_desktop.sandbox.errors import OAuthError, invalid_client, invalid_grant, invalid_request, json_response
from capi_desktop.sandbox.knobs import Knobs
from capi_desktop.sandbox.pages import CONSENT_PATH, ConsentRequest, consent_page, error_page
from capi_desktop.sandbox.scopes import KNOWN_SCOPES
from capi_desktop.sandbox.seed import DEFAULT_MEMBER, OAuthApp
from capi_desktop.sandbox.state import SandboxState
from capi_desktop.sandbox.tokens import ACCESS_TOKEN_TTL, ACTIVE, Grant

logger = logging.getLogger(__name__)

STANDARD, PKCE = "standard", "pkce"
# The native flow accepts any port on the loopback interface (documented: 127.0.0.1 and [::1]).
_LOOPBACK_REDIRECT = re.compile(r"https?://(?:127\.0\.0\.1|\[::1\]):([0-9]{1,5})(?:/[^#\s]*)?", re.ASCII)
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)  # base64url(SHA-256), unpadded
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}", re.ASCII)  # RFC 7636 section 4.1
_INVALID_GRANT = "The provided authorization grant or refresh token is invalid, expired or revoked"


class _PageError(Exception):
    """The request cannot be trusted to redirect anywhere: answer with an HTML page."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.response = error_page(title, message)


class _RedirectError(Exception):
    """The redirect URI is valid: send the error back to the app there."""

    def __init__(self, redirect_uri: str, state: str | None, error: str, description: str) -> None:
        super().__init__(description)
        params = {"error": error, "error_description": description}
        if state is not None:
            params["state"] = state
        self.response = redirect(redirect_uri, params)


def redirect(uri: str, params: Mapping[str, str]) -> Response:
    parts = urlsplit(uri)
    query = urlencode(params)
    response = Response(status=302)
    response.headers["Location"] = urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))
    return response


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class OAuthApi:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._apps = state.world.apps
        self._routes = Map(
            [
                Rule("/oauth/v2/authorization", endpoint="authorize_standard", methods=["GET"]),
                Rule("/oauth/native-pkce/authorization", endpoint="authorize_pkce", methods=["GET"]),
                Rule(CONSENT_PATH, endpoint="consent", methods=["POST"]),
                Rule("/oauth/v2/accessToken", endpoint="access_token", methods=["POST"]),
                Rule("/oauth/v2/introspectToken", endpoint="introspect", methods=["POST"]),
            ]
        )

    def handles(self, path: str) -> bool:
        return path.startswith("/oauth/") or path == CONSENT_PATH

    def dispatch(self, request: Request) -> Response:
        knobs = self._state.knobs.snapshot()
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            name, _ = adapter.match()
        except NotFound:
            return error_page("Page not found", f"There is no sandbox page at {request.path}", 404)
        except MethodNotAllowed:
            return OAuthError(405, "invalid_request", f"{request.method} is not allowed here").to_response()
        try:
            if name == "authorize_standard":
                return self._show_consent(self._authorization(request.args, STANDARD, knobs), knobs)
            if name == "authorize_pkce":
                return self._show_consent(self._authorization(request.args, PKCE, knobs), knobs)
            if name == "consent":
                return self._consent(request.form, knobs)
            if name == "access_token":
                return self._access_token(request.form, knobs)
            return self._introspect(request.form)
        except (_PageError, _RedirectError) as error:
            return error.response
        except OAuthError as error:
            return error.to_response()

    # --- authorization --------------------------------------------------------------------------------
    def _authorization(self, params: Mapping[str, str], flow: str, knobs: Knobs) -> ConsentRequest:
        client_id = params.get("client_id")
        app = self._apps.get(client_id or "")
        if app is None:
            raise _PageError("Unknown application", f"No application with client_id {client_id!r} exists.")
        if flow == PKCE and not app.pkce_enabled:
            raise _PageError("PKCE is not enabled", f"The PKCE flow is not enabled for {app.name}.")
        redirect_uri = params.get("redirect_uri") or ""
        if not _redirect_registered(redirect_uri, flow, knobs):
            raise _PageError(
                "Invalid redirect_uri", f"The redirect_uri {redirect_uri!r} does not match the registered value."
            )

        state = params.get("state")
        if params.get("response_type") != "code":
            raise _RedirectError(redirect_uri, state, "unsupported_response_type", 'response_type must be "code"')
        scope = params.get("scope", "")
        scopes = scope.split()
        if not scopes:
            raise _RedirectError(redirect_uri, state, "invalid_scope", "No scope was requested")
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            raise _RedirectError(
                redirect_uri, state, "invalid_scope", f'Scope "{unknown[0]}" is not authorized for your application'
            )
        challenge = method = None
        if flow == PKCE:
            challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
            if not challenge or method != "S256":
                raise _RedirectError(
                    redirect_uri, state, "invalid_request", "code_challenge and code_challenge_method=S256 are required"
                )
            if _CODE_CHALLENGE.fullmatch(challenge) is None:
                raise _RedirectError(
                    redirect_uri,
                    state,
                    "invalid_request",
                    "code_challenge must be the unpadded base64url SHA-256 of the verifier",
                )
        return ConsentRequest(flow, app.client_id, redirect_uri, " ".join(scopes), state, challenge, method)

    def _show_consent(self, consent: ConsentRequest, knobs: Knobs) -> Response:
        member = self._state.world.members[DEFAULT_MEMBER]
        app = self._apps[consent.client_id]
        return consent_page(consent, app.name, f"{member.first_name} {member.last_name}", knobs.auto_consent)

    def _consent(self, form: Mapping[str, str], knobs: Knobs) -> Response:
        flow = form.get("flow")
        if flow not in (STANDARD, PKCE):
            raise _PageError("Invalid request", "The consent form is incomplete.")
        consent = self._authorization({**form, "response_type": "code"}, flow, knobs)
        decision = form.get("decision")
        if decision == "cancel":
            raise _RedirectError(
                consent.redirect_uri, consent.state, "user_cancelled_authorize", "The user cancelled the authorization"
            )
        if decision != "allow":
            raise _PageError("Invalid request", "The consent form is incomplete.")
        code = self._state.tokens.issue_code(
            client_id=consent.client_id,
            member_id=DEFAULT_MEMBER,
            scopes=frozenset(consent.scope.split()),
            redirect_uri=consent.redirect_uri,
            now=self._state.now(),
            code_challenge=consent.code_challenge,
        )
        params = {"code": code.value}
        if consent.state is not None:
            params["state"] = consent.state
        return redirect(consent.redirect_uri, params)

    # --- tokens ---------------------------------------------------------------------------------------
    def _access_token(self, form: Mapping[str, str], knobs: Knobs) -> Response:
        grant_type = _required(form, "grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form, knobs)
        if grant_type == "refresh_token":
            return self._refresh(form)
        raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def _exchange_code(self, form: Mapping[str, str], knobs: Knobs) -> Response:
        code_value = _required(form, "code")
        client_id = _required(form, "client_id")
        redirect_uri = _required(form, "redirect_uri")
        app = self._client(client_id)
        secret, verifier = form.get("client_secret"), form.get("code_verifier")
        if secret is not None:
            if secret != app.client_secret:
                raise invalid_client()
        elif verifier is None or not app.pkce_enabled:
            raise invalid_request('A required parameter "client_secret" is missing')
        if verifier is not None and _CODE_VERIFIER.fullmatch(verifier) is None:
            raise invalid_request("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")

        now = self._state.now()
        code = self._state.tokens.redeem_code(code_value)  # single-use: a failed exchange burns it too
        if code is None or code.client_id != app.client_id:
            raise invalid_grant(_INVALID_GRANT)
        if now >= code.issued_at + knobs.code_ttl_seconds:
            raise invalid_grant("The authorization code has expired")
        if code.redirect_uri != redirect_uri:
            raise invalid_grant("The redirect_uri does not match the one used for the authorization request")
        if code.code_challenge is not None:
            if verifier is None:
                raise invalid_grant('"code_verifier" is required for this authorization code')
            if s256(verifier) != code.code_challenge:
                raise invalid_grant("The code_verifier does not match the code_challenge")
        elif secret is None:
            raise invalid_grant("This authorization code was not issued with a code_challenge")

        access = self._state.tokens.mint_access(
            client_id=app.client_id,
            member_id=code.member_id,
            scopes=code.scopes,
            now=now,
            expires_in=ACCESS_TOKEN_TTL,
            authorized_at=code.issued_at,
        )
        body = _token_body(access)
        if app.gets_refresh_tokens:
            refresh = self._state.tokens.mint_refresh(
                client_id=app.client_id,
                member_id=code.member_id,
                scopes=code.scopes,
                now=code.issued_at,
            )
            body["refresh_token"] = refresh.value
            body["refresh_token_expires_in"] = int(refresh.expires_at - now)
        logger.info("sandbox issued an access token to %s", app.client_id)
        return json_response(body)

    def _refresh(self, form: Mapping[str, str]) -> Response:
        refresh_value = _required(form, "refresh_token")
        app = self._client(_required(form, "client_id"))
        secret = form.get("client_secret")
        if secret is None:
            if not app.pkce_enabled:
                raise invalid_request('A required parameter "client_secret" is missing')
        elif secret != app.client_secret:
            raise invalid_client()
        now = self._state.now()
        refresh = self._state.tokens.refresh(refresh_value)
        if refresh is None or refresh.client_id != app.client_id or refresh.status(now) != ACTIVE:
            raise invalid_grant(_INVALID_GRANT)
        access = self._state.tokens.mint_access(
            client_id=app.client_id,
            member_id=refresh.member_id,
            scopes=refresh.scopes,
            now=now,
            expires_in=ACCESS_TOKEN_TTL,
            authorized_at=refresh.authorized_at,
        )
        body = _token_body(access)
        # The refresh token keeps its original expiry: refreshing never extends the 365-day window.
        body["refresh_token"] = refresh.value
        body["refresh_token_expires_in"] = int(refresh.expires_at - now)
        return json_response(body)

    def _introspect(self, form: Mapping[str, str]) -> Response:
        client_id = _required(form, "client_id")
        secret = _required(form, "client_secret")
        token = _required(form, "token")
        app = self._apps.get(client_id)
        if app is None:
            raise invalid_request("Invalid client id")
        if secret != app.client_secret:
            raise invalid_client()
        grant = self._state.tokens.access(token) or self._state.tokens.refresh(token)
        if grant is None:
            raise invalid_request("Invalid token")
        if grant.client_id != app.client_id:
            return json_response({"active": False})
        status = grant.status(self._state.now())
        return json_response(
            {
                "active": status == ACTIVE,
                "status": status,
                "scope": grant.scope_string,
                "client_id": grant.client_id,
                "created_at": int(grant.created_at),
                "expires_at": int(grant.expires_at),
                "authorized_at": int(grant.authorized_at),
                "auth_type": "3L",
            }
        )

    def _client(self, client_id: str) -> OAuthApp:
        app = self._apps.get(client_id)
        if app is None:
            raise invalid_client()
        return app


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise invalid_request(f'A required parameter "{name}" is missing')
    return value


def _redirect_registered(redirect_uri: str, flow: str, knobs: Knobs) -> bool:
    if flow == STANDARD:
        return redirect_uri in knobs.standard_redirect_uris
    match = _LOOPBACK_REDIRECT.fullmatch(redirect_uri)
    return match is not None and 1 <= int(match[1]) <= 65535


def _token_body(access: Grant) -> dict[str, object]:
    return {
        "access_token": access.value,
        "expires_in": ACCESS_TOKEN_TTL,
        "scope": access.scope_string,
        "token_type": "Bearer",
    }
