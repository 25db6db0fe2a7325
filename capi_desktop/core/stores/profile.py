"""A saved upload profile: what a user chose for a kind of spreadsheet (never a token or secret),
and what its name may be."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice
from capi_desktop.core.normalise.dates import DateOrder

KIND = "capi-desktop-profile"
SCHEMA_VERSION = 1
MAX_NAME_LENGTH = 80
# Direction overrides can make a name display differently from what it is; joiners (ZWJ, ZWNJ) stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class ProfileError(Exception):
    """A profile could not be saved, found or read; ``str()`` is a plain-language message."""


@dataclass(frozen=True)
class ProfileProblem:
    """A file in the profiles folder that could not be used, and why (shown next to the list)."""

    path: Path
    message: str


@dataclass(frozen=True)
class Profile:
    """What the user chose for one kind of spreadsheet. Never a token or secret."""

    name: str
    account_id: int | None
    rules: RuleChoice
    mapping: ColumnMapping
    sheet: str | None = None  # None: the first sheet with data
    header_row: int | None = None  # None: detected
    timezone: str | None = None  # IANA name; None: the computer's zone at import time
    date_order: DateOrder = DateOrder.AUTO
    created_at: str | None = None  # ISO 8601, UTC; set by the store on first save
    updated_at: str | None = None  # ISO 8601, UTC; set by the store on every save

    @property
    def event_ids_from_column(self) -> bool:
        """True when event ids are read from a column; otherwise each row's id is derived from its content."""
        return Field.EVENT_ID in self.mapping.columns

    def import_options(self) -> ImportOptions:
        return ImportOptions(rules=self.rules, mapping=self.mapping, timezone=self.timezone, date_order=self.date_order)

    @classmethod
    def from_options(
        cls,
        name: str,
        account_id: int | None,
        sheet: str | None,
        header_row: int | None,
        options: ImportOptions,
    ) -> Profile:
        """A profile of the choices behind an import (the store validates it when it is saved).

        ``max_age_days`` and ``future_grace_seconds`` are not kept: they follow LinkedIn's rules, not a choice.
        """
        return cls(
            name=name,
            account_id=account_id,
            rules=options.rules,
            mapping=options.mapping,
            sheet=sheet,
            header_row=header_row,
            timezone=options.timezone,
            date_order=options.date_order,
        )

    def to_dict(self) -> dict[str, Any]:
        """The file format; every key is listed here on purpose, so nothing else can end up in a file."""
        columns = {f.value: list(self.mapping.columns[f]) for f in Field if self.mapping.columns.get(f)}
        return {
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "account_id": self.account_id,
            "rules": {"rule_id": self.rules.rule_id, "by_event": dict(self.rules.by_event)},
            "mapping": {
                "columns": columns,
                "currency": self.mapping.currency,
                "value": str(self.mapping.value) if self.mapping.value is not None else None,
                "event_name": self.mapping.event_name,
            },
            "sheet": self.sheet,
            "header_row": self.header_row,
            "timezone": self.timezone,
            "date_order": self.date_order.name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def validate_name(name: str) -> str:
    """The name as it will be kept (trimmed, NFC), or ``ProfileError`` explaining why it cannot be used.

    / and \\ are allowed ("Q3 / EMEA" is a natural name): the name never becomes a path, see ``file_name_for``.
    """
    if not isinstance(name, str):
        raise ProfileError("A profile name must be text.")
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise ProfileError("Give the profile a name.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ProfileError(
            f"A profile name can have at most {MAX_NAME_LENGTH} characters (this one has {len(cleaned)})."
        )
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI_CONTROLS for c in cleaned):
        raise ProfileError("A profile name cannot contain line breaks, tabs or other invisible control characters.")
    return cleaned


def name_key(name: str) -> str:
    """What two names are compared by: case and Unicode form do not matter."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def file_name_for(name: str) -> str:
    """A file name safe on every system: readable ASCII slug plus a short hash of the case-folded name."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-") or "profile"
    digest = hashlib.sha256(name_key(name).encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.json"
