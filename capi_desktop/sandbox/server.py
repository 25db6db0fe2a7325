"""``SandboxServer``: the sandbox as a real HTTP server on 127.0.0.1, threaded, quiet by default."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from capi_desktop.sandbox.admin import SECRET_HEADER
from capi_desktop.sandbox.app import SandboxApp
from capi_desktop.sandbox.knobs import Knobs
from capi_desktop.sandbox.seed import DEFAULT_MEMBER, DEMO_CLIENT_ID
from capi_desktop.sandbox.state import SandboxState
from capi_desktop.sandbox.tokens import ACCESS_TOKEN_TTL

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"  # never anything else: the sandbox stands in for LinkedIn on this computer only
_POLL_INTERVAL = 0.05  # how quickly stop() is noticed by the serving thread


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows SO_REUSEADDR would let another process share the port
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


class _QuietRequestHandler(WSGIRequestHandler):
    """Sends werkzeug's per-request lines to our logger at DEBUG instead of stderr."""

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.DEBUG if type == "info" else logging.WARNING
        logger.log(level, "%s - " + message, self.address_string(), *args)


class SandboxServer:
    """Listens as soon as it is constructed (OSError if the port is taken); serves once started."""

    def __init__(
        self,
        port: int = 0,
        knobs: Knobs | None = None,
        clock: Callable[[], float] = time.time,
        admin_secret: str | None = None,
    ) -> None:
        self.knobs = knobs if knobs is not None else Knobs()
        # The admin endpoints answer only with this run's secret (see ``admin_headers``).
        self.admin_secret = admin_secret or secrets.token_urlsafe(24)
        self._state = SandboxState(self.knobs, clock)
        listener = _listen(port)
        try:
            # werkzeug would sys.exit() on a taken port; handing it our bound socket keeps the OSError.
            self._server: BaseWSGIServer = make_server(
                HOST,
                listener.getsockname()[1],
                SandboxApp(self._state, self.admin_secret),
                threaded=True,
                request_handler=_QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # the server serves a duplicate of this socket
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- addresses ------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.port)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.url + "/rest"

    @property
    def oauth_base(self) -> str:
        return self.url + "/oauth/v2"

    # --- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        """Serve on a daemon thread; returns self so ``server = SandboxServer().start()`` reads well."""
        self._check_idle()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name=f"linkedin-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("LinkedIn sandbox listening on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until Ctrl-C (the standalone command)."""
        self._check_idle()
        print(
            f"LinkedIn sandbox (practice mode) on {self.url}  REST: {self.api_base}  "
            f"OAuth: {self.oauth_base}  admin: {self.url}/_sandbox/ with the header {SECRET_HEADER}: "
            f"{self.admin_secret}  (Ctrl-C stops)",
            flush=True,
        )
        try:
            self._server.serve_forever(poll_interval=_POLL_INTERVAL)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        logger.info("LinkedIn sandbox stopped")

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _check_idle(self) -> None:
        if self._closed:
            raise RuntimeError("the sandbox is stopped; create a new SandboxServer")
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")

    # --- direct access for tests and the demo mode ----------------------------------------------------
    @property
    def admin_headers(self) -> dict[str, str]:
        """What a request to ``/_sandbox/`` must carry."""
        return {SECRET_HEADER: self.admin_secret}

    def mint_token(
        self,
        scopes: Iterable[str] = ("rw_conversions", "r_ads"),
        expires_in: int = ACCESS_TOKEN_TTL,
        member: str = DEFAULT_MEMBER,
        client_id: str = DEMO_CLIENT_ID,
    ) -> str:
        """An access token as if the member had consented just now (ValueError for unknown names)."""
        return self._state.mint_token(scopes, expires_in, member, client_id)

    def revoke_token(self, token: str) -> bool:
        return self._state.tokens.revoke(token)

    def accepted_events(self) -> list[dict[str, object]]:
        """The parsed bodies of every accepted event, in arrival order (duplicates included)."""
        return [event for event, _, _ in self._state.world.accepted_events()]
