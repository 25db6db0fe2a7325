"""The hand-assembled event JSON is exactly what json.dumps would write, for any text."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from capi_desktop.core.events import Person, build_event, derive_event_id

text = st.one_of(st.none(), st.text(min_size=1, max_size=40))


def reference(rule_id: int, ms: int, event_id: str, p: Person, amount: str | None, currency: str | None) -> str:
    user: dict[str, object] = {
        "userIds": [
            {"idType": t, "idValue": v}
            for t, v in (
                ("SHA256_EMAIL", p.email_sha256),
                ("LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", p.click_id),
                ("ACXIOM_ID", p.acxiom_id),
            )
            if v
        ]
    }
    if p.first_name and p.last_name:
        info = {"firstName": p.first_name, "lastName": p.last_name}
        info.update(
            {k: v for k, v in (("companyName", p.company), ("title", p.title), ("countryCode", p.country)) if v}
        )
        user["userInfo"] = info
    if p.external_id:
        user["externalIds"] = [p.external_id]
    event: dict[str, object] = {"conversion": f"urn:lla:llaPartnerConversion:{rule_id}", "conversionHappenedAt": ms}
    if amount is not None and currency is not None:
        event["conversionValue"] = {"currencyCode": currency, "amount": amount}
    event |= {"eventId": event_id, "user": user}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


@given(
    rule_id=st.integers(1, 10**12),
    ms=st.integers(10**12, 2 * 10**12),
    event_id=st.text(min_size=1, max_size=64),
    fields=st.tuples(text, text, text, text, text, text, text, text, text),
    amount=st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False).map(str)),
    currency=st.one_of(st.none(), st.sampled_from(["USD", "EUR"])),
)
def test_assembled_json_equals_json_dumps(
    rule_id: int, ms: int, event_id: str, fields: tuple[str | None, ...], amount: str | None, currency: str | None
) -> None:
    person = Person(*fields)
    built = build_event(
        rule_id=rule_id, happened_at_ms=ms, event_id=event_id, person=person, amount=amount, currency=currency
    )
    assert built == reference(rule_id, ms, event_id, person, amount, currency)
    json.loads(built)


def test_event_id_shape() -> None:
    first = derive_event_id(5, "('a', 1)")
    assert first == derive_event_id(5, "('a', 1)") != derive_event_id(6, "('a', 1)")
    assert first.startswith("cd-") and len(first) == 43
