"""Saved upload profiles: one JSON file per profile in ``config_dir() / "profiles"``, written
atomically (the format is in ``profile_format``).

File names are derived from the profile name (a readable slug plus a short hash of the case-folded name),
so any name a user types, "Q3 / EMEA" included, gives a file name that is valid on Windows, macOS and
Linux, and names that differ only in case are the same profile. The name itself lives inside the file,
which is what ``list``/``load`` go by; the file name is only where it is kept.
"""

from __future__ import annotations

import builtins
import logging
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from capi_desktop.core.files import write_text_atomic
from capi_desktop.core.storage import StorageError
from capi_desktop.core.stores.profile import (
    Profile,
    ProfileError,
    ProfileProblem,
    file_name_for,
    name_key,
    validate_name,
)
from capi_desktop.core.stores.profile_format import MAX_FILE_BYTES, dumps, iso, parse, read_file, reason

__all__ = ["MAX_FILE_BYTES", "Profile", "ProfileError", "ProfileProblem", "ProfileStore", "file_name_for"]

logger = logging.getLogger(__name__)


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
        checked = parse(profile.to_dict(), []).profile  # the same checks as a file being read
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
            raise ProfileError(f"The profile “{profile.name}” could not be deleted ({path}): {reason(exc)}.") from exc
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
            write_text_atomic(path, dumps(profile))
        except OSError as exc:
            raise ProfileError(f"The profile could not be written to {path}: {reason(exc)}.") from exc
        return path

    def import_file(self, path: Path, name: str | None = None, overwrite: bool = False) -> Profile:
        """Read a profile someone exported, check all of it, and save it here (under ``name`` if given)."""
        self.warnings = []
        parsed = read_file(path)
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
        return iso(self._clock())

    def _scan(self) -> builtins.list[tuple[Path, Profile]]:
        self.problems = []
        found: dict[str, tuple[Path, Profile]] = {}
        if not self.folder.is_dir():
            return []
        for path in sorted(self.folder.glob("*.json")):
            if not path.is_file():
                continue
            try:
                parsed = read_file(path)
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
            write_text_atomic(path, dumps(profile))
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
            write_text_atomic(path, dumps(profile))
        except OSError as exc:
            raise ProfileError(f"The profile “{profile.name}” could not be saved to {path}: {reason(exc)}.") from exc


# Reading and checking a file ---------------------------------------------------------------------


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("Could not remove the old profile file %s: %s", path, exc)
