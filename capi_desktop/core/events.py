"""Building the exact JSON of one LinkedIn conversion event (the contract's §5.3).

The journal stores this text and the upload sends it byte for byte, so what the preview shows is
exactly what leaves the computer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import polars as pl

RULE_URN = "urn:lla:llaPartnerConversion:{}"
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


# -- event ids ------------------------------------------------------------------------------------
# A row without an event id of its own gets one derived from what its event says (docs/event-ids.md):
#   "cd2-" + the first 40 hex digits of SHA-256 over the UTF-8 of these, joined by U+001F:
#   "2", the rule id, conversionHappenedAt (ms), the SHA256_EMAIL id, firstName, lastName, companyName,
#   the LinkedIn click id, the Acxiom id, the external id, the amount, the currency code
# each as the event sends it, and empty when it does not. The title and country describe the person
# rather than tell conversions apart, and are left out. So an import of the same file gives the same
# ids, and so does the same conversion written another way (2026-11-23 or 23/11/2026).
DERIVED_PREFIX = "cd2-"
ID_CONTENT = ("rule", "ms", "email", "first", "last", "company", "click", "acxiom", "external", "amount", "currency")


def derived_event_ids(content: pl.DataFrame) -> pl.Series:
    """The derived id of each row of ``content`` (its ``ID_CONTENT`` columns, null where the event sends
    nothing); null where ``rule`` is null."""
    import polars as pl
    import polars_hash

    parts = [pl.lit("2")] + [pl.col(name).cast(pl.String).fill_null("") for name in ID_CONTENT]
    text = pl.when(pl.col("rule").is_not_null()).then(pl.concat_str(parts, separator="\x1f"))
    digest = content.select(text.alias("text")).select(polars_hash.col("text").chash.sha2_256()).to_series()
    return (DERIVED_PREFIX + digest.str.slice(0, 40)).alias("event_id")


def id_content(events: Sequence[str]) -> pl.DataFrame:
    """The ``ID_CONTENT`` columns of events ``build_event`` wrote (to derive their ids again)."""
    import polars as pl

    rows = []
    for text in events:
        event = json.loads(text)
        user = event.get("user", {})
        ids = {item["idType"]: item["idValue"] for item in user.get("userIds", ())}
        info = user.get("userInfo", {})
        value = event.get("conversionValue", {})
        rows.append(
            (
                int(event["conversion"].rsplit(":", 1)[1]),
                event["conversionHappenedAt"],
                ids.get("SHA256_EMAIL"),
                info.get("firstName"),
                info.get("lastName"),
                info.get("companyName"),
                ids.get("LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"),
                ids.get("ACXIOM_ID"),
                next(iter(user.get("externalIds", ())), None),
                value.get("amount"),
                value.get("currencyCode"),
            )  # fmt: skip
        )
    schema = {name: pl.String for name in ID_CONTENT} | {"rule": pl.Int64, "ms": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


_LEGACY_PREFIX, _LEGACY_LENGTH = "cd-", 43  # "cd-" and 40 hex digits: the first app versions' derived ids


def is_legacy_derived(event_id: str) -> bool:
    return len(event_id) == _LEGACY_LENGTH and event_id.startswith(_LEGACY_PREFIX)


def legacy_derived_sql(column: str) -> str:
    """``is_legacy_derived`` of ``column`` as an SQL condition."""
    return f"{column} LIKE '{_LEGACY_PREFIX}%' AND length({column}) = {_LEGACY_LENGTH}"


def rederived(rows: Sequence[tuple[int, str, str]]) -> list[tuple[int, str]]:
    """(rule id, derived id) of each (rule id, legacy id, event JSON): what the same row is called now."""
    if not rows:
        return []
    ids = derived_event_ids(id_content([event_json for _, _, event_json in rows])).to_list()
    return [(rule_id, event_id) for (rule_id, _, _), event_id in zip(rows, ids, strict=True)]
