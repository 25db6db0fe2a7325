"""Strict validation of conversion events, as ``POST /rest/conversionEvents`` does it.

Every problem of every element is collected as one Rest.li style line
(``Index: N, ERROR :: /json/path :: description``); the caller rejects the whole request if there is
any. This runs on 5,000-event batches at benchmark speed, hence precompiled regexes, ``type(x) is``
checks, plain loops, a per-request cache of rule look-ups, and no copying of the events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from capi_desktop.sandbox.seed import CAPI, ConversionRule

REQUIRED = "field is required but not found and has no default value"
UNRECOGNIZED = "unrecognized field found but not allowed"
#: Smaller values are taken for epoch seconds (10^12 ms is September 2001).
SECONDS_THRESHOLD = 10**12

ID_TYPES = ("SHA256_EMAIL", "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "ACXIOM_ID", "ORACLE_MOAT_ID")
_ID_TYPE_SET = frozenset(ID_TYPES)
_EVENT_FIELDS = frozenset({"conversion", "conversionHappenedAt", "conversionValue", "eventId", "user"})
_VALUE_FIELDS = frozenset({"currencyCode", "amount"})
_USER_FIELDS = frozenset({"userIds", "userInfo", "externalIds"})
_USER_ID_FIELDS = frozenset({"idType", "idValue"})
_USER_INFO_FIELDS = frozenset({"firstName", "lastName", "companyName", "title", "countryCode"})
_MAX_EXTERNAL_IDS = 1

# re.ASCII: \d and friends would otherwise accept other scripts' digits. Always used with fullmatch,
# because "$" would accept a trailing newline.
RULE_URN = re.compile(r"urn:lla:llaPartnerConversion:([0-9]+)", re.ASCII)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}", re.ASCII)
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)

_MISSING = object()


@dataclass(frozen=True)
class EventLimits:
    now_ms: int
    max_age_days: int
    future_grace_seconds: int
    event_id_max_length: int

    @property
    def oldest_ms(self) -> int:
        return self.now_ms - self.max_age_days * 86_400_000

    @property
    def latest_ms(self) -> int:
        return self.now_ms + self.future_grace_seconds * 1000


@dataclass
class EventCheck:
    problems: list[str] = field(default_factory=list)
    #: Indices of events whose rule is not a CONVERSIONS_API rule (LinkedIn answers those with a 400).
    wrong_method: list[int] = field(default_factory=list)
    #: Accounts owning the existing rules the events name (the member must be allowed to write there).
    account_ids: set[int] = field(default_factory=set)


class _RuleVerdict(NamedTuple):
    problem: str | None
    wrong_method: bool
    account_id: int | None


def show(value: object) -> str:
    """A value as Rest.li quotes it in messages: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def check_events(
    events: list[object], rules: Mapping[int, ConversionRule], limits: EventLimits, *, indexed: bool
) -> EventCheck:
    """Check every event; ``indexed`` prefixes lines with ``Index: N, `` (batch requests)."""
    return _Checker(rules, limits, indexed).run(events)


