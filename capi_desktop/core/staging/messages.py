"""Every reason staging gives a row, in one place: the preview, the reports and the journal show these.

Reasons name the column, never the value of an email: they are stored in the journal.
"""

from __future__ import annotations

from capi_desktop.core.normalise.dates import DateOrder

EVENT_ID_MAX = 64  # LinkedIn's limit on an event id (the contract's §5.3)

EXTERNAL_ID_ONLY = "Only an external id identifies this person; LinkedIn may not be able to match this row."
ONE_NAME = "Only one of first and last name is filled in, so the name is not sent."
NEGATIVE_VALUE = "The value is negative (a refund?); it is sent as it is."
NO_EMAIL = "There is no email"
NAME_AND_COMPANY = "name and company"
OTHER_IDENTIFIERS = "the other identifiers"
_ORDER_WORDS = {DateOrder.DMY: "day/month/year", DateOrder.MDY: "month/day/year", DateOrder.YMD: "year/month/day"}


def no_event_name(column: str) -> str:
    return f"No event name in “{column}”, so no conversion rule applies."


def unmapped_event_name(name: str) -> str:
    return f"The event name “{name}” is not mapped to a conversion rule."


def not_an_email(column: str) -> str:
    """The start of a sentence: the value in an email column is not an email address."""
    return f"The value in “{column}” is not a valid email address"


def unmatchable(what: str) -> str:
    """``what`` is ``NO_EMAIL`` or ``not_an_email(column)``."""
    return f"{what}, and there is no first and last name or click id LinkedIn could match instead."


def not_an_email_but_external_id(column: str) -> str:
    return f"{not_an_email(column)}. {EXTERNAL_ID_ONLY}"


def not_an_email_matching_on(column: str, basis: str) -> str:
    """``basis`` is ``NAME_AND_COMPANY`` or ``OTHER_IDENTIFIERS``."""
    return f"{not_an_email(column)}; LinkedIn will match on {basis}."


def no_email_matching_on(basis: str) -> str:
    return f"No email; LinkedIn will match on {basis} only."


def country_dropped(problem: str) -> str:
    return f"{problem} It is sent without a country."


def no_time(column: str) -> str:
    return f"The conversion time in “{column}” is empty."


def other_date_order(cell: str, order: DateOrder) -> str:
    return f"The date “{cell}” is written in a different day/month order from earlier rows ({_ORDER_WORDS[order]})."


def untold_date_order(cell: str) -> str:
    return (
        f"The date “{cell}” could be day/month or month/day and no row in the column tells which. "
        "Choose the date order."
    )


def long_event_id(column: str) -> str:
    return f"The event id in “{column}” is longer than {EVENT_ID_MAX} characters."


def no_currency(amount: str) -> str:
    return f"The value {amount} has no currency: choose a currency column or a default currency for all rows."


def currency_clash(marked: str, column: str) -> str:
    return f"The value is marked {marked} but the currency column says {column}."
