"""The support bundle: what it holds, and what it never holds (tokens, secrets, email addresses)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from upload_kit import stage_file, write_leads

from capi_desktop.app.jobs import support_snapshot
from capi_desktop.app.outcome import Outcome
from capi_desktop.core.stores.settings import Settings
from capi_desktop.core.support import (
    EMAIL_REMOVED,
    SECRET_REMOVED,
    TOKEN_REMOVED,
    recent_log_lines,
    redact,
    system_info,
    write_support_bundle,
)
from capi_desktop.sandbox import seed

TOKEN = "AQV8xK2mP0qL9sT4vW7yZ1bC3dE5fG6hJ8kM0nQ2rS4tU6wX8yA0cE2gI4kM6oQ8sU0wY2"
REQUEST_ID = "Zk3v9Qp2LmX8aB4cD6eF1g"  # LinkedIn's x-li-uuid shape: 22 characters


def test_redact_removes_secrets_and_keeps_request_ids() -> None:
    line = (
        f"POST /rest/conversionEvents Authorization: Bearer {TOKEN} for ann.lee@example.co.uk "
        f'{{"client_secret": "hunter2-secret", "access_token":"{TOKEN[:40]}"}} '
        f"refresh_token={TOKEN[5:50]}&x=1 LinkedIn request id: {REQUEST_ID} status 401"
    )
    clean = redact(line, secrets=["hunter2-secret"])
    assert TOKEN[:20] not in clean and TOKEN[5:25] not in clean
    assert "hunter2" not in clean and "ann.lee" not in clean and "example.co.uk" not in clean
    assert EMAIL_REMOVED in clean and TOKEN_REMOVED in clean and SECRET_REMOVED in clean
    assert REQUEST_ID in clean and "status 401" in clean and "/rest/conversionEvents" in clean


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "Upload finished: 1,234 accepted, 2 rejected. Job 20260612-140322-a1b2c3 (rule 14230101)."
    assert redact(text) == text
    assert redact("/tmp/pytest-of-root/pytest-1/home/data/jobs/x.capijob") == (
        "/tmp/pytest-of-root/pytest-1/home/data/jobs/x.capijob"
    )


def test_redact_removes_hashes_and_explicit_secrets_anywhere() -> None:
    digest = "a" * 24 + "0123456789abcdef" * 3
    assert "aaaa" not in redact(f"hash {digest}")
    assert redact("the secret is s3cr3t!", secrets=["s3cr3t!", ""]) == f"the secret is {SECRET_REMOVED}"


def test_bundle_holds_versions_settings_counts_and_log_without_secrets(tmp_path: Path) -> None:
    # An email in the file's name (the owner's export) must not reach the bundle either.
    source = write_leads(tmp_path / "owner lead3@example.com.csv", 25)
    job_path = tmp_path / "20260612-140322-a1b2c3.capijob"
    stage_file(source, job_path, seed.RULE_USD_LEAD, account_id=seed.ACCOUNT_USD).close()
    log = tmp_path / "capi.log"
    log.write_text(
        "\n".join(f"line {i}" for i in range(1000))
        + f"\nWARNING Upload stopped: Sign in again (request id {REQUEST_ID}) token {TOKEN}\n"
        + "INFO sent lead7@example.com\n",
        encoding="utf-8",
    )
    settings = Settings(client_id="86abcdefgh", daily_request_cap=1000)
    bundle = write_support_bundle(
        tmp_path / "out" / "bundle.zip",
        about=system_info("1.2.3", {"qt": "6.12.0"}),
        settings=settings,
        job=support_snapshot(job_path, Outcome.STOPPED, "Upload stopped."),
        log_lines=recent_log_lines(log, limit=50),
        secrets=["MyClientSecret99"],
    )
    with zipfile.ZipFile(bundle) as archive:
        names = sorted(archive.namelist())
        contents = {name: archive.read(name).decode("utf-8") for name in names}
    assert names == ["README.txt", "about.json", "job.json", "log.txt", "settings.json"]
    everything = "\n".join(contents.values())
    for secret in (TOKEN, TOKEN[:30], "MyClientSecret99", "@example.com", "lead3", "lead7", str(tmp_path)):
        assert secret not in everything, secret
    assert REQUEST_ID in contents["log.txt"]
    assert contents["log.txt"].count("\n") == 50 and "line 999" in contents["log.txt"] and "line 949" not in everything

    about = json.loads(contents["about.json"])
    assert about["app_version"] == "1.2.3" and about["qt"] == "6.12.0" and about["python"].startswith("3.")
    assert json.loads(contents["settings.json"])["daily_request_cap"] == 1000
    job = json.loads(contents["job.json"])
    assert job["job"] == "20260612-140322-a1b2c3" and job["outcome"] == "stopped"
    assert job["rows"]["total"] == 25 and job["delivery"]["pending"] == 25
    assert job["meta"]["account_id"] == seed.ACCOUNT_USD and job["meta"]["state"] == "staged"
    assert "path" not in job["meta"]["source"] and job["meta"]["source"]["size"] == source.stat().st_size
    assert job["meta"]["source"]["name"].startswith(f"owner {EMAIL_REMOVED}")


def test_missing_log_gives_no_lines(tmp_path: Path) -> None:
    assert recent_log_lines(tmp_path / "none.log") == []
