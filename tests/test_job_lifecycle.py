"""A job's life across real processes: killed while staging or sending, two runs at once, a run refused
while another sends. Real HTTP to the sandbox, real SIGKILLs, the real OS file lock."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from support import accepted_events, cli_env, run_cli, set_knobs
from upload_kit import event_keys, write_leads

from capi_desktop.app.jobs import find_job, locks_dir, open_job
from capi_desktop.app.record import JobState
from capi_desktop.app.runlock import Holder, RunLock
from capi_desktop.cli import ExitCode
from capi_desktop.core.journal import SUFFIX, jobs_dir
from capi_desktop.sandbox import SandboxServer, seed

UPLOAD = ["--account", str(seed.ACCOUNT_USD), "--rule", str(seed.RULE_USD_LEAD)]


@pytest.fixture
def env(sandbox: SandboxServer, app_home: Path) -> dict[str, str]:
    return cli_env(sandbox, app_home)


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "capi_desktop", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def staged_rows(app_home: Path) -> int | None:
    """Rows in the one job file being staged, or None until that job has its record."""
    files = list(jobs_dir(app_home / "data").glob(f"*{SUFFIX}"))
    if not files:
        return None
    db = sqlite3.connect(f"file:{files[0]}?mode=ro", uri=True, timeout=5)
    try:
        if not db.execute("SELECT COUNT(*) FROM job WHERE key = 'record'").fetchone()[0]:
            return None
        return int(db.execute("SELECT COUNT(*) FROM rows").fetchone()[0])
    except sqlite3.OperationalError:  # the tables are not there yet
        return None
    finally:
        db.close()


@pytest.mark.parametrize("kill_at_rows", [0, 1])
def test_killed_while_staging_then_resume_sends_every_row_once(
    sandbox: SandboxServer, env: dict[str, str], app_home: Path, tmp_path: Path, kill_at_rows: int
) -> None:
    rows = 120_000
    source = write_leads(tmp_path / "big.csv", rows)
    child = start(env, "upload", str(source), *UPLOAD, "--json")
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        staged = staged_rows(app_home)
        if staged is not None and staged >= kill_at_rows:
            break
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert sandbox.accepted_events() == []  # killed before anything was sent
    job = find_job(app_home / "data", "")
    journal, record = open_job(job)
    with journal:
        assert record.state is JobState.STAGING  # never mistaken for a complete job

    resumed = run_cli("resume", job.stem, "--json", env=env, timeout=300)
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    assert "checking them again" in resumed.stderr
    summary = json.loads(resumed.stdout)
    assert (summary["rows"], summary["accepted"], summary["not_sent_yet"]) == (rows, rows, 0)
    keys = event_keys(accepted_events(sandbox))
    assert len(keys) == len(set(keys)) == rows


def test_a_job_killed_while_staging_whose_file_changed_is_not_sent(
    sandbox: SandboxServer, env: dict[str, str], app_home: Path, tmp_path: Path
) -> None:
    source = write_leads(tmp_path / "big.csv", 120_000)
    child = start(env, "upload", str(source), *UPLOAD)
    while child.poll() is None and staged_rows(app_home) is None:
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    child.wait()
    write_leads(source, 500)  # next month's export under the same name
    job = find_job(app_home / "data", "").stem
    resumed = run_cli("resume", job, env=env)
    assert resumed.returncode == ExitCode.BAD_INPUT
    assert "Import the file again" in resumed.stderr and "Traceback" not in resumed.stderr
    assert sandbox.accepted_events() == []


def test_two_uploads_of_one_file_at_once_send_each_row_once(
    sandbox: SandboxServer, env: dict[str, str], tmp_path: Path
) -> None:
    rows = 20_000
    set_knobs(sandbox, latency_ms=50)
    source = write_leads(tmp_path / "leads.csv", rows)
    runs = [start(env, "upload", str(source), *UPLOAD, "--batch-size", "1000", "--wait", "120", "--json")
            for _ in range(2)]  # fmt: skip
    results = [json.loads(run.communicate(timeout=300)[0]) for run in runs]
    assert [run.returncode for run in runs] == [ExitCode.OK, ExitCode.OK]
    keys = event_keys(accepted_events(sandbox))
    assert len(keys) == len(set(keys)) == rows  # LinkedIn received each row once
    assert sorted(r["accepted"] for r in results) == [0, rows]
    assert sorted(r["skipped_already_sent"] for r in results) == [0, rows]
    assert {r["outcome"] for r in results} == {"all_accepted", "nothing_new"}


def test_a_second_run_is_refused_with_the_name_of_the_job_that_is_sending(
    sandbox: SandboxServer, env: dict[str, str], app_home: Path, tmp_path: Path
) -> None:
    source = write_leads(tmp_path / "leads.csv", 300)
    lock = RunLock(locks_dir(app_home / "data"), seed.ACCOUNT_USD, [seed.RULE_USD_LEAD])
    lock.acquire(Holder("20261206-101500-a1b2c3", "crm export.csv", os.getpid()), 0, {})
    try:
        refused = run_cli("upload", str(source), *UPLOAD, "--json", env=env)
    finally:
        lock.release()
    assert refused.returncode == ExitCode.BUSY
    assert "crm export.csv (job 20261206-101500-a1b2c3)" in refused.stderr and "Traceback" not in refused.stderr
    assert sandbox.accepted_events() == []
    # Its job keeps its place: resumed once the other run has finished, it sends everything.
    job = json.loads(run_cli("history", "--json", env=env).stdout)[0]
    assert job["resumable"] is False and job["state"] == "staged"
    resumed = run_cli("resume", job["job"], "--json", env=env)
    assert resumed.returncode == ExitCode.OK and json.loads(resumed.stdout)["accepted"] == 300


def test_five_killed_runs_each_followed_by_the_same_upload_resend_at_most_their_batch_in_flight(
    sandbox: SandboxServer, env: dict[str, str], tmp_path: Path
) -> None:
    rows, batch = 20_000, 1000
    set_knobs(sandbox, latency_ms=80, error_rate=0.05, seed=14)
    source = write_leads(tmp_path / "nightly.csv", rows)
    command = ["upload", str(source), *UPLOAD, "--batch-size", str(batch), "--json"]
    rng = random.Random(14)
    kills = 0
    for _ in range(5):
        before = len(sandbox.accepted_events())
        target = before + rng.randint(1, 3) * batch
        child = start(env, *command)
        deadline = time.monotonic() + 60
        while len(sandbox.accepted_events()) < target and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.wait()
    final = run_cli(*command, env=env, timeout=300)
    assert final.returncode == ExitCode.OK, final.stderr
    keys = event_keys(accepted_events(sandbox))
    assert len(set(keys)) == rows
    repeats = sum(n - 1 for n in Counter(keys).values())
    print(f"{kills} runs killed; {repeats} events arrived twice")
    assert kills >= 3 and repeats <= kills * batch
