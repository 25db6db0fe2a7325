"""Emails to SHA-256, names trimmed, countries to ISO codes: examples, then properties and fuzzing."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capi_desktop.core.normalise.identity import (
    clean_text,
    hash_sha256,
    is_sha256_hex,
    normalise_country,
    normalise_email,
)
from capi_desktop.core.normalise.problems import ValueProblem

# Digests computed outside Python (`printf '%s' ADDRESS | sha256sum`), so the tests do not trust hashlib use.
MIKE = "18b258e9ade091623dd829132e1e9d8b4a7f7d90abea194001c54341c3f27b79"  # mike@example.com
JOSE = "9f441f92d7b73dbed0afd600bbb495147e157984bfa37c9435358fee50340775"  # josé@exemple.fr (NFC)


@pytest.mark.parametrize(
    "cell",
    [
        "mike@example.com",
        "Mike@Example.COM",
        "  mike@example.com\t",
        "\u00a0mike@example.com\u00a0",
        "\ufeffmike@example.com\u200b",
        "mailto:mike@example.com",
        "MAILTO:Mike@example.com?subject=Hello",
        "Mike Smith <mike@example.com>",
        '"Smith, Mike" <Mike@Example.com>',
        "<mike@example.com>",
    ],
)
def test_email_forms_hash_to_the_address(cell: str) -> None:
    assert normalise_email(cell) == MIKE


def test_email_hash_is_lowercase_hex_of_the_trimmed_lowercased_address() -> None:
    assert normalise_email("JOSÉ@exemple.fr") == JOSE
    # A Mac export decomposes é into e + combining accent; it must hash like the composed form.
    assert normalise_email(unicodedata.normalize("NFD", "josé@exemple.fr")) == JOSE


def test_gmail_addresses_are_not_rewritten() -> None:
    plain = normalise_email("john.doe@gmail.com")
    assert normalise_email("johndoe@gmail.com") != plain
    assert normalise_email("john.doe+crm@gmail.com") not in (plain, normalise_email("johndoe@gmail.com"))
    assert normalise_email("John.Doe+CRM@Gmail.com") == hash_sha256("john.doe+crm@gmail.com")


def test_an_existing_sha256_passes_through_lowercased() -> None:
    assert normalise_email(MIKE.upper()) == MIKE
    assert normalise_email(f"  {MIKE}  ") == MIKE


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("n/a", 'The email "n/a" is not an email address.'),
        ("-", 'The email "-" is not an email address.'),
        ("none", 'The email "none" is not an email address.'),
        ("NULL", 'The email "NULL" is not an email address.'),
        ("unknown", 'The email "unknown" is not an email address.'),
        ("x", 'The email "x" is not an email address.'),
        ("mike.example.com", 'has no "@"'),
        ("mike smith@example.com", "contains a space"),
        ("mike@exam ple.com", "contains a space"),
        ("mike@@example.com", 'more than one "@"'),
        ("mike@work@example.com", 'more than one "@"'),
        ("mike@example.com; anna@example.com", "more than one address"),
        ("mike@example.com, anna@example.com", "more than one address"),
        ("mike@example", "has no dot"),
        ("mike@.example.com", "domain"),
        ("mike@example.com.", "domain"),
        ("mike@example..com", "domain"),
        ("mike@-example.com", "domain"),
        ("mike@example.c", "domain"),
        ("mike@example.123", "domain"),
        ("@example.com", 'nothing comes before the "@"'),
        (".mike@example.com", 'part before the "@"'),
        ("mike.@example.com", 'part before the "@"'),
        ("mi..ke@example.com", 'part before the "@"'),
        ("mike\x00@example.com", "hidden or control character"),
        ("mi\u200bke@example.com", "hidden or control character"),
        ("m" * 65 + "@example.com", "longer than an email address can be"),
        ("mike@" + "a" * 250 + ".com", "longer than an email address can be"),
        ("d41d8cd98f00b204e9800998ecf8427e", "MD5"),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1"),
    ],
)
def test_bad_emails_say_what_is_wrong(cell: str, words: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        normalise_email(cell)
    message = str(caught.value)
    assert words in message
    assert message.startswith("The email ")
    assert message.endswith(".")


@pytest.mark.parametrize("cell", [None, "", "   ", 12345, 1.5, True, datetime(2026, 1, 1), date(2026, 1, 1), time(1)])
def test_emails_that_are_not_text_are_problems(cell: object) -> None:
    with pytest.raises(ValueProblem, match="The email"):
        normalise_email(cell)  # type: ignore[arg-type]


def test_hash_helpers() -> None:
    assert hash_sha256("mike@example.com") == MIKE
    assert hash_sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert is_sha256_hex(MIKE) and is_sha256_hex(MIKE.upper())
    assert not is_sha256_hex(MIKE[:-1]) and not is_sha256_hex(MIKE[:-1] + "g") and not is_sha256_hex(MIKE + "0")


# Local parts from RFC 5322's atext, and domains of DNS labels: the addresses LinkedIn members have.
_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
_label = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True)
_addresses = st.builds(
    lambda atoms, labels, tld: ".".join(atoms) + "@" + ".".join([*labels, tld]),
    st.lists(st.text(_ATEXT, min_size=1, max_size=10), min_size=1, max_size=3),
    st.lists(_label, min_size=1, max_size=3),
    st.from_regex(r"[A-Za-z]{2,6}", fullmatch=True),
)
_padding = st.text(" \t\r\n\u00a0\u2003", max_size=3)


@given(_addresses)
def test_valid_addresses_are_accepted_and_hashed_lowercased(address: str) -> None:
    assert normalise_email(address) == hash_sha256(address.lower())


@given(st.emails())
def test_hypothesis_emails_are_accepted(address: str) -> None:
    assert is_sha256_hex(normalise_email(address))


@given(_addresses)
def test_hashing_is_idempotent(address: str) -> None:
    hashed = normalise_email(address)
    assert normalise_email(hashed) == hashed
    assert normalise_email(hashed.upper()) == hashed


@given(_addresses, st.sampled_from([str.upper, str.lower, str.title, str.swapcase]), _padding, _padding)
def test_hash_ignores_case_and_surrounding_whitespace(address: str, change_case: object, left: str, right: str) -> None:
    assert callable(change_case)
    assert normalise_email(left + change_case(address) + right) == normalise_email(address)


_email_noise = st.text("ab.@-_ <>:\"';,mailto\u200b\u00e9\x00" + "0123456789abcdef", max_size=80)


@given(st.one_of(st.text(max_size=300), _email_noise, _addresses.map(lambda a: a + "."), st.binary().map(repr)))
def test_any_text_is_a_hash_or_a_value_problem(text: str) -> None:
    try:
        result = normalise_email(text)
    except ValueProblem as problem:
        assert str(problem).startswith("The email")
    else:
        assert is_sha256_hex(result) and result == result.lower()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("  Mike   Smith ", "Mike Smith"),
        ("Anne-Marie\t\nO'Neil", "Anne-Marie O'Neil"),
        ("Zoë\u00a0Ångström", "Zoë Ångström"),
        (unicodedata.normalize("NFD", "José"), "José"),
        ("Con\u200btoso\x00", "Contoso"),
        ("NA", "NA"),  # a Korean surname, not "not available"
        ("X", "X"),  # a company
        ("3M", "3M"),
        (3, "3"),
        (1.0, "1"),
        (2.5, "2.5"),
        (None, None),
        ("", None),
        ("   ", None),
        ("n/a", None),
        ("N/A", None),
        ("-", None),
        ("null", None),
        ("Unknown", None),
        ("#N/A", None),
        (float("nan"), None),
    ],
)
def test_clean_text(cell: object, expected: str | None) -> None:
    assert clean_text(cell) == expected  # type: ignore[arg-type]


def test_clean_text_cuts_to_max_length() -> None:
    assert clean_text("Alexandra Wilhelmina", max_length=10) == "Alexandra"
    assert clean_text("Anna", max_length=10) == "Anna"


@pytest.mark.parametrize("cell", [True, datetime(2026, 1, 1), date(2026, 1, 1), time(9)])
def test_clean_text_refuses_non_text_cells(cell: object) -> None:
    with pytest.raises(ValueProblem, match="not text"):
        clean_text(cell)  # type: ignore[arg-type]


@given(st.text(max_size=200), st.none() | st.integers(1, 50))
def test_clean_text_is_trimmed_and_never_raises_on_text(text: str, max_length: int | None) -> None:
    cleaned = clean_text(text, max_length)
    if cleaned is not None:
        assert cleaned == cleaned.strip() and "  " not in cleaned and cleaned.isprintable()
        assert max_length is None or len(cleaned) <= max_length


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("u.k.", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("us", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("deu", "DE"),
        ("España", "ES"),
        ("espana", "ES"),
        ("ESPAÑA", "ES"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Nederland", "NL"),
        ("Pays-Bas", "NL"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Sverige", "SE"),
        ("Polska", "PL"),
        ("Italia", "IT"),
        ("Brasil", "BR"),
        ("日本", "JP"),
        ("South Korea", "KR"),
        ("Korea", "KR"),
        ("North Korea", "KP"),
        ("Russia", "RU"),
        ("Vietnam", "VN"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Ivory Coast", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("cote divoire", "CI"),
        ("St. Lucia", "LC"),
        ("Saint Kitts & Nevis", "KN"),
        ("Trinidad & Tobago", "TT"),
        ("Bosnia-Herzegovina", "BA"),
        ("UAE", "AE"),
        ("Congo", "CG"),
        ("DR Congo", "CD"),
        ("  united   kingdom ", "GB"),
    ],
)
def test_country_names_and_codes(cell: str, code: str) -> None:
    assert normalise_country(cell) == code


def test_every_iso_country_by_code_and_name() -> None:
    for country in pycountry.countries:
        for text in (country.alpha_2, country.alpha_3.lower(), country.name, country.name.upper()):
            assert normalise_country(text) == country.alpha_2, text


@pytest.mark.parametrize("cell", ["Narnia", "Europe", "EU", "XX", "12", 276, 1.5, True, datetime(2026, 1, 1)])
def test_unknown_countries_name_the_value(cell: object) -> None:
    with pytest.raises(ValueProblem) as caught:
        normalise_country(cell)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f'The country "{cell}"')


@pytest.mark.parametrize("cell", [None, "", "  "])
def test_empty_country_is_a_problem(cell: str | None) -> None:
    with pytest.raises(ValueProblem, match="The country is empty."):
        normalise_country(cell)


@given(st.text(max_size=60))
def test_any_country_text_is_a_code_or_a_value_problem(text: str) -> None:
    try:
        code = normalise_country(text)
    except ValueProblem:
        return
    assert pycountry.countries.get(alpha_2=code) is not None
