"""The checks every /rest call goes through: token, version, protocol, scopes, in LinkedIn's order."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests
from sandbox_kit import NOW, PROBE, Api, FakeClock, error_of, make_event

from capi_desktop.sandbox import ACCOUNT_USD, CAMPAIGN_USD_ACTIVE, RULE_USD_LEAD, SandboxServer

ME = PROBE


def test_a_good_call_carries_a_request_id(api: Api) -> None:
    response = api.get(ME)
    assert response.status_code == 200
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", response.headers["x-li-uuid"])
    assert response.json()["elements"][0]["user"] == "urn:li:person:x7Qm2LpA9d"


def test_errors_carry_a_request_id_too(api: Api) -> None:
    response = api.get(ME, headers={"Authorization": ""})
    assert response.status_code == 401
    assert len(response.headers["x-li-uuid"]) == 22
    assert response.headers["x-li-uuid"] != api.get(ME, headers={"Authorization": ""}).headers["x-li-uuid"]


@pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer   "])
def test_missing_token(api: Api, authorization: str) -> None:
    response = api.get(ME, headers={"Authorization": authorization})
    assert error_of(response) == (401, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token")


def test_unknown_token(api: Api) -> None:
    response = api.get(ME, headers={"Authorization": "Bearer AQVnot-a-real-token"})
    assert error_of(response) == (401, "INVALID_ACCESS_TOKEN", "Invalid access token")
    assert response.json()["serviceErrorCode"] == 65600


def test_other_authentication_scheme(api: Api) -> None:
    response = api.get(ME, headers={"Authorization": f"Basic {api.token}"})
    assert error_of(response) == (401, "INVALID_ACCESS_TOKEN", "Unknown authentication schema")


def test_revoked_token(sandbox: SandboxServer, api: Api) -> None:
    assert sandbox.revoke_token(api.token)
    response = api.get(ME)
    assert error_of(response) == (
        401,
        "REVOKED_ACCESS_TOKEN",
        "The token used in the request has been revoked by the user",
    )
    assert response.json()["serviceErrorCode"] == 65601


def test_expired_token(sandbox: SandboxServer, clock: FakeClock) -> None:
    api = Api(sandbox.api_base, sandbox.mint_token(expires_in=3600))
    assert api.get(ME).status_code == 200
    clock.advance(3600)
    response = api.get(ME)
    assert error_of(response) == (401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
    assert response.json()["serviceErrorCode"] == 65602


def test_token_is_checked_before_version(api: Api) -> None:
    response = api.get(ME, headers={"Authorization": "", "LinkedIn-Version": ""})
    assert response.status_code == 401


def test_missing_version(api: Api) -> None:
    response = api.get(ME, headers={"LinkedIn-Version": ""})
    status, code, message = error_of(response)
    assert (status, code) == (426, "VERSION_MISSING")
    assert "LinkedIn-Version" in message


@pytest.mark.parametrize("version", ["2026-06", "20260601", "202613", "202600", "abcdef", "202506.01"])
def test_malformed_version(api: Api, version: str) -> None:
    response = api.get(ME, headers={"LinkedIn-Version": version})
    assert error_of(response) == (426, "NONEXISTENT_VERSION", f"Requested version {version} is not active")


@pytest.mark.parametrize(
    ("version", "status"),
    [
        ("202505", 426),  # 13 months before the clock's month: sunset
        ("202506", 200),  # 12 months before: still active
        ("202606", 200),  # the clock's month
        ("202607", 426),  # not released yet
    ],
)
def test_version_window_follows_the_clock(api: Api, version: str, status: int) -> None:
    response = api.get(ME, headers={"LinkedIn-Version": version})
    assert response.status_code == status
    if status == 426:
        assert error_of(response) == (426, "NONEXISTENT_VERSION", f"Requested version {version} is not active")


def test_version_window_moves_with_the_clock(api: Api, clock: FakeClock) -> None:
    clock.advance(31 * 86_400)  # July 2026
    assert api.get(ME, headers={"LinkedIn-Version": "202506"}).status_code == 426
    assert api.get(ME, headers={"LinkedIn-Version": "202607"}).status_code == 200


def test_version_window_knobs(sandbox: SandboxServer, api: Api) -> None:
    sandbox.knobs.update({"oldest_version": "202601", "newest_version": "202603"})
    assert api.get(ME, headers={"LinkedIn-Version": "202512"}).status_code == 426
    assert api.get(ME, headers={"LinkedIn-Version": "202601"}).status_code == 200
    assert api.get(ME, headers={"LinkedIn-Version": "202603"}).status_code == 200
    assert api.get(ME, headers={"LinkedIn-Version": "202604"}).status_code == 426


@pytest.mark.parametrize("protocol", [None, "1.0.0", "2.0"])
def test_protocol_version_must_be_2(api: Api, protocol: str | None) -> None:
    headers = {"LinkedIn-Version": "202606", "Authorization": f"Bearer {api.token}"}
    if protocol is not None:
        headers["X-Restli-Protocol-Version"] = protocol
    response = requests.get(api.base + ME, headers=headers, timeout=10)
    status, code, message = error_of(response)
    assert (status, code) == (400, "BAD_REQUEST")
    assert message == f"X-Restli-Protocol-Version must be 2.0.0, got {protocol!r}"


def test_version_is_checked_before_protocol(api: Api) -> None:
    response = api.get(ME, headers={"LinkedIn-Version": "", "X-Restli-Protocol-Version": "1.0.0"})
    assert response.status_code == 426


def test_header_names_are_case_insensitive(api: Api) -> None:
    headers = {
        "authorization": f"Bearer {api.token}",
        "linkedin-version": "202606",
        "x-restli-protocol-version": "2.0.0",
    }
    assert requests.get(api.base + ME, headers=headers, timeout=10).status_code == 200


def test_unknown_resource(api: Api) -> None:
    status, code, _ = error_of(api.get("/adCreatives"))
    assert (status, code) == (404, "NOT_FOUND")


def test_unknown_resource_still_needs_a_token(api: Api) -> None:
    assert api.get("/adCreatives", headers={"Authorization": ""}).status_code == 401


def test_wrong_method(api: Api) -> None:
    assert error_of(api.post(ME, {}))[:2] == (405, "METHOD_NOT_ALLOWED")


# --- scopes -------------------------------------------------------------------------------------------------
ACCOUNT = f"urn:li:sponsoredAccount:{ACCOUNT_USD}"
RULE = f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD}"
CAMPAIGN = f"urn:li:sponsoredCampaign:{CAMPAIGN_USD_ACTIVE}"
ASSOCIATION = f"/campaignConversions/(campaign:{CAMPAIGN.replace(':', '%3A')},conversion:{RULE.replace(':', '%3A')})"


def _read_calls(api: Api) -> dict[str, requests.Response]:
    return {
        "adAccountUsers.FINDER-authenticatedUser": api.get("/adAccountUsers", q="authenticatedUser"),
        "adAccounts.GET": api.get(f"/adAccounts/{ACCOUNT_USD}"),
        "adCampaigns.FINDER-search": api.get(f"/adAccounts/{ACCOUNT_USD}/adCampaigns", q="search"),
        "conversions.FINDER-account": api.get("/conversions", q="account", account=ACCOUNT),
    }


def _write_calls(api: Api) -> dict[str, requests.Response]:
    rule = {"name": "x", "account": ACCOUNT, "conversionMethod": "CONVERSIONS_API", "type": "LEAD"}
    return {
        "conversions.CREATE": api.post("/conversions", rule),
        "campaignConversions.UPDATE": api.put(ASSOCIATION, {"campaign": CAMPAIGN, "conversion": RULE}),
        "conversionEvents.CREATE": api.send_event(make_event()),
        "conversionEvents.BATCH_CREATE": api.send_events([make_event()]),
    }


def test_reads_need_r_ads(api_for: Callable[..., Api]) -> None:
    for resource_method, response in _read_calls(api_for("rw_conversions")).items():
        assert error_of(response) == (
            403,
            "ACCESS_DENIED",
            f"Not enough permissions to access: {resource_method}.20260601",
        )


@pytest.mark.parametrize("scope", ["r_ads", "rw_ads"])
def test_reads_work_with_either_ads_scope(api_for: Callable[..., Api], scope: str) -> None:
    for name, response in _read_calls(api_for(scope)).items():
        assert response.status_code == 200, name


def test_writes_need_rw_conversions(api_for: Callable[..., Api]) -> None:
    for resource_method, response in _write_calls(api_for("r_ads", "rw_ads")).items():
        assert error_of(response) == (
            403,
            "ACCESS_DENIED",
            f"Not enough permissions to access: {resource_method}.20260601",
        )


def test_writes_work_with_rw_conversions_alone(api_for: Callable[..., Api]) -> None:
    statuses = {name: r.status_code for name, r in _write_calls(api_for("rw_conversions")).items()}
    assert statuses == {
        "conversions.CREATE": 201,
        "campaignConversions.UPDATE": 204,
        "conversionEvents.CREATE": 201,
        "conversionEvents.BATCH_CREATE": 200,
    }


def test_me_needs_a_profile_scope_as_on_linkedin(clock: FakeClock) -> None:
    with SandboxServer(clock=clock) as server:
        ads_only = Api(server.api_base, server.mint_token(scopes=("r_ads",)))
        assert error_of(ads_only.get("/me")) == (
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: me.GET.20260601",
        )
        profile = Api(server.api_base, server.mint_token(scopes=("r_liteprofile",)))
        assert profile.get("/me").json()["localizedFirstName"] == "Alex"


def test_clock_is_the_injected_one(api: Api) -> None:
    # If the sandbox used the wall clock, 202606 would be judged against today's date.
    assert NOW == 1781524800.0
    assert api.get(ME, headers={"LinkedIn-Version": "202606"}).status_code == 200
