"""Typed results of LinkedIn calls, and the URN formats LinkedIn uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ACCOUNT_URN = "urn:li:sponsoredAccount:{}"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:{}"
# Rules live in a different namespace ("lla", not "li") when referenced from events.
RULE_URN = "urn:lla:llaPartnerConversion:{}"
CONVERSIONS_API_METHOD = "CONVERSIONS_API"

VIEWER = "VIEWER"
ROLE_NAMES = {
    "ACCOUNT_BILLING_ADMIN": "Billing admin",
    "ACCOUNT_MANAGER": "Account manager",
    "CAMPAIGN_MANAGER": "Campaign manager",
    "CREATIVE_MANAGER": "Creative manager",
    VIEWER: "Viewer",
}

ATTRIBUTION_TYPES = {
    "LAST_TOUCH_BY_CAMPAIGN": "Each campaign gets credit",
    "LAST_TOUCH_BY_CONVERSION": "Only the last campaign gets credit",
}
ATTRIBUTION_WINDOWS = (1, 7, 30, 90, 365)
# The 365-day window is allowed only for these types (conversions-api-schema).
LONG_WINDOW_TYPES = frozenset({"SUBMIT_APPLICATION", "PURCHASE", "ADD_TO_CART", "QUALIFIED_LEAD", "LEAD"})
# Offered when creating a rule; existing rules may carry any type string LinkedIn returns.
RULE_TYPES = (
    "LEAD",
    "PURCHASE",
    "QUALIFIED_LEAD",
    "SUBMIT_APPLICATION",
    "SIGN_UP",
    "BOOK_APPOINTMENT",
    "REQUEST_QUOTE",
    "START_TRIAL",
    "CONTACT",
    "PHONE_CALL",
    "DOWNLOAD",
    "ADD_TO_CART",
    "START_CHECKOUT",
    "SUBSCRIBE",
    "OTHER",
)


@dataclass(frozen=True)
class Member:
    """Who is signed in: a name when LinkedIn tells it (OpenID Connect), else what the sign-in reaches."""

    id: str
    first_name: str
    last_name: str
    ad_accounts: int | None = None

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        if name:
            return name
        if self.ad_accounts is not None:
            return f"a LinkedIn member with {self.ad_accounts} ad account{'' if self.ad_accounts == 1 else 's'}"
        return self.id or "a LinkedIn member"


@dataclass(frozen=True)
class AdAccount:
    id: int
    name: str
    currency: str
    status: str
    role: str
    test: bool = False

    @property
    def urn(self) -> str:
        return ACCOUNT_URN.format(self.id)

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role.replace("_", " ").capitalize())

    @property
    def can_upload(self) -> bool:
        return self.role != VIEWER

    @property
    def upload_blocked_reason(self) -> str | None:
        if self.role == VIEWER:
            return "You are a Viewer on this account; LinkedIn accepts conversions only from managers and admins."
        return None


@dataclass(frozen=True)
class ConversionRule:
    id: int
    name: str
    account_id: int
    type: str
    enabled: bool
    attribution_type: str | None = None
    post_click_window_days: int | None = None
    view_through_window_days: int | None = None
    campaign_ids: tuple[int, ...] = ()

    @property
    def urn(self) -> str:
        return RULE_URN.format(self.id)


@dataclass(frozen=True)
class NewRule:
    name: str
    type: str
    attribution_type: str = "LAST_TOUCH_BY_CAMPAIGN"
    post_click_window_days: int = 30
    view_through_window_days: int = 7
    enabled: bool = True

    def problems(self) -> list[str]:
        """Plain-language reasons LinkedIn would refuse this rule, checked before asking it."""
        found = []
        if not self.name.strip():
            found.append("Give the rule a name.")
        if self.attribution_type not in ATTRIBUTION_TYPES:
            found.append(f"Unknown attribution type {self.attribution_type}.")
        for label, days in (
            ("click-through", self.post_click_window_days),
            ("view-through", self.view_through_window_days),
        ):
            if days not in ATTRIBUTION_WINDOWS:
                found.append(f"The {label} window must be one of 1, 7, 30, 90 or 365 days.")
            elif days == 365 and self.type not in LONG_WINDOW_TYPES:
                found.append(f"A 365-day {label} window is allowed only for lead, purchase and similar types.")
        return found


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    status: str
    account_id: int

    @property
    def urn(self) -> str:
        return CAMPAIGN_URN.format(self.id)


@dataclass(frozen=True)
class BatchResult:
    """LinkedIn's per-event statuses for one accepted batch, in request order."""

    statuses: tuple[int, ...]
    request_id: str | None = None

    @property
    def accepted(self) -> int:
        return sum(1 for s in self.statuses if s == 201)


@dataclass(frozen=True)
class TokenInfo:
    """Result of token introspection (needs the app's client secret)."""

    active: bool
    status: str | None = None
    scopes: frozenset[str] | None = None
    client_id: str | None = None
    created_at: int | None = None
    expires_at: int | None = None
    authorized_at: int | None = None
    auth_type: str | None = None


@dataclass(frozen=True)
class CreditedDay:
    """What LinkedIn's reporting credited to one conversion rule on one day (``adAnalytics``)."""

    rule_id: int
    day: date
    conversions: int
    post_click: int | None  # None where LinkedIn does not say
    post_view: int | None
    value: Decimal | None  # in the ad account's currency
