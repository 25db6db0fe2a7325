"""The WSGI application: sends each request to the REST, OAuth or admin handlers and wraps the REST
ones in LinkedIn's pipeline (headers, throttling, failure injection, latency, x-li-uuid).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from capi_desktop.sandbox.admin import PREFIX as ADMIN_PREFIX
from capi_desktop.sandbox.admin import AdminApi
from capi_desktop.sandbox.errors import RestError
from capi_desktop.sandbox.faults import NO_FAULT, Drop
from capi_desktop.sandbox.knobs import Knobs
from capi_desktop.sandbox.oauth import OAuthApi
from capi_desktop.sandbox.pages import error_page
from capi_desktop.sandbox.rest import RestApi, authenticate
from capi_desktop.sandbox.state import SandboxState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

_FAULT_MESSAGES = {
    500: "Internal Server Error (injected by the sandbox)",
    502: "Bad Gateway (injected by the sandbox)",
    503: "Service Unavailable (injected by the sandbox)",
    504: "Gateway Timeout (injected by the sandbox)",
}


class ConnectionDropped(ConnectionAbortedError):
    """Raised out of the WSGI app after shutting the socket: werkzeug treats it as a dropped client and
    sends nothing, so the client sees the connection close without any response."""


def request_id() -> str:
    """A random request id shaped like LinkedIn's x-li-uuid (22 base64url characters)."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")


class SandboxApp:
    def __init__(self, state: SandboxState, admin_secret: str) -> None:
        self._state = state
        self._rest = RestApi(state.world)
        self._oauth = OAuthApi(state)
        self._admin = AdminApi(state, admin_secret)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._route(request)
        except ConnectionDropped:
            raise
        except Exception:
            # A sandbox bug must not look like a dropped connection; answer like LinkedIn's own 500.
            logger.exception("sandbox failed on %s %s", request.method, request.path)
            response = RestError(500, "Internal error in the LinkedIn sandbox").to_response()
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        if self._oauth.handles(path):
            self._delay(self._state.knobs.snapshot())
            response = self._oauth.dispatch(request)
            self._state.stats.count_response(response.status_code)
            return response
        if path == "/rest" or path.startswith("/rest/"):
            return self._serve_rest(request)
        if path == "/v2/userinfo" and request.method == "GET":
            return self._rest.userinfo(self._state, request, self._state.now())
        if path.startswith(ADMIN_PREFIX):
            return self._admin.dispatch(request)
        return error_page("Page not found", f"There is no sandbox page at {path}", 404)

    def _serve_rest(self, request: Request) -> Response:
        knobs = self._state.knobs.snapshot()
        self._delay(knobs)
        now = self._state.now()
        fault = NO_FAULT
        try:
            call = authenticate(self._state, request, knobs, now)
            throttled = self._state.limiter.admit(call.token, now, knobs.rate_limit_per_minute, knobs.daily_cap)
            if throttled:
                raise RestError(429, throttled, code="TOO_MANY_REQUESTS")
            fault = self._state.faults.roll(knobs.seed, knobs.error_rate, knobs.drop_rate, knobs.throttle_rate)
            if fault.error_status == 429:
                raise RestError(429, "Resource level throttle limit reached (injected burst)", code="TOO_MANY_REQUESTS")
            if fault.error_status is not None:
                raise RestError(fault.error_status, _FAULT_MESSAGES[fault.error_status])
            if fault.drop is Drop.BEFORE_PROCESSING:
                request.get_data()  # take the whole body first, so the client sees a clean close
                self._drop(request, after_processing=False)
            response = self._rest.dispatch(call)
        except RestError as error:
            response = error.to_response()
        if fault.drop is Drop.AFTER_PROCESSING:
            self._drop(request, after_processing=True)
        response.headers["x-li-uuid"] = request_id()
        self._state.stats.count_response(response.status_code)
        return response

    def _drop(self, request: Request, *, after_processing: bool) -> None:
        self._state.stats.count_drop(after_processing=after_processing)
        logger.debug(
            "sandbox drops %s %s (%s processing)",
            request.method,
            request.path,
            "after" if after_processing else "before",
        )
        sock = request.environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionDropped("connection dropped by the sandbox")

    @staticmethod
    def _delay(knobs: Knobs) -> None:
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
