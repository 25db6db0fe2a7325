"""The LinkedIn client against the built-in sandbox over real HTTP: every call, every error mapping."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from support import accepted_events, event, event_json, set_knobs, stats

from capi_desktop.core.delivery.apiversion import BUILT_WITH, months_to_try, this_month
from capi_desktop.linkedin import client as client_module
from capi_desktop.linkedin.client import ApiConfig, LinkedInClient, StaticToken
from capi_desktop.linkedin.errors import (
    PARTNER_CHECKS,
    ApiVersionRetired,
    CertificateError,
    ConnectionFailed,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    SignInRequired,
    UnexpectedResponse,
    parse_element_failures,
)
from capi_desktop.linkedin.models import Member, NewRule
from capi_desktop.sandbox import SandboxServer, seed

# -- the calls --------------------------------------------------------------------------------------


def test_member_name_by_openid_connect(sandbox: SandboxServer, api_config: ApiConfig) -> None:
    token = sandbox.mint_token(scopes=("rw_conversions", "r_ads", "openid", "profile"))
    member = LinkedInClient(api_config, StaticToken(token)).userinfo()
    assert member.display_name == "Alex Morgan"
    assert member.id == seed.MEMBER_ID


def test_without_openid_linkedin_refuses_the_name_and_the_profile(
    client: LinkedInClient, api_config: ApiConfig
) -> None:
    with pytest.raises(PermissionDenied):
        client.userinfo()
    with pytest.raises(PermissionDenied):  # /rest/me wants a profile scope too, as on LinkedIn
        client._get("/me")
    assert Member("", "", "", ad_accounts=len(client.ad_account_roles())).display_name == (
        "a LinkedIn member with 4 ad accounts"
    )


def test_ad_accounts_with_roles_names_and_currency(client: LinkedInClient) -> None:
    accounts = {a.id: a for a in client.ad_accounts()}
    assert set(accounts) == {seed.ACCOUNT_USD, seed.ACCOUNT_EUR, seed.ACCOUNT_VIEWER, seed.ACCOUNT_TEST}
    assert accounts[seed.ACCOUNT_EUR].currency == "EUR"
    assert accounts[seed.ACCOUNT_USD].role == "ACCOUNT_MANAGER"
    assert accounts[seed.ACCOUNT_TEST].test is True
    viewer = accounts[seed.ACCOUNT_VIEWER]
    assert viewer.can_upload is False and "Viewer" in (viewer.upload_blocked_reason or "")
    # Accounts the member can upload to come first, viewer-only ones last.
    assert list(accounts)[-1] == seed.ACCOUNT_VIEWER


def test_rules_keep_only_conversions_api_and_page_through(
    client: LinkedInClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "RULES_PAGE_SIZE", 3)
    rules = {r.id: r for r in client.conversion_rules(seed.ACCOUNT_USD)}
    assert seed.RULE_USD_LEAD in rules and seed.RULE_USD_RENEWAL in rules
    assert seed.RULE_USD_INSIGHT_TAG not in rules and seed.RULE_USD_JS_EVENT not in rules
    assert rules[seed.RULE_USD_DISABLED].enabled is False
    assert rules[seed.RULE_USD_LEAD].urn == f"urn:lla:llaPartnerConversion:{seed.RULE_USD_LEAD}"
    assert len(rules) == 8  # every Conversions API rule across several pages of 3


def test_create_rule_then_it_is_listed(client: LinkedInClient) -> None:
    created = client.create_rule(
        seed.ACCOUNT_EUR, NewRule(name="CRM closed-won", type="PURCHASE", post_click_window_days=90)
    )
    assert created.id >= seed.FIRST_CREATED_RULE_ID
    assert created.post_click_window_days == 90 and created.enabled
    assert created.id in {r.id for r in client.conversion_rules(seed.ACCOUNT_EUR)}


def test_invalid_rule_is_refused_locally_and_by_linkedin(client: LinkedInClient) -> None:
    rule = NewRule(name="Signups", type="SIGN_UP", post_click_window_days=365)
    assert rule.problems() == ["A 365-day click-through window is allowed only for lead, purchase and similar types."]
    with pytest.raises(InvalidRequest) as raised:
        client.create_rule(seed.ACCOUNT_USD, rule)
    assert "postClickAttributionWindowSize" in (raised.value.linkedin_message or "")
    assert raised.value.request_id


def test_campaigns_follow_the_cursor(client: LinkedInClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "CAMPAIGNS_PAGE_SIZE", 1)
    campaigns = {c.id: c for c in client.campaigns(seed.ACCOUNT_USD)}
    assert {seed.CAMPAIGN_USD_ACTIVE, seed.CAMPAIGN_USD_DRAFT, seed.CAMPAIGN_USD_PAUSED} <= set(campaigns)
    assert seed.CAMPAIGN_USD_ARCHIVED not in campaigns
    assert {c.status for c in campaigns.values()} == {"ACTIVE", "DRAFT", "PAUSED"}


def test_associate_campaigns_with_a_rule(client: LinkedInClient) -> None:
    client.associate_campaigns(seed.RULE_EUR_DOWNLOAD, [seed.CAMPAIGN_EUR_ACTIVE, seed.CAMPAIGN_EUR_DRAFT])
    client.associate_campaigns(seed.RULE_EUR_DOWNLOAD, [seed.CAMPAIGN_EUR_ACTIVE])  # idempotent
    rule = next(r for r in client.conversion_rules(seed.ACCOUNT_EUR) if r.id == seed.RULE_EUR_DOWNLOAD)
    assert {seed.CAMPAIGN_EUR_ACTIVE, seed.CAMPAIGN_EUR_DRAFT} <= set(rule.campaign_ids)


def test_send_a_batch(client: LinkedInClient, sandbox: SandboxServer) -> None:
    batch = [event_json(seed.RULE_USD_PURCHASE, f"batch-{i}") for i in range(250)]
    result = client.send_events(batch)
    assert result.accepted == 250 and set(result.statuses) == {201}
    received = accepted_events(sandbox)
    assert [e["eventId"] for e in received] == [f"batch-{i}" for i in range(250)]
    # What arrives is byte-for-byte what we were given to send.
    assert received[7] == event(seed.RULE_USD_PURCHASE, "batch-7") | {
        "conversionHappenedAt": received[7]["conversionHappenedAt"]
    }


# -- errors, each mapped to what a user can do --------------------------------------------------------


def test_a_batch_with_bad_rows_names_exactly_those_rows(client: LinkedInClient, sandbox: SandboxServer) -> None:
    batch = [event_json(seed.RULE_USD_LEAD, f"ok-{i}") for i in range(5)]
    batch[1] = event_json(seed.RULE_USD_LEAD, "seconds", conversionHappenedAt=1_767_225_600)
    batch[3] = event_json(seed.RULE_USD_LEAD, "numeric-amount", conversionValue={"currencyCode": "USD", "amount": 12.5})
    with pytest.raises(InvalidRequest) as raised:
        client.send_events(batch)
    failures = raised.value.failures
    assert sorted({f.index for f in failures}) == [1, 3]
    assert any(f.path == "/conversionValue/amount" for f in failures)
    assert raised.value.status == 422
    assert accepted_events(sandbox) == []  # all or nothing


def test_insight_tag_rule_in_a_batch_is_named_by_index(client: LinkedInClient) -> None:
    batch = [event_json(seed.RULE_USD_LEAD, "a"), event_json(seed.RULE_USD_INSIGHT_TAG, "b")]
    with pytest.raises(InvalidRequest) as raised:
        client.send_events(batch)
    assert raised.value.status == 400
    assert [f.index for f in raised.value.failures] == [1]


def test_expired_or_unknown_token_means_sign_in_again(sandbox: SandboxServer, api_config: ApiConfig) -> None:
    for token in ("not-a-real-token-000000000", sandbox.mint_token(expires_in=-10)):
        with pytest.raises(SignInRequired) as raised:
            LinkedInClient(api_config, StaticToken(token)).ad_accounts()
        assert raised.value.status == 401
        assert "Sign in again" in str(raised.value)
        assert raised.value.request_id and raised.value.request_id in str(raised.value)
        assert token not in str(raised.value)


def test_viewer_role_gets_the_three_partner_checks(client: LinkedInClient) -> None:
    with pytest.raises(PermissionDenied) as raised:
        client.send_events([event_json(seed.RULE_VIEWER_LEAD, "v-1")])
    assert raised.value.status == 403
    assert PARTNER_CHECKS in str(raised.value)
    assert "rw_conversions" in str(raised.value) and "Viewer" in str(raised.value)


def test_missing_scope_is_a_permission_error(sandbox: SandboxServer, api_config: ApiConfig) -> None:
    reader = LinkedInClient(api_config, StaticToken(sandbox.mint_token(scopes=("r_ads",))))
    assert reader.ad_accounts()  # reading is allowed
    with pytest.raises(PermissionDenied):
        reader.send_events([event_json(seed.RULE_USD_LEAD, "no-scope")])


def test_unknown_account_is_not_found(client: LinkedInClient) -> None:
    with pytest.raises((NotFound, PermissionDenied)):
        client.campaigns(999999999)


def test_a_retired_version_is_replaced_by_the_newest_one_linkedin_takes(sandbox: SandboxServer) -> None:
    found: list[str] = []
    token = StaticToken(sandbox.mint_token())
    old = LinkedInClient(ApiConfig(api_base=sandbox.api_base, version="202401"), token, on_version=found.append)
    sandbox.knobs.update({"skipped_versions": [this_month()]})  # this month's version is not out yet
    assert old.ad_account_roles()
    last_month = months_to_try(this_month())[0]
    assert old.config.version == last_month and set(found) == {last_month}
    assert stats(sandbox)["by_status"]["426"] == 2  # 202401, then this month; last month's answered
    assert old.ad_account_roles() and stats(sandbox)["by_status"]["426"] == 2  # kept


def test_no_version_of_the_past_year_is_a_plain_error(sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"oldest_version": "201901", "newest_version": "201901"})
    client = LinkedInClient(ApiConfig(api_base=sandbox.api_base), StaticToken(sandbox.mint_token()))
    with pytest.raises(ApiVersionRetired) as raised:
        client.ad_account_roles()
    assert raised.value.status == 426 and "date is right" in str(raised.value)
    assert client.config.version == BUILT_WITH  # kept where it started


def test_rate_limit_is_retried_for_reads_then_reported(sandbox: SandboxServer, api_config: ApiConfig) -> None:
    set_knobs(sandbox, rate_limit_per_minute=2)
    naps: list[float] = []
    reader = LinkedInClient(api_config, StaticToken(sandbox.mint_token()), sleep=naps.append)
    reader.ad_account_roles()
    reader.ad_account_roles()
    with pytest.raises(RateLimited) as raised:
        reader.ad_account_roles()
    assert raised.value.retryable
    assert len(naps) == api_config.read_attempts - 1  # backed off between attempts
    assert stats(sandbox)["by_status"]["429"] == api_config.read_attempts


def test_server_errors_are_retried_until_success(sandbox: SandboxServer, api_config: ApiConfig) -> None:
    set_knobs(sandbox, error_rate=0.5, seed=7)
    patient = replace(api_config, read_attempts=12)
    reader = LinkedInClient(patient, StaticToken(sandbox.mint_token()), sleep=lambda s: None)
    for _ in range(5):
        assert reader.ad_account_roles()
    assert sum(n for code, n in stats(sandbox)["by_status"].items() if code.startswith("5")) > 0


def test_persistent_server_errors_are_reported(client: LinkedInClient, sandbox: SandboxServer) -> None:
    set_knobs(sandbox, error_rate=1.0)
    with pytest.raises(ServerError) as raised:
        client.send_events([event_json(seed.RULE_USD_LEAD, "x")])  # writes are not retried by the client
    assert raised.value.retryable and "nothing was lost" in str(raised.value)


def test_dropped_connection(client: LinkedInClient, sandbox: SandboxServer) -> None:
    set_knobs(sandbox, drop_rate=1.0)
    with pytest.raises(ConnectionFailed):
        client.send_events([event_json(seed.RULE_USD_LEAD, "dropped")])


def test_unreachable_server() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    offline = LinkedInClient(
        ApiConfig(api_base=f"http://127.0.0.1:{port}/rest", read_attempts=1), StaticToken("t" * 30)
    )
    with pytest.raises(ConnectionFailed) as raised:
        offline.ad_account_roles()
    assert "internet connection" in str(raised.value)


@pytest.fixture
def plain_server() -> Iterator[str]:
    """A local server that answers every request with 200 and text that is not JSON."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"<html>Service temporarily unavailable</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_malformed_json_is_a_clear_error(plain_server: str) -> None:
    garbled = LinkedInClient(ApiConfig(api_base=f"http://{plain_server}/rest", read_attempts=1), StaticToken("t" * 30))
    with pytest.raises(UnexpectedResponse) as raised:
        garbled.ad_account_roles()
    assert "not valid JSON" in str(raised.value)


def test_tls_failure_is_a_clear_error(plain_server: str) -> None:
    # Speaking TLS to a plain-HTTP port fails the handshake, as a broken proxy would.
    tls = LinkedInClient(ApiConfig(api_base=f"https://{plain_server}/rest", read_attempts=1), StaticToken("t" * 30))
    with pytest.raises(CertificateError) as raised:
        tls.ad_account_roles()
    assert "secure connection" in str(raised.value)


def test_a_422_names_each_event_once_and_its_further_lines_follow_it() -> None:
    # The real shape (as in RudderStack's fixtures): only an event's first line carries "Index: N,".
    message = (
        "Index: 1, ERROR :: /conversionValue/currencyCode :: usd is not a valid ISO 4217 currency code\n"
        "ERROR :: /user :: field is required but not found and has no default value\n"
        "Index: 4, ERROR :: /eventId :: length 65 exceeds the maximum length of 64"
    )
    assert [(f.index, f.path) for f in parse_element_failures(message)] == [
        (1, "/conversionValue/currencyCode"),
        (1, "/user"),
        (4, "/eventId"),
    ]
    assert parse_element_failures("ERROR :: /user :: missing") == ()  # no index at all: not a position
