"""Building the exact JSON of one LinkedIn conversion event (the contract's §5.3).

The journal stores this text and the upload sends it byte for byte, so what the preview shows is
exactly what leaves the computer.
"""

from __future__ import annotations

import hashlib
from json.encoder import encode_basestring
from typing import NamedTuple

RULE_URN = "urn:lla:llaPartnerConversion:{}"
EVENT_ID_PREFIX = "cd-"
# What the import's match readiness counts: sendable events whose JSON holds each of these (userInfo,
# and so the company, is only sent with both names).
MATCH_KEYS = ('"SHA256_EMAIL"', '"companyName"', '"LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"')


class Person(NamedTuple):
    """Who converted, as LinkedIn matches them: the email only ever as its SHA-256 hash (a tuple: one is
    made per row of a million-row file)."""

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

    @property
    def external_id_only(self) -> bool:
        """Only the advertiser's own id: LinkedIn documents it as a help to matching, not as enough."""
        return bool(self.external_id) and not (
            self.email_sha256 or self.click_id or self.acxiom_id or self.has_full_name
        )


# The warning of a row only the advertiser's own id identifies (both staging paths say it).
EXTERNAL_ID_ONLY = "Only an external id identifies this person; LinkedIn may not be able to match this row."


def derive_event_id(rule_id: int, content: str) -> str:
    """A stable id from a row's content and its rule: importing the same file again yields the same ids,
    which is what lets LinkedIn (and our sent-ledger) recognise a repeat."""
    digest = hashlib.sha256(f"{rule_id}\x1f{content}".encode()).hexdigest()
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
    """The event as compact JSON. Assembled directly (text through the C string encoder) because this
    runs once per row of a million-row file; ``tests/core/test_events.py`` checks it equals json.dumps."""
    ids = [
        f'{{"idType":"{id_type}","idValue":{_text(value)}}}'
        for id_type, value in (
            ("SHA256_EMAIL", person.email_sha256),
            ("LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", person.click_id),
            ("ACXIOM_ID", person.acxiom_id),
        )
        if value
    ]
    # LinkedIn wants userIds present even when empty (matching on userInfo alone).
    user = '{"userIds":[' + ",".join(ids) + "]"
    if person.has_full_name:
        info = f'"firstName":{_text(person.first_name)},"lastName":{_text(person.last_name)}'
        if person.company:
            info += f',"companyName":{_text(person.company)}'
        if person.title:
            info += f',"title":{_text(person.title)}'
        if person.country:
            info += f',"countryCode":{_text(person.country)}'
        user += ',"userInfo":{' + info + "}"
    if person.external_id:
        user += f',"externalIds":[{_text(person.external_id)}]'
    value = ""
    if amount is not None and currency is not None:
        value = f',"conversionValue":{{"currencyCode":{_text(currency)},"amount":{_text(amount)}}}'
    return (
        f'{{"conversion":"{RULE_URN.format(int(rule_id))}","conversionHappenedAt":{int(happened_at_ms)}'
        f'{value},"eventId":{_text(event_id)},"user":{user}}}}}'
    )


def _text(value: str | None) -> str:
    return encode_basestring(value or "")
