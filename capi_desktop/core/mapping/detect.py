"""Detecting the mapping: which column feeds which field, from header names in six languages and from
what the values look like."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from capi_desktop.core.mapping.fields import ColumnMapping, Field
from capi_desktop.core.normalise.dates import AmbiguousDate, DateOrder, parse_conversion_time
from capi_desktop.core.normalise.money import normalise_currency
from capi_desktop.core.normalise.problems import ValueProblem, is_missing

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
