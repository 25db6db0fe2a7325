"""The example spreadsheet offered in practice mode: 200 made-up conversions as a marketer's CRM export.

It looks like a real German/English export: a title above the header, "E-Mail-Adresse" and "Vorname"
next to "Company" and "Job Title", Excel date cells, amounts written "1.234,56 €" or "$99", and a column
the import does not need. A few rows carry the mistakes real exports have, in a fixed design, so the
counts after staging are known exactly (``EXAMPLE``):

- 183 rows are fine (4 of them without names: the email is enough);
- 7 are sent with a warning: 4 with an unusable email but a full name and company, 3 with only a first name;
- 10 are not sent: 5 older than LinkedIn's 90 days, 3 with an unusable email and no name, and 2 exact
  copies of earlier rows (duplicates).

Dates are relative to ``now`` and at least a day old, so the fine rows are always inside the 90-day window
whatever time zone the user picks. The same ``now`` always gives the same file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

EXAMPLE_FILE_NAME = "Example conversions.xlsx"
TITLE = "Gewonnene Deals – Export aus dem CRM"
HEADER = (
    "E-Mail-Adresse",
    "Vorname",
    "Nachname",
    "Company",
    "Job Title",
    "Land",
    "Abschlussdatum",
    "Betrag",
    "Quelle",
)
HEADER_ROW = 4  # title, "created on" line, a blank row, then the header


@dataclass(frozen=True)
class ExampleDesign:
    """What staging the example with a single conversion rule gives."""

    rows: int
    ok: int
    warnings: int
    errors: int
    duplicates: int
    with_email: int  # sendable rows with a hashed email
    with_name_company: int  # sendable rows with first name, last name and company


EXAMPLE = ExampleDesign(rows=200, ok=183, warnings=7, errors=10, duplicates=2, with_email=186, with_name_company=183)

# Positions (0-based, among the 200 data rows) of the rows with a designed problem.
_TOO_OLD = (17, 58, 101, 144, 187)
_BAD_EMAIL_NO_NAME = (33, 120, 166)
_BAD_EMAIL_WITH_NAME = (9, 77, 133, 190)
_FIRST_NAME_ONLY = (45, 92, 158)
_NO_NAMES = (25, 110, 150, 175)  # valid email, no names: still fine
_DUPLICATES = {70: 12, 180: 64}  # this row repeats that earlier row exactly

_BAD_EMAILS = (
    "anna.schmidt(at)beispiel.de",
    "n/a",
    "m.keller@firma",
    "lisa mueller@example.com",
    "kontakt@@northwind.de",
    "jan.becker@",
    "info",
)
_FIRST_NAMES = (
    "Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Laura", "Paul", "Emma", "Leon", "Hannah", "Noah",
    "Sarah", "Elias", "Julia", "Ben", "Olivia", "James", "Emily", "Daniel", "Chloé", "Mateo", "Sofia", "Luca",
)  # fmt: skip
_LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch",
    "Richter", "Klein", "Wolf", "Smith", "Johnson", "Brown", "Miller", "Davis", "Dubois", "García", "Rossi",
)  # fmt: skip
_COMPANIES = (
    ("Contoso GmbH", "contoso.de", "Deutschland"),
    ("Fabrikam AG", "fabrikam.ch", "Schweiz"),
    ("Northwind Traders", "northwind.com", "United States"),
    ("Adatum Corporation", "adatum.com", "USA"),
    ("Tailspin Toys Ltd", "tailspin.co.uk", "United Kingdom"),
    ("Wingtip Solutions", "wingtip.at", "Österreich"),
    ("Proseware SAS", "proseware.fr", "France"),
    ("Litware B.V.", "litware.nl", "Niederlande"),
    ("Alpine Logistik GmbH", "alpine-logistik.de", "DE"),
    ("Blue Yonder Airlines", "blueyonder.com", "US"),
)
_TITLES = (
    "Head of Marketing", "Einkaufsleiter", "CTO", "Geschäftsführerin", "IT-Leiter", "Marketing Manager",
    "Procurement Lead", "VP Sales", "Teamleiterin Vertrieb", "Data Analyst", "CFO", "Operations Director",
)  # fmt: skip
_SOURCES = ("Webinar", "Messe", "Website", "Empfehlung", "LinkedIn Lead Gen Form", "Newsletter")


def example_path(data_dir: Path) -> Path:
    return data_dir / "examples" / EXAMPLE_FILE_NAME


def example_rows(now: datetime) -> list[list[object]]:
    """The 200 data rows (without title and header), for ``now`` (an aware or naive UTC time)."""
    rng = random.Random(2024)  # the same file for the same ``now``
    today = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    rows: list[list[object]] = []
    used_emails: set[str] = set()
    bad_emails = iter(_BAD_EMAILS)
    for index in range(EXAMPLE.rows):
        if index in _DUPLICATES:
            rows.append(list(rows[_DUPLICATES[index]]))
            continue
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        company, domain, country = rng.choice(_COMPANIES)
        email = _unique_email(first, last, domain, used_emails)
        if index in _BAD_EMAIL_NO_NAME or index in _BAD_EMAIL_WITH_NAME:
            email = next(bad_emails)
        if index in _BAD_EMAIL_NO_NAME or index in _NO_NAMES:
            first = last = ""
        elif index in _FIRST_NAME_ONLY:
            last = ""
        age_days = rng.uniform(100, 140) if index in _TOO_OLD else rng.uniform(1.2, 80)
        # Whole minutes, as a CRM shows them; every sixth row only has a date, as "close date" columns often do.
        happened = (today - timedelta(days=age_days)).replace(second=0, microsecond=0)
        moment: datetime | date = happened.date() if index % 6 == 5 else happened
        rows.append(
            [
                email.upper() if index % 23 == 7 else email,  # CRM exports keep whatever case people typed
                first,
                last,
                company,
                rng.choice(_TITLES),
                country,
                moment,
                _amount(rng),
                rng.choice(_SOURCES),
            ]
        )
    return rows


def _unique_email(first: str, last: str, domain: str, used: set[str]) -> str:
    local = f"{_ascii(first)}.{_ascii(last)}"
    email, copy = f"{local}@{domain}", 1
    while email in used:
        copy += 1
        email = f"{local}{copy}@{domain}"
    used.add(email)
    return email


def _ascii(name: str) -> str:
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("é", "e"), ("í", "i")):
        name = name.replace(umlaut, plain).replace(umlaut.upper(), plain.capitalize())
    return name.lower()


def _amount(rng: random.Random) -> str | None:
    kind = rng.random()
    if kind < 0.1:
        return None  # no value recorded: the row is sent without one
    if kind < 0.3:
        return f"${rng.choice((99, 149, 299, 450, 990, 1250, 2400))}"
    cents = rng.randrange(5_000, 2_500_000)
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", ".") + f",{rest:02d} €"


def write_example(path: Path, now: datetime | None = None) -> Path:
    """Write the example workbook to ``path`` (its folder is created) and return ``path``."""
    from openpyxl import Workbook  # only when an example is written: keeps the app's start quick
    from openpyxl.styles import Font

    now = now or datetime.now(UTC)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append([TITLE])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Erstellt am {now.astimezone(UTC).strftime('%d.%m.%Y')}"])
    sheet.append([])
    sheet.append(list(HEADER))
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
    for row in example_rows(now):
        sheet.append(row)
    for column, width in zip("ABCDEFGHI", (34, 12, 14, 24, 24, 16, 18, 14, 22), strict=True):
        sheet.column_dimensions[column].width = width
    for (cell,) in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=7, max_col=7):
        cell.number_format = "DD.MM.YYYY HH:MM" if isinstance(cell.value, datetime) else "DD.MM.YYYY"
    # A second sheet, as real exports have: the picker shows it, and the app opens the data sheet.
    notes = workbook.create_sheet("Hinweise")
    notes.append(["Beispieldaten für CAPI Desktop. Alle Namen und Firmen sind erfunden."])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
