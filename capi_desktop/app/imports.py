"""Reading a spreadsheet and deciding how to import it: the file, a saved profile and the user's own
choices combine here by one rule, for the app and the command line alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice, guess_mapping
from capi_desktop.core.normalise.dates import DateOrder
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import Cell, SpreadsheetError, Table, list_sheets, open_table
from capi_desktop.core.stores.profiles import Profile

SAMPLE_ROWS = 50  # rows the mapping is guessed from and the examples are picked from


@dataclass(frozen=True)
class InspectedFile:
    """A spreadsheet opened for importing: its sheets, the table read, and what its columns look like."""

    path: Path
    sheets: list[str]
    table: Table
    guess: ColumnMapping  # from the columns' names and values alone
    samples: list[list[Cell]]  # the first rows' values: for examples and the guess
    header_note: str | None = None  # the profile's header row did not fit this file: what was done instead


def inspect_file(path: Path, *, sheet: str | None = None, header_row: int | None = None,
                 profile: Profile | None = None) -> InspectedFile:  # fmt: skip
    """Open ``path``; an explicit sheet or header row wins, else the profile's where it fits this file.

    The profile's header row is used only when the names in that row are the profile's columns; otherwise
    the header is detected and ``header_note`` says so (a file laid out differently from last month's).
    """
    sheets = list_sheets(path)
    wanted_sheet = sheet or (profile.sheet if profile else None)
    chosen_sheet = wanted_sheet if wanted_sheet in sheets else None
    note = None
    if header_row is not None or profile is None or profile.header_row is None:
        table = open_table(path, sheet=chosen_sheet, header_row=header_row)
    else:
        fitting: Table | None
        try:
            fitting = open_table(path, sheet=chosen_sheet, header_row=profile.header_row)
        except SpreadsheetError:
            fitting = None
        if fitting is not None and _profile_columns_present(profile, fitting.columns):
            table = fitting
        else:
            if fitting is not None:
                fitting.release()
            table = open_table(path, sheet=chosen_sheet)
        if table.header_row != profile.header_row:
            note = (
                f"The profile “{profile.name}” takes the column names from row {profile.header_row}, but row "
                f"{profile.header_row} of this file does not have its columns, so they were taken from row "
                f"{table.header_row}. Check the columns below."
            )
    rows: list[list[Cell]] = [list(row.values) for row in table.sample(SAMPLE_ROWS)]
    return InspectedFile(path, sheets, table, guess_mapping(table.columns, rows), rows, note)


def _profile_columns_present(profile: Profile, columns: Sequence[str]) -> bool:
    wanted = {name for names in profile.mapping.columns.values() for name in names}
    return bool(wanted) and bool(wanted & set(columns))


def merge_mapping(guess: ColumnMapping, profile: Profile | None, columns: Sequence[str]) -> ColumnMapping:
    """The guess, overridden field by field by the profile wherever the profile's columns are in this file;
    the profile's fixed values (currency, value, event name) where it has them."""
    if profile is None:
        return guess
    chosen = dict(guess.columns)
    for target, names in profile.mapping.columns.items():
        present = tuple(name for name in names if name in columns)
        if not present:
            continue
        for other in list(chosen):  # a column feeds one field: the profile's choice takes it from the guess
            rest = tuple(name for name in chosen[other] if name not in present)
            if rest:
                chosen[other] = rest
            else:
                del chosen[other]
        chosen[target] = present
    fixed = profile.mapping
    return ColumnMapping(
        columns=chosen,
        currency=fixed.currency or guess.currency,
        value=fixed.value if fixed.value is not None else guess.value,
        event_name=fixed.event_name or guess.event_name,
    )


@dataclass(frozen=True)
class Overrides:
    """Choices given for one import on top of the file and the profile (the command line's options)."""

    rules: RuleChoice | None = None
    account_id: int | None = None
    columns: Mapping[Field, Sequence[str]] | None = None
    currency: str | None = None
    value: Decimal | None = None
    event_name: str | None = None
    timezone: str | None = None
    date_order: DateOrder | None = None


@dataclass(frozen=True)
class ImportPlan:
    inspected: InspectedFile
    options: ImportOptions
    account_id: int | None

    @property
    def table(self) -> Table:
        return self.inspected.table


def plan_import(inspected: InspectedFile, profile: Profile | None, overrides: Overrides) -> ImportPlan:
    """What to stage: the file's guess, then the profile, then the overrides (the last word wins)."""
    rules = overrides.rules or (profile.rules if profile else None)
    if rules is None:
        raise ValueProblem("Choose the conversion rule: --rule ID for every row, or --rule-map 'LEAD=1,PURCHASE=2'.")
    mapping = merge_mapping(inspected.guess, profile, inspected.table.columns)
    for target, names in (overrides.columns or {}).items():
        mapping = mapping.with_columns(target, list(names))
    mapping = replace(
        mapping,
        currency=overrides.currency or mapping.currency,
        value=overrides.value if overrides.value is not None else mapping.value,
        event_name=overrides.event_name or mapping.event_name,
    )
    options = ImportOptions(
        rules=rules,
        mapping=mapping,
        timezone=overrides.timezone or (profile.timezone if profile else None),
        date_order=overrides.date_order or (profile.date_order if profile else DateOrder.AUTO),
    )
    account = overrides.account_id if overrides.account_id is not None else (profile.account_id if profile else None)
    return ImportPlan(inspected, options, account)
