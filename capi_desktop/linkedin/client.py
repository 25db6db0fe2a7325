"""The LinkedIn Marketing REST client: ad accounts, conversion rules, campaigns and conversion events.

Follows the versioned ``/rest`` contract: ``LinkedIn-Version`` and ``X-Restli-Protocol-Version`` on
every call, Rest.li 2.0 query syntax, and the two URN namespaces (``urn:li:`` and ``urn:lla:``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

import requests
import tenacity

from capi_desktop.core.delivery.apiversion import BUILT_WITH, months_to_try
from capi_desktop.core.stores.settings import DEFAULT_API_BASE
from capi_desktop.linkedin.errors import LinkedInError, UnexpectedResponse, error_for_status
from capi_desktop.linkedin.http import DEFAULT_TIMEOUT, json_body, perform, request_id
from capi_desktop.linkedin.models import (
    ACCOUNT_URN,
    CAMPAIGN_URN,
    CONVERSIONS_API_METHOD,
    RULE_URN,
    AdAccount,
    BatchResult,
    Campaign,
    ConversionRule,
    CreditedDay,
    Member,
    NewRule,
)

logger = logging.getLogger(__name__)

RULES_PAGE_SIZE = 100
# adAnalytics metrics for conversions (LinkedIn's ads-reporting page; see docs/linkedin.md).
REPORT_FIELDS = (
    "pivotValues",
    "dateRange",
    "externalWebsiteConversions",
    "externalWebsitePostClickConversions",
    "externalWebsitePostViewConversions",
    "conversionValueInLocalCurrency",
)
CAMPAIGNS_PAGE_SIZE = 100
CAMPAIGN_STATUSES = ("ACTIVE", "DRAFT", "PAUSED")


@dataclass(frozen=True)
class ApiConfig:
    api_base: str = DEFAULT_API_BASE
    version: str = BUILT_WITH
    timeout: float = DEFAULT_TIMEOUT
    # Reads are retried on 429/5xx/network errors; writes are left to the caller (the upload engine).
    read_attempts: int = 4
    max_backoff_seconds: float = 8.0


class AccessTokenProvider(Protocol):
    def access_token(self) -> str: ...

    def renew_after_rejection(self) -> bool:
        """Called after a 401; True when a fresh token is now available (e.g. refreshed)."""
        ...


class StaticToken:
    """A bare access token that cannot be renewed (pasted tokens, checks before saving)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def renew_after_rejection(self) -> bool:
        return False


