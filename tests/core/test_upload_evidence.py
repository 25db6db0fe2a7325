"""The upload promise at scale, over real HTTP: every valid row of a 100,000-row file reaches the sandbox
and is recorded as accepted exactly once, through injected 5xx answers, 429 bursts, dropped connections
and SIGKILLs of the uploading process at random points.

LinkedIn offers no way to ask which events it already has, so a batch whose answer was lost (the
connection dropped after LinkedIn took it, or the process died mid-request) is resent with the same
event ids. The tests allow repeats only there, and prove everything else arrives once.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import accepted_events, cli_env, set_knobs, stats
from upload_kit import Rig, event_keys, stage_file, write_leads

from capi_desktop.core.delivery.engine import UploadOutcome
from capi_desktop.core.journal import Journal, journal_path
from capi_desktop.sandbox import SandboxServer, seed

ROWS = 100_000


@pytest.fixture(scope="module")
def staged_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """100,000 rows staged once (staging is the slow part); each test works on its own copy."""
    folder = tmp_path_factory.mktemp("staged")
    journal = stage_file(
        write_leads(folder / "leads.csv", ROWS), folder / "template.capijob", seed.RULE_USD_LEAD, seed.ACCOUNT_USD
    )
    assert journal.delivery_counts().sendable == ROWS
    journal.close()
    yield folder / "template.capijob"


def copy_journal(template: Path, target: Path) -> Journal:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return Journal(target)


def test_100k_rows_through_5xx_429_and_dropped_connections(
    staged_journal: Path, sandbox: SandboxServer, tmp_path: Path
) -> None:
    journal = copy_journal(staged_journal, tmp_path / "job.capijob")
    set_knobs(sandbox, error_rate=0.2, throttle_rate=0.15, drop_rate=0.25, seed=2026)
    rig = Rig(sandbox, tmp_path, sandbox.mint_token())
    result = rig.engine(journal, seed.ACCOUNT_USD, batch_size=2500, max_attempts=40).run()
    assert result.outcome is UploadOutcome.COMPLETED, result.message
    seen = stats(sandbox)
    by_status = seen["by_status"]
    assert isinstance(by_status, dict) and by_status.get("429") and any(str(k).startswith("5") for k in by_status)
    dropped = seen["dropped"]
    assert isinstance(dropped, dict) and dropped["before_processing"] > 0 and dropped["after_processing"] > 0

    keys = event_keys(accepted_events(sandbox))
    assert len(set(keys)) == ROWS and set(keys) == journal.accepted_keys()
    repeats = sum(n - 1 for n in Counter(keys).values())
    assert repeats <= dropped["after_processing"] * 2500
    counts = journal.delivery_counts()
    assert (counts.accepted, counts.pending, counts.in_flight) == (ROWS, 0, 0)


def test_100k_rows_survive_sigkill_at_random_points(
    staged_journal: Path, sandbox: SandboxServer, app_home: Path, tmp_path: Path
) -> None:
    batch = 2000
    job = "20261123-000000-evidence"
    journal_file = journal_path(app_home / "data", job)
    copy_journal(staged_journal, journal_file).close()
    env = cli_env(sandbox, app_home)
    command = [sys.executable, "-m", "capi_desktop", "resume", job, "--batch-size", str(batch), "--json"]
    rng = random.Random()
    kills = []
    for _ in range(3):
        before = len(sandbox.accepted_events())
        target = before + batch * rng.randint(1, 6) + rng.randint(0, batch - 1)
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(sandbox.accepted_events()) < target and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills.append(len(sandbox.accepted_events()))
    print(f"killed after the sandbox had {kills} events")

    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    with Journal(journal_file) as journal:
        counts = journal.delivery_counts()
        assert (counts.accepted, counts.pending, counts.in_flight) == (ROWS, 0, 0)
        keys = event_keys(accepted_events(sandbox))
        assert len(set(keys)) == ROWS and set(keys) == journal.accepted_keys()
    # Only a batch in flight at a kill can arrive twice (resent with the same event ids).
    repeats = sum(n - 1 for n in Counter(keys).values())
    assert repeats <= len(kills) * batch


def test_a_killed_upload_is_known_to_the_next_job_of_the_same_file(
    staged_journal: Path, sandbox: SandboxServer, app_home: Path
) -> None:
    """The sent-ledger receives each batch's accepted events as LinkedIn answers, so a SIGKILL loses at most
    the batch in flight. Without it, the second job would send everything again."""
    batch = 2000
    first, second = "20261123-000000-killed", "20261123-000001-again"
    for job in (first, second):
        copy_journal(staged_journal, journal_path(app_home / "data", job)).close()
    env = cli_env(sandbox, app_home)
    command = [sys.executable, "-m", "capi_desktop", "resume", "--batch-size", str(batch), "--json"]
    child = subprocess.Popen([*command, first], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(sandbox.accepted_events()) < 5 * batch and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Journal(journal_path(app_home / "data", first)) as journal:
        accepted_before = journal.delivery_counts().accepted
    assert accepted_before >= 4 * batch

    again = subprocess.run([*command, second], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["skipped_already_sent"] == accepted_before
    assert summary["accepted"] == ROWS - accepted_before
    keys = event_keys(accepted_events(sandbox))
    assert len(set(keys)) == ROWS
    assert sum(n - 1 for n in Counter(keys).values()) <= batch  # only the batch in flight at the kill
