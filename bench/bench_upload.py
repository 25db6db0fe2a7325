"""Upload benchmark: stage 1M events, then upload them to the sandbox on loopback with pacing off.

Prints each run's events/s and peak RSS, then the median of the runs. The sandbox runs in its own
process, as LinkedIn would be on its own servers. Run with `make bench` (or
`python bench/bench_upload.py [--rows N] [--repeat N]`). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

OUT = Path(__file__).resolve().parent / "out"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def staged_template(rows: int) -> Path:
    """A journal with ``rows`` staged events for the sandbox's USD lead rule (kept for the next run)."""
    from upload_kit import stage_file, write_leads

    from capi_desktop.sandbox import seed

    template = OUT / f"upload-{rows}.capijob"
    if not template.exists():
        OUT.mkdir(exist_ok=True)
        print(f"Staging {rows:,} events (once; kept in {OUT}) …", flush=True)
        journal = stage_file(write_leads(OUT / f"leads-{rows}.csv", rows), template, seed.RULE_USD_LEAD)
        journal.close()
    return template


def upload(journal_file: str, api_base: str, token: str, folder: str) -> dict[str, float]:
    """Runs in a child process: the engine alone, so its peak RSS is its own."""
    from capi_desktop.collector import collector_paused
    from capi_desktop.core.delivery.engine import UploadEngine
    from capi_desktop.core.delivery.usage import DailyUsage, Limits, RequestPacer
    from capi_desktop.core.journal import Journal
    from capi_desktop.core.journal.ledger import SentLedger
    from capi_desktop.linkedin.client import ApiConfig, LinkedInClient, StaticToken
    from capi_desktop.sandbox import seed

    rss: list[float] = []
    with Journal(Path(journal_file)) as journal:
        engine = UploadEngine(
            journal=journal,
            sender=LinkedInClient(ApiConfig(api_base=api_base), StaticToken(token)),
            ledger=SentLedger(Path(folder) / "sent-ledger.sqlite"),
            pacer=RequestPacer(Limits(per_minute=0, per_day=10**9), DailyUsage(Path(folder) / "usage.sqlite", "b")),
            account_id=seed.ACCOUNT_USD,
        )
        started = time.perf_counter()
        with collector_paused():  # as the app's upload command and window run it
            result = engine.run(progress=lambda p: rss.append(_rss_mb()))
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "accepted": result.progress.counts.accepted,
        "outcome": result.outcome.value,
        "rss_first_batch_mb": rss[0] if rss else 0.0,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    return _status_mb("VmRSS:")


def _peak_rss_mb() -> float:
    return _status_mb("VmHWM:")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of (this VM is noisy)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(upload(*args.child)))
        return

    template = staged_template(args.rows)
    seconds = []
    for run in range(1, args.repeat + 1):
        r, at_sandbox = measure(template)
        seconds.append(r["seconds"])
        print(
            f"Run {run}: {r['accepted']:,.0f} events in 5,000-event batches, pacing off: {r['seconds']:.1f} s, "
            f"{r['accepted'] / r['seconds']:,.0f} events/s; engine RSS {r['rss_first_batch_mb']:.0f} MB after the "
            f"first batch, peak {r['peak_rss_mb']:.0f} MB ({r['outcome']}; the sandbox holds {at_sandbox:,} events)",
            flush=True,
        )
    median = statistics.median(seconds)
    print(f"Upload median of {len(seconds)} runs: {median:.1f} s, {args.rows / median:,.0f} events/s")


def measure(template: Path) -> tuple[dict[str, float], int]:
    """One upload of a fresh copy of ``template`` to a fresh sandbox process."""
    work = OUT / "upload-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    journal = work / "job.capijob"
    shutil.copyfile(template, journal)
    os.sync()  # else the kernel writes the fresh copy back to disk during the measurement
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "capi_desktop", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert sandbox.stdout is not None
        banner = sandbox.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", banner)
        secret = re.search(r"X-Sandbox-Secret: (\S+)", banner)
        assert url and secret, "the sandbox did not start"
        admin = {"X-Sandbox-Secret": secret.group(1)}
        token = requests.post(f"{url.group(0)}/_sandbox/tokens", json={}, headers=admin, timeout=10).json()[
            "access_token"
        ]
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(journal), url.group(0) + "/rest", token, str(work)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        at_sandbox = requests.get(f"{url.group(0)}/_sandbox/stats", headers=admin, timeout=60).json()["events_accepted"]
    finally:
        sandbox.terminate()
        sandbox.wait()
    return json.loads(out.strip().splitlines()[-1]), int(at_sandbox)


if __name__ == "__main__":
    main()
