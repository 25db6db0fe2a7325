"""Saved upload profiles: what a user chose for a kind of spreadsheet, kept to use again or hand to a colleague.

One JSON file per profile in ``config_dir() / "profiles"``, schema-versioned, written atomically. A profile
holds choices only (ad account, rules, column mapping, sheet and header row, time zone, date order,
constants), never a token or secret: the format has no field for one, and a file that carries a
token- or secret-like key anywhere is refused rather than silently cleaned, because such a file was
edited by hand or is not ours, and the person handing it around should learn that it holds a secret.

File names are derived from the profile name (a readable slug plus a short hash of the case-folded name),
so any name a user types, "Q3 / EMEA" included, gives a file name that is valid on Windows, macOS and
Linux, and names that differ only in case are the same profile. The name itself lives inside the file,
which is what ``list``/``load`` go by; the file name is only where it is kept.

File format (``schema_version`` 1)::

    {
      "kind": "capi-desktop-profile",
      "schema_version": 1,
      "name": "Q3 / EMEA",
      "account_id": 512345678,
      "rules": {"rule_id": null, "by_event": {"lead": 22285180, "purchase": 22285181}},
      "mapping": {
        "columns": {"email": ["Work Email"], "time": ["Close Date"], "event_id": ["Deal ID"]},
        "currency": "EUR", "value": null, "event_name": null
      },
      "sheet": "Deals", "header_row": 1, "timezone": "Europe/Berlin", "date_order": "DMY",
      "created_at": "2026-06-01T09:30:00Z", "updated_at": "2026-06-02T14:05:12Z"
    }

A new schema version is a small change: bump ``SCHEMA_VERSION``, write a function turning a version-N
dict into a version-N+1 dict and register it in ``_MIGRATIONS[N]``. Stored files are backed up
(``<file>.v<N>.bak``) before they are rewritten in the new format.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import logging
import re
import shutil
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeGuard

from capi_desktop.core.dates import DateOrder, resolve_timezone
from capi_desktop.core.files import write_text_atomic
from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice, parse_constant_value
from capi_desktop.core.money import normalise_currency
from capi_desktop.core.problems import ValueProblem
from capi_desktop.core.storage import StorageError

logger = logging.getLogger(__name__)

KIND = "capi-desktop-profile"
SCHEMA_VERSION = 1
MAX_NAME_LENGTH = 80
MAX_FILE_BYTES = 1_000_000  # a profile is a few hundred bytes; anything this large is not one
_MAX_ID = 2**63 - 1
_MAX_TEXT = 1000

# A version-N dict in, a version-N+1 dict out. Only version 1 exists so far.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

# Keys that name a credential. Compared after lowercasing and turning "-" and " " into "_"; any key
# ending in "_token", "_secret" or "_password" counts too.
_SECRET_KEYS = frozenset(
    {
        "token",
        "tokens",
        "secret",
        "secrets",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "password",
        "passwd",
        "api_key",
        "apikey",
        "authorization",
        "bearer",
        "private_key",
        "credentials",
    }
)
_SECRET_SUFFIXES = ("_token", "_secret", "_password")
# Direction overrides can make a name display differently from what it is; joiners (ZWJ, ZWNJ) stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_TOP_KEYS = (
    "kind",
    "schema_version",
    "name",
    "account_id",
    "rules",
    "mapping",
    "sheet",
    "header_row",
    "timezone",
    "date_order",
    "created_at",
    "updated_at",
)
_RULES_KEYS = ("rule_id", "by_event")
_MAPPING_KEYS = ("columns", "currency", "value", "event_name")


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

    @classmethod
    def from_dict(cls, data: object) -> Profile:
        """Read and check the file format (any supported version); ``ProfileError`` says what is wrong."""
        return _parse(data, []).profile


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


class ProfileStore:
    """The profiles folder. ``problems`` holds the files the last ``list()`` (or lookup) had to skip;
    ``warnings`` holds what the last ``import_file`` ignored (unknown fields), for the user to see."""

    def __init__(self, folder: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.folder = folder
        self._clock = clock or (lambda: datetime.now(UTC))
        self.problems: builtins.list[ProfileProblem] = []
        self.warnings: builtins.list[str] = []
        self._reported: set[tuple[Path, str]] = set()

    # Reading ---------------------------------------------------------------------------------------

    def list(self) -> builtins.list[Profile]:
        """Every readable profile, sorted by name (case-insensitive); others are reported in ``problems``."""
        return [profile for _, profile in self._scan()]

    def names(self) -> builtins.list[str]:
        return [profile.name for profile in self.list()]

    def load(self, name: str) -> Profile:
        return self._find_or_fail(name)[1]

    def exists(self, name: str) -> bool:
        return self._find(name) is not None

    # Writing ---------------------------------------------------------------------------------------

    def save(self, profile: Profile, overwrite: bool = False) -> Profile:
        """Check and store ``profile``; returns it as stored (name cleaned, timestamps set)."""
        checked = _parse(profile.to_dict(), []).profile  # the same checks as a file being read
        found = self._find(checked.name)
        now = self._now()
        if found is not None:
            if not overwrite:
                raise ProfileError(
                    f"A profile called “{found[1].name}” already exists. Choose another name or replace it."
                )
            checked = replace(checked, created_at=found[1].created_at or now, updated_at=now)
        else:
            checked = replace(checked, created_at=checked.created_at or now, updated_at=now)
        target = self._target(checked.name, found[0] if found else None, overwrite)
        self._write(target, checked)
        if found is not None and found[0] != target:
            _unlink(found[0])
        return checked

    def rename(self, old: str, new: str) -> Profile:
        path, profile = self._find_or_fail(old)
        new_name = validate_name(new)
        clash = self._find(new_name)
        if clash is not None and clash[0] != path:
            raise ProfileError(f"A profile called “{clash[1].name}” already exists; choose another name.")
        renamed = replace(profile, name=new_name, updated_at=self._now())
        target = self._target(new_name, path, overwrite=False)
        self._write(target, renamed)
        if target != path:
            _unlink(path)
        return renamed

    def delete(self, name: str) -> Profile:
        path, profile = self._find_or_fail(name)
        try:
            path.unlink()
        except OSError as exc:
            raise ProfileError(f"The profile “{profile.name}” could not be deleted ({path}): {_reason(exc)}.") from exc
        return profile

    # Sharing ---------------------------------------------------------------------------------------

    def export(self, name: str, path: Path, overwrite: bool = False) -> Path:
        """Write the profile to ``path`` (or into it, when it is a folder) for someone else to import."""
        _, profile = self._find_or_fail(name)
        if path.is_dir():
            path = path / file_name_for(profile.name)
        if path.exists() and not overwrite:
            raise ProfileError(f"{path} already exists. Choose another file name or replace it.")
        try:
            write_text_atomic(path, _dumps(profile))
        except OSError as exc:
            raise ProfileError(f"The profile could not be written to {path}: {_reason(exc)}.") from exc
        return path

    def import_file(self, path: Path, name: str | None = None, overwrite: bool = False) -> Profile:
        """Read a profile someone exported, check all of it, and save it here (under ``name`` if given)."""
        self.warnings = []
        parsed = _read_file(path)
        self.warnings = parsed.warnings
        for warning in parsed.warnings:
            logger.warning("%s: %s", path.name, warning)
        profile = replace(parsed.profile, created_at=None, updated_at=None)  # new on this computer
        if name is not None:
            profile = replace(profile, name=validate_name(name))
        if not overwrite and self._find(profile.name) is not None:
            raise ProfileError(
                f"A profile called “{profile.name}” already exists here. "
                "Import it under another name, or replace the existing one."
            )
        return self.save(profile, overwrite=overwrite)

    # Internals -------------------------------------------------------------------------------------

    def _now(self) -> str:
        return _iso(self._clock())

    def _scan(self) -> builtins.list[tuple[Path, Profile]]:
        self.problems = []
        found: dict[str, tuple[Path, Profile]] = {}
        if not self.folder.is_dir():
            return []
        for path in sorted(self.folder.glob("*.json")):
            if not path.is_file():
                continue
            try:
                parsed = _read_file(path)
            except ProfileError as exc:
                self._problem(path, str(exc))
                continue
            profile = parsed.profile
            if parsed.migrated_from is not None:
                profile = self._upgrade(path, profile, parsed.migrated_from)
            key = name_key(profile.name)
            if key in found:
                other = found[key][0].name
                self._problem(path, f"It has the same name, “{profile.name}”, as {other}; only {other} is used.")
                continue
            found[key] = (path, profile)
        return sorted(found.values(), key=lambda item: (name_key(item[1].name), item[1].name))

    def _problem(self, path: Path, message: str) -> None:
        if (path, message) not in self._reported:  # one store looks at the folder several times per action
            self._reported.add((path, message))
            logger.warning("Skipped the profile file %s: %s", path, message)
        self.problems.append(ProfileProblem(path, message))

    def _upgrade(self, path: Path, profile: Profile, version: int) -> Profile:
        """Rewrite an old-format file in the current format, keeping the original as ``.v<N>.bak``."""
        try:
            shutil.copy2(path, path.with_suffix(f".v{version}.bak"))
            write_text_atomic(path, _dumps(profile))
        except (OSError, StorageError) as exc:
            logger.warning("Profile %s was read from version %d but could not be upgraded: %s", path, version, exc)
        return profile

    def _find(self, name: str) -> tuple[Path, Profile] | None:
        key = name_key(name)
        return next((item for item in self._scan() if name_key(item[1].name) == key), None)

    def _find_or_fail(self, name: str) -> tuple[Path, Profile]:
        found = self._find(name)
        if found is not None:
            return found
        names = [profile.name for _, profile in self._scan()]
        if names:
            raise ProfileError(f"There is no profile called “{name}”. Saved profiles: {', '.join(names)}.")
        raise ProfileError(f"There is no profile called “{name}”; no profiles are saved yet.")

    def _target(self, name: str, own: Path | None, overwrite: bool) -> Path:
        """Where profile ``name`` goes; a file already there that is not this profile is only replaced on request."""
        target = self.folder / file_name_for(name)
        if target != own and target.exists() and not overwrite:
            raise ProfileError(
                f"The profiles folder already has a file {target.name} that could not be read as this profile. "
                f"Delete or move it ({target}), or replace it."
            )
        return target

    def _write(self, path: Path, profile: Profile) -> None:
        try:
            write_text_atomic(path, _dumps(profile))
        except OSError as exc:
            raise ProfileError(f"The profile “{profile.name}” could not be saved to {path}: {_reason(exc)}.") from exc


# Reading and checking a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    profile: Profile
    warnings: builtins.list[str]
    migrated_from: int | None  # the file's version when it was older than SCHEMA_VERSION


def _read_file(path: Path) -> _Parsed:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProfileError(f"{path.name} is too large to be a CAPI Desktop profile.")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ProfileError(f"There is no file {path}.") from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path.name} is not a CAPI Desktop profile (it is not a text file).") from exc
    except OSError as exc:
        raise ProfileError(f"{path.name} could not be read: {_reason(exc)}.") from exc
    try:
        raw = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise ProfileError(f"{path.name} is damaged or not a CAPI Desktop profile ({exc}).") from exc
    warnings: builtins.list[str] = []
    return _parse(raw, warnings)


def _parse(raw: object, warnings: builtins.list[str]) -> _Parsed:
    if not isinstance(raw, dict):
        raise ProfileError("This is not a CAPI Desktop profile (the file holds no profile settings).")
    _refuse_secrets(raw, "")
    if raw.get("kind") != KIND:
        raise ProfileError("This is not a CAPI Desktop profile (it lacks the profile marker).")
    version = raw.get("schema_version")
    if not _is_int(version) or version < 1:
        raise ProfileError("This profile has no valid format version; it may have been edited by hand.")
    if version > SCHEMA_VERSION:
        raise ProfileError("This profile was saved by a newer version of CAPI Desktop. Update the app to use it.")
    data = _migrate(dict(raw), version)
    _warn_unknown(data, _TOP_KEYS, "", warnings)

    name = validate_name(_text(data, "name", "", required=True) or "")
    account_id = _positive_int(data, "account_id", "")
    rules = _parse_rules(_group(data, "rules", ""), warnings)
    mapping = _parse_mapping(_group(data, "mapping", ""), warnings)
    sheet = _text(data, "sheet", "", strip=False)  # Excel allows a trailing space in a sheet name
    header_row = _positive_int(data, "header_row", "")
    timezone = _text(data, "timezone", "")
    if timezone is not None:
        try:
            timezone = resolve_timezone(timezone).key
        except ValueProblem as exc:
            raise ProfileError(str(exc)) from exc
    order_text = _text(data, "date_order", "") or "AUTO"
    order = next((o for o in DateOrder if order_text.upper() in (o.name, o.value.upper())), None)
    if order is None:
        raise ProfileError(f"“date_order” must be one of {', '.join(o.name for o in DateOrder)}.")
    profile = Profile(
        name=name,
        account_id=account_id,
        rules=rules,
        mapping=mapping,
        sheet=sheet,
        header_row=header_row,
        timezone=timezone,
        date_order=order,
        created_at=_timestamp(data, "created_at"),
        updated_at=_timestamp(data, "updated_at"),
    )
    return _Parsed(profile, warnings, version if version < SCHEMA_VERSION else None)


def _migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    while version < SCHEMA_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise ProfileError(f"This profile uses format version {version}, which this app cannot read.")
        data = step(data)
        version += 1
    data["schema_version"] = SCHEMA_VERSION
    return data


def _refuse_secrets(value: object, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            # Event names in a rule map are the user's words, not field names; their values must be rule
            # ids (checked later), so a credential cannot hide there and "Token" stays a valid event name.
            if where != "rules.by_event" and _is_secret_key(str(key)):
                here = here if len(here) <= 80 else here[:79] + "…"
                raise ProfileError(
                    f"This file contains an entry “{here}”. Profiles never hold sign-in tokens "
                    "or secrets, so it was not used: it was edited by hand or is not a CAPI Desktop profile. "
                    "Remove that entry (and keep the file private, it may hold a secret) before using it."
                )
            _refuse_secrets(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_secrets(item, f"{where}[{index}]")


def _is_secret_key(key: str) -> bool:
    normal = re.sub(r"[-\s]+", "_", key.strip().lower())
    return normal in _SECRET_KEYS or normal.endswith(_SECRET_SUFFIXES)


def _parse_rules(data: dict[str, Any], warnings: builtins.list[str]) -> RuleChoice:
    _warn_unknown(data, _RULES_KEYS, "rules", warnings)
    rule_id = _positive_int(data, "rule_id", "rules.")
    raw_map = data.get("by_event")
    by_event: dict[str, int] = {}
    if raw_map is not None:
        if not isinstance(raw_map, dict):
            raise ProfileError(f"“rules.by_event” should map event names to rule ids (it is {_kind(raw_map)}).")
        for event, rule in raw_map.items():
            key = str(event).strip().casefold()
            if not key:
                raise ProfileError("“rules.by_event” has an empty event name.")
            if not _is_int(rule) or not 0 < rule <= _MAX_ID:
                raise ProfileError(f"The rule for the event “{event}” should be a rule id (a positive whole number).")
            if by_event.get(key, rule) != rule:
                raise ProfileError(f"The event name “{event}” is mapped to two different rules.")
            by_event[key] = rule
    if rule_id is None and not by_event:
        raise ProfileError("The profile names no conversion rule: it needs a rule id or an event-name map.")
    if rule_id is not None and by_event:
        raise ProfileError("The profile names both one rule and an event-name map; keep only one of them.")
    return RuleChoice(rule_id=rule_id, by_event=by_event)


def _parse_mapping(data: dict[str, Any], warnings: builtins.list[str]) -> ColumnMapping:
    _warn_unknown(data, _MAPPING_KEYS, "mapping", warnings)
    raw_columns = data.get("columns")
    if raw_columns is None:
        raw_columns = {}
    if not isinstance(raw_columns, dict):
        raise ProfileError(f"“mapping.columns” should map fields to column names (it is {_kind(raw_columns)}).")
    known = {f.value: f for f in Field}
    columns: dict[Field, tuple[str, ...]] = {}
    for field_name, names in raw_columns.items():
        target = known.get(field_name)
        if target is None:
            raise ProfileError(f"“{field_name}” is not a field; fields are: {', '.join(known)}.")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ProfileError(f"“mapping.columns.{field_name}” should be a list of column names.")
        if any(len(n) > _MAX_TEXT for n in names):
            raise ProfileError(f"A column name for “{field_name}” is too long.")
        if names:
            columns[target] = tuple(names)
    currency = _text(data, "currency", "mapping.")
    value_raw = data.get("value")
    value: Decimal | None = None
    try:
        if currency is not None:
            currency = normalise_currency(currency)
        if value_raw is not None:
            if isinstance(value_raw, bool) or not isinstance(value_raw, str | int | Decimal):
                raise ProfileError(f"“mapping.value” should be a number (it is {_kind(value_raw)}).")
            value = parse_constant_value(str(value_raw))
    except ValueProblem as exc:
        raise ProfileError(str(exc)) from exc
    event_name = _text(data, "event_name", "mapping.")
    return ColumnMapping(columns=columns, currency=currency, value=value, event_name=event_name)


def _warn_unknown(data: Mapping[str, Any], known: tuple[str, ...], where: str, warnings: builtins.list[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        place = f" in “{where}”" if where else ""
        warnings.append(
            f"Ignored settings this version does not know{place}: {', '.join(unknown)} "
            "(the profile may come from a newer or modified app)."
        )


def _group(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ProfileError(f"“{where}{key}” should be a group of settings (it is {_kind(value)}).")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, required: bool = False, strip: bool = True) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise ProfileError(f"The profile has no “{where}{key}”.")
        return None
    if not isinstance(value, str):
        raise ProfileError(f"“{where}{key}” should be text (it is {_kind(value)}).")
    if len(value) > _MAX_TEXT:
        raise ProfileError(f"“{where}{key}” is too long.")
    return value.strip() if strip else value


def _positive_int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not _is_int(value) or value <= 0:
        raise ProfileError(f"“{where}{key}” should be a positive whole number (it is {_kind(value)}).")
    if value > _MAX_ID:
        raise ProfileError(f"“{where}{key}” is too large to be an id or row number.")
    return value


def _timestamp(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        if _is_int(value):  # epoch seconds, as another tool might write them
            return _iso(datetime.fromtimestamp(value, UTC))
        if isinstance(value, str):
            return _iso(datetime.fromisoformat(value))
    except (ValueError, OverflowError, OSError):
        pass
    raise ProfileError(f"“{key}” should be a date and time such as 2026-06-01T09:30:00Z.")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number" if value > 0 else "zero or negative"
    if isinstance(value, float | Decimal):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a group of settings"


# Writing -----------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _dumps(profile: Profile) -> str:
    return json.dumps(profile.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("Could not remove the old profile file %s: %s", path, exc)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
