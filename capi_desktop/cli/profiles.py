"""Saved upload profiles: list, show, rename, delete, export and import; helpers for `preview`/`upload`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from capi_desktop import paths
from capi_desktop.cli import emit, exit_code, main
from capi_desktop.core.mapping import ImportOptions
from capi_desktop.core.storage import StorageError
from capi_desktop.core.stores.profiles import Profile, ProfileError, ProfileStore


def profile_store() -> ProfileStore:
    return ProfileStore(paths.profiles_dir())


def load_profile(name: str) -> Profile:
    """The saved profile ``name`` (any case) for `--profile NAME`; ``ProfileError`` says what exists instead.

    ``profile.import_options()`` gives the ImportOptions; ``account_id``, ``sheet`` and ``header_row`` are on
    the profile itself.
    """
    return profile_store().load(name)


def save_profile_from_options(
    name: str,
    *,
    account_id: int | None,
    sheet: str | None,
    header_row: int | None,
    options: ImportOptions,
    overwrite: bool = False,
) -> Profile:
    """Save the choices behind an import as profile ``name`` (for `--save-profile NAME`).

    Raises ``ProfileError`` for a bad name, a bad choice, or an existing profile when not ``overwrite``.
    """
    return profile_store().save(Profile.from_options(name, account_id, sheet, header_row, options), overwrite)


@contextmanager
def _profile_errors(action: str) -> Iterator[None]:
    try:
        yield
    except (ProfileError, StorageError) as exc:
        click.echo(f"{action}: {exc}", err=True)
        sys.exit(exit_code(exc))


@main.group(name="profiles")
def profiles_group() -> None:
    """Saved upload profiles: the choices for one kind of spreadsheet, to use again or share."""


@profiles_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def profiles_list(as_json: bool) -> None:
    """List the saved profiles."""
    found = profile_store().list()  # files that cannot be used are logged (stderr) and skipped

    def text() -> str:
        if not found:
            return "No profiles are saved yet. Save one with `preview ... --save-profile NAME` or `profiles import`."
        width = max(len(p.name) for p in found)  # names are never cut: they are what the other commands take
        rows = [f"{'NAME':{width}}  {'ACCOUNT':>12}  {'UPDATED':20}  RULES"]
        for p in found:
            account = str(p.account_id) if p.account_id is not None else "-"
            rows.append(f"{p.name:{width}}  {account:>12}  {p.updated_at or '-':20}  {p.rules.describe()}")
        return "\n".join(rows)

    emit(as_json, [_public(p) for p in found], text)


@profiles_group.command(name="show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the profile file's format).")
def profiles_show(name: str, as_json: bool) -> None:
    """Show everything a saved profile chooses."""
    with _profile_errors("Cannot show the profile"):
        profile = profile_store().load(name)
    emit(as_json, _public(profile), lambda: _describe(profile))


@profiles_group.command(name="rename")
@click.argument("old")
@click.argument("new")
def profiles_rename(old: str, new: str) -> None:
    """Rename a saved profile."""
    with _profile_errors("Cannot rename the profile"):
        store = profile_store()
        before = store.load(old).name
        renamed = store.rename(old, new)
    click.echo(f"Renamed “{before}” to “{renamed.name}”.")


@profiles_group.command(name="delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed when not run from a terminal).")
def profiles_delete(name: str, yes: bool) -> None:
    """Delete a saved profile (asks first)."""
    with _profile_errors("Cannot delete the profile"):
        store = profile_store()
        profile = store.load(name)
        if not yes:
            if not sys.stdin.isatty():
                raise ProfileError(f"Add --yes to delete “{profile.name}” without a terminal to confirm on.")
            if not click.confirm(f"Delete the profile “{profile.name}”?", default=False):
                click.echo("Nothing was deleted.")
                return
        deleted = store.delete(profile.name)
    click.echo(f"Deleted the profile “{deleted.name}”.")


@profiles_group.command(name="export")
@click.argument("name")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace PATH if it already exists.")
def profiles_export(name: str, path: Path, overwrite: bool) -> None:
    """Write a profile to PATH (a file or a folder) to hand to a colleague. It holds no sign-in or secret."""
    with _profile_errors("Cannot export the profile"):
        written = profile_store().export(name, path, overwrite=overwrite)
    click.echo(f"Exported to {written}.")


@profiles_group.command(name="import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", "new_name", help="Save it under this name instead of the one in the file.")
@click.option("--overwrite", is_flag=True, help="Replace a saved profile with the same name.")
def profiles_import(path: Path, new_name: str | None, overwrite: bool) -> None:
    """Import a profile someone exported. Everything in it is checked first."""
    with _profile_errors(f"Cannot import {path.name}"):
        store = profile_store()
        profile = store.import_file(path, name=new_name, overwrite=overwrite)
    # Ignored fields are logged as warnings by the core, which the CLI's logging prints to stderr.
    click.echo(f"Imported the profile “{profile.name}”.")


def _public(profile: Profile) -> dict[str, Any]:
    """The profile file's content, without the file-format marker (the JSON output of list and show)."""
    data = profile.to_dict()
    data.pop("kind")
    data.pop("schema_version")
    return data


def _describe(profile: Profile) -> str:
    mapping = profile.mapping
    lines = [
        f"Name: {profile.name}",
        f"Ad account: {profile.account_id if profile.account_id is not None else 'not chosen'}",
        f"Conversion rules: {profile.rules.describe()}",
        "Columns:",
    ]
    lines.extend(f"  {f.label} ← {' / '.join(cols)}" for f, cols in mapping.columns.items())
    if not mapping.columns:
        lines.append("  (detected from each spreadsheet's headers)")
    if not profile.event_ids_from_column:
        lines.append("Event ids: made from each row's content (the same row always gets the same id)")
    lines += [
        f"Currency for rows without one: {mapping.currency or '-'}",
        f"Value for rows without one: {mapping.value if mapping.value is not None else '-'}",
        f"Event name for every row: {mapping.event_name or '-'}",
        f"Sheet: {profile.sheet if profile.sheet is not None else 'the first with data'}",
        f"Header row: {profile.header_row if profile.header_row is not None else 'detected'}",
        f"Time zone: {profile.timezone or 'this computer’s'}",
        f"Date order: {profile.date_order.name}",
        f"Saved: {profile.created_at or '-'}, last changed: {profile.updated_at or '-'}",
    ]
    return "\n".join(lines)
