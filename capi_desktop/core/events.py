"""Building the exact JSON of one LinkedIn conversion event (the contract's §5.3).

The journal stores this text and the upload sends it byte for byte, so what the preview shows is
exactly what leaves the computer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RULE_URN = "urn:lla:llaPartnerConversion:{}"
EVENT_ID_PREFIX = "cd-"


@dataclass(frozen=True)
class Person:
    """Who converted, as LinkedIn matches them: the email only ever as its SHA-256 hash."""

    email_sha256: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    country: str | None = None
    click_id: str | None = None
    acxiom_id: str | None = None
    external_id: str | None = None

    @property
    def has_full_name(self) -> bool:
        return bool(self.first_name and self.last_name)

    @property
    def matchable(self) -> bool:
        return bool(self.email_sha256 or self.click_id or self.acxiom_id or self.external_id or self.has_full_name)


def derive_event_id(rule_id: int, parts: Sequence[str]) -> str:
    """A stable id from a row's content and its rule: importing the same file again yields the same ids,
    which is what lets LinkedIn (and our sent-ledger) recognise a repeat."""
    digest = hashlib.sha256("\x1f".join([str(rule_id), *parts]).encode("utf-8")).hexdigest()
    return EVENT_ID_PREFIX + digest[:40]


def build_event(
    *,
    rule_id: int,
    happened_at_ms: int,
    event_id: str,
    person: Person,
    amount: str | None = None,
    currency: str | None = None,
) -> str:
    user_ids: list[dict[str, str]] = []
    if person.email_sha256:
        user_ids.append({"idType": "SHA256_EMAIL", "idValue": person.email_sha256})
    if person.click_id:
        user_ids.append({"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": person.click_id})
    if person.acxiom_id:
        user_ids.append({"idType": "ACXIOM_ID", "idValue": person.acxiom_id})
    # LinkedIn wants userIds present even when empty (matching on userInfo alone).
    user: dict[str, Any] = {"userIds": user_ids}
    if person.has_full_name:
        info = {"firstName": person.first_name, "lastName": person.last_name}
        for key, value in (("companyName", person.company), ("title", person.title), ("countryCode", person.country)):
            if value:
                info[key] = value
        user["userInfo"] = info
    if person.external_id:
        user["externalIds"] = [person.external_id]
    event: dict[str, Any] = {"conversion": RULE_URN.format(rule_id), "conversionHappenedAt": happened_at_ms}
    if amount is not None and currency is not None:
        event["conversionValue"] = {"currencyCode": currency, "amount": amount}
    event["eventId"] = event_id
    event["user"] = user
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
