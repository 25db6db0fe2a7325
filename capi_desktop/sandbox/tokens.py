"""Access tokens, refresh tokens and authorization codes the sandbox has issued.

Everything is keyed by the opaque string handed out. Times are epoch seconds from the server's clock,
so tests can expire tokens and codes by moving an injected clock instead of sleeping.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass

logger = logging.getLogger(__name__)

ACCESS_TOKEN_TTL = 5_184_000  # 60 days, documented
REFRESH_TOKEN_TTL = 31_536_000  # 365 days, documented, anchored to the original authorization

ACTIVE = "active"
EXPIRED = "expired"
REVOKED = "revoked"


def _opaque(prefix: str) -> str:
    # LinkedIn's tokens and codes are long opaque strings starting with "AQ"; the shape is not a contract.
    return prefix + secrets.token_urlsafe(48)


@dataclass
class Grant:
    """An access or refresh token. ``authorized_at`` is when the member consented (for anchoring)."""

    value: str
    client_id: str
    member_id: str
    scopes: frozenset[str]
    created_at: float
    expires_at: float
    authorized_at: float
    revoked: bool = False

    def status(self, now: float) -> str:
        if self.revoked:
            return REVOKED
        return EXPIRED if now >= self.expires_at else ACTIVE

    @property
    def scope_string(self) -> str:
        return ",".join(sorted(self.scopes))


@dataclass
class AuthCode:
    value: str
    client_id: str
    member_id: str
    scopes: frozenset[str]
    redirect_uri: str
    issued_at: float
    code_challenge: str | None
    used: bool = False


class TokenStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._codes: dict[str, AuthCode] = {}

    def mint_access(
        self,
        *,
        client_id: str,
        member_id: str,
        scopes: frozenset[str],
        now: float,
        expires_in: int,
        authorized_at: float,
    ) -> Grant:
        grant = Grant(_opaque("AQV"), client_id, member_id, scopes, now, now + expires_in, authorized_at)
        with self._lock:
            self._access[grant.value] = grant
        return grant

    def mint_refresh(self, *, client_id: str, member_id: str, scopes: frozenset[str], now: float) -> Grant:
        grant = Grant(_opaque("AQX"), client_id, member_id, scopes, now, now + REFRESH_TOKEN_TTL, now)
        with self._lock:
            self._refresh[grant.value] = grant
        return grant

    def issue_code(
        self,
        *,
        client_id: str,
        member_id: str,
        scopes: frozenset[str],
        redirect_uri: str,
        now: float,
        code_challenge: str | None,
    ) -> AuthCode:
        code = AuthCode(_opaque("AQT"), client_id, member_id, scopes, redirect_uri, now, code_challenge)
        with self._lock:
            self._codes[code.value] = code
        return code

    def redeem_code(self, value: str) -> AuthCode | None:
        """The code, marked used by this call; None if unknown or already used (codes are single-use)."""
        with self._lock:
            code = self._codes.get(value)
            if code is None or code.used:
                return None
            code.used = True
            return code

    def access(self, value: str) -> Grant | None:
        return self._access.get(value)

    def refresh(self, value: str) -> Grant | None:
        return self._refresh.get(value)

    def revoke(self, value: str) -> bool:
        """Revoke an access or refresh token; False if the sandbox never issued it."""
        with self._lock:
            grant = self._access.get(value) or self._refresh.get(value)
            if grant is None:
                return False
            grant.revoked = True
        logger.info("sandbox token revoked")
        return True
