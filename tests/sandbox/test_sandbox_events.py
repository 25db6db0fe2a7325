"""POST /rest/conversionEvents: single and batch, every rejection, all-or-nothing, storage."""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sandbox_kit import DAY, NOW_MS, Api, FakeClock, error_of, make_event

from capi_desktop.sandbox import (
    MEMBER_ID,
    RULE_EUR_LEAD,
    RULE_NO_ROLE_LEAD,
    RULE_TEST_LEAD,
    RULE_USD_DISABLED,
    RULE_USD_INSIGHT_TAG,
    RULE_USD_JS_EVENT,
    RULE_USD_LEAD,
    RULE_USD_PURCHASE,
    RULE_VIEWER_LEAD,
    SandboxServer,
)

REQUIRED = "field is required but not found and has no default value"
UNRECOGNIZED = "unrecognized field found but not allowed"
SHA = "a" * 64


def accepted(admin: Callable[..., Any]) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = admin("events")["elements"]
    return elements


def without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    """A copy of event with the field at path removed."""
    event = copy.deepcopy(event)
    node = event
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return event


def with_value(event: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    node = event
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return event


# --- success ------------------------------------------------------------------------------------------------
def test_single_event(api: Api, admin: Callable[..., Any]) -> None:
    event = make_event()
    response = api.send_event(event)
    assert response.status_code == 201
    assert response.content == b""
    assert accepted(admin) == [{"event": event, "receivedAt": NOW_MS, "member": f"urn:li:person:{MEMBER_ID}"}]


def test_batch(api: Api, admin: Callable[..., Any], sandbox: SandboxServer) -> None:
    events = [make_event(event_id=f"crm-{i}") for i in range(3)]
    response = api.send_events(events)
    assert response.status_code == 200
    assert response.json() == {"elements": [{"status": 201}, {"status": 201}, {"status": 201}]}
    assert [e["event"] for e in accepted(admin)] == events
    assert sandbox.accepted_events() == events


def test_minimal_events(api: Api) -> None:
    minimal = {
        "conversion": f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD}",
        "conversionHappenedAt": NOW_MS,
        "user": {"userIds": [{"idType": "SHA256_EMAIL", "idValue": SHA}]},
    }
    by_name = {
        "conversion": f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD}",
        "conversionHappenedAt": NOW_MS,
        "user": {"userIds": [], "userInfo": {"firstName": "Mike", "lastName": "Smith"}},
    }
    by_external_id = {
        "conversion": f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD}",
        "conversionHappenedAt": NOW_MS,
        "user": {"userIds": [], "externalIds": ["crm-0042"]},
    }
    other_ids = {
        "conversion": f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD}",
        "conversionHappenedAt": NOW_MS,
        "user": {
            "userIds": [
                {"idType": t, "idValue": "abc-123"}
                for t in ("LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "ACXIOM_ID", "ORACLE_MOAT_ID")
            ]
        },
    }
    response = api.send_events([minimal, by_name, by_external_id, other_ids])
    assert response.status_code == 200, response.text


def test_events_for_every_writable_account(api: Api) -> None:
    events = [make_event(rule) for rule in (RULE_USD_LEAD, RULE_EUR_LEAD, RULE_TEST_LEAD)]
    assert api.send_events(events).status_code == 200


def test_duplicates_are_stored_again(api: Api, admin: Callable[..., Any]) -> None:
    event = make_event(event_id="same")
    assert api.send_event(event).status_code == 201
    assert api.send_events([event, event]).status_code == 200
    assert [e["event"]["eventId"] for e in accepted(admin)] == ["same", "same", "same"]


def test_concurrent_batches_are_all_stored(api: Api, admin: Callable[..., Any]) -> None:
    batches = [[make_event(event_id=f"t{t}-{i}") for i in range(200)] for t in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda events: api.send_events(events).status_code, batches))
    assert statuses == [200] * 8
    stored = sorted(e["event"]["eventId"] for e in accepted(admin))
    assert stored == sorted(e["eventId"] for events in batches for e in events)


def test_received_time_comes_from_the_clock(api: Api, admin: Callable[..., Any], clock: FakeClock) -> None:
    clock.advance(12.5)
    api.send_event(make_event())
    assert accepted(admin)[0]["receivedAt"] == NOW_MS + 12_500


