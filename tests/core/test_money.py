"""Amounts in every locale's writing, currencies to ISO 4217, and the decimal string LinkedIn gets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from capi_desktop.core.normalise.money import (
    MAX_AMOUNT,
    Money,
    detect_decimal_comma,
    format_amount,
    minor_units,
    normalise_currency,
    parse_money,
)
from capi_desktop.core.normalise.problems import ValueProblem


@pytest.mark.parametrize(
    ("cell", "amount", "currency"),
    [
        ("1,234.56", "1234.56", None),
        ("1.234,56", "1234.56", None),
        ("1 234,56", "1234.56", None),
        ("1\u00a0234,56", "1234.56", None),  # no-break space, as French Excel writes it
        ("1\u202f234,56", "1234.56", None),  # narrow no-break space
        ("1'234.50", "1234.50", None),
        ("1’234.50", "1234.50", None),
        ("1,234,567.89", "1234567.89", None),
        ("1.234.567,89", "1234567.89", None),
        ("1 234 567", "1234567", None),
        ("1,23,456.78", "123456.78", None),  # Indian grouping
        ("1234.56", "1234.56", None),
        ("1234,56", "1234.56", None),
        ("99,5", "99.5", None),
        ("0.125", "0.125", None),
        ("0,125", "0.125", None),
        ("1234,567", "1234.567", None),
        (".5", "0.5", None),
        ("$99", "99", "USD"),
        ("$ 99.90", "99.90", "USD"),
        ("US$99", "99", "USD"),
        ("99 €", "99", "EUR"),
        ("99€", "99", "EUR"),
        ("1.234,56 €", "1234.56", "EUR"),
        ("€1,234.56", "1234.56", "EUR"),
        ("EUR 99", "99", "EUR"),
        ("99 EUR", "99", "EUR"),
        ("99 eur", "99", "EUR"),
        ("£1,200", "1200", "GBP"),
        ("¥1,200", "1200", "JPY"),
        ("CHF 1'234.50", "1234.50", "CHF"),
        ("R$ 1.234,56", "1234.56", "BRL"),
        ("CA$99", "99", "CAD"),
        ("1 234,56 zł", "1234.56", "PLN"),
        ("$99 USD", "99", "USD"),
        ("-50", "-50", None),
        ("−50", "-50", None),  # the Unicode minus sign
        ("- 50", "-50", None),
        ("-$50", "-50", "USD"),
        ("$-50", "-50", "USD"),
        ("(50)", "-50", None),
        ("($1,234.56)", "-1234.56", "USD"),
        ("(1.234,56 €)", "-1234.56", "EUR"),
        ("1,234.56-", "-1234.56", None),  # SAP's trailing minus
        ("+50", "50", None),
        ("0", "0", None),
        ("0.00", "0.00", None),
        ("-0", "0", None),
        ("(0)", "0", None),
        ("  42  ", "42", None),
    ],
)
def test_amounts(cell: str, amount: str, currency: str | None) -> None:
    money = parse_money(cell)
    assert money == Money(Decimal(amount), currency)
    assert str(money.amount) == amount  # the exact digits, not just an equal value


@pytest.mark.parametrize(
    ("cell", "decimal_comma", "amount"),
    [
        ("1,234", None, "1234"),
        ("1.234", None, "1234"),
        ("1,234", True, "1.234"),
        ("1.234", True, "1234"),
        ("1,234", False, "1234"),
        ("1.234", False, "1.234"),
        ("$1,234", True, "1.234"),
        ("999.999", False, "999.999"),
        # A cell that tells by itself wins over the column.
        ("1,234.5", True, "1234.5"),
        ("1.234,5", False, "1234.5"),
        ("1,5", False, "1.5"),
        ("1.5", True, "1.5"),
        ("1.234.567", False, "1234567"),
    ],
)
def test_three_digits_after_one_separator_follow_the_column(cell: str, decimal_comma: bool | None, amount: str) -> None:
    assert str(parse_money(cell, decimal_comma=decimal_comma).amount) == amount


@pytest.mark.parametrize(
    ("cell", "amount"),
    [(0, "0"), (42, "42"), (-7, "-7"), (0.1, "0.1"), (1234.56, "1234.56"), (19.99, "19.99"), (1e-7, "1E-7")],
)
def test_number_cells_keep_the_digits_people_see(cell: float, amount: str) -> None:
    assert parse_money(cell) == Money(Decimal(amount), None)


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("12.5%", "is a percentage"),
        ("12,5 %", "is a percentage"),
        ("abc", 'The amount "abc" is not an amount of money.'),
        ("n/a", "is not an amount of money"),
        ("-", "is not an amount of money"),
        ("--5", "is not an amount of money"),
        ("-(5)", "is not an amount of money"),
        ("(5", "is not an amount of money"),
        ("5 - 6", "is not an amount of money"),
        ("1e5", "is not an amount of money"),
        ("100 kr", "SEK, NOK, DKK or ISK"),
        ("Rs. 500", "INR, PKR, LKR or NPR"),
        ("100 XYZ", '"XYZ" where a currency should be'),
        ("approx 100", '"approx" where a currency should be'),
        ("$99 EUR", "two different currencies"),
        ("1.2.3", "separators"),
        ("1,234,56", "separators"),
        ("1,2345,678", "separators"),
        ("12 34", "separators"),
        ("1 234.567,8", "separators"),
        ("23.11.2026", "separators"),
        ("1000000000000000", "too large"),
        ("", "The amount is empty."),
        ("   ", "The amount is empty."),
    ],
)
def test_bad_amounts_say_what_is_wrong(cell: str, words: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_money(cell)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        (None, "The amount is empty."),
        (True, "yes/no"),
        (float("nan"), "not a number"),
        (float("inf"), "not a number"),
        (1e16, "too large"),
        (datetime(2026, 1, 1), "date or time"),
        (date(2026, 1, 1), "date or time"),
    ],
)
def test_non_amount_cells_are_problems(cell: object, words: str) -> None:
    with pytest.raises(ValueProblem, match=words):
        parse_money(cell)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["1.234,56 €", "99", "12,50"], True),
        (["1,234.56", "99", "$12.50"], False),
        (["1.234.567", "5"], True),  # a repeated dot groups thousands
        (["1,234,567"], False),
        (["1 234,5"], True),
        (["0,125"], True),
        (["1,234", "1.234", "99", "1 000"], None),  # nothing tells
        (["1,5", "1.5"], None),  # cells disagree
        ([12.5, 3, None, True], None),  # typed cells say nothing about text
        ([], None),
    ],
)
def test_detect_decimal_comma(samples: list[object], expected: bool | None) -> None:
    assert detect_decimal_comma(samples) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("USD", "USD"),
        ("usd", "USD"),
        (" eur ", "EUR"),
        ("GBP", "GBP"),
        ("JPY", "JPY"),
        ("$", "USD"),
        ("US$", "USD"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("¥", "JPY"),
        ("₹", "INR"),
        ("R$", "BRL"),
        ("A$", "AUD"),
        ("Euro", "EUR"),
        ("euros", "EUR"),
        ("CHF", "CHF"),
        ("zł", "PLN"),
    ],
)
def test_currencies(cell: str, code: str) -> None:
    assert normalise_currency(cell) == code


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("EURO dollars", "is not a currency code such as USD, EUR or GBP"),
        ("XXX", "is not a currency code"),  # ISO's "no currency"
        ("XAU", "is not a currency code"),  # gold
        ("US", "is not a currency code"),
        ("kr", "SEK, NOK, DKK or ISK"),
        ("", "The currency is empty."),
        (None, "The currency is empty."),
        (840, 'The currency "840"'),
    ],
)
def test_bad_currencies(cell: object, words: str) -> None:
    with pytest.raises(ValueProblem, match=words):
        normalise_currency(cell)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("1500", "USD", "1500.00"),
        ("1500", None, "1500.00"),
        ("1500", "EUR", "1500.00"),
        ("1500", "JPY", "1500"),
        ("1500.4", "JPY", "1500"),
        ("1500.5", "JPY", "1501"),
        ("1.2345", "KWD", "1.235"),
        ("0.005", "USD", "0.01"),
        ("-0.004", "USD", "0.00"),
        ("-12.5", "USD", "-12.50"),
        ("1E+6", "USD", "1000000.00"),
        ("1E-7", "USD", "0.00"),
        ("1234567.891", "EUR", "1234567.89"),
        ("99", "usd", "99.00"),
    ],
)
def test_format_amount(amount: str, currency: str | None, text: str) -> None:
    assert format_amount(Decimal(amount), currency) == text


def test_minor_units() -> None:
    assert (minor_units("USD"), minor_units("JPY"), minor_units("KWD"), minor_units("CLF"), minor_units(None)) == (
        2,
        0,
        3,
        4,
        2,
    )


# How each locale writes 1234567.89: (thousands separator, decimal separator, column's decimal_comma).
LOCALES = {
    "en": (",", ".", False),
    "de": (".", ",", True),
    "fr": ("\u202f", ",", True),
    "fr-nbsp": ("\u00a0", ",", True),
    "se": (" ", ",", True),
    "ch": ("'", ".", False),
    "plain-dot": ("", ".", False),
    "plain-comma": ("", ",", True),
}


def write(amount: Decimal, places: int, locale: str) -> str:
    group, point, _ = LOCALES[locale]
    text = f"{abs(amount):,.{places}f}".replace(",", "\0").replace(".", point).replace("\0", group)
    return text


amounts = st.decimals(min_value=0, max_value=Decimal("1e12") - 1, allow_nan=False, allow_infinity=False)
decorations = st.sampled_from(
    [("{}", None), ("${}", "USD"), ("{} €", "EUR"), ("EUR {}", "EUR"), ("£{}", "GBP"), ("{} CHF", "CHF")]
)
signs = st.sampled_from(["plain", "minus", "brackets", "trailing"])


def decorate(text: str, decoration: tuple[str, str | None], sign: str, negative: bool) -> str:
    text = decoration[0].format(text)
    if not negative:
        return text
    return {"plain": "-" + text, "minus": "-" + text, "brackets": f"({text})", "trailing": text + "-"}[sign]


@given(amounts, st.integers(0, 4), st.sampled_from(sorted(LOCALES)), decorations, signs, st.booleans())
def test_amounts_round_trip_with_the_columns_locale(
    amount: Decimal, places: int, locale: str, decoration: tuple[str, str | None], sign: str, negative: bool
) -> None:
    exact = amount.quantize(Decimal(1).scaleb(-places))
    cell = decorate(write(exact, places, locale), decoration, sign, negative)
    money = parse_money(cell, decimal_comma=LOCALES[locale][2])
    assert money.amount == (-exact if negative else exact)
    assert money.currency == decoration[1]


@given(amounts, st.sampled_from([0, 1, 2, 4]), st.sampled_from(sorted(LOCALES)), decorations)
def test_amounts_that_cannot_be_ambiguous_round_trip_without_a_column_hint(
    amount: Decimal, places: int, locale: str, decoration: tuple[str, str | None]
) -> None:
    exact = amount.quantize(Decimal(1).scaleb(-places))
    cell = decorate(write(exact, places, locale), decoration, "plain", False)
    assert parse_money(cell) == Money(exact, decoration[1])


@given(st.lists(st.tuples(amounts, st.integers(0, 4)), min_size=1, max_size=20), st.sampled_from(sorted(LOCALES)))
def test_column_detection_is_never_wrong(values: list[tuple[Decimal, int]], locale: str) -> None:
    cells = [write(amount.quantize(Decimal(1).scaleb(-places)), places, locale) for amount, places in values]
    assert detect_decimal_comma(cells) in (LOCALES[locale][2], None)


@given(st.decimals(min_value=-MAX_AMOUNT + 1, max_value=MAX_AMOUNT - 1, allow_nan=False, places=2))
def test_formatted_amounts_read_back(amount: Decimal) -> None:
    text = format_amount(amount, "USD")
    assert "E" not in text and "," not in text
    assert parse_money(text).amount == amount


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e14, max_value=1e14))
def test_float_cells_read_as_their_shortest_repr(value: float) -> None:
    amount = parse_money(value).amount
    assert float(amount) == value
    assume(abs(value) >= 1e-4)
    assert len(amount.as_tuple().digits) <= 17  # no binary noise like 0.1000000000000000055511151231257827


money_noise = st.text("0123456789.,' -−()$€£%EURkrRs\u00a0\u202f", max_size=30)


@given(st.one_of(st.text(max_size=100), money_noise), st.sampled_from([None, True, False]))
def test_any_text_is_money_or_a_value_problem(text: str, decimal_comma: bool | None) -> None:
    try:
        money = parse_money(text, decimal_comma=decimal_comma)
    except ValueProblem as problem:
        assert str(problem).startswith("The amount")
    else:
        assert abs(money.amount) < MAX_AMOUNT
        assert format_amount(money.amount, money.currency)


@given(st.text(max_size=100))
def test_any_text_is_a_currency_or_a_value_problem(text: str) -> None:
    try:
        code = normalise_currency(text)
    except ValueProblem:
        return
    assert len(code) == 3 and code.isupper()
