"""Which monthly LinkedIn API version to ask for, whatever month it is.

LinkedIn releases a version (``YYYYMM``) most months, supports each for about a year, and answers
HTTP 426 to a version it has retired or never released (it skips some months). So the app starts
from the version that last worked (or the one it was built with), and when LinkedIn refuses it, tries
the newer months up to the current one, then older ones; the version that works is remembered with
the day it last worked. A version the user typed in Settings is only where the search starts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from capi_desktop.core.files import write_text_atomic
from capi_desktop.core.normalise.dates import day_words

logger = logging.getLogger(__name__)

BUILT_WITH = "202606"  # the version this build was checked against
SUPPORTED_MONTHS = 12  # LinkedIn's published support window for a version, about a year
WARN_MONTHS = 10  # from here on, a version is near the end of its year


def _index(version: str) -> int:
    return int(version[:4]) * 12 + int(version[4:6]) - 1


def _version(index: int) -> str:
    return f"{index // 12:04d}{index % 12 + 1:02d}"


def this_month(today: date | None = None) -> str:
    today = today or datetime.now(UTC).date()
    return f"{today.year:04d}{today.month:02d}"


def months_to_try(refused: str, today: date | None = None) -> list[str]:
    """The versions to try after LinkedIn refused ``refused``: the newer months from this one back (the
    newest LinkedIn takes is supported longest; this month's may not be out yet), then the older months
    of the past year, nearest first."""
    start, now = _index(refused), _index(this_month(today))
    newer = [_version(i) for i in range(now, start, -1)]
    older = [_version(i) for i in range(min(start, now + 1) - 1, now - SUPPORTED_MONTHS - 1, -1)]
    return newer + older


def month_words(version: str) -> str:
    """A version's month as people say it: "June 2026" for 202606."""
    index = _index(version)
    return datetime(index // 12, index % 12 + 1, 1).strftime("%B %Y")


def ends_around(version: str) -> str:
    """The month LinkedIn is expected to retire ``version``, in words ("June 2027")."""
    return month_words(_version(_index(version) + SUPPORTED_MONTHS))


def near_its_end(version: str, today: date | None = None) -> bool:
    return _index(this_month(today)) - _index(version) >= WARN_MONTHS


@dataclass(frozen=True)
class KnownVersion:
    """The version LinkedIn last accepted, and the day it did (``YYYY-MM-DD``)."""

    version: str
    worked_on: str


class VersionMemory:
    """``api-version.json`` in the data folder: state the app learns, not a setting the user chose."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> KnownVersion | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            known = KnownVersion(str(data["version"]), str(data["worked_on"]))
            _index(known.version)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:  # damaged: start again from the build's
            logger.warning("Ignoring the remembered API version in %s: %s", self.path, exc)
            return None
        return known

    def save(self, version: str, today: date | None = None) -> None:
        worked_on = (today or datetime.now(UTC).date()).isoformat()
        write_text_atomic(self.path, json.dumps({"version": version, "worked_on": worked_on}) + "\n")


def starting_version(chosen: str | None, known: KnownVersion | None) -> str:
    """The user's choice, else the newer of the version that last worked and the build's."""
    if chosen:
        return chosen
    if known is None:
        return BUILT_WITH
    return max(known.version, BUILT_WITH)


def version_note(version: str, known: KnownVersion | None, today: date | None = None) -> str:
    """The version in use in words, with a plain warning when LinkedIn will soon retire it."""
    text = f"LinkedIn's {month_words(version)} version ({version})"
    if known is not None and known.version == version:
        text += f", which last worked on {day_words(date.fromisoformat(known.worked_on))}."
    else:
        text += "."
    if near_its_end(version, today):
        text += (
            f" LinkedIn supports each version for about a year, so this one ends around {ends_around(version)}; "
            "the app moves to a newer one by itself when LinkedIn refuses it."
        )
    return text
