"""The fields a LinkedIn event has, the user's column mapping, and the event-name → conversion-rule map."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from capi_desktop.core.normalise.problems import ValueProblem


class Field(Enum):
    EMAIL = "email"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    COMPANY = "company"
    TITLE = "title"
    COUNTRY = "country"
    CLICK_ID = "click_id"
    EXTERNAL_ID = "external_id"
    ACXIOM_ID = "acxiom_id"
    CONVERSION_TIME = "time"
    VALUE = "value"
    CURRENCY = "currency"
    EVENT_NAME = "event_name"
    EVENT_ID = "event_id"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Field.EMAIL: "Email",
    Field.FIRST_NAME: "First name",
    Field.LAST_NAME: "Last name",
    Field.COMPANY: "Company",
    Field.TITLE: "Job title",
    Field.COUNTRY: "Country",
    Field.CLICK_ID: "LinkedIn click id (li_fat_id)",
    Field.EXTERNAL_ID: "External id",
    Field.ACXIOM_ID: "Acxiom id",
    Field.CONVERSION_TIME: "Conversion time",
    Field.VALUE: "Value",
    Field.CURRENCY: "Currency",
    Field.EVENT_NAME: "Event name",
    Field.EVENT_ID: "Event id",
}


@dataclass(frozen=True)
class ColumnMapping:
    """The user's choices: columns per field (several for email), and constants for missing columns."""

    columns: Mapping[Field, tuple[str, ...]] = field(default_factory=dict)
    currency: str | None = None  # e.g. every row is USD
    value: Decimal | None = None  # e.g. every row is worth 100
    event_name: str | None = None  # e.g. every row is a LEAD

    def column(self, f: Field) -> str | None:
        found = self.columns.get(f, ())
        return found[0] if found else None

    def with_columns(self, f: Field, names: Sequence[str]) -> ColumnMapping:
        columns = dict(self.columns)
        if names:
            columns[f] = tuple(names)
        else:
            columns.pop(f, None)
        return replace(self, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": {f.value: list(names) for f, names in self.columns.items()},
            "currency": self.currency,
            "value": str(self.value) if self.value is not None else None,
            "event_name": self.event_name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        value = data.get("value")
        return cls(
            columns={Field(k): tuple(v) for k, v in dict(data.get("columns", {})).items()},
            currency=data.get("currency"),
            value=Decimal(value) if value is not None else None,
            event_name=data.get("event_name"),
        )

    def problems(self, columns: Sequence[str]) -> list[str]:
        """Plain reasons this mapping cannot be used with a table having ``columns``."""
        found = []
        for f, names in self.columns.items():
            for name in names:
                if name not in columns:
                    found.append(f"The column “{name}” chosen for {f.label} is not in this spreadsheet.")
        if Field.CONVERSION_TIME not in self.columns:
            found.append("Choose the column with the conversion date and time.")
        identifiers = (Field.EMAIL, Field.FIRST_NAME, Field.CLICK_ID, Field.EXTERNAL_ID, Field.ACXIOM_ID)
        if not any(f in self.columns for f in identifiers):
            found.append(
                "Choose at least one column LinkedIn can match people with: an email column, "
                "first and last name, or a LinkedIn click id."
            )
        if (Field.FIRST_NAME in self.columns) != (Field.LAST_NAME in self.columns):
            found.append("Names are only used when both first name and last name are chosen.")
        return found


@dataclass(frozen=True)
class RuleChoice:
    """One rule for every row, or the event name of each row mapped to a rule."""

    rule_id: int | None = None
    by_event: Mapping[str, int] = field(default_factory=dict)  # keys casefolded

    def rule_for(self, event_name: str | None) -> int | None:
        if self.rule_id is not None:
            return self.rule_id
        if event_name is None:
            return None
        return self.by_event.get(event_name.strip().casefold())

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "by_event": dict(self.by_event)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleChoice:
        return cls(rule_id=data.get("rule_id"), by_event=dict(data.get("by_event", {})))

    def describe(self) -> str:
        if self.rule_id is not None:
            return f"rule {self.rule_id}"
        return ", ".join(f"{name.upper()}={rule}" for name, rule in self.by_event.items())


def parse_rule_map(text: str) -> RuleChoice:
    """Read the industry's ``LEAD=22285180,PURCHASE=22285181`` form."""
    mapping: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text))):
        name, sep, rule = part.partition("=")
        name, rule = name.strip(), rule.strip()
        if not sep or not name or not rule.isdigit():
            raise ValueProblem(
                f"“{part}” is not in the form EVENT=RULE_ID (for example LEAD=22285180,PURCHASE=22285181)."
            )
        key = name.casefold()
        if key in mapping and mapping[key] != int(rule):
            raise ValueProblem(f"The event name “{name}” is mapped to two different rules.")
        mapping[key] = int(rule)
    if not mapping:
        raise ValueProblem("The rule map is empty; write it as EVENT=RULE_ID, for example LEAD=22285180.")
    return RuleChoice(by_event=mapping)


def parse_constant_value(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueProblem(f"“{text}” is not a number; write the value like 100 or 99.50.") from exc
    if not value.is_finite():
        raise ValueProblem(f"“{text}” is not a number; write the value like 100 or 99.50.")
    return value