# --- request envelope ---------------------------------------------------------------------------------------
def test_batch_over_the_limit(api: Api, admin: Callable[..., Any]) -> None:
    response = api.send_events([make_event(event_id=f"e{i}") for i in range(5001)])
    assert error_of(response) == (
        400,
        "BAD_REQUEST",
        "The batch has 5001 elements; at most 5000 conversion events can be sent in one request",
    )
    assert accepted(admin) == []


def test_batch_limit_is_a_knob(api: Api, sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"max_batch": 2})
    assert api.send_events([make_event()] * 2).status_code == 200
    assert error_of(api.send_events([make_event()] * 3))[0] == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"elements": []}, '"elements" must contain at least one conversion event'),
        ({}, 'A BATCH_CREATE request needs a JSON object with an "elements" array'),
        ([make_event()], 'A BATCH_CREATE request needs a JSON object with an "elements" array'),
        ({"elements": make_event()}, '"elements" must be an array'),
        ({"elements": [make_event()], "partial": True}, "Unexpected fields in the batch request: partial"),
    ],
)
def test_batch_envelope_rejections(api: Api, body: Any, message: str) -> None:
    response = api.post("/conversionEvents", body, {"X-RestLi-Method": "BATCH_CREATE"})
    assert error_of(response) == (400, "BAD_REQUEST", message)


def test_batch_body_without_the_batch_header(api: Api) -> None:
    response = api.post("/conversionEvents", {"elements": [make_event()]})
    assert error_of(response) == (
        422,
        "UNPROCESSABLE_ENTITY",
        "\n".join(
            [
                f"ERROR :: /elements :: {UNRECOGNIZED}",
                f"ERROR :: /conversion :: {REQUIRED}",
                f"ERROR :: /conversionHappenedAt :: {REQUIRED}",
                f"ERROR :: /user :: {REQUIRED}",
            ]
        ),
    )


def test_unsupported_restli_method(api: Api) -> None:
    response = api.post("/conversionEvents", make_event(), {"X-RestLi-Method": "BATCH_UPDATE"})
    assert error_of(response) == (400, "BAD_REQUEST", "Unsupported X-RestLi-Method BATCH_UPDATE for conversionEvents")


def test_restli_method_is_case_insensitive(api: Api) -> None:
    response = api.post("/conversionEvents", {"elements": [make_event()]}, {"X-RestLi-Method": "batch_create"})
    assert response.status_code == 200


def test_body_must_be_json(api: Api) -> None:
    import requests

    response = requests.post(
        api.base + "/conversionEvents",
        data="{not json",
        timeout=10,
        headers=api._headers({"Content-Type": "application/json"}),
    )
    status, code, message = error_of(response)
    assert (status, code) == (400, "BAD_REQUEST") and message.startswith("The request body is not valid JSON")


