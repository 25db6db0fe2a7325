"""The event checker has a fast path for well-formed events and detailed checks that word problems.

These unit tests mutate a valid event at every field in many ways and prove the fast path never lets
through an event the detailed checks would reject (and that it does take the well-formed ones).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_kit import NOW_MS, make_event

from capi_desktop.sandbox import RULE_USD_INSIGHT_TAG
from capi_desktop.sandbox.events import EventCheck, EventLimits, _Checker, check_events
from capi_desktop.sandbox.world import World

LIMITS = EventLimits(now_ms=NOW_MS, max_age_days=90, future_grace_seconds=300, event_id_max_length=64)
RULES = World().rules
REPLACEMENTS: list[Any] = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    " ",
    "x",
    "USD",
    "a" * 64,
    "A" * 64,
    [],
    [""],
    ["a", "b"],
    {},
    {"x": 1},
    NOW_MS,
    NOW_MS // 1000,
    "1500.00",
    "12,5",
    [{}],
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _mutants() -> Iterator[Any]:
    base = make_event(
        user={
            "userIds": [{"idType": "SHA256_EMAIL", "idValue": "b" * 64}],
            "userInfo": {
                "firstName": "Mike",
                "lastName": "Smith",
                "companyName": "Contoso",
                "title": "CTO",
                "countryCode": "US",
            },
            "externalIds": ["crm-1"],
        }
    )
    for path in _paths(base):
        for replacement in [*REPLACEMENTS, "__delete__"]:
            event = copy.deepcopy(base)
            node = event
            for key in path[:-1]:
                node = node[key]
            if replacement == "__delete__":
                del node[path[-1]]
            else:
                node[path[-1]] = copy.deepcopy(replacement)
            yield event
        parent = copy.deepcopy(base)
        node = parent
        for key in path[:-1]:
            node = node[key]
        if isinstance(node, dict):
            node["unexpected"] = 1
            yield parent
    yield from REPLACEMENTS
    yield make_event(RULE_USD_INSIGHT_TAG)


def _detailed_only(events: list[Any], monkeypatch: pytest.MonkeyPatch) -> EventCheck:
    with monkeypatch.context() as patch:
        patch.setattr(_Checker, "_clean", lambda self, event: False)
        return check_events(events, RULES, LIMITS, indexed=True)


def test_fast_path_agrees_with_the_detailed_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    mutants = list(_mutants())
    assert len(mutants) > 400
    for mutant in mutants:
        fast = check_events([mutant], RULES, LIMITS, indexed=True)
        detailed = _detailed_only([mutant], monkeypatch)
        assert (fast.problems, fast.wrong_method, fast.account_ids) == (
            detailed.problems,
            detailed.wrong_method,
            detailed.account_ids,
        ), mutant


def test_fast_path_takes_well_formed_events() -> None:
    checker = _Checker(RULES, LIMITS, indexed=True)
    assert checker._clean(make_event())
    assert checker._clean(
        make_event(conversionValue=None) | {"conversionValue": {"currencyCode": "EUR", "amount": "-3"}}
    )
    minimal = make_event()
    del minimal["eventId"], minimal["conversionValue"], minimal["user"]["userInfo"]
    assert checker._clean(minimal)


def test_valid_events_have_no_problems() -> None:
    check = check_events([make_event(event_id=f"e{i}") for i in range(10)], RULES, LIMITS, indexed=True)
    assert (check.problems, check.wrong_method) == ([], [])
