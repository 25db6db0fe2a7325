"""`upload`, `resume` and `history` as a scheduled job would run them: real processes, real HTTP."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import accepted_events, cli_env, run_cli, set_knobs, stats

from capi_desktop.cli import ExitCode
from capi_desktop.core.delivery.apiversion import BUILT_WITH, months_to_try
from capi_desktop.sandbox import SandboxServer, seed


@pytest.fixture
def env(sandbox: SandboxServer, app_home: Path) -> dict[str, str]:
    return cli_env(sandbox, app_home)


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    # A day above 12, so the column tells its day/month order whatever today's date is.
    day = datetime.now(UTC) - timedelta(days=2)
    while day.day <= 12:
        day -= timedelta(days=1)
    when = day.strftime("%d/%m/%Y 14:05")
    path = tmp_path / "leads.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["E-mail", "Vorname", "Nachname", "Datum", "Betrag", "Währung"])
        for i in range(25):
            writer.writerow([f"kunde{i}@example.de", "Eva", "Klein", when, "1.234,50", "EUR"])
        writer.writerow(["kaputt@", "", "", when, "10", "EUR"])  # row 27: not sendable
    return path


def test_upload_then_again_then_history(
    leads: Path, env: dict[str, str], sandbox: SandboxServer, tmp_path: Path
) -> None:
    first = run_cli(
        "upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE),
        "--json", "--report", str(tmp_path / "report.csv"), env=env,
    )  # fmt: skip
    assert first.returncode == ExitCode.SOME_NOT_SENT, first.stderr  # one row of the file has an error
    summary = json.loads(first.stdout)
    assert (summary["rows"], summary["errors"], summary["accepted"], summary["rejected"]) == (26, 1, 25, 0)
    assert summary["outcome"] == "some_refused" and summary["requests"] == 1 and "72 hours" in summary["message"]
    assert len(accepted_events(sandbox)) == 25
    report = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    assert "kaputt@" in report and "E-mail" in report  # the user's own columns, for them to fix

    again = run_cli(
        "upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE), "--json",
        env=env,
    )  # fmt: skip
    repeat = json.loads(again.stdout)
    assert (repeat["accepted"], repeat["skipped_already_sent"]) == (0, 25)
    assert len(accepted_events(sandbox)) == 25

    listed = json.loads(run_cli("history", "--json", env=env).stdout)
    assert [j["job"] for j in listed] == [repeat["job"], summary["job"]]
    assert listed[1]["accepted"] == 25 and listed[0]["skipped_already_sent"] == 25


def test_dry_run_sends_nothing(leads: Path, env: dict[str, str], sandbox: SandboxServer) -> None:
    result = run_cli(
        "upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE),
        "--dry-run", "--json", env=env,
    )  # fmt: skip
    assert json.loads(result.stdout)["dry_run"] is True
    assert stats(sandbox)["requests"] == 0


@pytest.mark.parametrize(
    ("account", "rule", "expected"),
    [
        (seed.ACCOUNT_VIEWER, seed.RULE_VIEWER_LEAD, "Viewer"),
        (seed.ACCOUNT_EUR, seed.RULE_EUR_DISABLED, "turned off"),
        (seed.ACCOUNT_EUR, seed.RULE_EUR_INSIGHT_TAG, "not a Conversions API rule"),
    ],
)
def test_destination_problems_are_caught_before_sending(
    leads: Path, env: dict[str, str], sandbox: SandboxServer, account: int, rule: int, expected: str
) -> None:
    result = run_cli("upload", str(leads), "--account", str(account), "--rule", str(rule), env=env)
    assert result.returncode == ExitCode.BAD_INPUT and expected in result.stderr
    assert "Nothing was sent" in result.stderr
    assert accepted_events(sandbox) == []


def test_expired_sign_in_stops_and_resume_finishes(leads: Path, env: dict[str, str], sandbox: SandboxServer) -> None:
    args = ["upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE), "--json"]
    expired = {**env, "CAPI_DESKTOP_ACCESS_TOKEN": sandbox.mint_token(expires_in=-1)}
    stopped = run_cli(*args, env=expired)
    assert stopped.returncode == ExitCode.SIGN_IN and "Sign in again" in stopped.stderr
    # The job was staged before the sign-in problem showed; it resumes once signed in again.
    job = json.loads(run_cli("history", "--json", env=env).stdout)[0]["job"]
    resumed = run_cli("resume", job, "--json", env=env)
    assert resumed.returncode == ExitCode.SOME_NOT_SENT, resumed.stderr
    assert json.loads(resumed.stdout)["accepted"] == 25


def test_save_a_profile_then_upload_next_months_file_with_it(
    leads: Path, env: dict[str, str], sandbox: SandboxServer, tmp_path: Path
) -> None:
    saved = run_cli(
        "upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE),
        "--timezone", "Europe/Berlin", "--save-profile", "Monthly EU deals", "--dry-run", "--json", env=env,
    )  # fmt: skip
    assert saved.returncode == ExitCode.SOME_NOT_SENT, saved.stderr
    shown = json.loads(run_cli("profiles", "show", "monthly eu deals", "--json", env=env).stdout)
    assert shown["account_id"] == seed.ACCOUNT_EUR and shown["timezone"] == "Europe/Berlin"
    assert "token" not in json.dumps(shown).lower()

    result = run_cli("upload", str(leads), "--profile", "Monthly EU deals", "--json", env=env)
    summary = json.loads(result.stdout)
    assert summary["accepted"] == 25, result.stderr
    assert {e["conversion"] for e in accepted_events(sandbox)} == {
        f"urn:lla:llaPartnerConversion:{seed.RULE_EUR_PURCHASE}"
    }

    missing = run_cli("upload", str(leads), "--profile", "No such profile", env=env)
    assert missing.returncode == ExitCode.BAD_INPUT and "Monthly EU deals" in missing.stderr


def test_upload_without_an_account_is_refused_before_staging(leads: Path, env: dict[str, str], app_home: Path) -> None:
    result = run_cli("upload", str(leads), "--rule", str(seed.RULE_EUR_PURCHASE), env=env)
    assert result.returncode == ExitCode.BAD_INPUT and "--account" in result.stderr
    assert not list((app_home / "data").glob("jobs/*"))


def test_every_command_with_a_json_form_works_in_both_forms(
    leads: Path, env: dict[str, str], sandbox: SandboxServer
) -> None:
    """Plain text for people, JSON for scripts: the same command, the same exit code, never a traceback."""
    first = run_cli("upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE),
                    "--json", env=env)  # fmt: skip
    job = json.loads(first.stdout)["job"]
    commands = [
        (("status",), ExitCode.OK),
        (("accounts",), ExitCode.OK),
        (("rules", "--account", str(seed.ACCOUNT_EUR)), ExitCode.OK),
        (("preview", str(leads), "--rule", str(seed.RULE_EUR_PURCHASE)), ExitCode.OK),
        (
            (
                "upload",
                str(leads),
                "--account",
                str(seed.ACCOUNT_EUR),
                "--rule",
                str(seed.RULE_EUR_PURCHASE),
                "--dry-run",
            ),
            ExitCode.SOME_NOT_SENT,
        ),  # fmt: skip
        (
            ("upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE)),
            ExitCode.SOME_NOT_SENT,
        ),  # fmt: skip  (nothing new, and one row of the file has an error)
        (("resume", job), ExitCode.SOME_NOT_SENT),
        (("history",), ExitCode.OK),
        (("profiles", "list"), ExitCode.OK),
        (("settings", "show"), ExitCode.OK),
    ]
    for args, code in commands:
        plain, as_json = run_cli(*args, env=env), run_cli(*args, "--json", env=env)
        for result in (plain, as_json):
            assert result.returncode == code, (args, result.stdout, result.stderr)
            assert "Traceback" not in result.stdout + result.stderr, args
        assert plain.stdout.strip() and not plain.stdout.lstrip().startswith(("{", "[")), args
        json.loads(as_json.stdout)
    assert len(accepted_events(sandbox)) == 25


def test_saved_settings_from_an_old_build_follow_linkedin_to_a_newer_version(
    leads: Path, env: dict[str, str], sandbox: SandboxServer, app_home: Path
) -> None:
    # Every build before this one saved the version it was built with along with any setting.
    settings = app_home / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"schema_version": 1, "api_version": BUILT_WITH, "requests_per_minute": 600}))
    newer = months_to_try(BUILT_WITH)  # this month first
    set_knobs(sandbox, oldest_version=newer[1])  # LinkedIn takes only last month's version and this month's
    result = run_cli(
        "upload", str(leads), "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE), "--json",
        env=env,
    )  # fmt: skip
    assert result.returncode == ExitCode.SOME_NOT_SENT, result.stderr  # the file's one bad row, nothing else
    assert json.loads(result.stdout)["accepted"] == 25
    remembered = json.loads((app_home / "data" / "api-version.json").read_text())
    assert remembered["version"] == newer[0] and remembered["worked_on"] == datetime.now(UTC).date().isoformat()
    shown = json.loads(run_cli("status", "--json", env=env).stdout)
    assert shown["api_version"] == newer[0] and shown["api_version_worked_on"] == remembered["worked_on"]
