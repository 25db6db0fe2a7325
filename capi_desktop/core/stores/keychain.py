"""The OS credential store (macOS Keychain, Windows Credential Locker, Secret Service) via ``keyring``.

Secrets never fall back to a file: without a secure backend the caller keeps them in memory for this
run only and tells the user so.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

# keyring is imported where it is used: loading it (and its backends) is a third of a command's start.
if TYPE_CHECKING:
    import keyring.backend

logger = logging.getLogger(__name__)

SERVICE = "CAPI Desktop"


class KeychainError(Exception):
    """The credential store refused an operation. ``title`` and ``str()`` are fit to show a user."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title


class Keychain:
    """Named secrets in the OS credential store, all under one service name."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._chosen = backend
        self._lock = threading.Lock()
        self._service = service

    @property
    def _backend(self) -> keyring.backend.KeyringBackend:
        """The OS's backend, found on first use: finding it loads every backend and may ask D-Bus, which
        is work for a background thread, not for opening the app."""
        with self._lock:
            if self._chosen is None:
                import keyring

                self._chosen = keyring.get_keyring()
            return self._chosen

    @property
    def backend_name(self) -> str:
        backend = self._backend
        return type(backend).__module__ + "." + type(backend).__name__

    @property
    def is_secure(self) -> bool:
        from keyring.backends import fail

        # The fail backend means "none found"; file-based backends (keyrings.alt) sit below priority 1.
        if isinstance(self._backend, fail.Keyring):
            return False
        try:
            return float(self._backend.priority) >= 1
        except Exception:  # a backend whose priority check itself fails is not usable
            return False

    def get(self, name: str) -> str | None:
        import keyring.errors

        try:
            return self._backend.get_password(self._service, name)
        except keyring.errors.KeyringError as exc:
            raise _wrap(exc, "read") from exc

    def set(self, name: str, value: str) -> None:
        import keyring.errors

        try:
            self._backend.set_password(self._service, name, value)
        except keyring.errors.KeyringError as exc:
            raise _wrap(exc, "save") from exc

    def delete(self, name: str) -> None:
        import keyring.errors

        try:
            self._backend.delete_password(self._service, name)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone: signing out twice is not an error
        except keyring.errors.KeyringError as exc:
            raise _wrap(exc, "remove") from exc


def _wrap(exc: Exception, verb: str) -> KeychainError:
    # The backend's own text can be technical; keep it as detail after the plain sentence.
    logger.warning("Credential store could not %s a secret: %s", verb, type(exc).__name__)
    return KeychainError(
        "Credential store unavailable",
        f"Your computer's credential store could not {verb} the LinkedIn sign-in "
        f"(it may be locked or turned off). Details: {exc}",
    )
