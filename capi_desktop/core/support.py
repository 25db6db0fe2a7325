"""The support bundle: one zip a user can attach to a LinkedIn (or agency) support ticket.

It says which app, Python, Qt and operating system versions ran, how the app was set up (settings, never
secrets), what the last job did (counts and choices, never an email address or a token) and the recent
log lines, where LinkedIn's request ids let support find the exact calls.

Everything written passes through ``redact``: known secrets (the caller hands in the access token, the
refresh token and the client secret it knows of), email addresses, bearer tokens, ``key=value`` pairs
whose key names a credential, and any long opaque token-like string are replaced. LinkedIn's request ids
(22 to 24 characters) are short enough to survive.
"""

from __future__ import annotations

import json
import logging
import platform
import re
import sys
import time
import zipfile
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from capi_desktop.core.journal import DeliveryCounts, StateCounts
from capi_desktop.core.stores.settings import Settings

logger = logging.getLogger(__name__)

LOG_LINES = 400  # the tail of the log that goes into a bundle

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_BEARER = re.compile(r"(?i)\b(bearer)\s+\S+")
# "access_token=...", "client_secret": "...", Authorization: ... (OAuth codes are caught as opaque strings).
_CREDENTIAL_PAIR = re.compile(
    r"""(?ix)
    (["']?\b(?:[a-z_]*token|[a-z_]*secret|password|passwd|authorization|api_?key)\b["']?\s*[:=]\s*)
    (["']?)([^\s"'&,;}]+)
    """
)
# Long opaque strings mixing upper case, lower case and digits: tokens, codes, secrets. Paths and words
# rarely mix all three over 32 characters without a space or a dot; if one does, losing it costs little.
_OPAQUE = re.compile(r"[A-Za-z0-9_\-+/=~]{32,}")
_LONG_HEX = re.compile(r"\b[0-9a-fA-F]{40,}\b")  # hashes (a hashed email is still personal data)

TOKEN_REMOVED = "[token removed]"
SECRET_REMOVED = "[secret removed]"
EMAIL_REMOVED = "[email removed]"
HASH_REMOVED = "[hash removed]"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without secrets, email addresses or anything that looks like a token."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, SECRET_REMOVED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {TOKEN_REMOVED}", text)
    text = _CREDENTIAL_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{SECRET_REMOVED}", text)
    text = _EMAIL.sub(EMAIL_REMOVED, text)
    text = _LONG_HEX.sub(HASH_REMOVED, text)
    return _OPAQUE.sub(_opaque_replacement, text)


def _opaque_replacement(match: re.Match[str]) -> str:
    value = match.group(0)
    mixed = any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)
    return TOKEN_REMOVED if mixed else value


@dataclass(frozen=True)
class JobSnapshot:
    """What a support ticket needs to know about one job: its counts and its choices (``meta``, with
    nothing that names the computer's user)."""

    job_id: str
    rows: StateCounts
    delivery: DeliveryCounts
    meta: dict[str, Any]
    outcome: str | None = None  # how the last upload run ended, if there was one in this session
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        delivery = self.delivery
        return {
            "job": self.job_id,
            "rows": {"total": self.rows.total, **asdict(self.rows)},
            "delivery": {**asdict(delivery), "pending": delivery.pending},
            "outcome": self.outcome,
            "message": self.message,
            "meta": self.meta,
        }


def system_info(app_version: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Versions of the app, Python and the operating system; ``extra`` adds e.g. Qt's."""
    return {
        "app_version": app_version,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "os": platform.platform(),
        "machine": platform.machine(),
        **(extra or {}),
    }


def recent_log_lines(path: Path, limit: int = LOG_LINES) -> list[str]:
    """The last ``limit`` lines of a log file (none if it does not exist or cannot be read)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return [line.rstrip("\n") for line in deque(handle, maxlen=limit)]
    except OSError as exc:
        logger.info("No log lines for the support bundle: %s", exc)
        return []


def write_support_bundle(
    path: Path,
    *,
    about: Mapping[str, str],
    settings: Settings,
    job: JobSnapshot | None = None,
    log_lines: Iterable[str] = (),
    secrets: Iterable[str] = (),
    now: float | None = None,
) -> Path:
    """Write the redacted zip to ``path`` (replacing it) and return the path.

    ``settings`` are the user's saved settings (not the ones in effect, which may carry a sandbox's
    addresses); they hold no secret, and are redacted like everything else all the same.
    """
    known = [s for s in secrets if s]
    generated = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now if now is not None else time.time()))

    def text(value: str) -> str:
        return redact(value, known)

    def as_json(data: object) -> str:
        return text(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n"

    files = {
        "README.txt": text(
            "CAPI Desktop support bundle, generated " + generated + ".\n"
            "It holds no access token, client secret or email address: they were removed before writing.\n"
            "about.json: versions. settings.json: the app's settings. job.json: the last upload job's counts and "
            "choices. log.txt: recent log lines, with LinkedIn request ids where LinkedIn answered.\n"
        ),
        "about.json": as_json({**about, "generated": generated}),
        "settings.json": as_json(asdict(settings)),
        "log.txt": "\n".join(text(line) for line in log_lines) + "\n",
    }
    if job is not None:
        files["job.json"] = as_json(job.to_dict())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name, content in files.items():
                bundle.writestr(name, content)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
