"""Who the conversion was: the hashed email, names, company, title and country LinkedIn matches on.

Emails follow the LinkedIn contract (reference §5.4): trim, lowercase, SHA-256, lowercase hex; a value
that already is a SHA-256 hex digest passes through lowercased; no Gmail dot or plus-tag rewriting,
because LinkedIn hashes the address as the member typed it.

Two wrapped forms are unwrapped before checking, because spreadsheets carry them as exported by mail
and CRM tools and the address inside is unambiguous: ``mailto:mike@example.com`` (hyperlink cells)
and ``Mike Smith <mike@example.com>`` (copied from a mail client).
"""

from __future__ import annotations

import gettext
import hashlib
import math
import re
import unicodedata
from datetime import date, datetime, time
from functools import cache, lru_cache

import pycountry

from capi_desktop.core.normalise.problems import PLACEHOLDERS, Cell, ValueProblem, is_missing, shown

# RFC 5321 limits: 64 characters before the "@", 254 for the whole address.
MAX_LOCAL_LENGTH = 64
MAX_EMAIL_LENGTH = 254

_ATEXT = r"a-z0-9!#$%&'*+/=?^_`{|}~\-"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
# The fast path: a plain ASCII address, already lowercased. A top-level domain starts with a letter
# and has at least two characters ("xn--" punycode TLDs included).
_ASCII_EMAIL = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@(?:{_LABEL}\.)+[a-z][a-z0-9\-]*[a-z0-9]")
# The same shape for internationalised addresses (RFC 6531): any letter, digit or mark in a domain
# label, and anything but specials, controls and spaces before the "@".
_ANY_LOCAL = re.compile(r"[^\s\"(),.:;<>@\[\\\]]+(?:\.[^\s\"(),.:;<>@\[\\\]]+)*")
_ANY_DOMAIN = re.compile(r"(?:[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?\.)+[^\W\d_](?:[^\W_]|-)*[^\W_]")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_SEVERAL = re.compile(r"[;,\s]")
# Zero-width characters and the byte-order mark ride along when values are pasted from web pages.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def hash_sha256(text: str) -> str:
    """SHA-256 of the UTF-8 text as lowercase hex; the text is hashed exactly as given."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_sha256_hex(text: str) -> bool:
    """True when ``text`` is exactly 64 hexadecimal characters (either case)."""
    return len(text) == 64 and _HEX64.fullmatch(text) is not None


def normalise_email(cell: Cell) -> str:
    """The SHA-256 lowercase hex LinkedIn wants for an email cell, or ``ValueProblem`` saying why not."""
    if isinstance(cell, str):
        text = cell.strip().lower()
        if _ASCII_EMAIL.fullmatch(text) is not None and len(text) <= MAX_EMAIL_LENGTH:
            if text.index("@") <= MAX_LOCAL_LENGTH:
                return hash_sha256(text)
        return _normalise_unusual_email(cell, text)
    if cell is None:
        raise ValueProblem("The email is empty.")
    raise ValueProblem(f"The email {shown(cell)} is not an email address.")


def _normalise_unusual_email(cell: str, text: str) -> str:
    """Everything the fast path did not accept: hashes, wrapped forms, non-ASCII, and the diagnosis."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text.strip(_INVISIBLE).strip())
    if is_sha256_hex(text):
        return text
    if not text:
        raise ValueProblem("The email is empty.")
    text = _unwrap_email(text)
    _check_email(cell, text)
    return hash_sha256(text)


def _unwrap_email(text: str) -> str:
    if text.startswith("mailto:"):
        # A mailto link may carry "?subject=..." after the address.
        return text[len("mailto:") :].partition("?")[0].strip()
    if text.endswith(">") and text.count("<") == 1:
        return text[text.index("<") + 1 : -1].strip()
    return text


def _check_email(cell: str, text: str) -> None:
    """Raise the most helpful ``ValueProblem`` for an address the fast path refused; return if valid."""

    def problem(reason: str) -> ValueProblem:
        return ValueProblem(f"The email {shown(cell)} is not an email address: {reason}.")

    if is_missing(text) or "@" not in text:
        if len(text) in (32, 40) and _HEX.fullmatch(text):
            kind = "an MD5" if len(text) == 32 else "a SHA-1"
            raise ValueProblem(
                f"The email {shown(cell)} looks like {kind} hash; LinkedIn needs the email or its SHA-256 hash."
            )
        if is_missing(text) or len(text) <= 3:
            raise ValueProblem(f"The email {shown(cell)} is not an email address.")
        raise problem('it has no "@"')
    if text.count("@") > 1 and _SEVERAL.search(text):
        raise ValueProblem(f"The email {shown(cell)} holds more than one address; put one email in each cell.")
    if any(ch.isspace() for ch in text):
        raise problem("it contains a space")
    if not text.isprintable():
        raise problem("it contains a hidden or control character")
    if text.count("@") > 1:
        raise problem('it has more than one "@"')
    local, _, domain = text.partition("@")
    if len(text) > MAX_EMAIL_LENGTH or len(local) > MAX_LOCAL_LENGTH:
        raise problem("it is longer than an email address can be")
    if not local:
        raise problem('nothing comes before the "@"')
    if _ANY_LOCAL.fullmatch(local) is None:
        raise problem('the part before the "@" is not valid')
    if "." not in domain:
        raise problem('the domain after the "@" has no dot')
    if _ANY_DOMAIN.fullmatch(domain) is None:
        raise problem('the domain after the "@" is not valid')


