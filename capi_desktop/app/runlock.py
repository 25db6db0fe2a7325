"""One upload at a time per ad account and conversion rule, across every process on this computer.

The app, the command line and a scheduled run all take the same OS file lock before they send. The
operating system drops a lock when its process ends, however it ends, so a killed run never leaves a
stale lock behind. Beside each lock a small note names the job holding it, for the message the next
run shows.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from capi_desktop.core.storage import writing

# filelock is imported where a lock is taken: loading it is a noticeable part of opening the app.
if TYPE_CHECKING:
    from filelock import FileLock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    job_id: str
    source_name: str
    pid: int


class UploadBusy(Exception):
    """Another run is sending to the same ad account and rule; ``str()`` names it."""

    def __init__(self, holder: Holder | None, rule_text: str) -> None:
        who = f"the upload of {holder.source_name} (job {holder.job_id})" if holder else "another upload"
        super().__init__(
            f"{who[0].upper()}{who[1:]} is sending to the conversion rule {rule_text} right now. Only one upload "
            "at a time can send to a rule, so that no row goes to LinkedIn from two runs. Try again when it has "
            "finished; this job keeps its place and sends only what is still new."
        )
        self.holder = holder


class RunLock:
    """Hold the locks of (account, rule) pairs; taken in one order, so two runs can never deadlock."""

    def __init__(self, folder: Path, account_id: int, rule_ids: Iterable[int]) -> None:
        self._folder = folder
        self._names = [f"{account_id}-{rule}" for rule in sorted(set(rule_ids))]
        self._held: list[FileLock] = []

    def acquire(self, holder: Holder, wait_seconds: float, rule_text: dict[str, str]) -> None:
        """Take every lock, waiting up to ``wait_seconds`` for each; ``UploadBusy`` if one stays taken."""
        from filelock import FileLock, Timeout

        try:
            for name in self._names:
                lock = FileLock(self._folder / f"{name}.lock", thread_local=False)
                try:
                    with writing(self._folder):
                        self._folder.mkdir(parents=True, exist_ok=True)
                        lock.acquire(timeout=max(wait_seconds, 0))
                except Timeout:
                    raise UploadBusy(_holder(self._folder / f"{name}.json"), rule_text.get(name, name)) from None
                self._held.append(lock)
                _write_holder(self._folder / f"{name}.json", holder)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        for lock in reversed(self._held):
            lock.release()
        self._held.clear()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def is_held(folder: Path, account_id: int, rule_ids: Iterable[int]) -> bool:
    """True while some process holds the lock of one of these pairs (its job is sending now)."""
    from filelock import FileLock, Timeout

    for rule in sorted(set(rule_ids)):
        path = folder / f"{account_id}-{rule}.lock"
        if not path.exists():
            continue
        lock = FileLock(path, thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
    return False


def _write_holder(path: Path, holder: Holder) -> None:
    try:
        note = {"job_id": holder.job_id, "source_name": holder.source_name, "pid": holder.pid, "since": time.time()}
        path.write_text(json.dumps(note), encoding="utf-8")
    except OSError as exc:  # only the message of a waiting run loses the job's name
        logger.warning("Could not note who holds %s: %s", path.name, exc)


def _holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(str(data["job_id"]), str(data["source_name"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