# --- one problem per case -----------------------------------------------------------------------------------
BASE = make_event()
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("no conversion", without(BASE, "conversion"), f"/conversion :: {REQUIRED}"),
    (
        "li namespace",
        with_value(BASE, f"urn:li:llaPartnerConversion:{RULE_USD_LEAD}", "conversion"),
        "/conversion :: Invalid Urn format",
    ),
    ("bare id", with_value(BASE, str(RULE_USD_LEAD), "conversion"), "/conversion :: Invalid Urn format"),
    (
        "urn with newline",
        with_value(BASE, f"urn:lla:llaPartnerConversion:{RULE_USD_LEAD}\n", "conversion"),
        "/conversion :: Invalid Urn format",
    ),
    (
        "numeric conversion",
        with_value(BASE, RULE_USD_LEAD, "conversion"),
        f"/conversion :: {RULE_USD_LEAD} cannot be coerced to Urn",
    ),
    (
        "unknown rule",
        with_value(BASE, "urn:lla:llaPartnerConversion:99", "conversion"),
        "/conversion :: Conversion rule urn:lla:llaPartnerConversion:99 does not exist",
    ),
    (
        "disabled rule",
        with_value(BASE, f"urn:lla:llaPartnerConversion:{RULE_USD_DISABLED}", "conversion"),
        f"/conversion :: Conversion rule urn:lla:llaPartnerConversion:{RULE_USD_DISABLED} is disabled",
    ),
    ("no time", without(BASE, "conversionHappenedAt"), f"/conversionHappenedAt :: {REQUIRED}"),
    (
        "time as string",
        with_value(BASE, str(NOW_MS), "conversionHappenedAt"),
        f"/conversionHappenedAt :: {NOW_MS} cannot be coerced to Long",
    ),
    (
        "time as float",
        with_value(BASE, NOW_MS + 0.5, "conversionHappenedAt"),
        f"/conversionHappenedAt :: {NOW_MS + 0.5} cannot be coerced to Long",
    ),
    (
        "time as bool",
        with_value(BASE, True, "conversionHappenedAt"),
        "/conversionHappenedAt :: true cannot be coerced to Long",
    ),
    (
        "time in seconds",
        with_value(BASE, NOW_MS // 1000, "conversionHappenedAt"),
        f"/conversionHappenedAt :: INVALID_CONVERSION_TIME_FIELD_VALUE: {NOW_MS // 1000} is not in epoch "
        "milliseconds (a value this small looks like seconds)",
    ),
    (
        "too old",
        with_value(BASE, NOW_MS - 90 * DAY * 1000 - 1, "conversionHappenedAt"),
        f"/conversionHappenedAt :: INVALID_CONVERSION_TIME_FIELD_VALUE: {NOW_MS - 90 * DAY * 1000 - 1} is more "
        "than 90 days in the past",
    ),
    (
        "future",
        with_value(BASE, NOW_MS + 300_001, "conversionHappenedAt"),
        f"/conversionHappenedAt :: INVALID_CONVERSION_TIME_FIELD_VALUE: {NOW_MS + 300_001} is in the future",
    ),
    (
        "value not object",
        with_value(BASE, "1500", "conversionValue"),
        "/conversionValue :: 1500 cannot be coerced to ConversionValue",
    ),
    (
        "amount as number",
        with_value(BASE, 12.5, "conversionValue", "amount"),
        "/conversionValue/amount :: 12.5 cannot be coerced to String",
    ),
    ("amount missing", without(BASE, "conversionValue", "amount"), f"/conversionValue/amount :: {REQUIRED}"),
    (
        "amount with comma",
        with_value(BASE, "1,500.00", "conversionValue", "amount"),
        "/conversionValue/amount :: 1,500.00 is not a valid decimal amount",
    ),
    (
        "amount with trailing dot",
        with_value(BASE, "12.", "conversionValue", "amount"),
        "/conversionValue/amount :: 12. is not a valid decimal amount",
    ),
    (
        "currency missing",
        without(BASE, "conversionValue", "currencyCode"),
        f"/conversionValue/currencyCode :: {REQUIRED}",
    ),
    (
        "currency lowercase",
        with_value(BASE, "usd", "conversionValue", "currencyCode"),
        "/conversionValue/currencyCode :: usd is not a valid ISO 4217 currency code",
    ),
    (
        "value extra field",
        with_value(BASE, "USD", "conversionValue", "currency"),
        f"/conversionValue/currency :: {UNRECOGNIZED}",
    ),
    (
        "event id too long",
        with_value(BASE, "x" * 65, "eventId"),
        "/eventId :: length 65 exceeds the maximum length of 64",
    ),
    ("event id empty", with_value(BASE, "", "eventId"), "/eventId :: must not be empty"),
    ("event id number", with_value(BASE, 42, "eventId"), "/eventId :: 42 cannot be coerced to String"),
    ("no user", without(BASE, "user"), f"/user :: {REQUIRED}"),
    ("user not object", with_value(BASE, [], "user"), "/user :: [] cannot be coerced to User"),
    ("no userIds", without(BASE, "user", "userIds"), f"/user/userIds :: {REQUIRED}"),
    (
        "userIds not array",
        with_value(BASE, {"idType": "SHA256_EMAIL", "idValue": SHA}, "user", "userIds"),
        '/user/userIds :: {"idType": "SHA256_EMAIL", "idValue": "' + SHA + '"} cannot be coerced to Array',
    ),
    (
        "unknown idType",
        with_value(BASE, [{"idType": "EMAIL", "idValue": "a@b.c"}], "user", "userIds"),
        "/user/userIds/0/idType :: EMAIL is not one of SHA256_EMAIL, LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID, "
        "ACXIOM_ID, ORACLE_MOAT_ID",
    ),
    (
        "uppercase sha",
        with_value(BASE, [{"idType": "SHA256_EMAIL", "idValue": "A" * 64}], "user", "userIds"),
        "/user/userIds/0/idValue :: a SHA256_EMAIL idValue must be 64 lowercase hexadecimal characters",
    ),
    (
        "plain email",
        with_value(BASE, [{"idType": "SHA256_EMAIL", "idValue": "mike@contoso.com"}], "user", "userIds"),
        "/user/userIds/0/idValue :: a SHA256_EMAIL idValue must be 64 lowercase hexadecimal characters",
    ),
    (
        "userId without value",
        with_value(BASE, [{"idType": "ACXIOM_ID"}], "user", "userIds"),
        f"/user/userIds/0/idValue :: {REQUIRED}",
    ),
    (
        "userId extra field",
        with_value(BASE, [{"idType": "SHA256_EMAIL", "idValue": SHA, "hashed": True}], "user", "userIds"),
        f"/user/userIds/0/hashed :: {UNRECOGNIZED}",
    ),
    ("no first name", without(BASE, "user", "userInfo", "firstName"), f"/user/userInfo/firstName :: {REQUIRED}"),
    ("no last name", without(BASE, "user", "userInfo", "lastName"), f"/user/userInfo/lastName :: {REQUIRED}"),
    (
        "blank last name",
        with_value(BASE, " ", "user", "userInfo", "lastName"),
        "/user/userInfo/lastName :: must not be empty",
    ),
    (
        "country lowercase",
        with_value(BASE, "us", "user", "userInfo", "countryCode"),
        "/user/userInfo/countryCode :: us is not a valid ISO 3166-1 alpha-2 country code",
    ),
    (
        "country alpha-3",
        with_value(BASE, "USA", "user", "userInfo", "countryCode"),
        "/user/userInfo/countryCode :: USA is not a valid ISO 3166-1 alpha-2 country code",
    ),
    (
        "company number",
        with_value(BASE, 7, "user", "userInfo", "companyName"),
        "/user/userInfo/companyName :: 7 cannot be coerced to String",
    ),
    (
        "userInfo extra",
        with_value(BASE, "mike@contoso.com", "user", "userInfo", "email"),
        f"/user/userInfo/email :: {UNRECOGNIZED}",
    ),
    (
        "two external ids",
        with_value(BASE, ["a", "b"], "user", "externalIds"),
        "/user/externalIds :: array size 2 exceeds the maximum size of 1",
    ),
    (
        "external id number",
        with_value(BASE, [5], "user", "externalIds"),
        "/user/externalIds/0 :: 5 cannot be coerced to String",
    ),
    (
        "user extra field",
        with_value(BASE, "urn:li:leadGenFormResponse:1", "user", "lead"),
        f"/user/lead :: {UNRECOGNIZED}",
    ),
    ("event extra field", with_value(BASE, "x", "campaign"), f"/campaign :: {UNRECOGNIZED}"),
    (
        "no identifier",
        with_value(BASE, {"userIds": []}, "user"),
        "/user :: INVALID_USER_IDENTIFICATION_FIELD_VALUE: at least one user identifier (userIds, userInfo or "
        "externalIds) is required",
    ),
    (
        "empty external ids only",
        with_value(BASE, {"userIds": [], "externalIds": []}, "user"),
        "/user :: INVALID_USER_IDENTIFICATION_FIELD_VALUE: at least one user identifier (userIds, userInfo or "
        "externalIds) is required",
    ),
]