class LinkedInClient:
    def __init__(
        self,
        config: ApiConfig,
        tokens: AccessTokenProvider,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        on_version: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self._on_version = on_version or (lambda version: None)
        self._tokens = tokens
        self._session = session or requests.Session()
        self._base = config.api_base.rstrip("/")
        self._sleep = sleep

    # -- member and accounts -------------------------------------------------------------------

    def userinfo(self) -> Member:
        """Who is signed in, by OpenID Connect (needs the ``openid`` and ``profile`` scopes). Unversioned:
        it lives beside ``/rest``, at ``/v2/userinfo``."""
        url = self._base.removesuffix("/rest") + "/v2/userinfo"
        headers = {"Authorization": f"Bearer {self._tokens.access_token()}"}
        response = perform(self._session, "GET", url, timeout=self.config.timeout, headers=headers)
        if response.status_code >= 400:
            raise _rest_error(response, "")
        data = json_body(response)
        return Member(
            id=str(data.get("sub", "")),
            first_name=str(data.get("given_name", "")),
            last_name=str(data.get("family_name", "")),
        )

    def ad_account_roles(self) -> dict[int, str]:
        """Ad account id → the signed-in member's role on it (one cheap call; also checks ``r_ads``)."""
        users = self._get("/adAccountUsers?q=authenticatedUser")
        return {_urn_id(e.get("account")): str(e.get("role", "")) for e in _elements(users)}

    def ad_accounts(self) -> list[AdAccount]:
        """Every ad account the signed-in member has a role on, with its name, currency and status."""
        accounts = [self.ad_account(account_id, role) for account_id, role in self.ad_account_roles().items()]
        return sorted(accounts, key=lambda a: (not a.can_upload, a.name.casefold()))

    def ad_account(self, account_id: int, role: str) -> AdAccount:
        """One ad account's name, currency and status, with the member's ``role`` on it."""
        details = self._get(f"/adAccounts/{account_id}")
        return AdAccount(
            id=account_id,
            name=str(details.get("name") or f"Account {account_id}"),
            currency=str(details.get("currency", "")),
            status=str(details.get("status", "")),
            role=role,
            test=bool(details.get("test", False)),
        )

    # -- conversion rules ----------------------------------------------------------------------

    def conversion_rules(self, account_id: int) -> list[ConversionRule]:
        """The account's Conversions API rules (Insight Tag rules cannot take API events and are left out)."""
        account = quote(ACCOUNT_URN.format(account_id), safe="")
        rules = []
        for element in self._paged(f"/conversions?q=account&account={account}", RULES_PAGE_SIZE):
            if element.get("conversionMethod") == CONVERSIONS_API_METHOD:
                rules.append(_rule(element, account_id))
        return rules

    def create_rule(self, account_id: int, rule: NewRule) -> ConversionRule:
        body = {
            "name": rule.name,
            "account": ACCOUNT_URN.format(account_id),
            "conversionMethod": CONVERSIONS_API_METHOD,
            "type": rule.type,
            "attributionType": rule.attribution_type,
            "postClickAttributionWindowSize": rule.post_click_window_days,
            "viewThroughAttributionWindowSize": rule.view_through_window_days,
            "enabled": rule.enabled,
        }
        response = self._call("POST", "/conversions", body=json.dumps(body).encode(), retry=False)
        data = json_body(response)
        return _rule(data, account_id)

    # -- campaigns -----------------------------------------------------------------------------

    def campaigns(self, account_id: int, statuses: Sequence[str] = CAMPAIGN_STATUSES) -> list[Campaign]:
        # Rest.li 2.0: the search structure's parentheses, colons and commas must stay literal.
        search = f"(status:(values:List({','.join(statuses)})))"
        path = f"/adAccounts/{account_id}/adCampaigns?q=search&search={search}&pageSize={CAMPAIGNS_PAGE_SIZE}"
        found = []
        token: str | None = None
        while True:
            data = self._get(path + (f"&pageToken={quote(token, safe='')}" if token else ""))
            for element in _elements(data):
                found.append(
                    Campaign(
                        id=int(element["id"]),
                        name=str(element.get("name", "")),
                        status=str(element.get("status", "")),
                        account_id=account_id,
                    )
                )
            metadata = data.get("metadata") or {}
            token = metadata.get("nextPageToken") if isinstance(metadata, dict) else None
            if not token:
                return found

    def associate_campaigns(self, rule_id: int, campaign_ids: Sequence[int]) -> None:
        """Link campaigns to a rule so its conversions count toward them (idempotent on LinkedIn's side)."""
        conversion = RULE_URN.format(rule_id)
        for campaign_id in campaign_ids:
            campaign = CAMPAIGN_URN.format(campaign_id)
            # Only the URN colons inside the compound key are encoded; the key syntax stays literal.
            key = f"(campaign:{quote(campaign, safe='')},conversion:{quote(conversion, safe='')})"
            body = json.dumps({"campaign": campaign, "conversion": conversion}).encode()
            self._call("PUT", f"/campaignConversions/{key}", body=body, retry=True)

    # -- conversion events ---------------------------------------------------------------------

    def send_events(self, events_json: Sequence[str]) -> BatchResult:
        """Send a batch (up to 5,000) of events, each given as its exact JSON text."""
        body = ('{"elements":[' + ",".join(events_json) + "]}").encode()
        response = self._call(
            "POST",
            "/conversionEvents",
            body=body,
            retry=False,
            extra_headers={"X-RestLi-Method": "BATCH_CREATE"},
        )
        statuses = tuple(int(e.get("status", 0)) for e in _elements(json_body(response)))
        if len(statuses) != len(events_json):
            raise UnexpectedResponse(
                f"LinkedIn confirmed {len(statuses)} of {len(events_json)} events in a batch.",
                "The batch will be checked and resent with the same event ids.",
                status=response.status_code,
                request_id=request_id(response),
            )
        return BatchResult(statuses=statuses, request_id=request_id(response))

    # -- reporting -----------------------------------------------------------------------------

    def credited_conversions(self, account_id: int, start: date, end: date) -> list[CreditedDay]:
        """What LinkedIn credited per conversion rule and day from ``start`` to ``end`` (the adAnalytics
        Analytics finder, CONVERSION pivot, daily; needs ``r_ads_reporting``, else ``PermissionDenied``).
        LinkedIn answers an empty list where there is nothing to report or no read access."""
        account = quote(ACCOUNT_URN.format(account_id), safe="")
        path = (
            f"/adAnalytics?q=analytics&pivot=CONVERSION&timeGranularity=DAILY"
            f"&dateRange=(start:{_rest_date(start)},end:{_rest_date(end)})&accounts=List({account})"
            f"&fields={','.join(REPORT_FIELDS)}"
        )
        return [_credited(element) for element in _elements(self._get(path))]

    # -- plumbing ------------------------------------------------------------------------------

    def _get(self, path: str) -> Mapping[str, Any]:
        return json_body(self._call("GET", path, retry=True))

    def _paged(self, path: str, count: int) -> Iterator[Mapping[str, Any]]:
        start = 0
        while True:
            page = _elements(self._get(f"{path}&start={start}&count={count}"))
            yield from page
            if len(page) < count:
                return
            start += count

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        retry: bool,
        extra_headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        if not retry:
            return self._call_once(method, path, body, extra_headers)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, LinkedInError) and e.retryable),
            stop=tenacity.stop_after_attempt(self.config.read_attempts),
            wait=tenacity.wait_random_exponential(multiplier=0.5, max=self.config.max_backoff_seconds),
            reraise=True,
            sleep=self._sleep or tenacity.nap.sleep,
        )
        return retrying(self._call_once, method, path, body, extra_headers)

    def _call_once(
        self,
        method: str,
        path: str,
        body: bytes | None,
        extra_headers: Mapping[str, str] | None,
    ) -> requests.Response:
        response = self._send(method, path, body, extra_headers)
        if response.status_code == 401 and self._tokens.renew_after_rejection():
            response = self._send(method, path, body, extra_headers)
        if response.status_code == 426:
            response = self._another_version(method, path, body, extra_headers) or response
        if response.status_code >= 400:
            raise _rest_error(response, self.config.version)
        self._on_version(self.config.version)  # so the day it last worked is known
        return response

    def _another_version(
        self, method: str, path: str, body: bytes | None, extra_headers: Mapping[str, str] | None
    ) -> requests.Response | None:
        """LinkedIn refused the version (426: retired, or a month it skipped), before doing anything with
        the request: the same request again with each other version until one is taken."""
        refused = self.config.version
        for version in months_to_try(refused):
            self.config = replace(self.config, version=version)
            response = self._send(method, path, body, extra_headers)
            if response.status_code != 426:
                logger.info("LinkedIn no longer takes API version %s; using %s", refused, version)
                self._on_version(version)
                return response
        self.config = replace(self.config, version=refused)
        return None

    def _send(
        self, method: str, path: str, body: bytes | None, extra_headers: Mapping[str, str] | None
    ) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self._tokens.access_token()}",
            "LinkedIn-Version": self.config.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        if extra_headers:
            headers.update(extra_headers)
        return perform(
            self._session, method, self._base + path, timeout=self.config.timeout, data=body, headers=headers
        )


