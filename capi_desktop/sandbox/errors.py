"""Error types of the sandbox and the JSON bodies LinkedIn answers them with.

REST errors carry LinkedIn's ``{"status", "serviceErrorCode", "code", "message"}`` body; OAuth errors
carry the OAuth 2.0 ``{"error", "error_description"}`` body. Handlers raise them; the WSGI app turns
them into responses, so a handler never builds an error response by hand.
"""

from __future__ import annotations

import json
import logging

from werkzeug.wrappers import Response

logger = logging.getLogger(__name__)

# serviceErrorCode values. The three token codes are documented; the others are UNVERIFIED guesses
# (LinkedIn uses 100 for permission errors; we reuse it for every other client error).
SEC_INVALID_TOKEN = 65600
SEC_REVOKED_TOKEN = 65601
SEC_EXPIRED_TOKEN = 65602
SEC_EMPTY_TOKEN = 65604
SEC_GENERIC = 100
SEC_SERVER = 0

_CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    403: "ACCESS_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body, separators=(",", ":"))
    return Response(payload, status=status, headers=headers, content_type="application/json")


class RestError(Exception):
    """A LinkedIn REST error; ``code`` defaults to the usual name for the status."""

    def __init__(self, status: int, message: str, *, code: str | None = None, service_error_code: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODE_BY_STATUS.get(status, "ERROR")
        if service_error_code is None:
            service_error_code = SEC_SERVER if status >= 500 else SEC_GENERIC
        self.service_error_code = service_error_code

    def to_response(self) -> Response:
        body = {
            "status": self.status,
            "serviceErrorCode": self.service_error_code,
            "code": self.code,
            "message": self.message,
        }
        return json_response(body, self.status)


class OAuthError(Exception):
    """An OAuth 2.0 endpoint error (token exchange, refresh, introspection)."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def to_response(self) -> Response:
        return json_response({"error": self.error, "error_description": self.description}, self.status)


def invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


def invalid_client(description: str = "Client authentication failed") -> OAuthError:
    return OAuthError(401, "invalid_client", description)
