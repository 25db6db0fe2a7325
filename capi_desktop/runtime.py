"""Wires settings, the keyring, sign-in and (in practice mode) the built-in sandbox for GUI and CLI."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum
from urllib.parse import urlsplit

import requests

from capi_desktop import APP_NAME, __version__, paths
from capi_desktop.core.delivery.apiversion import VersionMemory
from capi_desktop.core.delivery.engine import UploadConfig, UploadEngine
from capi_desktop.core.delivery.usage import DailyUsage, Limits, RequestPacer
from capi_desktop.core.journal import Journal
from capi_desktop.core.journal.ledger import LEDGER_FILE, SentLedger
from capi_desktop.core.stores.keychain import Keychain, KeychainError
from capi_desktop.core.stores.settings import (
    ENV_API_BASE,
    Settings,
    SettingsStore,
    load_bundled_app,
)
from capi_desktop.core.stores.tokens import ENV_ACCESS_TOKEN, TokenStore
from capi_desktop.linkedin.auth import AuthService
from capi_desktop.linkedin.client import ApiConfig
from capi_desktop.linkedin.oauth import OPENID_SCOPES, REPORTING_SCOPE, SCOPES, OAuthApp, OAuthClient
from capi_desktop.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxServer

logger = logging.getLogger(__name__)


class Mode(Enum):
    SANDBOX = "sandbox"
    LINKEDIN = "linkedin"

    @property
    def description(self) -> str:
        if self is Mode.SANDBOX:
            return "Practice mode: you are using the built-in LinkedIn sandbox. Nothing is sent to LinkedIn."
        return "Connected to LinkedIn: uploads are real and count in Campaign Manager."


def client_secret_entry(client_id: str) -> str:
    return f"client-secret:{client_id}"


def choose_mode(settings: Settings, bundled_client_id: str, env: Mapping[str, str]) -> Mode:
    """Practice mode unless the user chose otherwise or configured a LinkedIn app or token."""
    if settings.sandbox_mode is not None:
        return Mode.SANDBOX if settings.sandbox_mode else Mode.LINKEDIN
    configured = settings.client_id or bundled_client_id or env.get(ENV_ACCESS_TOKEN) or env.get(ENV_API_BASE)
    return Mode.LINKEDIN if configured else Mode.SANDBOX


@dataclass
class Runtime:
    mode: Mode
    settings: Settings  # as in effect: environment overrides and the sandbox's addresses applied
    settings_store: SettingsStore
    keychain: Keychain
    auth: AuthService
    sandbox: SandboxServer | None = None

    @contextmanager
    def upload_engine(self, journal: Journal, account_id: int, config: UploadConfig) -> Iterator[UploadEngine]:
        """An upload engine for ``journal`` with the signed-in account, the app's sent-ledger and the
        request counter of the current token, paced by the settings; the stores close afterwards."""
        data = paths.data_dir()
        # The daily count is per token; a hash names it without keeping the token anywhere.
        token_key = hashlib.sha256(self.auth.access_token().encode()).hexdigest()[:16]
        ledger = SentLedger(data / LEDGER_FILE)
        usage = DailyUsage(data / "usage.sqlite", token_key)
        try:
            yield UploadEngine(
                journal=journal,
                sender=self.auth.client(),
                ledger=ledger,
                pacer=RequestPacer(Limits(self.settings.requests_per_minute, self.settings.daily_request_cap), usage),
                account_id=account_id,
                config=config,
            )
        finally:
            ledger.close()
            usage.close()

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


def open_runtime(
    *,
    env: Mapping[str, str] | None = None,
    keychain: Keychain | None = None,
    settings_store: SettingsStore | None = None,
) -> Runtime:
    env = os.environ if env is None else env
    keychain = keychain or Keychain()
    store = settings_store or SettingsStore(paths.config_dir() / "settings.json")
    bundled = load_bundled_app(paths.resources_dir() / "linkedin_app.json")
    settings = store.load().with_environment(env)
    mode = choose_mode(settings, bundled.client_id, env)
    session = requests.Session()
    session.headers["User-Agent"] = f"{APP_NAME.replace(' ', '')}/{__version__}"
    sandbox = None
    if mode is Mode.SANDBOX:
        sandbox = SandboxServer(port=0).start()
        settings = replace(settings, api_base=sandbox.api_base, oauth_base=sandbox.oauth_base)
        # The sandbox's demo app is public; its secret lets pasted tokens be introspected (expiry, permissions).
        app: OAuthApp | None = OAuthApp(
            client_id=DEMO_CLIENT_ID,
            redirect_port=0,
            use_pkce=True,
            client_secret=DEMO_CLIENT_SECRET,
            scopes=(*SCOPES, REPORTING_SCOPE, *sorted(OPENID_SCOPES)),
        )
    else:
        client_id = settings.client_id or bundled.client_id
        app = None
        if client_id:
            use_pkce = settings.use_pkce or (bundled.use_pkce and not settings.client_id)
            app = OAuthApp(
                client_id=client_id,
                redirect_port=settings.redirect_port if settings.client_id else bundled.redirect_port,
                redirect_host=settings.redirect_host if settings.client_id else bundled.redirect_host,
                redirect_path=settings.redirect_path if settings.client_id else bundled.redirect_path,
                use_pkce=use_pkce,
                client_secret=_client_secret(keychain, client_id),
                scopes=(
                    *SCOPES,
                    *((REPORTING_SCOPE,) if settings.sign_in_reporting else ()),
                    *(sorted(OPENID_SCOPES) if settings.sign_in_openid else ()),
                ),
            )
    token_entry = f"linkedin-token:{urlsplit(settings.api_base).netloc}"
    tokens = TokenStore(keychain, token_entry, env=env, persistent=mode is Mode.LINKEDIN)
    # Practice mode finds its version afresh each time: what its sandbox takes says nothing about LinkedIn.
    versions = VersionMemory(paths.data_dir() / "api-version.json") if mode is Mode.LINKEDIN else None
    auth = AuthService(
        store=tokens,
        api=ApiConfig(api_base=settings.api_base),
        oauth=OAuthClient(settings.oauth_base, session),
        oauth_base=settings.oauth_base,
        app=app,
        session=session,
        versions=versions,
    )
    auth.choose_version(settings.api_version)
    return Runtime(mode, settings, store, keychain, auth, sandbox)


def _client_secret(keychain: Keychain, client_id: str) -> str | None:
    if not keychain.is_secure:
        return None
    try:
        return keychain.get(client_secret_entry(client_id))
    except KeychainError as exc:
        logger.warning("Client secret unavailable: %s", exc)
        return None
