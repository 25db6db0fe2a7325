"""The hand-assembled event JSON is exactly what json.dumps would write, for any text."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from capi_desktop.core.events import Person, build_event, derived_event_ids, id_content

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


def test_a_derived_event_id_is_the_documented_hash_of_what_the_event_sends() -> None:
    person = Person(email_sha256="ab" * 32, first_name="Ann", last_name="Lee", company="Acme", title="CEO")
    event = build_event(rule_id=5, happened_at_ms=1_700_000_000_000, event_id="x", person=person, amount="9.50",
                        currency="EUR")  # fmt: skip
    content = "\x1f".join(["2", "5", "1700000000000", "ab" * 32, "Ann", "Lee", "Acme", "", "", "", "9.50", "EUR"])
    expected = "cd2-" + hashlib.sha256(content.encode()).hexdigest()[:40]
    (derived,) = derived_event_ids(id_content([event])).to_list()
    assert derived == expected and len(derived) == 44
    # The title (and the country) describe the person; they do not make another conversion.
    other = build_event(rule_id=5, happened_at_ms=1_700_000_000_000, event_id="y",
                        person=person._replace(title="CFO"), amount="9.50", currency="EUR")  # fmt: skip
    assert derived_event_ids(id_content([other])).to_list() == [expected]
    # One name alone is not sent, so it does not enter the id either.
    alone = build_event(rule_id=5, happened_at_ms=1, event_id="z", person=Person(first_name="Ann", click_id="c"))
    content = "\x1f".join(["2", "5", "1", "", "", "", "", "c", "", "", "", ""])
    assert derived_event_ids(id_content([alone])).to_list() == [
        "cd2-" + hashlib.sha256(content.encode()).hexdigest()[:40]
    ]
