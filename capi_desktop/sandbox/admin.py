"""Sandbox-only endpoints under ``/_sandbox/``: accepted events, counters, knobs, tokens minted without
a browser, revocation and reset, for tests and benchmarks.

The server listens on 127.0.0.1 only, but any web page the user opens can send requests there, and a
rebound DNS name can make them look same-origin. So a request is served only when it carries this
run's secret (a custom header, which a page cannot add without a CORS preflight the sandbox never
grants), names a loopback host, and comes from no other origin.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from capi_desktop.sandbox.errors import json_response
from capi_desktop.sandbox.seed import DEFAULT_MEMBER, DEMO_CLIENT_ID
from capi_desktop.sandbox.state import SandboxState
from capi_desktop.sandbox.tokens import ACCESS_TOKEN_TTL

logger = logging.getLogger(__name__)

PREFIX = "/_sandbox/"
SECRET_HEADER = "X-Sandbox-Secret"
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
DEFAULT_SCOPES = ("rw_conversions", "r_ads")


class _BadRequest(Exception):
    pass


class AdminApi:
    def __init__(self, state: SandboxState, secret: str) -> None:
        self._state = state
        self._secret = secret.encode()
        self._routes = Map(
            [
                Rule("/_sandbox/events", endpoint="events", methods=["GET"]),
                Rule("/_sandbox/knobs", endpoint="knobs", methods=["GET", "POST"]),
                Rule("/_sandbox/tokens", endpoint="tokens", methods=["POST"]),
                Rule("/_sandbox/revoke", endpoint="revoke", methods=["POST"]),
                Rule("/_sandbox/reset", endpoint="reset", methods=["POST"]),
                Rule("/_sandbox/stats", endpoint="stats", methods=["GET"]),
            ]
        )
        self._handlers: dict[str, Callable[[Request], Response]] = {
            "events": self._events,
            "knobs": self._knobs,
            "tokens": self._tokens,
            "revoke": self._revoke,
            "reset": self._reset,
            "stats": self._stats,
        }

    def dispatch(self, request: Request) -> Response:
        refused = self._refusal(request)
        if refused:
            logger.warning("Refused a sandbox admin request to %s: %s", request.path, refused)
            return json_response({"error": refused}, 403)
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            name, _ = adapter.match()
        except NotFound:
            return json_response({"error": f"no sandbox endpoint at {request.path}"}, 404)
        except MethodNotAllowed:
            return json_response({"error": f"{request.method} is not allowed on {request.path}"}, 405)
        try:
            return self._handlers[name](request)
        except _BadRequest as error:
            return json_response({"error": str(error)}, 400)

    def _refusal(self, request: Request) -> str | None:
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        if host.lower() not in _LOOPBACK_NAMES:
            return f"the sandbox's admin endpoints answer only on 127.0.0.1, not for the host {request.host!r}"
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"http://{request.host}":
            return f"cross-origin requests (from {origin}) are refused"
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return f"the {SECRET_HEADER} header is missing or wrong (the sandbox prints it when it starts)"
        return None

    def _events(self, request: Request) -> Response:
        elements = [
            {"event": event, "receivedAt": received_ms, "member": f"urn:li:person:{member}"}
            for event, received_ms, member in self._state.world.accepted_events()
        ]
        return json_response({"elements": elements})

    def _knobs(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self._state.knobs.update(_json_object(request))
            except ValueError as error:
                raise _BadRequest(str(error)) from None
        return json_response(self._state.knobs.to_dict())

    def _tokens(self, request: Request) -> Response:
        body = _json_object(request)
        scopes = body.get("scopes", DEFAULT_SCOPES)
        expires_in = body.get("expires_in", ACCESS_TOKEN_TTL)
        member = body.get("member", DEFAULT_MEMBER)
        client_id = body.get("client_id", DEMO_CLIENT_ID)
        if not isinstance(scopes, list | tuple) or not all(isinstance(s, str) for s in scopes):
            raise _BadRequest("scopes must be a list of strings")
        if not isinstance(expires_in, int) or isinstance(expires_in, bool):
            raise _BadRequest("expires_in must be an integer")
        if not isinstance(member, str) or not isinstance(client_id, str):
            raise _BadRequest("member and client_id must be strings")
        try:
            token = self._state.mint_token(scopes, expires_in, member, client_id)
        except ValueError as error:
            raise _BadRequest(str(error)) from None
        return json_response({"access_token": token, "expires_in": expires_in})

    def _revoke(self, request: Request) -> Response:
        token = _json_object(request).get("token")
        if not isinstance(token, str):
            raise _BadRequest("token must be a string")
        if not self._state.tokens.revoke(token):
            return json_response({"error": "unknown token"}, 404)
        return json_response({"revoked": True})

    def _reset(self, request: Request) -> Response:
        self._state.reset()
        return Response(status=204)

    def _stats(self, request: Request) -> Response:
        stats = self._state.stats.to_dict()
        stats["events_accepted"] = self._state.world.accepted_count()
        return json_response(stats)


def _json_object(request: Request) -> dict[str, object]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise _BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    return body