class _Checker:
    def __init__(self, rules: Mapping[int, ConversionRule], limits: EventLimits, indexed: bool) -> None:
        self._rules = rules
        self._limits = limits
        self._oldest_ms = limits.oldest_ms
        self._latest_ms = limits.latest_ms
        self._indexed = indexed
        self._last_index: int | None = None
        self._verdicts: dict[str, _RuleVerdict] = {}
        self._result = EventCheck()

    def run(self, events: list[object]) -> EventCheck:
        clean = self._clean
        for index, event in enumerate(events):
            if not clean(event):
                self._event(index, event)
        self._result.account_ids = {v.account_id for v in self._verdicts.values() if v.account_id is not None}
        return self._result

    def _clean(self, event: object) -> bool:
        """True only if the event has no problem at all: a flat fast path for well-formed events.

        Anything it rejects goes through the detailed checks below, which word the problems; a test
        (tests/sandbox/test_event_checker.py) keeps the two in agreement on many malformed events.
        """
        if type(event) is not dict or not event.keys() <= _EVENT_FIELDS:
            return False
        conversion = event.get("conversion")
        if type(conversion) is not str:
            return False
        verdict = self._verdicts.get(conversion)
        if verdict is None:
            verdict = self._verdicts[conversion] = self._judge_rule(conversion)
        if verdict.problem is not None or verdict.wrong_method:
            return False
        happened_at = event.get("conversionHappenedAt")
        if type(happened_at) is not int or not self._oldest_ms <= happened_at <= self._latest_ms:
            return False
        value = event.get("conversionValue", _MISSING)
        if value is not _MISSING:
            if type(value) is not dict or value.keys() != _VALUE_FIELDS:
                return False
            currency, amount = value["currencyCode"], value["amount"]
            if (
                type(currency) is not str
                or type(amount) is not str
                or _CURRENCY.fullmatch(currency) is None
                or _AMOUNT.fullmatch(amount) is None
            ):
                return False
        event_id = event.get("eventId", "-")
        if type(event_id) is not str or not 0 < len(event_id) <= self._limits.event_id_max_length:
            return False

        user = event.get("user")
        if type(user) is not dict or not user.keys() <= _USER_FIELDS:
            return False
        user_ids = user.get("userIds")
        if type(user_ids) is not list:
            return False
        for user_id in user_ids:
            if type(user_id) is not dict or user_id.keys() != _USER_ID_FIELDS:
                return False
            id_type, id_value = user_id["idType"], user_id["idValue"]
            if type(id_type) is not str or type(id_value) is not str:
                return False
            if id_type == "SHA256_EMAIL":
                if _SHA256_HEX.fullmatch(id_value) is None:
                    return False
            elif id_type not in _ID_TYPE_SET or not id_value:
                return False
        user_info = user.get("userInfo", _MISSING)
        if user_info is not _MISSING:
            if type(user_info) is not dict or not user_info.keys() <= _USER_INFO_FIELDS:
                return False
            first, last = user_info.get("firstName"), user_info.get("lastName")
            if type(first) is not str or type(last) is not str or not first.strip() or not last.strip():
                return False
            if type(user_info.get("companyName", "")) is not str or type(user_info.get("title", "")) is not str:
                return False
            country = user_info.get("countryCode", "US")
            if type(country) is not str or _COUNTRY.fullmatch(country) is None:
                return False
        external_ids = user.get("externalIds", _MISSING)
        if external_ids is not _MISSING:
            if type(external_ids) is not list or len(external_ids) > _MAX_EXTERNAL_IDS:
                return False
            for external_id in external_ids:
                if type(external_id) is not str or not external_id:
                    return False
        return bool(user_ids) or user_info is not _MISSING or (external_ids is not _MISSING and bool(external_ids))

    def _add(self, index: int, path: str, text: str) -> None:
        # As LinkedIn writes it: only an event's first line names its index; its other lines follow it.
        prefix = f"Index: {index}, " if self._indexed and index != self._last_index else ""
        self._last_index = index
        self._result.problems.append(f"{prefix}ERROR :: {path} :: {text}")

    def _event(self, i: int, event: object) -> None:
        if type(event) is not dict:
            self._add(i, "/", f"{show(event)} cannot be coerced to ConversionEvent")
            return
        for key in event:
            if key not in _EVENT_FIELDS:
                self._add(i, f"/{key}", UNRECOGNIZED)

        conversion = event.get("conversion", _MISSING)
        if conversion is _MISSING:
            self._add(i, "/conversion", REQUIRED)
        else:
            self._conversion(i, conversion)

        happened_at = event.get("conversionHappenedAt", _MISSING)
        if type(happened_at) is int:
            if not self._oldest_ms <= happened_at <= self._latest_ms:
                self._time(i, happened_at)
        elif happened_at is _MISSING:
            self._add(i, "/conversionHappenedAt", REQUIRED)
        else:
            self._add(i, "/conversionHappenedAt", f"{show(happened_at)} cannot be coerced to Long")

        value = event.get("conversionValue", _MISSING)
        if value is not _MISSING:
            self._value(i, value)

        event_id = event.get("eventId", _MISSING)
        if event_id is not _MISSING:
            self._event_id(i, event_id)

        user = event.get("user", _MISSING)
        if user is _MISSING:
            self._add(i, "/user", REQUIRED)
        else:
            self._user(i, user)

    def _conversion(self, i: int, conversion: object) -> None:
        if type(conversion) is not str:
            self._add(i, "/conversion", f"{show(conversion)} cannot be coerced to Urn")
            return
        verdict = self._verdicts.get(conversion)
        if verdict is None:
            verdict = self._verdicts[conversion] = self._judge_rule(conversion)
        if verdict.problem is not None:
            self._add(i, "/conversion", verdict.problem)
        if verdict.wrong_method:
            self._result.wrong_method.append(i)

    def _judge_rule(self, urn: str) -> _RuleVerdict:
        match = RULE_URN.fullmatch(urn)
        if match is None:
            return _RuleVerdict("Invalid Urn format", False, None)
        rule = self._rules.get(int(match[1]))
        if rule is None:
            return _RuleVerdict(f"Conversion rule {urn} does not exist", False, None)
        if rule.conversion_method != CAPI:
            return _RuleVerdict(None, True, rule.account_id)
        if not rule.enabled:
            return _RuleVerdict(f"Conversion rule {urn} is disabled", False, rule.account_id)
        return _RuleVerdict(None, False, rule.account_id)

    def _time(self, i: int, happened_at: int) -> None:
        path = "/conversionHappenedAt"
        if happened_at < SECONDS_THRESHOLD:
            self._add(
                i,
                path,
                f"INVALID_CONVERSION_TIME_FIELD_VALUE: {happened_at} is not in epoch "
                "milliseconds (a value this small looks like seconds)",
            )
        elif happened_at < self._oldest_ms:
            self._add(
                i,
                path,
                f"INVALID_CONVERSION_TIME_FIELD_VALUE: {happened_at} is more than "
                f"{self._limits.max_age_days} days in the past",
            )
        else:
            self._add(i, path, f"INVALID_CONVERSION_TIME_FIELD_VALUE: {happened_at} is in the future")

    def _value(self, i: int, value: object) -> None:
        if type(value) is not dict:
            self._add(i, "/conversionValue", f"{show(value)} cannot be coerced to ConversionValue")
            return
        for key in value:
            if key not in _VALUE_FIELDS:
                self._add(i, f"/conversionValue/{key}", UNRECOGNIZED)
        currency = value.get("currencyCode", _MISSING)
        if currency is _MISSING:
            self._add(i, "/conversionValue/currencyCode", REQUIRED)
        elif type(currency) is not str:
            self._add(i, "/conversionValue/currencyCode", f"{show(currency)} cannot be coerced to String")
        elif _CURRENCY.fullmatch(currency) is None:
            self._add(i, "/conversionValue/currencyCode", f"{currency} is not a valid ISO 4217 currency code")
        amount = value.get("amount", _MISSING)
        if amount is _MISSING:
            self._add(i, "/conversionValue/amount", REQUIRED)
        elif type(amount) is not str:
            self._add(i, "/conversionValue/amount", f"{show(amount)} cannot be coerced to String")
        elif _AMOUNT.fullmatch(amount) is None:
            self._add(i, "/conversionValue/amount", f"{amount} is not a valid decimal amount")

    def _event_id(self, i: int, event_id: object) -> None:
        if type(event_id) is not str:
            self._add(i, "/eventId", f"{show(event_id)} cannot be coerced to String")
        elif not event_id:
            self._add(i, "/eventId", "must not be empty")
        elif len(event_id) > self._limits.event_id_max_length:
            self._add(
                i,
                "/eventId",
                f"length {len(event_id)} exceeds the maximum length of {self._limits.event_id_max_length}",
            )

    def _user(self, i: int, user: object) -> None:
        if type(user) is not dict:
            self._add(i, "/user", f"{show(user)} cannot be coerced to User")
            return
        for key in user:
            if key not in _USER_FIELDS:
                self._add(i, f"/user/{key}", UNRECOGNIZED)
        identified = False

        user_ids = user.get("userIds", _MISSING)
        if user_ids is _MISSING:
            self._add(i, "/user/userIds", REQUIRED)
        elif type(user_ids) is not list:
            self._add(i, "/user/userIds", f"{show(user_ids)} cannot be coerced to Array")
        else:
            for j, user_id in enumerate(user_ids):
                self._user_id(i, j, user_id)
            identified = bool(user_ids)

        user_info = user.get("userInfo", _MISSING)
        if user_info is not _MISSING:
            self._user_info(i, user_info)
            identified = True

        external_ids = user.get("externalIds", _MISSING)
        if external_ids is not _MISSING:
            self._external_ids(i, external_ids)
            identified = identified or (type(external_ids) is list and bool(external_ids))

        if not identified:
            self._add(
                i,
                "/user",
                "INVALID_USER_IDENTIFICATION_FIELD_VALUE: at least one user identifier "
                "(userIds, userInfo or externalIds) is required",
            )

    def _user_id(self, i: int, j: int, user_id: object) -> None:
        path = f"/user/userIds/{j}"
        if type(user_id) is not dict:
            self._add(i, path, f"{show(user_id)} cannot be coerced to UserIdentifier")
            return
        for key in user_id:
            if key not in _USER_ID_FIELDS:
                self._add(i, f"{path}/{key}", UNRECOGNIZED)
        id_type = user_id.get("idType", _MISSING)
        if id_type is _MISSING:
            self._add(i, f"{path}/idType", REQUIRED)
        elif type(id_type) is not str or id_type not in _ID_TYPE_SET:
            self._add(i, f"{path}/idType", f"{show(id_type)} is not one of {', '.join(ID_TYPES)}")
        id_value = user_id.get("idValue", _MISSING)
        if id_value is _MISSING:
            self._add(i, f"{path}/idValue", REQUIRED)
        elif type(id_value) is not str:
            self._add(i, f"{path}/idValue", f"{show(id_value)} cannot be coerced to String")
        elif id_type == "SHA256_EMAIL":
            if _SHA256_HEX.fullmatch(id_value) is None:
                self._add(i, f"{path}/idValue", "a SHA256_EMAIL idValue must be 64 lowercase hexadecimal characters")
        elif not id_value:
            self._add(i, f"{path}/idValue", "must not be empty")

    def _user_info(self, i: int, user_info: object) -> None:
        path = "/user/userInfo"
        if type(user_info) is not dict:
            self._add(i, path, f"{show(user_info)} cannot be coerced to UserInfo")
            return
        for key in user_info:
            if key not in _USER_INFO_FIELDS:
                self._add(i, f"{path}/{key}", UNRECOGNIZED)
        for name in ("firstName", "lastName"):
            text = user_info.get(name, _MISSING)
            if text is _MISSING:
                self._add(i, f"{path}/{name}", REQUIRED)
            elif type(text) is not str:
                self._add(i, f"{path}/{name}", f"{show(text)} cannot be coerced to String")
            elif not text.strip():
                self._add(i, f"{path}/{name}", "must not be empty")
        for name in ("companyName", "title"):
            text = user_info.get(name, _MISSING)
            if text is not _MISSING and type(text) is not str:
                self._add(i, f"{path}/{name}", f"{show(text)} cannot be coerced to String")
        country = user_info.get("countryCode", _MISSING)
        if country is _MISSING:
            return
        if type(country) is not str:
            self._add(i, f"{path}/countryCode", f"{show(country)} cannot be coerced to String")
        elif _COUNTRY.fullmatch(country) is None:
            self._add(i, f"{path}/countryCode", f"{country} is not a valid ISO 3166-1 alpha-2 country code")

    def _external_ids(self, i: int, external_ids: object) -> None:
        path = "/user/externalIds"
        if type(external_ids) is not list:
            self._add(i, path, f"{show(external_ids)} cannot be coerced to Array")
            return
        if len(external_ids) > _MAX_EXTERNAL_IDS:
            self._add(i, path, f"array size {len(external_ids)} exceeds the maximum size of {_MAX_EXTERNAL_IDS}")
        for j, external_id in enumerate(external_ids):
            if type(external_id) is not str:
                self._add(i, f"{path}/{j}", f"{show(external_id)} cannot be coerced to String")
            elif not external_id:
                self._add(i, f"{path}/{j}", "must not be empty")
