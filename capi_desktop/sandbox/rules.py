"""Validation of a new conversion rule (``POST /rest/conversions``) against the documented schema."""

from __future__ import annotations

import re
from dataclasses import dataclass

from capi_desktop.sandbox.events import REQUIRED, UNRECOGNIZED, show
from capi_desktop.sandbox.seed import CAPI

#: Segment's list of LinkedIn conversion types plus QUALIFIED_LEAD from LinkedIn's schema page.
CONVERSION_TYPES = frozenset(
    {
        "ADD_TO_CART",
        "DOWNLOAD",
        "INSTALL",
        "KEY_PAGE_VIEW",
        "LEAD",
        "PURCHASE",
        "SIGN_UP",
        "OTHER",
        "TALENT_LEAD",
        "JOB_APPLY",
        "SAVE",
        "START_CHECKOUT",
        "SCHEDULE",
        "VIEW_CONTENT",
        "VIEW_VIDEO",
        "ADD_BILLING_INFO",
        "BOOK_APPOINTMENT",
        "REQUEST_QUOTE",
        "SEARCH",
        "SUBSCRIBE",
        "AD_CLICK",
        "AD_VIEW",
        "COMPLETE_SIGNUP",
        "SUBMIT_APPLICATION",
        "PHONE_CALL",
        "INVITE",
        "LOGIN",
        "SHARE",
        "DONATE",
        "ADD_TO_LIST",
        "RATE",
        "START_TRIAL",
        "OUTBOUND_CLICK",
        "CONTACT",
        "MARKETING_QUALIFIED_LEAD",
        "SALES_QUALIFIED_LEAD",
        "QUALIFIED_LEAD",
    }
)
ATTRIBUTION_TYPES = ("LAST_TOUCH_BY_CAMPAIGN", "LAST_TOUCH_BY_CONVERSION")
WINDOW_SIZES = (1, 7, 30, 90)
LONG_WINDOW = 365
LONG_WINDOW_TYPES = ("SUBMIT_APPLICATION", "PURCHASE", "ADD_TO_CART", "QUALIFIED_LEAD", "LEAD")

ACCOUNT_URN = re.compile(r"urn:li:sponsoredAccount:([0-9]+)", re.ASCII)
_RULE_FIELDS = frozenset(
    {
        "account",
        "name",
        "conversionMethod",
        "type",
        "enabled",
        "attributionType",
        "postClickAttributionWindowSize",
        "viewThroughAttributionWindowSize",
    }
)
_MISSING = object()


@dataclass(frozen=True)
class RuleDraft:
    name: str
    account_id: int
    conversion_method: str
    type: str
    enabled: bool
    attribution_type: str
    post_click_window: int
    view_through_window: int


def parse_rule(body: object) -> RuleDraft | list[str]:
    """The draft, or the Rest.li style problem lines (``ERROR :: /path :: text``)."""
    if type(body) is not dict:
        return [f"ERROR :: / :: {show(body)} cannot be coerced to Conversion"]
    problems: list[str] = []

    def add(path: str, text: str) -> None:
        problems.append(f"ERROR :: /{path} :: {text}")

    def required_string(name: str) -> str | None:
        value = body.get(name, _MISSING)
        if value is _MISSING:
            add(name, REQUIRED)
        elif type(value) is not str:
            add(name, f"{show(value)} cannot be coerced to String")
        elif not value.strip():
            add(name, "must not be empty")
        else:
            return value
        return None

    for key in body:
        if key not in _RULE_FIELDS:
            add(key, UNRECOGNIZED)

    account_id = None
    account = required_string("account")
    if account is not None:
        match = ACCOUNT_URN.fullmatch(account)
        if match is None:
            add("account", "Invalid Urn format")
        else:
            account_id = int(match[1])
    name = required_string("name")
    method = required_string("conversionMethod")
    if method is not None and method != CAPI:
        add("conversionMethod", f"{method} is not allowed: rules created through the API must use {CAPI}")
    conversion_type = required_string("type")
    if conversion_type is not None and conversion_type not in CONVERSION_TYPES:
        add("type", f"{conversion_type} is not a known conversion type")

    enabled = body.get("enabled", True)
    if type(enabled) is not bool:
        add("enabled", f"{show(enabled)} cannot be coerced to Boolean")
    attribution = body.get("attributionType", ATTRIBUTION_TYPES[0])
    if attribution not in ATTRIBUTION_TYPES:
        add("attributionType", f"{show(attribution)} is not one of {', '.join(ATTRIBUTION_TYPES)}")
    windows = {}
    for field_name, default in (("postClickAttributionWindowSize", 30), ("viewThroughAttributionWindowSize", 7)):
        size = body.get(field_name, default)
        windows[field_name] = size
        if type(size) is not int:
            add(field_name, f"{show(size)} cannot be coerced to Int")
        elif size == LONG_WINDOW and conversion_type not in LONG_WINDOW_TYPES:
            add(field_name, f"{LONG_WINDOW} is only allowed for conversion types {', '.join(LONG_WINDOW_TYPES)}")
        elif size != LONG_WINDOW and size not in WINDOW_SIZES:
            add(field_name, f"{size} is not one of {', '.join(map(str, WINDOW_SIZES))}, {LONG_WINDOW}")

    if problems or account_id is None or name is None or method is None or conversion_type is None:
        return problems
    return RuleDraft(
        name=name,
        account_id=account_id,
        conversion_method=method,
        type=conversion_type,
        enabled=enabled,
        attribution_type=attribution,
        post_click_window=windows["postClickAttributionWindowSize"],
        view_through_window=windows["viewThroughAttributionWindowSize"],
    )
