"""When the computer refuses a write: a full disk, a read-only, missing or forbidden folder.

Every place the app writes (job journals, the sent-ledger, the request counter, settings, profiles,
reports, locks) turns such a failure into one ``StorageError`` whose ``str()`` names the folder and
what to do. The errno or SQLite code says what went wrong when it can; when it cannot (SQLite reports
a failed open or an I/O error without the reason), the folder itself is looked at.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path


class StorageProblem(Enum):
    FULL = "full"
    READ_ONLY = "read_only"
    FORBIDDEN = "forbidden"
    MISSING = "missing"
    FAILED = "failed"  # the disk reported an error it did not explain


class StorageError(Exception):
    """A write the computer refused; ``str()`` names the folder and the fix."""

    def __init__(self, problem: StorageProblem, folder: Path, detail: str = "") -> None:
        self.problem, self.folder = problem, folder
        super().__init__(_sentence(problem, folder, detail))

    @property
    def title(self) -> str:
        return "The disk is full" if self.problem is StorageProblem.FULL else "Cannot save on this computer"


_ERRNOS = {
    errno.ENOSPC: StorageProblem.FULL,
    errno.EDQUOT: StorageProblem.FULL,
    errno.EFBIG: StorageProblem.FULL,
    errno.EROFS: StorageProblem.READ_ONLY,
    errno.EACCES: StorageProblem.FORBIDDEN,
    errno.EPERM: StorageProblem.FORBIDDEN,
    errno.ENOENT: StorageProblem.MISSING,
    errno.ENOTDIR: StorageProblem.MISSING,
    errno.EIO: StorageProblem.FAILED,
}
# SQLite's primary result codes (the low byte of the extended code Python gives).
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_PERM, _SQLITE_IOERR, _SQLITE_CANTOPEN = 13, 8, 3, 10, 14
# Kept free on top of what a step needs: recording LinkedIn's answer to a batch, settings and logs.
RESERVE = 16 * 1024 * 1024


def storage_error(exc: BaseException, folder: Path) -> StorageError | None:
    """What ``exc`` means for a write into ``folder``, or None when it is not about storage."""
    if isinstance(exc, sqlite3.OperationalError):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code == _SQLITE_FULL:
            return StorageError(StorageProblem.FULL, folder)
        if code == _SQLITE_READONLY:
            return StorageError(_looked_at(folder) or StorageProblem.READ_ONLY, folder)
        if code in (_SQLITE_PERM, _SQLITE_IOERR, _SQLITE_CANTOPEN):
            return StorageError(_looked_at(folder) or StorageProblem.FAILED, folder, str(exc))
        return None
    if isinstance(exc, OSError) and exc.errno in _ERRNOS:
        problem = _ERRNOS[exc.errno]
        if problem is StorageProblem.FAILED:
            problem = _looked_at(folder) or problem
        return StorageError(problem, folder, (exc.strerror or "") if problem is StorageProblem.FAILED else "")
    return None


@contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Turn a refused write into ``folder`` into ``StorageError``; other errors pass unchanged."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        problem = storage_error(exc, folder)
        if problem is None:
            raise
        raise problem from exc


@contextmanager
def transaction(db: sqlite3.Connection, folder: Path) -> Iterator[None]:
    """One transaction on ``db`` (a file in ``folder``): rolled back and raised as ``StorageError`` when the
    disk or folder refuses it."""
    with writing(folder), db:
        yield


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating its folder) one of the app's SQLite files; a folder that refuses raises
    ``StorageError``. SQLite reads the file only when first used (see ``write_ahead``)."""
    with writing(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(path, check_same_thread=False)


def write_ahead(db: sqlite3.Connection, folder: Path) -> None:
    """Write-ahead logging, synced at checkpoints: safe against a killed process, fast in bulk. The
    first read of the file: a damaged one raises ``sqlite3.DatabaseError`` here."""
    with writing(folder):
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")


def check_free_space(folder: Path, needed: int) -> None:
    """Raise ``StorageError`` (FULL) before a step if ``folder``'s disk has less than ``needed`` bytes
    and the reserve left."""
    free = _free(folder)
    if free is not None and free < needed + RESERVE:
        raise StorageError(
            StorageProblem.FULL, folder, f"this needs at least {_size(needed + RESERVE)}; {_size(free)} is left"
        )


def _nearest(folder: Path) -> Path:
    """``folder``, or its nearest parent that exists (a data folder is created on first use)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _free(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(_nearest(folder)).free
    except OSError:
        return None


def _looked_at(folder: Path) -> StorageProblem | None:
    """What the folder itself shows when the error did not say."""
    if not folder.exists():
        return StorageProblem.MISSING
    if hasattr(os, "statvfs") and os.statvfs(folder).f_flag & os.ST_RDONLY:
        return StorageProblem.READ_ONLY
    if not os.access(folder, os.W_OK):
        return StorageProblem.FORBIDDEN
    free = _free(folder)
    if free is not None and free < 1024 * 1024:
        return StorageProblem.FULL
    return None


def _sentence(problem: StorageProblem, folder: Path, detail: str) -> str:
    if problem is StorageProblem.FULL:
        free = _free(folder)
        left = detail or (f"{_size(free)} left" if free is not None else "")
        return (
            f"The disk is full: CAPI Desktop could not save in {folder}{f' ({left})' if left else ''}. "
            "Free some space on that disk (empty the trash, delete files you no longer need), then try again."
        )
    if problem is StorageProblem.READ_ONLY:
        return (
            f"The folder {folder} is read-only, so CAPI Desktop cannot save there. Make it writable (or, if it "
            "is on a locked or read-only drive, unlock it), then try again."
        )
    if problem is StorageProblem.FORBIDDEN:
        return (
            f"CAPI Desktop is not allowed to write in {folder}. Give your user account permission to change that "
            "folder (or ask whoever manages this computer), then try again."
        )
    if problem is StorageProblem.MISSING:
        return (
            f"The folder {folder} is missing (was a drive disconnected?). Reconnect the drive or create the "
            "folder, then try again."
        )
    return (
        f"The disk holding {folder} reported an error{f' ({detail})' if detail else ''}, so CAPI Desktop could "
        "not save there. Check the disk, then try again."
    )


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
