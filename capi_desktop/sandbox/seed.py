"""The sandbox's deterministic world: one member, five ad accounts, campaigns, conversion rules, three apps.

Ids are fixed module constants so tests and the demo mode can name them. ``build_world_seed`` returns
fresh mutable objects each call, so two servers in one process never share state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# --- member -------------------------------------------------------------------------------------------
MEMBER_ID = "x7Qm2LpA9d"
DEFAULT_MEMBER = MEMBER_ID

# --- OAuth apps -----------------------------------------------------------------------------------------
#: PKCE-enabled app used by the demo mode (loopback redirect on any port); gets refresh tokens.
DEMO_CLIENT_ID = "86demo0capi0desk"
DEMO_CLIENT_SECRET = "sandbox-demo-secret-7f3a9c"
#: Standard authorization-code app (client secret, registered redirect URIs); gets refresh tokens.
STANDARD_CLIENT_ID = "86std0capi0desk"
STANDARD_CLIENT_SECRET = "sandbox-standard-secret-2b8e41"
#: Standard app that LinkedIn has not approved for programmatic refresh tokens.
NO_REFRESH_CLIENT_ID = "86norefresh0capi"
NO_REFRESH_CLIENT_SECRET = "sandbox-norefresh-secret-c55d07"

# --- ad accounts (the member's role in brackets) --------------------------------------------------------
ACCOUNT_USD = 508790321  # ACCOUNT_MANAGER
ACCOUNT_EUR = 508790322  # CAMPAIGN_MANAGER
ACCOUNT_VIEWER = 508790323  # VIEWER
ACCOUNT_TEST = 508790324  # ACCOUNT_BILLING_ADMIN, test account
ACCOUNT_NO_ROLE = 508790325  # exists, but the member has no role on it

# --- campaigns ------------------------------------------------------------------------------------------
CAMPAIGN_USD_ACTIVE = 612340101
CAMPAIGN_USD_ACTIVE_2 = 612340102
CAMPAIGN_USD_ACTIVE_3 = 612340103
CAMPAIGN_USD_DRAFT = 612340104
CAMPAIGN_USD_PAUSED = 612340105
CAMPAIGN_USD_ARCHIVED = 612340106
CAMPAIGN_USD_COMPLETED = 612340107
CAMPAIGN_EUR_ACTIVE = 612340201
CAMPAIGN_EUR_DRAFT = 612340202
CAMPAIGN_EUR_PAUSED = 612340203
CAMPAIGN_VIEWER_ACTIVE = 612340301
CAMPAIGN_VIEWER_ARCHIVED = 612340302
CAMPAIGN_TEST_ACTIVE = 612340401
CAMPAIGN_TEST_DRAFT = 612340402
CAMPAIGN_TEST_PAUSED = 612340403
CAMPAIGN_NO_ROLE_ACTIVE = 612340501

# --- conversion rules -----------------------------------------------------------------------------------
RULE_USD_LEAD = 14230101
RULE_USD_PURCHASE = 14230102
RULE_USD_QUALIFIED_LEAD = 14230103
RULE_USD_DEMO_BOOKED = 14230104
RULE_USD_TRIAL = 14230105
RULE_USD_QUOTE = 14230106
RULE_USD_RENEWAL = 14230107
RULE_USD_DISABLED = 14230108
RULE_USD_INSIGHT_TAG = 14230109
RULE_USD_JS_EVENT = 14230110
RULE_USD_WHITEPAPER_TAG = 14230111
RULE_USD_CONTACT_JS = 14230112
RULE_USD_NEWSLETTER_TAG = 14230113
RULE_EUR_LEAD = 14230201
RULE_EUR_PURCHASE = 14230202
RULE_EUR_DOWNLOAD = 14230203
RULE_EUR_DISABLED = 14230204
RULE_EUR_INSIGHT_TAG = 14230205
RULE_EUR_JS_EVENT = 14230206
RULE_VIEWER_LEAD = 14230301
RULE_VIEWER_DISABLED = 14230302
RULE_VIEWER_INSIGHT_TAG = 14230303
RULE_TEST_LEAD = 14230401
RULE_TEST_PURCHASE = 14230402
RULE_TEST_DISABLED = 14230403
RULE_TEST_INSIGHT_TAG = 14230404
RULE_NO_ROLE_LEAD = 14230501
RULE_NO_ROLE_INSIGHT_TAG = 14230502

#: Rules created through the API get ids from here on.
FIRST_CREATED_RULE_ID = 14300001

CAPI = "CONVERSIONS_API"
URL_MATCH = "INSIGHT_TAG_URL_MATCH_RULES"
JS_EVENT = "INSIGHT_TAG_JAVASCRIPT_EVENT"

# Fixed creation times keep the seed deterministic whatever the injected clock says.
_SEED_CREATED_MS = 1736899200000  # 2025-01-15T00:00:00Z
_SEED_MODIFIED_MS = 1741046400000  # 2025-03-04T00:00:00Z


@dataclass(frozen=True)
class Member:
    id: str
    first_name: str
    last_name: str

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.id}"


@dataclass(frozen=True)
class AdAccount:
    id: int
    name: str
    currency: str
    test: bool
    organization_id: int

    @property
    def urn(self) -> str:
        return f"urn:li:sponsoredAccount:{self.id}"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "currency": self.currency,
            "status": "ACTIVE",
            "type": "BUSINESS",
            "test": self.test,
            "reference": f"urn:li:organization:{self.organization_id}",
            "servingStatuses": ["RUNNABLE"],
        }


@dataclass(frozen=True)
class AccountRole:
    member_id: str
    account_id: int
    role: str
    granted_ms: int


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    status: str
    account_id: int

    @property
    def urn(self) -> str:
        return f"urn:li:sponsoredCampaign:{self.id}"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "account": f"urn:li:sponsoredAccount:{self.account_id}",
        }


@dataclass
class ConversionRule:
    """Mutable: campaign associations are added at runtime (under the world's lock)."""

    id: int
    name: str
    account_id: int
    conversion_method: str
    type: str
    enabled: bool
    attribution_type: str
    post_click_window: int
    view_through_window: int
    created_ms: int
    last_modified_ms: int
    #: campaign id -> association time (ms), in association order.
    campaigns: dict[int, int] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:lla:llaPartnerConversion:{self.id}"

    def to_json(self) -> dict[str, object]:
        # One C-level copy: another thread may be adding an association meanwhile.
        campaigns = list(self.campaigns.items())
        return {
            "id": self.id,
            "name": self.name,
            "account": f"urn:li:sponsoredAccount:{self.account_id}",
            "conversionMethod": self.conversion_method,
            "type": self.type,
            "enabled": self.enabled,
            "attributionType": self.attribution_type,
            "postClickAttributionWindowSize": self.post_click_window,
            "viewThroughAttributionWindowSize": self.view_through_window,
            "campaigns": [f"urn:li:sponsoredCampaign:{cid}" for cid, _ in campaigns],
            "associatedCampaigns": [
                {"campaign": f"urn:li:sponsoredCampaign:{cid}", "conversion": self.urn, "associatedAt": at}
                for cid, at in campaigns
            ],
            "created": self.created_ms,
            "lastModified": self.last_modified_ms,
        }


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str
    name: str
    pkce_enabled: bool
    gets_refresh_tokens: bool


@dataclass
class WorldSeed:
    members: dict[str, Member]
    accounts: dict[int, AdAccount]
    roles: list[AccountRole]
    campaigns: dict[int, Campaign]
    rules: dict[int, ConversionRule]
    apps: dict[str, OAuthApp]


def _rule(
    rule_id: int,
    name: str,
    account_id: int,
    method: str,
    type_: str,
    *,
    enabled: bool = True,
    attribution: str = "LAST_TOUCH_BY_CAMPAIGN",
    post_click: int = 30,
    view_through: int = 7,
    campaigns: tuple[int, ...] = (),
) -> ConversionRule:
    return ConversionRule(
        id=rule_id,
        name=name,
        account_id=account_id,
        conversion_method=method,
        type=type_,
        enabled=enabled,
        attribution_type=attribution,
        post_click_window=post_click,
        view_through_window=view_through,
        created_ms=_SEED_CREATED_MS,
        last_modified_ms=_SEED_MODIFIED_MS,
        campaigns={cid: _SEED_MODIFIED_MS for cid in campaigns},
    )


def build_world_seed() -> WorldSeed:
    member = Member(MEMBER_ID, "Alex", "Morgan")
    accounts = [
        AdAccount(ACCOUNT_USD, "Northwind Analytics – North America", "USD", False, 10480001),
        AdAccount(ACCOUNT_EUR, "Northwind Analytics – EMEA", "EUR", False, 10480001),
        AdAccount(ACCOUNT_VIEWER, "Contoso Partner Co-Marketing", "USD", False, 10480002),
        AdAccount(ACCOUNT_TEST, "Northwind Analytics – Test account", "USD", True, 10480001),
        AdAccount(ACCOUNT_NO_ROLE, "Fabrikam Brand Awareness", "GBP", False, 10480003),
    ]
    roles = [
        AccountRole(MEMBER_ID, ACCOUNT_USD, "ACCOUNT_MANAGER", 1704067200000),
        AccountRole(MEMBER_ID, ACCOUNT_EUR, "CAMPAIGN_MANAGER", 1706745600000),
        AccountRole(MEMBER_ID, ACCOUNT_VIEWER, "VIEWER", 1709251200000),
        AccountRole(MEMBER_ID, ACCOUNT_TEST, "ACCOUNT_BILLING_ADMIN", 1711929600000),
    ]
    campaigns = [
        Campaign(CAMPAIGN_USD_ACTIVE, "Q3 Demand Gen – Decision Makers", "ACTIVE", ACCOUNT_USD),
        Campaign(CAMPAIGN_USD_ACTIVE_2, "Retargeting – Pricing Page Visitors", "ACTIVE", ACCOUNT_USD),
        Campaign(CAMPAIGN_USD_ACTIVE_3, "Lead Gen Form – Data Platform Guide", "ACTIVE", ACCOUNT_USD),
        Campaign(CAMPAIGN_USD_DRAFT, "Q4 Product Launch – Analytics Cloud", "DRAFT", ACCOUNT_USD),
        Campaign(CAMPAIGN_USD_PAUSED, "Always-on Brand – IT Leaders", "PAUSED", ACCOUNT_USD),
        Campaign(CAMPAIGN_USD_ARCHIVED, "Webinar Promo – Spring 2025", "ARCHIVED", ACCOUNT_USD),
        Campaign(CAMPAIGN_USD_COMPLETED, "Trade Show – Data Summit 2025", "COMPLETED", ACCOUNT_USD),
        Campaign(CAMPAIGN_EUR_ACTIVE, "DACH Demand Gen – CFO Audience", "ACTIVE", ACCOUNT_EUR),
        Campaign(CAMPAIGN_EUR_DRAFT, "France Launch – Analytics Cloud", "DRAFT", ACCOUNT_EUR),
        Campaign(CAMPAIGN_EUR_PAUSED, "Nordics Retargeting", "PAUSED", ACCOUNT_EUR),
        Campaign(CAMPAIGN_VIEWER_ACTIVE, "Joint Webinar – Contoso x Northwind", "ACTIVE", ACCOUNT_VIEWER),
        Campaign(CAMPAIGN_VIEWER_ARCHIVED, "Partner Case Study 2024", "ARCHIVED", ACCOUNT_VIEWER),
        Campaign(CAMPAIGN_TEST_ACTIVE, "Test – Conversion Tracking Check", "ACTIVE", ACCOUNT_TEST),
        Campaign(CAMPAIGN_TEST_DRAFT, "Test – New Audience Draft", "DRAFT", ACCOUNT_TEST),
        Campaign(CAMPAIGN_TEST_PAUSED, "Test – Paused Creative Test", "PAUSED", ACCOUNT_TEST),
        Campaign(CAMPAIGN_NO_ROLE_ACTIVE, "Fabrikam – UK Awareness", "ACTIVE", ACCOUNT_NO_ROLE),
    ]
    rules = [
        _rule(
            RULE_USD_LEAD, "CRM – Marketing qualified lead", ACCOUNT_USD, CAPI, "LEAD", campaigns=(CAMPAIGN_USD_ACTIVE,)
        ),
        _rule(
            RULE_USD_PURCHASE,
            "CRM – Closed-won deal",
            ACCOUNT_USD,
            CAPI,
            "PURCHASE",
            post_click=90,
            campaigns=(CAMPAIGN_USD_ACTIVE, CAMPAIGN_USD_ACTIVE_2),
        ),
        _rule(RULE_USD_QUALIFIED_LEAD, "CRM – Sales qualified lead", ACCOUNT_USD, CAPI, "QUALIFIED_LEAD"),
        _rule(
            RULE_USD_DEMO_BOOKED,
            "CRM – Demo booked",
            ACCOUNT_USD,
            CAPI,
            "BOOK_APPOINTMENT",
            attribution="LAST_TOUCH_BY_CONVERSION",
        ),
        _rule(RULE_USD_TRIAL, "Product – Free trial started", ACCOUNT_USD, CAPI, "START_TRIAL"),
        _rule(RULE_USD_QUOTE, "CRM – Quote requested", ACCOUNT_USD, CAPI, "REQUEST_QUOTE"),
        _rule(
            RULE_USD_RENEWAL, "CRM – Contract renewal", ACCOUNT_USD, CAPI, "PURCHASE", post_click=365, view_through=30
        ),
        _rule(RULE_USD_DISABLED, "CRM – Webinar attended (retired)", ACCOUNT_USD, CAPI, "OTHER", enabled=False),
        _rule(RULE_USD_INSIGHT_TAG, "Website – Thank-you page", ACCOUNT_USD, URL_MATCH, "LEAD"),
        _rule(RULE_USD_JS_EVENT, "Website – Pricing form submit", ACCOUNT_USD, JS_EVENT, "SUBMIT_APPLICATION"),
        _rule(RULE_USD_WHITEPAPER_TAG, "Website – Whitepaper download", ACCOUNT_USD, URL_MATCH, "DOWNLOAD"),
        _rule(RULE_USD_CONTACT_JS, "Website – Contact us click", ACCOUNT_USD, JS_EVENT, "CONTACT"),
        _rule(RULE_USD_NEWSLETTER_TAG, "Website – Newsletter sign-up", ACCOUNT_USD, URL_MATCH, "SUBSCRIBE"),
        _rule(RULE_EUR_LEAD, "CRM – Lead (EMEA)", ACCOUNT_EUR, CAPI, "LEAD", campaigns=(CAMPAIGN_EUR_ACTIVE,)),
        _rule(RULE_EUR_PURCHASE, "CRM – Closed-won deal (EMEA)", ACCOUNT_EUR, CAPI, "PURCHASE"),
        _rule(RULE_EUR_DOWNLOAD, "Product – App download (EMEA)", ACCOUNT_EUR, CAPI, "DOWNLOAD"),
        _rule(RULE_EUR_DISABLED, "CRM – Event registration (old)", ACCOUNT_EUR, CAPI, "SIGN_UP", enabled=False),
        _rule(RULE_EUR_INSIGHT_TAG, "Website – Kontakt thank-you page", ACCOUNT_EUR, URL_MATCH, "LEAD"),
        _rule(RULE_EUR_JS_EVENT, "Website – Demo request button", ACCOUNT_EUR, JS_EVENT, "BOOK_APPOINTMENT"),
        _rule(RULE_VIEWER_LEAD, "Partner CRM – Joint lead", ACCOUNT_VIEWER, CAPI, "LEAD"),
        _rule(RULE_VIEWER_DISABLED, "Partner CRM – Old import", ACCOUNT_VIEWER, CAPI, "OTHER", enabled=False),
        _rule(RULE_VIEWER_INSIGHT_TAG, "Partner site – Registration page", ACCOUNT_VIEWER, URL_MATCH, "SIGN_UP"),
        _rule(RULE_TEST_LEAD, "Test – CRM lead", ACCOUNT_TEST, CAPI, "LEAD"),
        _rule(RULE_TEST_PURCHASE, "Test – CRM purchase", ACCOUNT_TEST, CAPI, "PURCHASE"),
        _rule(RULE_TEST_DISABLED, "Test – Disabled rule", ACCOUNT_TEST, CAPI, "OTHER", enabled=False),
        _rule(RULE_TEST_INSIGHT_TAG, "Test – Landing page visit", ACCOUNT_TEST, URL_MATCH, "KEY_PAGE_VIEW"),
        _rule(RULE_NO_ROLE_LEAD, "Fabrikam CRM – Lead", ACCOUNT_NO_ROLE, CAPI, "LEAD"),
        _rule(RULE_NO_ROLE_INSIGHT_TAG, "Fabrikam – Brochure page", ACCOUNT_NO_ROLE, URL_MATCH, "KEY_PAGE_VIEW"),
    ]
    apps = [
        OAuthApp(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, "CAPI Desktop (demo)", True, True),
        OAuthApp(STANDARD_CLIENT_ID, STANDARD_CLIENT_SECRET, "CAPI Desktop", False, True),
        OAuthApp(NO_REFRESH_CLIENT_ID, NO_REFRESH_CLIENT_SECRET, "CAPI Desktop (no refresh)", False, False),
    ]
    return WorldSeed(
        members={member.id: member},
        accounts={a.id: a for a in accounts},
        roles=roles,
        campaigns={c.id: c for c in campaigns},
        rules={r.id: r for r in rules},
        apps={app.client_id: app for app in apps},
    )