def clean_text(cell: Cell, max_length: int | None = None, column: str | None = None) -> str | None:
    """Trimmed text with inner whitespace collapsed, or None for an empty cell or a placeholder.

    Used for first and last name, company and title. Text longer than ``max_length`` is cut to that
    length: LinkedIn refuses over-long fields, and a shortened company name still helps matching
    where a refused event would not. Numbers are kept as text (a company can be called "3M" or "1&1").
    A yes/no, date or time cell is refused; the message names ``column`` when given.
    """
    if cell is None:
        return None
    where = f" in “{column}”" if column else ""
    if isinstance(cell, str):
        text = cell
    elif isinstance(cell, bool):
        raise ValueProblem(f"The value {shown(cell)}{where} is a yes/no value, not text.")
    elif isinstance(cell, datetime | date | time):
        raise ValueProblem(f"The value {shown(cell)}{where} is a date or time, not text.")
    elif isinstance(cell, float):
        if not math.isfinite(cell):
            return None
        text = str(int(cell)) if cell.is_integer() else repr(cell)
    else:
        text = str(cell)
    text = " ".join(text.split())
    if not text.isprintable():
        # After the join the only whitespace left is " ", so what remains unprintable is zero-width
        # and control characters, which never belong in a name.
        text = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    if not text or (len(text) <= 15 and text.casefold() in PLACEHOLDERS):
        return None
    if not text.isascii():
        # Mac exports often decompose accents (e + combining acute); LinkedIn's data is composed.
        text = unicodedata.normalize("NFC", text)
    if max_length is not None and len(text) > max_length:
        text = text[:max_length].rstrip()
    return text


# Names people use that ISO 3166 does not list (or lists under a formal name). Keys are folded with
# ``_country_key``; ISO names, codes and translations are added from pycountry.
_COUNTRY_ALIASES = {
    "GB": ("UK", "U.K.", "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "US": ("USA", "U.S.", "U.S.A.", "America", "United States", "EEUU", "EE.UU.", "Amerika"),
    "NL": ("Holland", "Netherlands"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "SA": ("KSA",),
    "KR": ("Korea", "Republic of Korea"),
    "RU": ("Russia", "Россия"),
    "CZ": ("Czech Republic",),
    "SK": ("Slovak Republic",),
    "TR": ("Turkey", "Turkiye"),
    "IE": ("Republic of Ireland", "Eire"),
    "CI": ("Ivory Coast",),
    "CV": ("Cape Verde",),
    "MK": ("Macedonia",),
    "SZ": ("Swaziland",),
    "MM": ("Burma",),
    "BN": ("Brunei",),
    "PS": ("Palestine",),
    "VA": ("Vatican", "Vatican City"),
    "CD": ("DRC", "DR Congo", "Democratic Republic of the Congo", "Congo-Kinshasa"),
    "CG": ("Republic of the Congo", "Congo-Brazzaville"),
    "MO": ("Macau",),
    "FM": ("Micronesia",),
    "VG": ("British Virgin Islands",),
    "VI": ("US Virgin Islands",),
    "GR": ("EL",),  # the European Union's code for Greece
    "CN": ("PRC", "Mainland China"),
}
# Languages whose country names marketers are likely to export; each adds a one-off cost to the
# first lookup, so the list stays to major business languages.
_COUNTRY_LANGUAGES = (
    "de", "fr", "es", "it", "nl", "pt", "pt_BR", "pl", "sv", "da", "nb_NO", "fi", "cs", "sk",
    "hu", "ro", "el", "hr", "bg", "tr", "ru", "uk", "ja", "ko", "zh_CN", "zh_TW",
)  # fmt: skip
_KEY_SPACES = re.compile(r"[,()/\-]+")


def normalise_country(cell: Cell) -> str:
    """ISO 3166-1 alpha-2 code for a country name or code, in English or a major local language."""
    if isinstance(cell, str):
        code = _country_code(cell)
        if code is not None:
            return code
        if not cell.strip():
            raise ValueProblem("The country is empty.")
    elif cell is None:
        raise ValueProblem("The country is empty.")
    raise ValueProblem(f"The country {shown(cell)} is not a country name or code we recognise.")


@lru_cache(maxsize=4096)
def _country_code(text: str) -> str | None:
    return _country_index().get(_country_key(text))


def _country_key(text: str) -> str:
    """Case, accents, dots, apostrophes and "the" do not matter; "St" is "Saint", "&" is "and"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace(".", "").replace("'", "").replace("’", "").replace("&", " and ")
    words = _KEY_SPACES.sub(" ", text).split()
    if words and words[0] == "the":
        del words[0]
    return " ".join("saint" if word == "st" else word for word in words)


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    countries = list(pycountry.countries)
    for country in countries:
        for name in _iso_names(country):
            index.setdefault(_country_key(name), country.alpha_2)
    for code, aliases in _COUNTRY_ALIASES.items():
        for alias in aliases:
            index.setdefault(_country_key(alias), code)
    translated: dict[str, str] = {}
    ambiguous: set[str] = set()
    for language in _COUNTRY_LANGUAGES:
        catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
        for country in countries:
            for name in _iso_names(country)[2:]:
                key = _country_key(catalogue.gettext(name))
                # Short Latin-script translations are codes or abbreviations that collide across languages.
                if (len(key) <= 3 and key.isascii()) or key in index:
                    continue
                if translated.setdefault(key, country.alpha_2) != country.alpha_2:
                    ambiguous.add(key)
    for key in ambiguous:
        del translated[key]
    index.update(translated)
    return index


def _iso_names(country: object) -> list[str]:
    """Alpha-2, alpha-3, then the names pycountry knows for ``country``."""
    fields = ("alpha_2", "alpha_3", "name", "common_name", "official_name")
    return [value for value in (getattr(country, field, None) for field in fields) if isinstance(value, str)]
