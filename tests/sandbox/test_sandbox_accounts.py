"""Ad accounts, campaigns and conversion rules: listing, paging, creation and campaign association."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_kit import NOW_MS, Api, error_of

from capi_desktop.sandbox import (
    ACCOUNT_EUR,
    ACCOUNT_NO_ROLE,
    ACCOUNT_TEST,
    ACCOUNT_USD,
    ACCOUNT_VIEWER,
    CAMPAIGN_EUR_ACTIVE,
    CAMPAIGN_USD_ACTIVE,
    CAMPAIGN_USD_ACTIVE_2,
    CAMPAIGN_USD_ACTIVE_3,
    CAMPAIGN_USD_ARCHIVED,
    CAMPAIGN_USD_COMPLETED,
    CAMPAIGN_USD_DRAFT,
    CAMPAIGN_USD_PAUSED,
    CAMPAIGN_VIEWER_ACTIVE,
    MEMBER_ID,
    RULE_EUR_LEAD,
    RULE_USD_DISABLED,
    RULE_USD_INSIGHT_TAG,
    RULE_USD_JS_EVENT,
    RULE_USD_LEAD,
    RULE_USD_QUALIFIED_LEAD,
    RULE_VIEWER_LEAD,
)


def account_urn(account_id: int) -> str:
    return f"urn:li:sponsoredAccount:{account_id}"


def association_path(campaign_id: int, rule_id: int, colon: str = "%3A") -> str:
    campaign = f"urn:li:sponsoredCampaign:{campaign_id}".replace(":", colon)
    rule = f"urn:lla:llaPartnerConversion:{rule_id}".replace(":", colon)
    return f"/campaignConversions/(campaign:{campaign},conversion:{rule})"


def association_body(campaign_id: int, rule_id: int) -> dict[str, str]:
    return {
        "campaign": f"urn:li:sponsoredCampaign:{campaign_id}",
        "conversion": f"urn:lla:llaPartnerConversion:{rule_id}",
    }


def new_rule(**overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": "CRM closed-won (CAPI)",
        "account": account_urn(ACCOUNT_USD),
        "conversionMethod": "CONVERSIONS_API",
        "type": "PURCHASE",
        "attributionType": "LAST_TOUCH_BY_CAMPAIGN",
        "postClickAttributionWindowSize": 30,
        "viewThroughAttributionWindowSize": 7,
        "enabled": True,
    }
    rule.update(overrides)
    return {k: v for k, v in rule.items() if v is not None}


# --- accounts -----------------------------------------------------------------------------------------------
def test_account_users_lists_the_members_roles(api: Api) -> None:
    body = api.get("/adAccountUsers", q="authenticatedUser").json()
    roles = {e["account"]: e["role"] for e in body["elements"]}
    assert roles == {
        account_urn(ACCOUNT_USD): "ACCOUNT_MANAGER",
        account_urn(ACCOUNT_EUR): "CAMPAIGN_MANAGER",
        account_urn(ACCOUNT_VIEWER): "VIEWER",
        account_urn(ACCOUNT_TEST): "ACCOUNT_BILLING_ADMIN",
    }
    first = body["elements"][0]
    assert first["user"] == f"urn:li:person:{MEMBER_ID}"
    assert set(first["changeAuditStamps"]) == {"created", "lastModified"}
    assert first["version"] == {"versionTag": "1"}
    assert body["paging"] == {"start": 0, "count": 4, "total": 4, "links": []}


def test_account_users_honours_a_fields_projection(api: Api) -> None:
    body = api.get("/adAccountUsers", q="authenticatedUser", fields="role,account").json()
    assert all(set(e) == {"role", "account"} for e in body["elements"])


@pytest.mark.parametrize("q", [None, "accounts", "AUTHENTICATEDUSER"])
def test_account_users_needs_the_authenticated_user_finder(api: Api, q: str | None) -> None:
    response = api.get("/adAccountUsers", **({"q": q} if q else {}))
    assert error_of(response) == (400, "BAD_REQUEST", f"Query parameter q must be authenticatedUser, got {q!r}")


def test_get_account(api: Api) -> None:
    assert api.get(f"/adAccounts/{ACCOUNT_USD}").json() == {
        "id": ACCOUNT_USD,
        "name": "Northwind Analytics – North America",
        "currency": "USD",
        "status": "ACTIVE",
        "type": "BUSINESS",
        "test": False,
        "reference": "urn:li:organization:10480001",
        "servingStatuses": ["RUNNABLE"],
    }
    assert api.get(f"/adAccounts/{ACCOUNT_EUR}").json()["currency"] == "EUR"
    assert api.get(f"/adAccounts/{ACCOUNT_TEST}").json()["test"] is True


def test_viewer_can_read_the_account(api: Api) -> None:
    assert api.get(f"/adAccounts/{ACCOUNT_VIEWER}").status_code == 200


def test_account_without_role_is_forbidden(api: Api) -> None:
    assert error_of(api.get(f"/adAccounts/{ACCOUNT_NO_ROLE}")) == (
        403,
        "ACCESS_DENIED",
        f"Member urn:li:person:{MEMBER_ID} has no role on ad account {account_urn(ACCOUNT_NO_ROLE)}",
    )


def test_unknown_account(api: Api) -> None:
    assert error_of(api.get("/adAccounts/999")) == (
        404,
        "NOT_FOUND",
        "Ad account urn:li:sponsoredAccount:999 does not exist",
    )


# --- campaigns ----------------------------------------------------------------------------------------------
def campaigns(api: Api, account_id: int = ACCOUNT_USD, **params: Any) -> Any:
    return api.get(f"/adAccounts/{account_id}/adCampaigns", q="search", **params)


def test_campaigns_with_status_filter(api: Api) -> None:
    body = campaigns(api, search="(status:(values:List(ACTIVE,DRAFT)))").json()
    assert [c["id"] for c in body["elements"]] == [
        CAMPAIGN_USD_ACTIVE,
        CAMPAIGN_USD_ACTIVE_2,
        CAMPAIGN_USD_ACTIVE_3,
        CAMPAIGN_USD_DRAFT,
    ]
    assert body["elements"][0] == {
        "id": CAMPAIGN_USD_ACTIVE,
        "name": "Q3 Demand Gen – Decision Makers",
        "status": "ACTIVE",
        "account": account_urn(ACCOUNT_USD),
    }
    assert body["metadata"] == {}


def test_campaigns_without_filter_include_every_status(api: Api) -> None:
    statuses = {c["status"] for c in campaigns(api).json()["elements"]}
    assert statuses == {"ACTIVE", "DRAFT", "PAUSED", "ARCHIVED", "COMPLETED"}


def test_campaigns_cursor_paging(api: Api) -> None:
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": "3"} | ({"pageToken": token} if token else {})
        body = campaigns(api, **params).json()
        seen += [c["id"] for c in body["elements"]]
        pages += 1
        token = body["metadata"].get("nextPageToken")
        if token is None:
            break
    assert pages == 3
    assert seen == [
        CAMPAIGN_USD_ACTIVE,
        CAMPAIGN_USD_ACTIVE_2,
        CAMPAIGN_USD_ACTIVE_3,
        CAMPAIGN_USD_DRAFT,
        CAMPAIGN_USD_PAUSED,
        CAMPAIGN_USD_ARCHIVED,
        CAMPAIGN_USD_COMPLETED,
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pageSize": "1001"}, "Query parameter pageSize must be between 1 and 1000, got 1001"),
        ({"pageSize": "0"}, "Query parameter pageSize must be between 1 and 1000, got 0"),
        ({"pageToken": "bogus"}, "Invalid pageToken: bogus"),
        ({"search": "(status:(values:List(LIVE)))"}, "Unknown campaign status: LIVE"),
        ({"search": "(name:Q3)"}, "Unsupported search criteria: (name:Q3)"),
    ],
)
def test_campaign_search_rejections(api: Api, params: dict[str, str], message: str) -> None:
    assert error_of(campaigns(api, **params)) == (400, "BAD_REQUEST", message)


def test_campaigns_need_the_search_finder(api: Api) -> None:
    response = api.get(f"/adAccounts/{ACCOUNT_USD}/adCampaigns")
    assert error_of(response) == (400, "BAD_REQUEST", "Query parameter q must be search, got None")


def test_campaigns_of_an_account_without_role(api: Api) -> None:
    assert campaigns(api, ACCOUNT_NO_ROLE).status_code == 403
    assert campaigns(api, ACCOUNT_VIEWER).status_code == 200


# --- listing rules ------------------------------------------------------------------------------------------
def rules(api: Api, account: str = account_urn(ACCOUNT_USD), **params: Any) -> Any:
    return api.get("/conversions", q="account", account=account, **params)


def test_rules_page_of_ten_by_default(api: Api) -> None:
    body = rules(api).json()
    assert len(body["elements"]) == 10
    assert body["paging"] == {"start": 0, "count": 10, "total": -1, "links": []}
    lead = body["elements"][0]
    assert lead == {
        "id": RULE_USD_LEAD,
        "name": "CRM – Marketing qualified lead",
        "account": account_urn(ACCOUNT_USD),
        "conversionMethod": "CONVERSIONS_API",
        "type": "LEAD",
        "enabled": True,
        "attributionType": "LAST_TOUCH_BY_CAMPAIGN",
        "postClickAttributionWindowSize": 30,
        "viewThroughAttributionWindowSize": 7,
        "campaigns": [f"urn:li:sponsoredCampaign:{CAMPAIGN_USD_ACTIVE}"],
        "associatedCampaigns": [
            {
                "campaign": f"urn:li:sponsoredCampaign:{CAMPAIGN_USD_ACTIVE}",
                "conversion": f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD}",
                "associatedAt": 1741046400000,
            }
        ],
        "created": 1736899200000,
        "lastModified": 1741046400000,
    }


def test_rules_paging_walks_all_of_them(api: Api) -> None:
    first = rules(api, start="0", count="10").json()["elements"]
    second = rules(api, start="10", count="10").json()["elements"]
    assert len(first) == 10 and len(second) == 3
    everything = {r["id"]: r for r in first + second}
    assert len(everything) == 13
    methods = {r["conversionMethod"] for r in everything.values()}
    assert methods == {"CONVERSIONS_API", "INSIGHT_TAG_URL_MATCH_RULES", "INSIGHT_TAG_JAVASCRIPT_EVENT"}
    assert everything[RULE_USD_DISABLED]["enabled"] is False
    assert everything[RULE_USD_INSIGHT_TAG]["conversionMethod"] == "INSIGHT_TAG_URL_MATCH_RULES"
    assert everything[RULE_USD_JS_EVENT]["conversionMethod"] == "INSIGHT_TAG_JAVASCRIPT_EVENT"
    assert rules(api, start="20").json()["elements"] == []


def test_rules_fields_projection(api: Api) -> None:
    elements = rules(api, fields="id,name,conversionMethod").json()["elements"]
    assert set(elements[0]) == {"id", "name", "conversionMethod"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"count": "101"}, "Query parameter count must be between 0 and 100, got 101"),
        ({"count": "-1"}, "Query parameter count must be a non-negative integer, got '-1'"),
        ({"start": "x"}, "Query parameter start must be a non-negative integer, got 'x'"),
        ({"account": "urn:li:sponsoredAccount:abc"}, "Invalid Urn format: urn:li:sponsoredAccount:abc"),
        ({"account": str(ACCOUNT_USD)}, f"Invalid Urn format: {ACCOUNT_USD}"),
        ({"account": ""}, "Query parameter account is required"),
    ],
)
def test_rule_listing_rejections(api: Api, params: dict[str, str], message: str) -> None:
    account = params.pop("account", account_urn(ACCOUNT_USD))
    assert error_of(rules(api, account, **params)) == (400, "BAD_REQUEST", message)


def test_rules_of_unknown_and_forbidden_accounts(api: Api) -> None:
    assert rules(api, account_urn(424242)).status_code == 404
    assert rules(api, account_urn(ACCOUNT_NO_ROLE)).status_code == 403
    assert rules(api, account_urn(ACCOUNT_VIEWER)).status_code == 200


def test_every_listable_account_has_capi_disabled_and_insight_tag_rules(api: Api) -> None:
    for account_id in (ACCOUNT_USD, ACCOUNT_EUR, ACCOUNT_VIEWER, ACCOUNT_TEST):
        elements = rules(api, account_urn(account_id), count="100").json()["elements"]
        capi = [r for r in elements if r["conversionMethod"] == "CONVERSIONS_API"]
        assert any(r["enabled"] for r in capi) and any(not r["enabled"] for r in capi), account_id
        assert any(r["conversionMethod"].startswith("INSIGHT_TAG") for r in elements), account_id


# --- creating rules -----------------------------------------------------------------------------------------
def test_create_rule(api: Api) -> None:
    response = api.post("/conversions", new_rule(postClickAttributionWindowSize=365))
    assert response.status_code == 201
    rule_id = response.json()["id"]
    assert response.headers["Location"] == f"/conversions/{rule_id}"
    assert response.headers["x-restli-id"] == str(rule_id)
    assert response.json() == {
        "id": rule_id,
        "name": "CRM closed-won (CAPI)",
        "account": account_urn(ACCOUNT_USD),
        "conversionMethod": "CONVERSIONS_API",
        "type": "PURCHASE",
        "enabled": True,
        "attributionType": "LAST_TOUCH_BY_CAMPAIGN",
        "postClickAttributionWindowSize": 365,
        "viewThroughAttributionWindowSize": 7,
        "campaigns": [],
        "associatedCampaigns": [],
        "created": NOW_MS,
        "lastModified": NOW_MS,
    }
    listed = rules(api, count="100").json()["elements"]
    assert listed[-1]["id"] == rule_id


def test_create_rule_defaults(api: Api) -> None:
    body = new_rule(
        attributionType=None, postClickAttributionWindowSize=None, viewThroughAttributionWindowSize=None, enabled=None
    )
    created = api.post("/conversions", body).json()
    assert (
        created["attributionType"],
        created["postClickAttributionWindowSize"],
        created["viewThroughAttributionWindowSize"],
        created["enabled"],
    ) == ("LAST_TOUCH_BY_CAMPAIGN", 30, 7, True)


def test_created_rules_get_distinct_ids(api: Api) -> None:
    ids = {api.post("/conversions", new_rule(name=f"Rule {i}")).json()["id"] for i in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("overrides", "lines"),
    [
        (
            {"name": None, "type": None},
            [
                "ERROR :: /name :: field is required but not found and has no default value",
                "ERROR :: /type :: field is required but not found and has no default value",
            ],
        ),
        (
            {"account": None, "conversionMethod": None},
            [
                "ERROR :: /account :: field is required but not found and has no default value",
                "ERROR :: /conversionMethod :: field is required but not found and has no default value",
            ],
        ),
        (
            {"conversionMethod": "INSIGHT_TAG_URL_MATCH_RULES"},
            [
                "ERROR :: /conversionMethod :: INSIGHT_TAG_URL_MATCH_RULES is not allowed: rules created through the "
                "API must use CONVERSIONS_API"
            ],
        ),
        ({"type": "SIGNUP"}, ["ERROR :: /type :: SIGNUP is not a known conversion type"]),
        (
            {"attributionType": "FIRST_TOUCH"},
            ["ERROR :: /attributionType :: FIRST_TOUCH is not one of LAST_TOUCH_BY_CAMPAIGN, LAST_TOUCH_BY_CONVERSION"],
        ),
        (
            {"postClickAttributionWindowSize": 14},
            ["ERROR :: /postClickAttributionWindowSize :: 14 is not one of 1, 7, 30, 90, 365"],
        ),
        (
            {"type": "DOWNLOAD", "viewThroughAttributionWindowSize": 365},
            [
                "ERROR :: /viewThroughAttributionWindowSize :: 365 is only allowed for conversion types "
                "SUBMIT_APPLICATION, PURCHASE, ADD_TO_CART, QUALIFIED_LEAD, LEAD"
            ],
        ),
        (
            {"postClickAttributionWindowSize": "30"},
            ["ERROR :: /postClickAttributionWindowSize :: 30 cannot be coerced to Int"],
        ),
        ({"enabled": "yes"}, ["ERROR :: /enabled :: yes cannot be coerced to Boolean"]),
        ({"account": "urn:li:sponsoredAccount:x1"}, ["ERROR :: /account :: Invalid Urn format"]),
        ({"name": ""}, ["ERROR :: /name :: must not be empty"]),
        (
            {"valueType": "DYNAMIC", "campaigns": []},
            [
                "ERROR :: /valueType :: unrecognized field found but not allowed",
                "ERROR :: /campaigns :: unrecognized field found but not allowed",
            ],
        ),
    ],
)
def test_create_rule_rejections(api: Api, overrides: dict[str, Any], lines: list[str]) -> None:
    response = api.post("/conversions", new_rule(**overrides))
    assert error_of(response) == (422, "UNPROCESSABLE_ENTITY", "\n".join(lines))


@pytest.mark.parametrize("conversion_type", ["SUBMIT_APPLICATION", "PURCHASE", "ADD_TO_CART", "QUALIFIED_LEAD", "LEAD"])
def test_365_day_windows_for_the_allowed_types(api: Api, conversion_type: str) -> None:
    body = new_rule(type=conversion_type, postClickAttributionWindowSize=365, viewThroughAttributionWindowSize=365)
    assert api.post("/conversions", body).status_code == 201


def test_create_rule_permissions(api: Api) -> None:
    viewer = api.post("/conversions", new_rule(account=account_urn(ACCOUNT_VIEWER)))
    assert error_of(viewer) == (
        403,
        "ACCESS_DENIED",
        f"Member urn:li:person:{MEMBER_ID} has role VIEWER on ad account "
        f"{account_urn(ACCOUNT_VIEWER)}, which does not allow this operation",
    )
    assert api.post("/conversions", new_rule(account=account_urn(ACCOUNT_NO_ROLE))).status_code == 403
    assert api.post("/conversions", new_rule(account=account_urn(31337))).status_code == 404
    assert api.post("/conversions", new_rule(account=account_urn(ACCOUNT_EUR))).status_code == 201


def test_create_rule_needs_a_json_body(api: Api) -> None:
    response = api.post("/conversions", None, headers={"Content-Type": "application/json"})
    status, code, message = error_of(response)
    assert (status, code) == (400, "BAD_REQUEST") and message.startswith("The request body is not valid JSON")


# --- associating campaigns ----------------------------------------------------------------------------------
def rule_campaigns(api: Api, rule_id: int, account_id: int = ACCOUNT_USD) -> list[str]:
    listed = rules(api, account_urn(account_id), count="100").json()["elements"]
    return next(r["campaigns"] for r in listed if r["id"] == rule_id)


def test_associate_campaign(api: Api) -> None:
    path = association_path(CAMPAIGN_USD_DRAFT, RULE_USD_QUALIFIED_LEAD)
    response = api.put(path, association_body(CAMPAIGN_USD_DRAFT, RULE_USD_QUALIFIED_LEAD))
    assert response.status_code == 204 and response.content == b""
    assert rule_campaigns(api, RULE_USD_QUALIFIED_LEAD) == [f"urn:li:sponsoredCampaign:{CAMPAIGN_USD_DRAFT}"]
    again = api.put(path, association_body(CAMPAIGN_USD_DRAFT, RULE_USD_QUALIFIED_LEAD))
    assert again.status_code == 204
    assert rule_campaigns(api, RULE_USD_QUALIFIED_LEAD) == [f"urn:li:sponsoredCampaign:{CAMPAIGN_USD_DRAFT}"]


def test_associate_accepts_lowercase_percent_encoding(api: Api) -> None:
    path = association_path(CAMPAIGN_USD_ACTIVE_2, RULE_USD_LEAD, colon="%3a")
    assert api.put(path, association_body(CAMPAIGN_USD_ACTIVE_2, RULE_USD_LEAD)).status_code == 204
    assert len(rule_campaigns(api, RULE_USD_LEAD)) == 2


def test_associate_rejects_unencoded_colons(api: Api) -> None:
    path = association_path(CAMPAIGN_USD_ACTIVE, RULE_USD_LEAD, colon=":")
    response = api.put(path, association_body(CAMPAIGN_USD_ACTIVE, RULE_USD_LEAD))
    assert error_of(response) == (400, "BAD_REQUEST", "Invalid compound key: " + path.split("/", 2)[2])


def test_associate_body_must_match_the_key(api: Api) -> None:
    path = association_path(CAMPAIGN_USD_ACTIVE, RULE_USD_LEAD)
    response = api.put(path, association_body(CAMPAIGN_USD_ACTIVE_2, RULE_USD_LEAD))
    assert error_of(response) == (
        400,
        "BAD_REQUEST",
        "The campaign and conversion in the body do not match the key in the URL",
    )


def test_associate_body_fields(api: Api) -> None:
    path = association_path(CAMPAIGN_USD_ACTIVE, RULE_USD_LEAD)
    response = api.put(path, {"campaign": f"urn:li:sponsoredCampaign:{CAMPAIGN_USD_ACTIVE}", "extra": 1})
    assert error_of(response) == (
        422,
        "UNPROCESSABLE_ENTITY",
        "ERROR :: /extra :: unrecognized field found but not allowed\n"
        "ERROR :: /conversion :: field is required but not found and has no default value",
    )


def test_associate_unknown_campaign_or_rule(api: Api) -> None:
    response = api.put(association_path(1, RULE_USD_LEAD), association_body(1, RULE_USD_LEAD))
    assert error_of(response) == (404, "NOT_FOUND", "Campaign urn:li:sponsoredCampaign:1 does not exist")
    response = api.put(association_path(CAMPAIGN_USD_ACTIVE, 2), association_body(CAMPAIGN_USD_ACTIVE, 2))
    assert error_of(response) == (404, "NOT_FOUND", "Conversion rule urn:lla:llaPartnerConversion:2 does not exist")


def test_associate_across_accounts(api: Api) -> None:
    response = api.put(
        association_path(CAMPAIGN_EUR_ACTIVE, RULE_USD_LEAD), association_body(CAMPAIGN_EUR_ACTIVE, RULE_USD_LEAD)
    )
    assert error_of(response) == (
        400,
        "BAD_REQUEST",
        f"Campaign urn:li:sponsoredCampaign:{CAMPAIGN_EUR_ACTIVE} and conversion rule "
        f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD} belong to different ad accounts",
    )


def test_associate_needs_a_write_role(api: Api) -> None:
    response = api.put(
        association_path(CAMPAIGN_VIEWER_ACTIVE, RULE_VIEWER_LEAD),
        association_body(CAMPAIGN_VIEWER_ACTIVE, RULE_VIEWER_LEAD),
    )
    assert error_of(response)[:2] == (403, "ACCESS_DENIED")
    assert "has role VIEWER" in error_of(response)[2]


def test_associate_on_a_campaign_manager_account(api: Api) -> None:
    response = api.put(
        association_path(CAMPAIGN_EUR_ACTIVE, RULE_EUR_LEAD), association_body(CAMPAIGN_EUR_ACTIVE, RULE_EUR_LEAD)
    )
    assert response.status_code == 204
