"""Conversion values: amounts as exact decimals, currencies as ISO 4217 codes.

How separators are read (a cell that tells wins, then the column's ``decimal_comma``, then the default):

- "." and "," both present: the last one is the decimal separator ("1,234.56", "1.234,56").
- Spaces (also no-break, narrow no-break and thin spaces) and apostrophes only ever group thousands
  ("1 234,56", "1'234.50"); so does a "." or "," that appears more than once ("1.234.567").
  Indian grouping ("1,23,456.78") is accepted.
- A single "." or "," followed by anything but exactly three digits is the decimal separator ("99,5").
  So is one that cannot group thousands: "0,125" and "1234,567" are decimals.
- A single separator followed by exactly three digits ("1,234", "1.234") is ambiguous. The column
  decides when it can (``detect_decimal_comma``); otherwise it groups thousands, because three
  decimal places are rare in money and "1,234" is how most spreadsheets write one thousand and more.
  Currencies do not decide it: the euro is written "€1,234.56" in Ireland and "1.234,56 €" in Germany.

A bare "$" is read as US dollars, the most common meaning in the spreadsheets this app sees; other
dollars must be written with their code or prefix ("CAD", "CA$", "A$").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

import pycountry

from capi_desktop.core.normalise.problems import Cell, ValueProblem, shown

# A value this large in a value column is almost certainly a mapped id or phone number; the cap
# still leaves room for large deals in currencies with small units (a trillion dong is ~40M USD).
MAX_AMOUNT = Decimal(10) ** 15

# The common case needs no separator analysis: "1234", "-99", "1234.5", "0.99". Exactly three digits
# after the dot ("1.234") is ambiguous and goes the long way.
_PLAIN = re.compile(r"-?\d{1,15}(?:\.(?!\d{3}\Z)\d{1,20})?")
# Only these mark thousands besides "." and ",": space, no-break, figure, thin, narrow no-break
# space, and the Swiss apostrophes.
_GROUP_SPACES = " \u00a0\u2007\u2009\u202f'’"
_AS_SPACE = str.maketrans(dict.fromkeys(_GROUP_SPACES, " "))
_NUMBER = re.compile(rf"[.,]?\d(?:[\d.,{_GROUP_SPACES}]*\d)?")
# Digits grouped in threes by one kind of separator (the first group cannot start with 0, so "0,125"
# is a decimal), then an optional decimal part. Group spaces are folded to " " first.
_SEPARATED = re.compile(
    r"(?P<whole>[1-9]\d{0,2}(?P<group>[., ])\d{3}(?:(?P=group)\d{3})*|\d*)(?:(?P<decimal>[.,])(?P<fraction>\d+))?"
)
_INDIAN = re.compile(r"(\d{1,2}(?:,\d{2})*,\d{3})(?:\.(\d+))?")  # 1,23,456.78
_SPACES = re.compile(r"\s+")
# Around the number: signs and an accounting "(" before, ")" and a trailing minus (SAP) after, and at
# most one currency token on each side ("US $" and "R$" included).
_TOKEN = r"([^-+−–()\d\s]+(?:\s[^-+−–()\d\s]+)*)?"
_BEFORE = re.compile(rf"((?:[-+−–(]\s*)*){_TOKEN}\s*((?:[-+−–(]\s*)*)")
_AFTER = re.compile(rf"((?:[-−–)]\s*)*){_TOKEN}\s*((?:[-−–)]\s*)*)")
_MINUS = "-−–"

# Symbols and words used in place of ISO codes. Keys are casefolded with spaces removed.
_CURRENCY_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "usd$": "USD",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "jp¥": "JPY",
    "円": "JPY",
    "cn¥": "CNY",
    "rmb": "CNY",
    "元": "CNY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₫": "VND",
    "฿": "THB",
    "₱": "PHP",
    "₴": "UAH",
    "₦": "NGN",
    "zł": "PLN",
    "kč": "CZK",
    "ft": "HUF",
    "lei": "RON",
    "r$": "BRL",
    "c$": "CAD",
    "ca$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "sg$": "SGD",
    "mx$": "MXN",
    "fr.": "CHF",
    "sfr.": "CHF",
}
# Symbols shared by several currencies: guessing would silently send the wrong currency.
_AMBIGUOUS_SYMBOLS = {
    "kr": "SEK, NOK, DKK or ISK",
    "kr.": "SEK, NOK, DKK or ISK",
    "rs": "INR, PKR, LKR or NPR",
    "rs.": "INR, PKR, LKR or NPR",
}
# ISO 4217 codes that are not money a conversion can be worth: metals, bond units, test codes.
_NOT_MONEY = frozenset(
    {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XAD", "XTS", "XXX"}
)
# ISO 4217 minor units where they are not 2.
_MINOR_UNITS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None  # None when the cell had no currency symbol or code


def parse_money(cell: Cell, decimal_comma: bool | None = None) -> Money:
    """Read an amount cell (see the module docstring for separators); ``ValueProblem`` if it is not money.

    ``decimal_comma`` is what the whole column showed (``detect_decimal_comma``); it only settles cells
    that are ambiguous on their own, like "1,234".
    """
    if isinstance(cell, str):
        text = cell.strip()
        if _PLAIN.fullmatch(text) is not None:
            return Money(_checked(Decimal(text), cell), None)
        return _parse_money_text(cell, text, decimal_comma)
    if isinstance(cell, bool):
        raise ValueProblem(f"The amount {shown(cell)} is a yes/no value, not an amount of money.")
    if isinstance(cell, int):
        return Money(_checked(Decimal(cell), cell), None)
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise ValueProblem(f"The amount {shown(cell)} is not a number.")
        # repr() is the shortest text that reads back as the same float: 0.1 stays 0.1, not 0.1000000000000000055.
        return Money(_checked(Decimal(repr(cell)), cell), None)
    if cell is None:
        raise ValueProblem("The amount is empty.")
    raise ValueProblem(f"The amount {shown(cell)} is a date or time, not an amount of money.")


def _parse_money_text(cell: str, text: str, decimal_comma: bool | None) -> Money:
    found = _NUMBER.search(text)
    if found is None or "%" in text:
        raise _not_money(cell, text)
    negative = False
    currency = None
    start, end = found.span()
    if start or end < len(text):
        negative, currency = _edges(cell, text, start, end)
    read = _read_number(found.group(), decimal_comma)
    if read is None:
        raise ValueProblem(f"The amount {shown(cell)} mixes thousands and decimal separators in a way we cannot read.")
    amount = Decimal(read[0])
    return Money(_checked(-amount if negative else amount, cell), currency)


def _edges(cell: str, text: str, start: int, end: int) -> tuple[bool, str | None]:
    """Whether the text around the number makes it negative, and the currency it names."""
    head, tail = text[:start].strip(), text[end:].strip()
    # Usually the only thing around the number is a currency ("99 €", "$99"): one cached lookup.
    if not (head and tail):
        currency = _currency_code(head or tail)
        if currency is not None:
            return False, currency
    before = _BEFORE.fullmatch(head)
    after = _AFTER.fullmatch(tail)
    if before is None or after is None:
        raise _not_money(cell, text)
    marks = before[1] + before[3] + after[1] + after[3]
    minus = sum(marks.count(ch) for ch in _MINUS)
    brackets = marks.count("(")
    if brackets != marks.count(")") or minus + brackets + marks.count("+") > 1:
        raise _not_money(cell, text)
    currency = None
    for token in (before[2], after[2]):
        if token:
            code = _currency_in_amount(cell, token)
            if currency is not None and code != currency:
                raise ValueProblem(f"The amount {shown(cell)} names two different currencies.")
            currency = code
    return bool(minus or brackets), currency


def _not_money(cell: str, text: str) -> ValueProblem:
    if not text:
        return ValueProblem("The amount is empty.")
    if "%" in text:
        return ValueProblem(f"The amount {shown(cell)} is a percentage, not an amount of money.")
    return ValueProblem(f"The amount {shown(cell)} is not an amount of money.")


def _checked(amount: Decimal, cell: Cell) -> Decimal:
    if abs(amount) >= MAX_AMOUNT:
        raise ValueProblem(f"The amount {shown(cell)} is too large to be a conversion value.")
    # "-0" and "(0)" are zero; a signed zero would format as "-0.00".
    return abs(amount) if not amount else amount


def _currency_in_amount(cell: str, token: str) -> str:
    code = _currency_code(token)
    if code is not None:
        return code
    ambiguous = _AMBIGUOUS_SYMBOLS.get(_currency_key(token))
    if ambiguous is not None:
        raise ValueProblem(
            f"The amount {shown(cell)} uses {shown(token)}, which could be {ambiguous}; "
            "write the currency code instead."
        )
    raise ValueProblem(f"The amount {shown(cell)} has {shown(token)} where a currency should be.")


def _read_number(core: str, decimal_comma: bool | None) -> tuple[str, bool | None] | None:
    """The plain decimal text of ``core`` (digits and separators), and whether it showed a decimal comma.

    The second item is True for a decimal comma, False for a decimal point, None when ``core`` alone
    cannot tell. Returns None when the separators are inconsistent.
    """
    if not core.isascii() or "'" in core:
        core = core.translate(_AS_SPACE)
    found = _SEPARATED.fullmatch(core)
    if found is None:
        indian = _INDIAN.fullmatch(core)
        if indian is None:
            return None
        return indian[1].replace(",", "") + ("." + indian[2] if indian[2] else ""), False
    whole, group, decimal, fraction = found["whole"], found["group"], found["decimal"], found["fraction"]
    if group is None:
        if decimal is None:
            return whole, None
        return (whole or "0") + "." + fraction, decimal == ","
    if decimal is not None:
        if decimal == group:
            return None
        return whole.replace(group, "") + "." + fraction, decimal == ","
    if group == " ":
        return whole.replace(" ", ""), None
    if whole.count(group) > 1:
        # A repeated separator groups thousands, so the other one must be the decimal separator.
        return whole.replace(group, ""), group == "."
    # "1,234" or "1.234": the column's habit decides, thousands by default (see the module docstring).
    if decimal_comma is not None and decimal_comma == (group == ","):
        return whole.replace(group, "."), None
    return whole.replace(group, ""), None


def detect_decimal_comma(samples: Iterable[Cell]) -> bool | None:
    """True when a column's text amounts use a decimal comma, False for a decimal point, None if unknown.

    None both when no cell tells (all like "1,234" or "99") and when cells disagree; then each cell is
    read on its own and ambiguous ones by the default rule.
    """
    seen: set[bool] = set()
    for cell in samples:
        if not isinstance(cell, str):
            continue
        found = _NUMBER.search(cell)
        if found is None:
            continue
        read = _read_number(found.group(), None)
        if read is not None and read[1] is not None:
            seen.add(read[1])
            if len(seen) > 1:
                return None
    return seen.pop() if seen else None


def normalise_currency(cell: Cell) -> str:
    """ISO 4217 code for a code in any case ("usd"), a symbol ("€", "$" = USD) or a common name ("euro")."""
    if isinstance(cell, str):
        code = _currency_code(cell)
        if code is not None:
            return code
        key = _currency_key(cell)
        if not key:
            raise ValueProblem("The currency is empty.")
        if key in _AMBIGUOUS_SYMBOLS:
            raise ValueProblem(
                f"The currency {shown(cell)} could be {_AMBIGUOUS_SYMBOLS[key]}; write the currency code instead."
            )
    elif cell is None:
        raise ValueProblem("The currency is empty.")
    raise ValueProblem(f"The currency {shown(cell)} is not a currency code such as USD, EUR or GBP.")


@lru_cache(maxsize=1024)
def _currency_code(text: str) -> str | None:
    key = _currency_key(text)
    code = key.upper()
    if code in _iso_currencies():
        return code
    return _CURRENCY_SYMBOLS.get(key)


def _currency_key(text: str) -> str:
    return _SPACES.sub("", text).casefold()


@cache
def _iso_currencies() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies) - _NOT_MONEY


def minor_units(currency: str | None) -> int:
    """Decimal places of ``currency`` (ISO 4217): 2 for most, 0 for JPY, 3 for KWD; 2 when unknown."""
    return 2 if currency is None else _MINOR_UNITS.get(currency.upper(), 2)


def format_amount(amount: Decimal, currency: str | None = None) -> str:
    """The decimal string LinkedIn wants: plain digits, the currency's decimal places ("1500.00", "1500" JPY).

    More precise amounts are rounded half up to the currency's smallest unit, which is all LinkedIn
    reports on.
    """
    places = Decimal(1).scaleb(-minor_units(currency))
    rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
    return f"{abs(rounded) if not rounded else rounded:f}"