def _rest_error(response: requests.Response, version: str) -> LinkedInError:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    message = data.get("message")
    service_code = data.get("serviceErrorCode")
    return error_for_status(
        response.status_code,
        code=str(data["code"]) if data.get("code") else None,
        service_error_code=int(service_code) if isinstance(service_code, int) else None,
        message=str(message) if message else None,
        request_id=request_id(response),
        version=version,
    )


def _elements(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    elements = data.get("elements", [])
    if not isinstance(elements, list):
        raise UnexpectedResponse("LinkedIn sent a list in an unexpected shape.")
    return [e for e in elements if isinstance(e, dict)]


def _urn_id(urn: object) -> int:
    """The numeric id at the end of a URN such as ``urn:li:sponsoredAccount:123``."""
    try:
        return int(str(urn).rsplit(":", 1)[-1])
    except ValueError as exc:
        raise UnexpectedResponse(f"LinkedIn sent an id in an unexpected form: {urn!r}.") from exc


def _rule(data: Mapping[str, Any], account_id: int) -> ConversionRule:
    return ConversionRule(
        id=int(data["id"]),
        name=str(data.get("name", "")),
        account_id=account_id,
        type=str(data.get("type", "")),
        enabled=bool(data.get("enabled", True)),
        attribution_type=data.get("attributionType"),
        post_click_window_days=data.get("postClickAttributionWindowSize"),
        view_through_window_days=data.get("viewThroughAttributionWindowSize"),
        campaign_ids=tuple(_urn_id(c) for c in data.get("campaigns", []) or []),
    )


def _rest_date(day: date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def _credited(data: Mapping[str, Any]) -> CreditedDay:
    try:
        pivot = data["pivotValues"][0]
        start = data["dateRange"]["start"]
        day = date(int(start["year"]), int(start["month"]), int(start["day"]))
        value = data.get("conversionValueInLocalCurrency")

        def count(name: str) -> int | None:
            found = data.get(name)
            return int(found) if found is not None else None

        return CreditedDay(
            rule_id=_urn_id(pivot),
            day=day,
            conversions=count("externalWebsiteConversions") or 0,
            post_click=count("externalWebsitePostClickConversions"),
            post_view=count("externalWebsitePostViewConversions"),
            value=Decimal(str(value)) if value is not None else None,
        )
    except (KeyError, IndexError, TypeError, ValueError, ArithmeticError) as exc:
        raise UnexpectedResponse("LinkedIn sent a report in an unexpected shape.") from exc
