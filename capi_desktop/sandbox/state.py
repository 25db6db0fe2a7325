"""Everything one sandbox server knows, in one object shared by the REST, OAuth and admin handlers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from capi_desktop.sandbox.faults import FaultInjector
from capi_desktop.sandbox.knobs import Knobs
from capi_desktop.sandbox.ratelimit import RateLimiter
from capi_desktop.sandbox.scopes import KNOWN_SCOPES
from capi_desktop.sandbox.stats import Stats
from capi_desktop.sandbox.tokens import TokenStore
from capi_desktop.sandbox.world import World

logger = logging.getLogger(__name__)


@dataclass
class SandboxState:
    knobs: Knobs
    clock: Callable[[], float]
    world: World = field(default_factory=World)
    tokens: TokenStore = field(default_factory=TokenStore)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    stats: Stats = field(default_factory=Stats)
    faults: FaultInjector = field(init=False)

    def __post_init__(self) -> None:
        self.faults = FaultInjector(self.knobs.seed)

    def now(self) -> float:
        return self.clock()

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def mint_token(self, scopes: Iterable[str], expires_in: int, member: str, client_id: str) -> str:
        """Issue an access token as if the member had just consented (no browser involved)."""
        granted = frozenset(scopes)
        unknown = sorted(granted - KNOWN_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)}")
        if member not in self.world.members:
            raise ValueError(f"unknown member: {member}")
        if client_id not in self.world.apps:
            raise ValueError(f"unknown client_id: {client_id}")
        now = self.now()
        grant = self.tokens.mint_access(
            client_id=client_id,
            member_id=member,
            scopes=granted,
            now=now,
            expires_in=expires_in,
            authorized_at=now,
        )
        return grant.value

    def reset(self) -> None:
        """Forget accepted events, counters and rate-limit windows; restart the fault sequence."""
        self.world.clear_events()
        self.limiter.reset()
        self.stats.reset()
        self.faults.reseed(self.knobs.seed)
        logger.info("sandbox reset")
