"""Column detection from header names and values, rule maps, and the mapping's own checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from capi_desktop.core.mapping import ColumnMapping, Field, RuleChoice, guess_mapping, parse_rule_map
from capi_desktop.core.normalise.problems import ValueProblem


def test_headers_in_several_languages() -> None:
    columns = ["E-mail Address", "Vorname", "Nachname", "Société", "Pays", "Date de conversion", "Betrag", "Währung"]
    mapping = guess_mapping(columns, [])
    assert mapping.columns == {
        Field.EMAIL: ("E-mail Address",),
        Field.FIRST_NAME: ("Vorname",),
        Field.LAST_NAME: ("Nachname",),
        Field.COMPANY: ("Société",),
        Field.COUNTRY: ("Pays",),
        Field.CONVERSION_TIME: ("Date de conversion",),
        Field.VALUE: ("Betrag",),
        Field.CURRENCY: ("Währung",),
    }


def test_crm_export_headers_and_currency_in_the_value_header() -> None:
    columns = ["Opportunity ID", "Work Email", "Personal Email", "Close Date", "Amount (EUR)", "Stage", "li_fat_id"]
    mapping = guess_mapping(columns, [])
    assert mapping.columns[Field.EMAIL] == ("Work Email", "Personal Email")
    assert mapping.column(Field.CONVERSION_TIME) == "Close Date"
    assert mapping.column(Field.VALUE) == "Amount (EUR)" and mapping.currency == "EUR"
    assert mapping.column(Field.EVENT_NAME) == "Stage"
    assert mapping.column(Field.EVENT_ID) == "Opportunity ID"
    assert mapping.column(Field.CLICK_ID) == "li_fat_id"


def test_values_reveal_unnamed_email_and_click_id_columns() -> None:
    columns = ["Kontakt", "Ref", "Datum"]
    samples = [
        ["anna@example.de", "3f2a9c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6", "2026-11-01"],
        ["bernd@example.de", "7a2a9c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6", "2026-11-02"],
    ]
    mapping = guess_mapping(columns, samples)
    assert mapping.column(Field.EMAIL) == "Kontakt"
    assert mapping.column(Field.CLICK_ID) == "Ref"
    assert mapping.column(Field.CONVERSION_TIME) == "Datum"


def test_values_reveal_dates_and_currencies_under_unknown_headers() -> None:
    columns = ["Kontakt", "Wann", "Summe", "Whg", "Kundennummer"]
    samples = [
        ["anna@example.de", "23.11.2026 14:05", "1.200,00", "eur", 104211],
        ["bernd@example.de", "05.11.2026 09:00", "300", "EUR", 104212],
        ["chloe@example.fr", "2026-11-20T10:00:00Z", "99", "usd", 104213],
    ]
    mapping = guess_mapping(columns, samples)
    assert mapping.column(Field.CONVERSION_TIME) == "Wann"
    assert mapping.column(Field.CURRENCY) == "Whg"
    assert Field.VALUE not in mapping.columns  # an unnamed number column could be anything
    assert "Kundennummer" not in {c for cols in mapping.columns.values() for c in cols}


def test_mapping_problems_are_plain() -> None:
    mapping = ColumnMapping(columns={Field.FIRST_NAME: ("First",), Field.EMAIL: ("Mail",)})
    problems = mapping.problems(["First", "Email"])
    assert "The column “Mail” chosen for Email is not in this spreadsheet." in problems
    assert "Choose the column with the conversion date and time." in problems
    assert "Names are only used when both first name and last name are chosen." in problems


def test_mapping_round_trips_through_a_dict() -> None:
    mapping = ColumnMapping(
        columns={Field.EMAIL: ("A", "B"), Field.CONVERSION_TIME: ("When",)},
        currency="USD",
        value=Decimal("100.50"),
        event_name="LEAD",
    )
    assert ColumnMapping.from_dict(mapping.to_dict()) == mapping


def test_rule_map_in_the_industry_form() -> None:
    choice = parse_rule_map("LEAD=22285180, Purchase=22285181")
    assert choice.rule_for("lead") == 22285180
    assert choice.rule_for(" PURCHASE ") == 22285181
    assert choice.rule_for("Other") is None
    assert RuleChoice.from_dict(choice.to_dict()) == choice
    assert RuleChoice(rule_id=7).rule_for(None) == 7


@pytest.mark.parametrize("text", ["", "LEAD", "LEAD=abc", "=5", "LEAD=1,LEAD=2"])
def test_bad_rule_maps_are_explained(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_rule_map(text)
