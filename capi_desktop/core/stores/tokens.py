"""LinkedIn sign-in tokens: what we keep, how long it lasts, and where it is stored.

The whole token set (access, refresh, expiry, scopes) is one keyring entry. Token strings are kept
out of ``repr`` so they never reach a log line or an exception message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from capi_desktop.core.stores.keychain import Keychain, KeychainError

logger = logging.getLogger(__name__)

EXPIRY_WARNING_DAYS = 7
ENV_ACCESS_TOKEN = "CAPI_DESKTOP_ACCESS_TOKEN"
REQUIRED_SCOPES = frozenset({"rw_conversions", "r_ads"})


class TokenSource(Enum):
    BROWSER = "browser"  # OAuth authorization code flow
    PASTED = "pasted"  # generated in LinkedIn's token tool and pasted by the user
    ENVIRONMENT = "environment"  # CAPI_DESKTOP_ACCESS_TOKEN, for unattended runs


class Storage(Enum):
    KEYRING = "keyring"
    MEMORY = "memory"  # no secure credential store: this run only
    ENVIRONMENT = "environment"


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    source: TokenSource
    expires_at: float | None = None  # epoch seconds; None when LinkedIn did not tell us
    scopes: frozenset[str] | None = None  # None when unknown (pasted token without introspection)
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None

    def is_expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def expires_soon(self, now: float, days: int = EXPIRY_WARNING_DAYS) -> bool:
        return self.expires_at is not None and now >= self.expires_at - days * 86400

    def can_refresh(self, now: float) -> bool:
        if not self.refresh_token:
            return False
        return self.refresh_expires_at is None or now < self.refresh_expires_at

    def missing_scopes(self) -> frozenset[str]:
        return frozenset() if self.scopes is None else REQUIRED_SCOPES - self.scopes

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "source": self.source.value,
                "expires_at": self.expires_at,
                "scopes": sorted(self.scopes) if self.scopes is not None else None,
                "refresh_token": self.refresh_token,
                "refresh_expires_at": self.refresh_expires_at,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        raw: Mapping[str, Any] = json.loads(text)
        scopes = raw.get("scopes")
        return cls(
            access_token=str(raw["access_token"]),
            source=TokenSource(raw.get("source", TokenSource.BROWSER.value)),
            expires_at=raw.get("expires_at"),
            scopes=frozenset(scopes) if scopes is not None else None,
            refresh_token=raw.get("refresh_token"),
            refresh_expires_at=raw.get("refresh_expires_at"),
        )


def parse_scopes(value: str | None) -> frozenset[str] | None:
    """LinkedIn returns scopes comma-separated; tolerate spaces too."""
    if value is None:
        return None
    return frozenset(s for s in value.replace(",", " ").split() if s)


class TokenStore:
    """One token set per LinkedIn endpoint, in the keyring when a secure one exists, else in memory.

    ``env`` lets an unattended run supply a token that overrides whatever is stored.
    """

    def __init__(
        self,
        keychain: Keychain,
        entry: str,
        env: Mapping[str, str] | None = None,
        persistent: bool = True,
    ) -> None:
        self._keychain = keychain
        self._entry = entry
        self._env = env or {}
        # Practice mode talks to a sandbox that forgets its tokens on exit: nothing worth persisting.
        self._persistent = persistent
        self._memory: TokenSet | None = None
        self._keyring_failed: KeychainError | None = None

    @property
    def storage(self) -> Storage:
        if self._env.get(ENV_ACCESS_TOKEN):
            return Storage.ENVIRONMENT
        if self._persistent and self._keychain.is_secure and self._keyring_failed is None:
            return Storage.KEYRING
        return Storage.MEMORY

    @property
    def storage_problem(self) -> str | None:
        """A plain sentence for the user when tokens cannot be kept between runs."""
        if self.storage is not Storage.MEMORY or not self._persistent:
            return None
        if self._keyring_failed is not None:
            return f"{self._keyring_failed} You will stay signed in only until you close the app."
        return (
            "No secure credential store was found on this computer, so your LinkedIn sign-in is kept "
            "in memory and you will need to sign in again next time you open the app."
        )

    def load(self) -> TokenSet | None:
        env_token = self._env.get(ENV_ACCESS_TOKEN, "").strip()
        if env_token:
            return TokenSet(access_token=env_token, source=TokenSource.ENVIRONMENT)
        if self.storage is Storage.MEMORY:
            return self._memory
        try:
            text = self._keychain.get(self._entry)
        except KeychainError as exc:
            self._keyring_failed = exc
            return self._memory
        if text is None:
            return None
        try:
            return TokenSet.from_json(text)
        except (ValueError, KeyError, TypeError):
            logger.warning("Stored sign-in was unreadable and has been ignored")
            return None

    def save(self, tokens: TokenSet) -> Storage:
        """Store ``tokens``; returns where they ended up so the UI can say so."""
        if self.storage is Storage.KEYRING:
            try:
                self._keychain.set(self._entry, tokens.to_json())
                self._memory = None
                return Storage.KEYRING
            except KeychainError as exc:
                self._keyring_failed = exc
        self._memory = tokens
        return Storage.MEMORY

    def clear(self) -> None:
        self._memory = None
        if self._persistent and self._keychain.is_secure:
            try:
                self._keychain.delete(self._entry)
            except KeychainError as exc:
                self._keyring_failed = exc
                raise
