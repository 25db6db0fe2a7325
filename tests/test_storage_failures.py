"""A computer that refuses to write: a full disk, a read-only or missing folder, a damaged job file.

The end-to-end cases run `capi-desktop` on a real small filesystem (tmpfs, which needs root; they are
skipped elsewhere) against the real sandbox. The rest make SQLite itself report a full database
(``max_page_count``), write into /dev/full, or inject ``OSError(ENOSPC)`` where a file is replaced.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import accepted_events, cli_env, run_cli
from upload_kit import Rig, event_keys, stage_file, write_leads

from capi_desktop.app.jobs import find_job, list_jobs, open_job
from capi_desktop.app.uploads import RESUME_LATER
from capi_desktop.cli import ExitCode
from capi_desktop.core.journal import Journal, JournalError, JournalRow, RowState
from capi_desktop.core.journal.ledger import SentLedger
from capi_desktop.core.storage import StorageError, StorageProblem, check_free_space, storage_error
from capi_desktop.core.stores.settings import Settings, SettingsStore
from capi_desktop.sandbox import SandboxServer, seed

UPLOAD = ["--account", str(seed.ACCOUNT_USD), "--rule", str(seed.RULE_USD_LEAD)]


@dataclass
class SmallDisk:
    """A tmpfs mounted for one test: it can be filled, emptied and made read-only."""

    root: Path

    def fill(self, leave: int) -> None:
        """Leave about ``leave`` bytes free (the app may be writing meanwhile)."""
        with (self.root / "filler").open("ab", buffering=0) as handle:
            while (free := shutil.disk_usage(self.root).free) > leave:
                try:
                    handle.write(b"\0" * min(free - leave, 1 << 20))
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    return

    def empty(self) -> None:
        (self.root / "filler").unlink(missing_ok=True)

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.root)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    root = tmp_path / "disk"
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(root)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a small filesystem cannot be mounted here: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "capi_desktop", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(child: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def assert_plain(result: subprocess.CompletedProcess[str], code: ExitCode, *words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "sqlite3" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# -- a real small disk, through the command line ---------------------------------------------------------


def test_an_upload_stopped_by_a_full_disk_resumes_and_sends_every_row_once(
    small_disk: SmallDisk, sandbox: SandboxServer, tmp_path: Path
) -> None:
    home = small_disk.root / "home"
    env = cli_env(sandbox, home)
    source = write_leads(tmp_path / "leads.csv", 20_000)
    staged = run_cli("upload", str(source), *UPLOAD, "--dry-run", "--json", env=env)
    assert staged.returncode == ExitCode.OK, staged.stderr
    job = json.loads(staged.stdout)["job"]
    first = run_cli("resume", job, "--batch-size", "200", "--json", env=env)  # the ledger and counter exist now
    assert first.returncode == ExitCode.OK, first.stderr
    assert len(accepted_events(sandbox)) == 20_000

    again = write_leads(tmp_path / "more.csv", 20_000, start=20_000)
    staged = run_cli("upload", str(again), *UPLOAD, "--dry-run", "--json", env=env)
    job = json.loads(staged.stdout)["job"]
    upload = start_cli("resume", job, "--batch-size", "200", env=env)
    while len(sandbox.accepted_events()) < 22_000 and upload.poll() is None:
        time.sleep(0.01)
    # Another program fills the disk half-way through, leaving less than the reserve but enough to record
    # the batch on the wire (a disk filled to the last byte during a batch can make it go out again).
    small_disk.fill(leave=4 * 1024 * 1024)
    stopped = finished(upload)
    assert_plain(
        stopped, ExitCode.STORAGE, "The disk is full", str(home / "data"), RESUME_LATER, f"capi-desktop resume {job}"
    )
    sent_before = len(sandbox.accepted_events()) - 20_000
    assert 0 < sent_before < 20_000, sent_before  # it stopped half-way, not before or after

    small_disk.empty()
    resumed = run_cli("resume", job, "--json", env=env)
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert (summary["accepted"], summary["not_sent_yet"]) == (20_000, 0)
    keys = event_keys(accepted_events(sandbox))
    assert len(keys) == len(set(keys)) == 40_000  # every row of both files once, none twice

    again_run = run_cli("upload", str(again), *UPLOAD, "--json", env=env)  # the ledger knows all of them
    assert json.loads(again_run.stdout)["skipped_already_sent"] == 20_000


def test_a_file_too_big_for_the_disk_is_refused_before_staging(
    small_disk: SmallDisk, sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = cli_env(sandbox, small_disk.root / "home")
    small_disk.fill(leave=40 * 1024 * 1024)  # less than a WAL and the reserve
    result = run_cli("upload", str(write_leads(tmp_path / "leads.csv", 100)), *UPLOAD, env=env)
    assert_plain(result, ExitCode.STORAGE, "The disk is full", "this needs at least", "is left")
    assert not list((small_disk.root / "home" / "data" / "jobs").glob("*.capijob"))
    assert sandbox.accepted_events() == []


def test_a_read_only_data_folder_is_named_and_not_called_damaged(
    small_disk: SmallDisk, sandbox: SandboxServer, tmp_path: Path
) -> None:
    home = small_disk.root / "home"
    env = cli_env(sandbox, home)
    staged = run_cli("upload", str(write_leads(tmp_path / "leads.csv", 50)), *UPLOAD, "--dry-run", "--json", env=env)
    job = json.loads(staged.stdout)["job"]
    small_disk.remount("ro")
    try:
        result = run_cli("resume", job, env=env)
        assert_plain(result, ExitCode.STORAGE, "is read-only", str(home / "data"))
        assert "damaged" not in result.stderr
        # SQLite cannot open a job file without writing beside it, so even the list says so.
        assert_plain(run_cli("history", env=env), ExitCode.STORAGE, "is read-only", str(home / "data"))
    finally:
        small_disk.remount("rw")
    assert run_cli("resume", job, "--json", env=env).returncode == ExitCode.OK
    assert len(sandbox.accepted_events()) == 50


# -- each write site, without a mount --------------------------------------------------------------------


def full_after(db: sqlite3.Connection, pages: int) -> None:
    """SQLite reports SQLITE_FULL once the file would grow past ``pages`` more pages."""
    (count,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count={count + pages}")


def test_a_full_journal_keeps_what_was_written_and_says_so(tmp_path: Path) -> None:
    with Journal(tmp_path / "jobs" / "j.capijob", create=True) as journal:
        rows = [JournalRow(n, RowState.OK, None, f"e{n}", 1, "x" * 500) for n in range(1, 101)]
        journal.add_rows(rows)
        full_after(journal._db, 2)
        with pytest.raises(StorageError, match="The disk is full") as raised:
            journal.add_rows(JournalRow(n, RowState.OK, None, f"e{n}", 1, "x" * 500) for n in range(101, 1001))
        assert raised.value.problem is StorageProblem.FULL and str(tmp_path / "jobs") in str(raised.value)
        assert journal.count() == 100  # the refused chunk rolled back whole


def test_a_full_ledger_after_linkedin_accepted_is_caught_up_by_the_next_run(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    rig = Rig(sandbox, tmp_path, sandbox.mint_token())
    journal = stage_file(write_leads(tmp_path / "l.csv", 2000), tmp_path / "j.capijob", seed.RULE_USD_LEAD)
    engine = rig.engine(journal, seed.ACCOUNT_USD, batch_size=100)
    full_after(engine.ledger._db, 0)
    with pytest.raises(StorageError):
        engine.run()
    accepted = journal.delivery_counts().accepted
    assert accepted == len(sandbox.accepted_events()) > 0  # the journal knows what LinkedIn took
    engine.ledger.close()

    again = rig.engine(journal, seed.ACCOUNT_USD, batch_size=100)
    result = again.run()
    assert result.progress.counts.accepted == 2000
    keys = event_keys(accepted_events(sandbox))
    assert len(keys) == len(set(keys)) == 2000
    ledger = SentLedger(tmp_path / "sent-ledger.sqlite")
    with journal:
        assert len(ledger.sent_at(seed.ACCOUNT_USD, sorted(journal.accepted_keys()))) == 2000
    ledger.close()


def test_a_report_on_a_full_disk_is_not_left_half_written(
    sandbox: SandboxServer, app_home: Path, tmp_path: Path
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    report = tmp_path / "report.csv"
    report.symlink_to("/dev/full")  # every write to it fails with ENOSPC
    env = cli_env(sandbox, app_home)
    source = write_leads(tmp_path / "leads.csv", 30)
    result = run_cli("upload", str(source), *UPLOAD, "--report", str(report), "--json", env=env)
    assert_plain(result, ExitCode.STORAGE, "report of rows not sent could not be saved", "The disk is full")
    assert json.loads(result.stdout)["accepted"] == 30  # the upload's own summary came first
    assert not report.exists() and not report.is_symlink()


def test_settings_on_a_full_disk_keep_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SettingsStore(tmp_path / "config" / "settings.json")
    store.save(Settings())
    before = store.path.read_bytes()

    def no_space(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(StorageError, match=f"The disk is full: CAPI Desktop could not save in {tmp_path / 'config'}"):
        store.save(Settings(requests_per_minute=10))
    assert store.path.read_bytes() == before
    assert [p.name for p in store.path.parent.iterdir()] == ["settings.json"]


@pytest.mark.parametrize(
    ("number", "problem", "words"),
    [
        (errno.ENOSPC, StorageProblem.FULL, "The disk is full"),
        (errno.EDQUOT, StorageProblem.FULL, "The disk is full"),
        (errno.EROFS, StorageProblem.READ_ONLY, "is read-only"),
        (errno.EACCES, StorageProblem.FORBIDDEN, "not allowed to write in"),
        (errno.ENOENT, StorageProblem.MISSING, "is missing"),
    ],
)
def test_each_refusal_is_named_with_its_folder(
    tmp_path: Path, number: int, problem: StorageProblem, words: str
) -> None:
    found = storage_error(OSError(number, os.strerror(number)), tmp_path)
    assert found is not None and found.problem is problem
    assert words in str(found) and str(tmp_path) in str(found) and "try again" in str(found)


def test_other_errors_are_not_storage_problems(tmp_path: Path) -> None:
    assert storage_error(OSError(errno.ECONNREFUSED, "refused"), tmp_path) is None
    assert storage_error(sqlite3.OperationalError("no such table: rows"), tmp_path) is None
    assert storage_error(ValueError("x"), tmp_path) is None


def test_free_space_is_judged_by_the_nearest_folder_that_exists(tmp_path: Path) -> None:
    check_free_space(tmp_path / "not" / "yet", 1)
    with pytest.raises(StorageError, match="this needs at least"):
        check_free_space(tmp_path / "not" / "yet", shutil.disk_usage(tmp_path).free + 1)


# -- damaged and newer files -----------------------------------------------------------------------------


def test_a_truncated_journal_is_listed_and_refused_plainly(
    sandbox: SandboxServer, app_home: Path, tmp_path: Path
) -> None:
    env = cli_env(sandbox, app_home)
    staged = run_cli("upload", str(write_leads(tmp_path / "l.csv", 3000)), *UPLOAD, "--dry-run", "--json", env=env)
    job = json.loads(staged.stdout)["job"]
    path = find_job(app_home / "data", job)
    os.truncate(path, path.stat().st_size // 2)

    (entry,) = list_jobs(app_home / "data")
    assert entry.record is None and entry.problem is not None and "is damaged" in entry.problem
    result = run_cli("resume", job, env=env)
    assert_plain(result, ExitCode.BAD_INPUT, "is damaged", "Import the spreadsheet again")
    assert "None" not in result.stderr and "preview without an ad account" not in result.stderr


def test_a_journal_from_a_newer_app_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "j.capijob"
    Journal(path, create=True).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(JournalError, match="newer version of CAPI Desktop; update the app"):
        open_job(path)
