"""The sandbox's mutable state: seeded accounts and rules, rules created at runtime, accepted events.

Accepted events are kept as the request body they arrived in, one ``AcceptedBatch`` per request, and
parsed again only when someone inspects them. Keeping the parsed dicts instead would leave millions of
containers for Python's cyclic garbage collector to rescan: measured over 100 batches of 5,000 events,
that cut throughput from ~17 to ~11 batches/s and caused pauses of 700+ ms. A bytes object is not
tracked by the collector, costs nothing to keep (the request already read it) and is smaller.

Reads of seeded data need no lock: it never changes, and rules created at runtime are only ever added
(dict reads are atomic in CPython).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from capi_desktop.sandbox.rules import RuleDraft
from capi_desktop.sandbox.seed import (
    FIRST_CREATED_RULE_ID,
    AdAccount,
    Campaign,
    ConversionRule,
    Member,
    OAuthApp,
    build_world_seed,
)

logger = logging.getLogger(__name__)

#: Roles that may write (create rules, associate campaigns, send events). VIEWER may only read.
WRITE_ROLES = frozenset({"ACCOUNT_BILLING_ADMIN", "ACCOUNT_MANAGER", "CAMPAIGN_MANAGER", "CREATIVE_MANAGER"})


@dataclass(frozen=True)
class AcceptedBatch:
    """One accepted request: its body is a single event, or ``{"elements": [...]}`` when ``batch``."""

    body: bytes
    batch: bool
    count: int
    received_at_ms: int
    member_id: str

    def events(self) -> list[dict[str, object]]:
        parsed = json.loads(self.body)
        events: list[dict[str, object]] = parsed["elements"] if self.batch else [parsed]
        return events


class World:
    def __init__(self) -> None:
        seed = build_world_seed()
        self.members: dict[str, Member] = seed.members
        self.accounts: dict[int, AdAccount] = seed.accounts
        self.campaigns: dict[int, Campaign] = seed.campaigns
        self.rules: dict[int, ConversionRule] = seed.rules
        self.apps: dict[str, OAuthApp] = seed.apps
        self._roles = {(r.member_id, r.account_id): r for r in seed.roles}
        self._lock = threading.Lock()
        self._next_rule_id = FIRST_CREATED_RULE_ID
        self._batches: list[AcceptedBatch] = []

    # --- access ---------------------------------------------------------------------------------------
    def role_of(self, member_id: str, account_id: int) -> str | None:
        role = self._roles.get((member_id, account_id))
        return role.role if role else None

    def roles_of(self, member_id: str) -> list[tuple[AdAccount, str, int]]:
        """(account, role, granted ms) for every account the member has a role on, by account id."""
        found = [
            (self.accounts[r.account_id], r.role, r.granted_ms)
            for (member, _), r in self._roles.items()
            if member == member_id
        ]
        return sorted(found, key=lambda item: item[0].id)

    # --- rules ----------------------------------------------------------------------------------------
    def rules_of(self, account_id: int) -> list[ConversionRule]:
        return sorted((r for r in list(self.rules.values()) if r.account_id == account_id), key=lambda r: r.id)

    def add_rule(self, draft: RuleDraft, now_ms: int) -> ConversionRule:
        """Store a validated rule under the next free id."""
        with self._lock:
            rule = ConversionRule(
                id=self._next_rule_id,
                name=draft.name,
                account_id=draft.account_id,
                conversion_method=draft.conversion_method,
                type=draft.type,
                enabled=draft.enabled,
                attribution_type=draft.attribution_type,
                post_click_window=draft.post_click_window,
                view_through_window=draft.view_through_window,
                created_ms=now_ms,
                last_modified_ms=now_ms,
            )
            self._next_rule_id += 1
            self.rules[rule.id] = rule
        logger.info("sandbox created conversion rule %s", rule.id)
        return rule

    def associate(self, rule: ConversionRule, campaign_id: int, now_ms: int) -> None:
        """Idempotent: a second association keeps the first association time."""
        with self._lock:
            if campaign_id not in rule.campaigns:
                rule.campaigns[campaign_id] = now_ms
                rule.last_modified_ms = now_ms

    # --- events ---------------------------------------------------------------------------------------
    def accept(self, batch: AcceptedBatch) -> None:
        with self._lock:
            self._batches.append(batch)

    def accepted_events(self) -> Iterator[tuple[dict[str, object], int, str]]:
        """(event, received ms, member id) for every accepted event, in arrival order."""
        with self._lock:
            batches = list(self._batches)
        for batch in batches:
            for event in batch.events():
                yield event, batch.received_at_ms, batch.member_id

    def accepted_count(self) -> int:
        with self._lock:
            return sum(batch.count for batch in self._batches)

    def clear_events(self) -> None:
        with self._lock:
            self._batches.clear()
