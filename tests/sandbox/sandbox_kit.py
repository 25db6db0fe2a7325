"""Helpers for the sandbox's own tests: an injectable clock, a tiny REST client that sends LinkedIn's
three mandatory headers (plain requests, nothing from our own LinkedIn client), and a valid event."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import requests

from capi_desktop.sandbox import RULE_USD_LEAD

# 2026-06-15T12:00:00Z: the sandbox then accepts LinkedIn-Version 202506 .. 202606.
NOW = 1781524800.0
NOW_MS = int(NOW * 1000)
VERSION = "202606"
DAY = 86_400

# A cheap read any Conversions API token may make (/me wants a profile scope, as on LinkedIn).
PROBE = "/adAccountUsers?q=authenticatedUser"


@dataclass
class FakeClock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Api:
    """Calls /rest with a token and LinkedIn's mandatory headers; any header can be overridden."""

    base: str
    token: str
    headers: dict[str, str] = field(default_factory=dict)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "LinkedIn-Version": VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        headers.update(self.headers)
        headers.update(extra or {})
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> requests.Response:
        return requests.get(self.base + path, params=params or None, headers=self._headers(headers), timeout=30)

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(self.base + path, json=body, headers=self._headers(headers), timeout=30)

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.put(self.base + path, json=body, headers=self._headers(headers), timeout=30)

    def send_events(self, events: list[dict[str, Any]]) -> requests.Response:
        return self.post("/conversionEvents", {"elements": events}, {"X-RestLi-Method": "BATCH_CREATE"})

    def send_event(self, event: dict[str, Any]) -> requests.Response:
        return self.post("/conversionEvents", event)


def make_event(rule_id: int = RULE_USD_LEAD, event_id: str = "crm-1", **overrides: Any) -> dict[str, Any]:
    """A valid event an hour before NOW."""
    event: dict[str, Any] = {
        "conversion": f"urn:lla:llaPartnerConversion:{rule_id}",
        "conversionHappenedAt": NOW_MS - 3_600_000,
        "conversionValue": {"currencyCode": "USD", "amount": "1500.00"},
        "eventId": event_id,
        "user": {
            "userIds": [{"idType": "SHA256_EMAIL", "idValue": hashlib.sha256(event_id.encode()).hexdigest()}],
            "userInfo": {
                "firstName": "Mike",
                "lastName": "Smith",
                "companyName": "Contoso",
                "title": "CTO",
                "countryCode": "US",
            },
        },
    }
    event.update(overrides)
    return event


def error_of(response: requests.Response) -> tuple[int, str, str]:
    """(status, code, message) of a LinkedIn REST error, checking the body's status matches."""
    body = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["serviceErrorCode"], int)
    return response.status_code, body["code"], body["message"]
