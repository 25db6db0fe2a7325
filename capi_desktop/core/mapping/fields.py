"""Which spreadsheet column feeds which LinkedIn field: detection from header names and values, the
user's overrides, constants for missing columns, and the event-name → conversion-rule map."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from capi_desktop.core.dates import AmbiguousDate, DateOrder, parse_conversion_time
from capi_desktop.core.money import normalise_currency
from capi_desktop.core.problems import ValueProblem, is_missing


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

# Header names seen in CRM exports (Salesforce, HubSpot, Excel templates) in English, German, French,
# Spanish, Dutch and Italian; compared after lowercasing, removing accents and non-alphanumerics.
_SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.EMAIL: (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "work email",
        "business email",
        "mail",
        "contact email",
        "primary email",
        "email 1",
        "personal email",
        "hashed email",
        "sha256 email",
        "e-mail-adresse",
        "emailadresse",
        "courriel",
        "adresse e-mail",
        "adresse email",
        "correo",
        "correo electronico",
        "e-mailadres",
        "indirizzo email",
    ),
    Field.FIRST_NAME: (
        "first name",
        "firstname",
        "first",
        "given name",
        "forename",
        "contact first name",
        "vorname",
        "prenom",
        "nombre",
        "voornaam",
        "nome",
    ),
    Field.LAST_NAME: (
        "last name",
        "lastname",
        "last",
        "surname",
        "family name",
        "contact last name",
        "nachname",
        "nom",
        "nom de famille",
        "apellido",
        "apellidos",
        "achternaam",
        "cognome",
    ),
    Field.COMPANY: (
        "company",
        "company name",
        "account name",
        "account",
        "organization",
        "organisation",
        "employer",
        "firma",
        "unternehmen",
        "firmenname",
        "societe",
        "entreprise",
        "empresa",
        "bedrijf",
        "azienda",
    ),
    Field.TITLE: (
        "title",
        "job title",
        "jobtitle",
        "position",
        "job position",
        "role",
        "berufsbezeichnung",
        "poste",
        "fonction",
        "titre",
        "cargo",
        "puesto",
        "functie",
        "ruolo",
    ),
    Field.COUNTRY: (
        "country",
        "country code",
        "country/region",
        "country region",
        "mailing country",
        "billing country",
        "land",
        "pays",
        "pais",
        "paese",
        "nation",
    ),
    Field.CLICK_ID: ("li_fat_id", "lifatid", "li fat id", "linkedin click id", "click id", "linkedin click"),
    Field.EXTERNAL_ID: (
        "external id",
        "externalid",
        "crm id",
        "contact id",
        "lead id",
        "record id",
        "customer id",
        "hubspot id",
        "salesforce id",
        "record id - contact",
    ),
    Field.ACXIOM_ID: ("acxiom id", "acxiom", "acxiomid"),
    Field.CONVERSION_TIME: (
        "conversion time",
        "conversion date",
        "conversion datetime",
        "date",
        "close date",
        "closed date",
        "closedate",
        "created date",
        "create date",
        "createdate",
        "created at",
        "timestamp",
        "event time",
        "event date",
        "won date",
        "purchase date",
        "order date",
        "lead date",
        "time",
        "datum",
        "abschlussdatum",
        "date de conversion",
        "date de cloture",
        "fecha",
        "fecha de cierre",
        "data",
    ),
    Field.VALUE: (
        "value",
        "amount",
        "revenue",
        "deal value",
        "deal amount",
        "opportunity amount",
        "conversion value",
        "price",
        "total",
        "order total",
        "order value",
        "betrag",
        "wert",
        "umsatz",
        "montant",
        "valeur",
        "importe",
        "valor",
        "bedrag",
        "waarde",
        "importo",
        "valore",
    ),
    Field.CURRENCY: ("currency", "currency code", "currencycode", "curr", "wahrung", "devise", "moneda", "valuta"),
    Field.EVENT_NAME: (
        "event",
        "event name",
        "event type",
        "conversion type",
        "conversion",
        "stage",
        "deal stage",
        "lifecycle stage",
        "type",
        "status",
        "phase",
        "etape",
    ),
    Field.EVENT_ID: (
        "event id",
        "eventid",
        "dedup id",
        "deduplication id",
        "transaction id",
        "order id",
        "order number",
        "opportunity id",
        "deal id",
    ),
}


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)).lower())


_BY_KEY: dict[str, Field] = {_key(name): f for f, names in _SYNONYMS.items() for name in names}
# "Amount (EUR)", "Deal value in USD": a currency in the header is a constant for the whole column.
_HEADER_CURRENCY = re.compile(r"[\(\[\s]([A-Z]{3}|[€$£¥])[\)\]]?\s*$")
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}


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


def guess_mapping(columns: Sequence[str], samples: Sequence[Sequence[Any]]) -> ColumnMapping:
    """Guess the mapping from header names first, then from what the values look like."""
    guessed: dict[Field, list[str]] = {}
    currency = None
    for name in columns:
        f = _BY_KEY.get(_key(_HEADER_CURRENCY.sub("", name)))
        if f is None:
            continue
        if f is Field.EMAIL or f not in guessed:
            guessed.setdefault(f, []).append(name)
        if f is Field.VALUE:
            symbol = _HEADER_CURRENCY.search(name)
            if symbol:
                currency = _SYMBOLS.get(symbol.group(1), symbol.group(1))
    taken = {name for names in guessed.values() for name in names}
    for index, name in enumerate(columns):
        if name in taken:
            continue
        f = _field_from_values([row[index] for row in samples if index < len(row)])
        if f is not None and (f is Field.EMAIL or f not in guessed):
            guessed.setdefault(f, []).append(name)
    if Field.CURRENCY in guessed:
        currency = None  # a currency column wins over a currency in the value column's header
    return ColumnMapping(columns={f: tuple(v) for f, v in guessed.items()}, currency=currency)


_EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_CLICK_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_ISO_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
UTC_ZONE = ZoneInfo("UTC")  # only whether a value reads as a time matters here, not the instant


def _field_from_values(values: Iterable[Any]) -> Field | None:
    """A field that at least 80% of the non-empty sample values clearly look like."""
    cells = [v for v in values if not is_missing(v)]
    if not cells:
        return None
    texts = [str(v).strip() for v in cells]

    def share(test: Callable[[Any], object], items: Sequence[Any]) -> float:
        return sum(1 for item in items if test(item)) / len(items)

    if share(_EMAILISH.match, texts) >= 0.8 or share(_SHA256.match, texts) >= 0.8:
        return Field.EMAIL
    if share(_CLICK_ID.match, texts) >= 0.8:
        return Field.CLICK_ID
    if share(_looks_like_time, cells) >= 0.8:
        return Field.CONVERSION_TIME
    if share(_ISO_CURRENCY.match, texts) >= 0.8 and share(_is_currency, texts) >= 0.8:
        return Field.CURRENCY
    return None


def _looks_like_time(cell: Any) -> bool:
    # Plain numbers are left alone: ids and amounts would pass as Excel serial dates or timestamps.
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return False
    try:
        parse_conversion_time(cell, DateOrder.AUTO, UTC_ZONE)
    except AmbiguousDate:
        return True
    except ValueProblem:
        return False
    return True


def _is_currency(text: str) -> bool:
    try:
        normalise_currency(text)
    except ValueProblem:
        return False
    return True


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
