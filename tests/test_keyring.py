"""Sign-in storage in the real OS keyring (Secret Service via gnome-keyring), and without one."""

from __future__ import annotations

import shutil
import subprocess
import time

import keyring.backend
import keyring.errors
import pytest

from capi_desktop.core.stores.keychain import Keychain, KeychainError
from capi_desktop.core.stores.tokens import Storage, TokenSet, TokenSource, TokenStore

pytestmark = pytest.mark.keyring

ENTRY = "linkedin-token:test.example"


def _tokens() -> TokenSet:
    return TokenSet(
        access_token="AQX-access-token-value-for-the-test",
        source=TokenSource.BROWSER,
        expires_at=time.time() + 3600,
        scopes=frozenset({"r_ads", "rw_conversions"}),
        refresh_token="AQX-refresh-token-value",
        refresh_expires_at=time.time() + 86400,
    )


def _secret_tool_lookup(service: str, entry: str) -> str:
    """Read the entry through libsecret's own CLI: proof it lives in the OS store, not in our process."""
    result = subprocess.run(
        ["secret-tool", "lookup", "service", service, "username", entry], capture_output=True, text=True
    )
    return result.stdout


def test_real_keyring_round_trip_and_sign_out(real_keychain: Keychain) -> None:
    assert "SecretService" in real_keychain.backend_name
    store = TokenStore(real_keychain, ENTRY)
    assert store.storage is Storage.KEYRING
    tokens = _tokens()
    assert store.save(tokens) is Storage.KEYRING

    # A second store (as after an app restart) finds the same token set.
    reloaded = TokenStore(real_keychain, ENTRY).load()
    assert reloaded == tokens
    if shutil.which("secret-tool"):
        stored = _secret_tool_lookup("CAPI Desktop tests", ENTRY)
        assert TokenSet.from_json(stored) == tokens

    store.clear()
    assert TokenStore(real_keychain, ENTRY).load() is None
    store.clear()  # signing out twice is fine


def test_without_a_secure_backend_tokens_stay_in_memory(memory_keychain: Keychain) -> None:
    assert not memory_keychain.is_secure
    store = TokenStore(memory_keychain, ENTRY)
    assert store.storage is Storage.MEMORY
    assert "No secure credential store" in (store.storage_problem or "")
    tokens = _tokens()
    assert store.save(tokens) is Storage.MEMORY
    assert store.load() == tokens
    # A new process (a new store) has nothing: nothing was written anywhere.
    assert TokenStore(memory_keychain, ENTRY).load() is None


class _LockedKeyring(keyring.backend.KeyringBackend):
    """A backend that reports itself usable but refuses, as a locked Secret Service collection does."""

    priority = 5  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")


# keyring registers every backend class it sees; keep this one out of its automatic choice.
keyring.backend.KeyringBackend._classes.discard(_LockedKeyring)  # type: ignore[attr-defined]


def test_a_refusing_keyring_falls_back_to_memory_and_says_why() -> None:
    chain = Keychain(_LockedKeyring())
    with pytest.raises(KeychainError) as raised:
        chain.get(ENTRY)
    assert "could not read" in str(raised.value)

    store = TokenStore(chain, ENTRY)
    tokens = _tokens()
    assert store.save(tokens) is Storage.MEMORY
    assert store.storage is Storage.MEMORY
    assert "could not save" in (store.storage_problem or "")
    assert store.load() == tokens


def test_token_strings_never_appear_in_repr() -> None:
    tokens = _tokens()
    text = repr(tokens)
    assert "AQX-access-token" not in text and "AQX-refresh" not in text


def test_environment_token_overrides_the_keyring(memory_keychain: Keychain) -> None:
    store = TokenStore(memory_keychain, ENTRY, env={"CAPI_DESKTOP_ACCESS_TOKEN": " env-token-1234567890 "})
    store.save(_tokens())
    loaded = store.load()
    assert loaded is not None
    assert loaded.access_token == "env-token-1234567890"
    assert loaded.source is TokenSource.ENVIRONMENT
    assert store.storage is Storage.ENVIRONMENT