@pytest.mark.parametrize(("event", "line"), [(e, line) for _, e, line in CASES], ids=[c[0] for c in CASES])
def test_single_event_rejection(api: Api, admin: Callable[..., Any], event: dict[str, Any], line: str) -> None:
    response = api.send_event(event)
    assert error_of(response) == (422, "UNPROCESSABLE_ENTITY", f"ERROR :: {line}")
    assert accepted(admin) == []


@pytest.mark.parametrize(("event", "line"), [(e, line) for _, e, line in CASES], ids=[c[0] for c in CASES])
def test_batch_rejection_names_the_index(api: Api, admin: Callable[..., Any], event: dict[str, Any], line: str) -> None:
    response = api.send_events([make_event(event_id="ok-0"), make_event(event_id="ok-1"), event])
    assert error_of(response) == (422, "UNPROCESSABLE_ENTITY", f"Index: 2, ERROR :: {line}")
    assert accepted(admin) == []


def test_every_problem_of_every_element_is_listed(api: Api, admin: Callable[..., Any]) -> None:
    bad_value = with_value(make_event(), {"currencyCode": "usd", "amount": 10}, "conversionValue")
    events = [
        make_event(),
        without(bad_value, "user"),
        make_event(),
        with_value(make_event(), "x" * 65, "eventId"),
        7,
    ]
    response = api.send_events(events)
    assert error_of(response) == (
        422,
        "UNPROCESSABLE_ENTITY",
        "\n".join(
            [
                "Index: 1, ERROR :: /conversionValue/currencyCode :: usd is not a valid ISO 4217 currency code",
                "ERROR :: /conversionValue/amount :: 10 cannot be coerced to String",
                f"ERROR :: /user :: {REQUIRED}",
                "Index: 3, ERROR :: /eventId :: length 65 exceeds the maximum length of 64",
                "Index: 4, ERROR :: / :: 7 cannot be coerced to ConversionEvent",
            ]
        ),
    )
    assert accepted(admin) == []


