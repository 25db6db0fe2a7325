"""Runtime switches of the sandbox: latency, failure injection, limits and the API version window.

Knobs can be changed while the server runs (from a test, the demo mode or ``POST /_sandbox/knobs``).
Every change goes through :meth:`Knobs.update`, which validates and applies it under a lock; request
handlers work on a :meth:`Knobs.snapshot` so one request never sees half of an update.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

#: The standard apps' callback port. Fixed because the standard OAuth flow only matches registered URIs.
STANDARD_REDIRECT_PORT = 8765
DEFAULT_REDIRECT_URIS: tuple[str, ...] = (
    f"http://127.0.0.1:{STANDARD_REDIRECT_PORT}/callback",
    f"http://localhost:{STANDARD_REDIRECT_PORT}/callback",
)

AUTO_CONSENT_CHOICES = (None, "allow", "deny")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_version(value: object) -> bool:
    return value is None or (isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit())


def _is_version_list(value: object) -> bool:
    return isinstance(value, tuple | list) and all(v is not None and _is_version(v) for v in value)


def _is_uri_list(value: object) -> bool:
    return isinstance(value, tuple | list) and all(isinstance(uri, str) and uri for uri in value)


# One check per knob: (predicate, what the value must be). Used for construction and updates alike.
_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "latency_ms": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "error_rate": (lambda v: _is_number(v) and 0 <= v <= 1, "a number between 0 and 1"),
    "throttle_rate": (lambda v: _is_number(v) and 0 <= v <= 1, "a number between 0 and 1"),
    "drop_rate": (lambda v: _is_number(v) and 0 <= v <= 1, "a number between 0 and 1"),
    "rate_limit_per_minute": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "daily_cap": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "auto_consent": (lambda v: v in AUTO_CONSENT_CHOICES, 'null, "allow" or "deny"'),
    "seed": (lambda v: v is None or _is_int(v), "null or an integer"),
    "max_batch": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "event_max_age_days": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "future_grace_seconds": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "event_id_max_length": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "oldest_version": (_is_version, "null or a YYYYMM string"),
    "newest_version": (_is_version, "null or a YYYYMM string"),
    "skipped_versions": (_is_version_list, "a list of YYYYMM strings"),
    "code_ttl_seconds": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "me_requires_profile_scope": (lambda v: isinstance(v, bool), "true or false"),
    "standard_redirect_uris": (_is_uri_list, "a list of URIs"),
    "attribution_share_percent": (lambda v: _is_number(v) and 0 <= v <= 100, "a number between 0 and 100"),
    "reporting_delay_hours": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
}


@dataclass
class Knobs:
    """Behaviour switches; defaults mimic LinkedIn as documented (see docs/sandbox.md)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    throttle_rate: float = 0.0  # share of REST requests answered 429 at random (bursts without waiting a minute)
    drop_rate: float = 0.0
    rate_limit_per_minute: int = 600
    daily_cap: int = 300_000
    auto_consent: str | None = None
    seed: int | None = None
    max_batch: int = 5000
    event_max_age_days: int = 90
    future_grace_seconds: int = 300
    event_id_max_length: int = 64
    #: None = derived from the clock: newest is the current UTC month, oldest twelve months before it.
    oldest_version: str | None = None
    newest_version: str | None = None
    #: Months inside the window that LinkedIn never released (it skips some); refused with 426 too.
    skipped_versions: tuple[str, ...] = ()
    code_ttl_seconds: int = 1800
    #: /rest/me needs a profile scope, as LinkedIn's member-profile documentation says; off = r_ads is enough.
    me_requires_profile_scope: bool = True
    #: Redirect URIs registered for the seeded apps' standard (non-PKCE) flow, matched exactly.
    standard_redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    #: What share of accepted events the simulated reporting credits to the rule's campaigns, and after how
    #: long (LinkedIn: up to 72 hours; 0 shows practice results at once).
    attribution_share_percent: float = 13.0
    reporting_delay_hours: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in _CHECKS:
            _check(name, getattr(self, name))
        self.standard_redirect_uris = tuple(self.standard_redirect_uris)
        self.skipped_versions = tuple(self.skipped_versions)

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply several changes at once; all are validated before any is applied (ValueError)."""
        for name, value in changes.items():
            if name not in _CHECKS:
                raise ValueError(f"unknown knob: {name}")
            _check(name, value)
        with self._lock:
            for name, value in changes.items():
                if name in ("standard_redirect_uris", "skipped_versions"):
                    value = tuple(value)  # type: ignore[arg-type]
                setattr(self, name, value)
        logger.info("sandbox knobs changed: %s", ", ".join(sorted(changes)))

    def snapshot(self) -> Knobs:
        """A consistent copy for one request."""
        with self._lock:
            return Knobs(**{name: getattr(self, name) for name in _CHECKS})

    def to_dict(self) -> dict[str, object]:
        copy = self.snapshot()
        values: dict[str, object] = {name: getattr(copy, name) for name in _CHECKS}
        values["standard_redirect_uris"] = list(copy.standard_redirect_uris)
        values["skipped_versions"] = list(copy.skipped_versions)
        return values

    def accepts_version(self, version: str, now: float) -> bool:
        oldest, newest = self.version_window(now)
        return oldest <= version <= newest and version not in self.skipped_versions

    def version_window(self, now: float) -> tuple[str, str]:
        """(oldest, newest) accepted LinkedIn-Version values at epoch second ``now``."""
        moment = datetime.fromtimestamp(now, tz=UTC)
        month_index = moment.year * 12 + moment.month - 1
        newest = self.newest_version or _month_version(month_index)
        oldest = self.oldest_version or _month_version(month_index - 12)
        return oldest, newest


def _month_version(month_index: int) -> str:
    year, month0 = divmod(month_index, 12)
    return f"{year:04d}{month0 + 1:02d}"


def _check(name: str, value: object) -> None:
    predicate, expected = _CHECKS[name]
    if not predicate(value):
        raise ValueError(f"knob {name} must be {expected}, got {value!r}")
