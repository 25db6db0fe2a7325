"""LinkedIn's ad reporting (``GET /rest/adAnalytics``, the Analytics finder) as the sandbox simulates it,
for the CONVERSION pivot that says what LinkedIn credited to each conversion rule.

The sandbox attributes a fixed share of the events it accepted (``attribution_share_percent``) to the
rule's campaigns, chosen by each event's id so the same upload always gives the same figures, once
``reporting_delay_hours`` have passed since the event arrived (LinkedIn: up to 72 hours). Only a rule
with a campaign associated before the event arrived can be credited, as on LinkedIn. Each credited
event counts on the day of its conversion time (UTC), post-click or view-through by its id too.
LinkedIn answers an empty list where the member cannot read the account, and so does the sandbox.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from capi_desktop.sandbox.errors import RestError
from capi_desktop.sandbox.world import World

_DATE = r"\(year:([0-9]{4}),month:([0-9]{1,2}),day:([0-9]{1,2})\)"
_DATE_RANGE = re.compile(rf"\(start:{_DATE}(?:,end:{_DATE})?\)", re.ASCII)
_ACCOUNTS = re.compile(r"List\(urn:li:sponsoredAccount:([0-9]+)\)", re.ASCII)
GRANULARITIES = frozenset({"DAILY", "ALL"})


@dataclass(frozen=True)
class ReportRequest:
    account_id: int
    start: date
    end: date
    daily: bool


def parse_request(args: dict[str, str], today: date) -> ReportRequest:
    """The query of an Analytics-finder request; ``RestError`` 400 for what LinkedIn would refuse, and
    for what the sandbox does not simulate (another pivot or granularity), saying so."""
    pivot = args.get("pivot")
    if pivot != "CONVERSION":
        raise RestError(400, f"The sandbox simulates the CONVERSION pivot only, got {pivot!r}")
    granularity = args.get("timeGranularity")
    if granularity not in GRANULARITIES:
        raise RestError(400, f"The sandbox simulates timeGranularity DAILY and ALL only, got {granularity!r}")
    found = _DATE_RANGE.fullmatch(args.get("dateRange", ""))
    if found is None:
        raise RestError(400, "Query parameter dateRange must be (start:(year:Y,month:M,day:D),end:(…))")
    try:
        start = date(int(found[1]), int(found[2]), int(found[3]))
        end = date(int(found[4]), int(found[5]), int(found[6])) if found[4] else today
    except ValueError as exc:
        raise RestError(400, f"Invalid dateRange: {exc}") from None
    if end < start:
        raise RestError(400, "dateRange.end must not be before dateRange.start")
    account = _ACCOUNTS.fullmatch(args.get("accounts", ""))
    if account is None:
        raise RestError(400, "Query parameter accounts must be List(urn:li:sponsoredAccount:ID)")
    return ReportRequest(int(account[1]), start, end, granularity == "DAILY")


def conversion_report(
    world: World, request: ReportRequest, now_ms: int, share_percent: float, delay_hours: float
) -> list[dict[str, object]]:
    """One element per rule and day (DAILY) or per rule (ALL), in LinkedIn's shape."""
    rules = {rule.id: rule for rule in world.rules_of(request.account_id)}
    visible_until = now_ms - delay_hours * 3_600_000
    totals: dict[tuple[int, date], _Credit] = defaultdict(_Credit)
    for event, received_ms, _member in world.accepted_events():
        rule = rules.get(_rule_id(event))
        if rule is None or received_ms > visible_until:
            continue
        if not any(at <= received_ms for at in rule.campaigns.values()):
            continue  # no campaign associated when it arrived: nothing can be credited
        digest = hashlib.sha256(str(event.get("eventId", "")).encode()).digest()
        happened = event.get("conversionHappenedAt")
        if int.from_bytes(digest[:4], "big") % 10_000 >= share_percent * 100 or not isinstance(happened, int):
            continue
        day = datetime.fromtimestamp(happened / 1000, UTC).date()
        if request.start <= day <= request.end:
            totals[(rule.id, day if request.daily else request.start)].add(digest[4] % 2 == 0, _amount(event))
    elements: list[dict[str, object]] = []
    for (rule_id, day), credit in sorted(totals.items()):
        start, end = (day, day) if request.daily else (request.start, request.end)
        elements.append(
            {
                "pivotValues": [f"urn:lla:llaPartnerConversion:{rule_id}"],
                "dateRange": {"start": _json_date(start), "end": _json_date(end)},
                "externalWebsiteConversions": credit.post_click + credit.post_view,
                "externalWebsitePostClickConversions": credit.post_click,
                "externalWebsitePostViewConversions": credit.post_view,
                "conversionValueInLocalCurrency": str(credit.value),
            }
        )
    return elements


@dataclass
class _Credit:
    post_click: int = 0
    post_view: int = 0
    value: Decimal = Decimal(0)

    def add(self, clicked: bool, amount: Decimal) -> None:
        if clicked:
            self.post_click += 1
        else:
            self.post_view += 1
        self.value += amount


def _rule_id(event: dict[str, object]) -> int:
    tail = str(event.get("conversion", "")).rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def _amount(event: dict[str, object]) -> Decimal:
    value = event.get("conversionValue")
    if not isinstance(value, dict):
        return Decimal(0)
    try:
        return Decimal(str(value.get("amount", "0")))
    except InvalidOperation:
        return Decimal(0)


def _json_date(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}