def test_event_age_boundaries(api: Api, sandbox: SandboxServer) -> None:
    oldest, latest = NOW_MS - 90 * DAY * 1000, NOW_MS + 300_000
    assert (
        api.send_events([make_event(conversionHappenedAt=oldest), make_event(conversionHappenedAt=latest)]).status_code
        == 200
    )
    sandbox.knobs.update({"event_max_age_days": 30, "future_grace_seconds": 0})
    assert api.send_event(make_event(conversionHappenedAt=NOW_MS - 31 * DAY * 1000)).status_code == 422
    assert api.send_event(make_event(conversionHappenedAt=NOW_MS + 1)).status_code == 422
    assert api.send_event(make_event(conversionHappenedAt=NOW_MS)).status_code == 201


def test_event_age_follows_the_clock(api: Api, clock: FakeClock) -> None:
    event = make_event(conversionHappenedAt=NOW_MS - 89 * DAY * 1000)
    assert api.send_event(event).status_code == 201
    clock.advance(2 * DAY)
    response = api.send_event(event)
    assert response.status_code == 422
    assert "is more than 90 days in the past" in response.json()["message"]


def test_event_id_length_knob(api: Api, sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"event_id_max_length": 8})
    assert api.send_event(make_event(event_id="12345678")).status_code == 201
    assert error_of(api.send_event(make_event(event_id="123456789")))[2] == (
        "ERROR :: /eventId :: length 9 exceeds the maximum length of 8"
    )


# --- rule method and roles ----------------------------------------------------------------------------------
def test_insight_tag_rules_fail_the_whole_request(api: Api, admin: Callable[..., Any]) -> None:
    events = [
        make_event(RULE_USD_INSIGHT_TAG),
        make_event(),
        make_event(RULE_USD_PURCHASE),
        make_event(RULE_USD_JS_EVENT),
    ]
    response = api.send_events(events)
    assert error_of(response) == (
        400,
        "BAD_REQUEST",
        "Incorrect conversions information provided. Conversion's "
        "method should be CONVERSIONS_API, indices [0, 3] (0-indexed)",
    )
    assert accepted(admin) == []


def test_insight_tag_rule_single_event(api: Api) -> None:
    response = api.send_event(make_event(RULE_USD_INSIGHT_TAG))
    assert error_of(response) == (
        400,
        "BAD_REQUEST",
        "Incorrect conversions information provided. Conversion's "
        "method should be CONVERSIONS_API, indices [0] (0-indexed)",
    )


def test_validation_problems_come_before_the_method_check(api: Api) -> None:
    response = api.send_events([make_event(RULE_USD_INSIGHT_TAG), make_event(eventId="")])
    assert error_of(response) == (422, "UNPROCESSABLE_ENTITY", "Index: 1, ERROR :: /eventId :: must not be empty")


def test_viewer_cannot_send_events(api: Api, admin: Callable[..., Any]) -> None:
    response = api.send_events([make_event(), make_event(RULE_VIEWER_LEAD)])
    assert error_of(response) == (
        403,
        "ACCESS_DENIED",
        f"Member urn:li:person:{MEMBER_ID} has role VIEWER on ad account "
        "urn:li:sponsoredAccount:508790323, which does not allow this operation",
    )
    assert accepted(admin) == []


def test_member_without_role_cannot_send_events(api: Api) -> None:
    response = api.send_event(make_event(RULE_NO_ROLE_LEAD))
    assert error_of(response) == (
        403,
        "ACCESS_DENIED",
        f"Member urn:li:person:{MEMBER_ID} has no role on ad account urn:li:sponsoredAccount:508790325",
    )
