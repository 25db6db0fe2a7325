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
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeGuard

from capi_desktop.core.mapping import ColumnMapping, Field, RuleChoice, parse_constant_value
from capi_desktop.core.normalise.dates import DateOrder, resolve_timezone
from capi_desktop.core.normalise.money import normalise_currency
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.stores import profile as model
from capi_desktop.core.stores.profile import KIND, Profile, ProfileError, validate_name

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


@dataclass(frozen=True)
class _Parsed:
    profile: Profile
    warnings: builtins.list[str]
    migrated_from: int | None  # the file's version when it was older than model.SCHEMA_VERSION


def read_file(path: Path) -> _Parsed:
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
        raise ProfileError(f"{path.name} could not be read: {reason(exc)}.") from exc
    try:
        raw = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise ProfileError(f"{path.name} is damaged or not a CAPI Desktop profile ({exc}).") from exc
    warnings: builtins.list[str] = []
    return parse(raw, warnings)


def parse(raw: object, warnings: builtins.list[str]) -> _Parsed:
    if not isinstance(raw, dict):
        raise ProfileError("This is not a CAPI Desktop profile (the file holds no profile settings).")
    _refuse_secrets(raw, "")
    if raw.get("kind") != KIND:
        raise ProfileError("This is not a CAPI Desktop profile (it lacks the profile marker).")
    version = raw.get("schema_version")
    if not _is_int(version) or version < 1:
        raise ProfileError("This profile has no valid format version; it may have been edited by hand.")
    if version > model.SCHEMA_VERSION:
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
    return _Parsed(profile, warnings, version if version < model.SCHEMA_VERSION else None)


def _migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    while version < model.SCHEMA_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise ProfileError(f"This profile uses format version {version}, which this app cannot read.")
        data = step(data)
        version += 1
    data["schema_version"] = model.SCHEMA_VERSION
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
            return iso(datetime.fromtimestamp(value, UTC))
        if isinstance(value, str):
            return iso(datetime.fromisoformat(value))
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


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def dumps(profile: Profile) -> str:
    return json.dumps(profile.to_dict(), indent=2, ensure_ascii=False) + "\n"


def reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
