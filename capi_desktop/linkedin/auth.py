"""Sign-in as the GUI and the command line share it: browser sign-in, pasted tokens, refresh, sign-out.

Holds the current token set (from the OS keyring, memory, or ``CAPI_DESKTOP_ACCESS_TOKEN``) and acts
as the REST client's token provider, refreshing transparently when LinkedIn issued a refresh token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import requests

from capi_desktop.core.control import Control
from capi_desktop.core.delivery.apiversion import KnownVersion, VersionMemory, starting_version
from capi_desktop.core.normalise.dates import format_day
from capi_desktop.core.storage import StorageError
from capi_desktop.core.stores.tokens import (
    REQUIRED_SCOPES,
    Storage,
    TokenSet,
    TokenSource,
    TokenStore,
)
from capi_desktop.linkedin.client import ApiConfig, LinkedInClient, StaticToken
from capi_desktop.linkedin.errors import (
    LinkedInError,
    PermissionDenied,
    SignInFailed,
    SignInRequired,
)
from capi_desktop.linkedin.models import Member
from capi_desktop.linkedin.oauth import (
    OPENID_SCOPES,
    SIGN_IN_TIMEOUT_SECONDS,
    AuthorizationRequest,
    LoopbackListener,
    OAuthApp,
    OAuthClient,
    build_authorization,
    check_callback,
)

logger = logging.getLogger(__name__)

ACCESS_GUIDE = (
    "To upload conversions, the LinkedIn app needs the Conversions API product and two permissions:\n"
    "1. In the LinkedIn Developer Portal, open your app → Products and request “Conversions API”.\n"
    "2. Once approved, sign in again and allow both permissions: rw_conversions (send conversions) "
    "and r_ads (see your ad accounts)."
)


@dataclass(frozen=True)
class SignInStatus:
    signed_in: bool
    storage: Storage
    member: Member | None = None
    source: TokenSource | None = None
    expires_at: float | None = None
    scopes: frozenset[str] | None = None
    warnings: tuple[str, ...] = ()

    @property
    def missing_scopes(self) -> frozenset[str]:
        return frozenset() if self.scopes is None else REQUIRED_SCOPES - self.scopes

    @property
    def member_name(self) -> str:
        return self.member.display_name if self.member else "a LinkedIn member"


class BrowserSignIn:
    """One browser sign-in attempt: open ``url``, then ``wait()`` for the loopback answer."""

    def __init__(self, service: AuthService, app: OAuthApp, listener: LoopbackListener, oauth_base: str) -> None:
        self._service = service
        self._app = app
        self._listener = listener
        self.request: AuthorizationRequest = build_authorization(app, oauth_base, listener.address[1])

    @property
    def url(self) -> str:
        return self.request.url

    def wait(self, timeout: float = SIGN_IN_TIMEOUT_SECONDS, control: Control | None = None) -> SignInStatus:
        code = check_callback(self._listener.wait(self.request.state, timeout, control))
        tokens = self._service.oauth.exchange_code(self._app, code, self.request)
        return self._service.accept(tokens)

    def close(self) -> None:
        self._listener.close()


class AuthService:
    def __init__(
        self,
        *,
        store: TokenStore,
        api: ApiConfig,
        oauth: OAuthClient,
        oauth_base: str,
        app: OAuthApp | None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        versions: VersionMemory | None = None,
    ) -> None:
        self.store = store
        self.api = api
        self._versions = versions
        self._known = versions.load() if versions is not None else None
        self.oauth = oauth
        self.app = app
        self._oauth_base = oauth_base
        self._session = session or requests.Session()
        self._clock = clock
        self._lock = threading.RLock()
        self._tokens: TokenSet | None = None
        self._loaded = False
        self._member: Member | None = None

    # -- token provider for LinkedInClient -------------------------------------------------------

    def client(self) -> LinkedInClient:
        return LinkedInClient(self.api, self, self._session, on_version=self._version_worked)

    @property
    def known_version(self) -> KnownVersion | None:
        """The version LinkedIn last took, and when (None until it has taken one, or in practice mode)."""
        return self._known

    def choose_version(self, chosen: str | None) -> None:
        """The user's version from Settings (None: automatic) is where the next request starts."""
        with self._lock:
            self.api = replace(self.api, version=starting_version(chosen, self._known))

    def _version_worked(self, version: str) -> None:
        """LinkedIn answered a request made with ``version``: later clients use it, and it is remembered
        (written once a day at most, or when it changes)."""
        with self._lock:
            if version != self.api.version:
                self.api = replace(self.api, version=version)
            today = datetime.fromtimestamp(self._clock(), UTC).date().isoformat()
            if self._versions is None or self._known == KnownVersion(version, today):
                return
            self._known = KnownVersion(version, today)
            try:
                self._versions.save(version)
            except StorageError as exc:  # the next start finds the version again; nothing else is lost
                logger.warning("Could not remember API version %s: %s", version, exc)

    def access_token(self) -> str:
        with self._lock:
            tokens = self._current()
            if tokens is None:
                raise SignInRequired("You are not signed in to LinkedIn.", "Sign in to continue.")
            if tokens.is_expired(self._clock()):
                if tokens.can_refresh(self._clock()) and self._refresh(tokens):
                    assert self._tokens is not None
                    return self._tokens.access_token
                assert tokens.expires_at is not None
                raise SignInRequired(
                    f"Your LinkedIn sign-in expired on {format_day(tokens.expires_at)}.", "Sign in again."
                )
            return tokens.access_token

    def renew_after_rejection(self) -> bool:
        with self._lock:
            tokens = self._current()
            return tokens is not None and tokens.can_refresh(self._clock()) and self._refresh(tokens)

    # -- sign-in and sign-out --------------------------------------------------------------------

    def begin_browser_sign_in(self) -> BrowserSignIn:
        app = self.app
        if app is None or not app.client_id:
            raise SignInFailed(
                "No LinkedIn app is set up for browser sign-in.",
                "Enter your LinkedIn app's client id in Settings, or paste an access token instead.",
            )
        # PKCE apps may use any loopback port; standard apps must match the registered redirect URL.
        listener = LoopbackListener(0 if app.use_pkce else app.redirect_port, app.redirect_path)
        return BrowserSignIn(self, app, listener, self._oauth_base)

    def sign_in_with_token(self, token: str) -> SignInStatus:
        """Check a pasted access token with a real call before saving it."""
        token = token.strip()
        if len(token) < 20 or any(c.isspace() or not c.isprintable() for c in token):
            raise SignInFailed(
                "That does not look like a LinkedIn access token.",
                "Copy the whole token from LinkedIn's token generator (one long line of letters, digits "
                "and symbols) and paste it again.",
            )
        probe = LinkedInClient(self.api, StaticToken(token), self._session)
        try:
            probe.ad_account_roles()
        except SignInRequired as exc:
            raise SignInFailed(
                "LinkedIn did not accept this token: it may have expired, been revoked, or been copied incompletely.",
                "Generate a new token and paste it again.",
                status=exc.status,
                request_id=exc.request_id,
            ) from exc
        except PermissionDenied as exc:
            raise SignInFailed(
                "This token cannot see your ad accounts: it was created without the r_ads permission.",
                "Generate a token with both rw_conversions and r_ads selected.\n" + ACCESS_GUIDE,
                status=exc.status,
                request_id=exc.request_id,
            ) from exc
        expires_at = scopes = None
        if self.app is not None and self.app.client_secret:
            info = self.oauth.introspect(self.app, token)
            expires_at = float(info.expires_at) if info.expires_at else None
            scopes = info.scopes
        return self.accept(
            TokenSet(access_token=token, source=TokenSource.PASTED, expires_at=expires_at, scopes=scopes)
        )

    def accept(self, tokens: TokenSet) -> SignInStatus:
        """Keep a fresh token set (keyring if possible) and report the resulting status."""
        with self._lock:
            self.store.save(tokens)
            self._tokens, self._loaded, self._member = tokens, True, None
        return self.status()

    def sign_out(self) -> None:
        with self._lock:
            self.store.clear()
            self._tokens, self._loaded, self._member = None, True, None

    # -- status ----------------------------------------------------------------------------------

    def status(self, fetch_member: bool = True) -> SignInStatus:
        with self._lock:
            tokens = self._current()
        storage = self.store.storage
        if tokens is None:
            problem = self.store.storage_problem
            return SignInStatus(signed_in=False, storage=storage, warnings=(problem,) if problem else ())
        now = self._clock()
        if tokens.is_expired(now) and not tokens.can_refresh(now):
            assert tokens.expires_at is not None
            return SignInStatus(
                signed_in=False,
                storage=storage,
                source=tokens.source,
                expires_at=tokens.expires_at,
                warnings=(f"Your LinkedIn sign-in expired on {format_day(tokens.expires_at)}. Sign in again.",),
            )
        warnings = []
        if tokens.expires_at is not None and tokens.expires_soon(now) and not tokens.can_refresh(now):
            warnings.append(
                f"Your LinkedIn sign-in expires on {format_day(tokens.expires_at)}. "
                "Sign in again before then so uploads are not interrupted."
            )
        missing = tokens.missing_scopes()
        if missing:
            warnings.append(f"LinkedIn did not grant {', '.join(sorted(missing))}.\n{ACCESS_GUIDE}")
        if self.store.storage_problem:
            warnings.append(self.store.storage_problem)
        member = self._member
        if member is None and fetch_member:
            member = self._fetch_member()
        return SignInStatus(
            signed_in=True,
            storage=storage,
            member=member,
            source=tokens.source,
            expires_at=tokens.expires_at,
            scopes=tokens.scopes,
            warnings=tuple(warnings),
        )

    # -- internals -------------------------------------------------------------------------------

    def _current(self) -> TokenSet | None:
        if not self._loaded:
            self._tokens, self._loaded = self.store.load(), True
        return self._tokens

    def _refresh(self, tokens: TokenSet) -> bool:
        if self.app is None:
            return False
        try:
            fresh = self.oauth.refresh(self.app, tokens)
        except LinkedInError as exc:
            logger.warning("Refreshing the LinkedIn sign-in failed: %s", exc.explanation)
            return False
        self.store.save(fresh)
        self._tokens = fresh
        logger.info("LinkedIn sign-in refreshed")
        return True

    def _fetch_member(self) -> Member | None:
        """Who is signed in, once per sign-in: the name by OpenID Connect when the sign-in has its scopes
        (the Conversions API scopes alone do not show it), else the ad accounts it reaches."""
        tokens = self._current()
        client = self.client()
        try:
            if tokens is not None and tokens.scopes is not None and OPENID_SCOPES <= tokens.scopes:
                member = client.userinfo()
            else:
                member = Member("", "", "", ad_accounts=len(client.ad_account_roles()))
        except LinkedInError as exc:
            logger.info("Who is signed in is unknown for now: %s", exc.explanation)
            return None
        self._member = member
        return member
