"""The command line as a user runs it: real processes, real HTTP to the sandbox, documented exit codes."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import requests
from support import run_cli

from capi_desktop.cli import ExitCode
from capi_desktop.core.stores.settings import Settings, SettingsError, SettingsStore
from capi_desktop.sandbox import SandboxServer, seed


@pytest.fixture
def linkedin_env(sandbox: SandboxServer, app_home: Path) -> dict[str, str]:
    """The app pointed at the sandbox as if it were LinkedIn (as an unattended run would be)."""
    return {
        "CAPI_DESKTOP_HOME": str(app_home),
        "CAPI_DESKTOP_API_BASE": sandbox.api_base,
        "CAPI_DESKTOP_OAUTH_BASE": sandbox.oauth_base,
    }


def test_accounts_and_rules_unattended(sandbox: SandboxServer, linkedin_env: dict[str, str]) -> None:
    env = {**linkedin_env, "CAPI_DESKTOP_ACCESS_TOKEN": sandbox.mint_token()}
    accounts = run_cli("accounts", "--json", env=env)
    assert accounts.returncode == ExitCode.OK, accounts.stderr
    listed = {a["id"]: a for a in json.loads(accounts.stdout)}
    assert listed[seed.ACCOUNT_VIEWER]["role"] == "VIEWER"

    rules = run_cli("rules", "--account", str(seed.ACCOUNT_USD), env=env)
    assert rules.returncode == ExitCode.OK
    assert str(seed.RULE_USD_LEAD) in rules.stdout and str(seed.RULE_USD_INSIGHT_TAG) not in rules.stdout

    table = run_cli("accounts", env=env)
    assert "cannot upload: viewer" in table.stdout


def test_bad_token_is_a_sign_in_exit_code_without_traceback(linkedin_env: dict[str, str]) -> None:
    result = run_cli("accounts", env={**linkedin_env, "CAPI_DESKTOP_ACCESS_TOKEN": "AQV" + "x" * 50})
    assert result.returncode == ExitCode.SIGN_IN
    assert "Sign in again" in result.stderr
    assert "Traceback" not in result.stderr and "x" * 50 not in result.stderr


def test_unreachable_linkedin_is_a_network_exit_code(app_home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "CAPI_DESKTOP_HOME": str(app_home),
        "CAPI_DESKTOP_API_BASE": f"http://127.0.0.1:{port}/rest",
        "CAPI_DESKTOP_ACCESS_TOKEN": "t" * 40,
    }
    result = run_cli("rules", "--account", "1", env=env)
    assert result.returncode == ExitCode.NETWORK
    assert "Could not reach" in result.stderr and "Traceback" not in result.stderr


def test_broken_settings_file_is_explained(linkedin_env: dict[str, str], app_home: Path) -> None:
    settings = app_home / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{not json")
    result = run_cli("status", env=linkedin_env)
    assert result.returncode == ExitCode.BAD_INPUT
    assert "settings file could not be read" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.keyring
def test_paste_token_login_persists_across_runs_then_logout(
    sandbox: SandboxServer, linkedin_env: dict[str, str], real_keychain: object
) -> None:
    token = sandbox.mint_token()
    login = run_cli("login", "--paste-token", env=linkedin_env, stdin=token + "\n")
    assert login.returncode == ExitCode.OK, login.stderr
    assert "Signed in as a LinkedIn member with 4 ad accounts" in login.stdout

    status = run_cli("status", "--json", env=linkedin_env)  # a new process: read back from the keyring
    assert status.returncode == ExitCode.OK, status.stderr
    state = json.loads(status.stdout)
    assert (
        state["signed_in"]
        and state["storage"] == "keyring"
        and state["member"] == "a LinkedIn member with 4 ad accounts"
    )
    assert token not in status.stdout

    assert run_cli("logout", env=linkedin_env).returncode == ExitCode.OK
    assert run_cli("status", env=linkedin_env).returncode == ExitCode.SIGN_IN


def test_practice_mode_is_the_default(app_home: Path) -> None:
    result = run_cli("status", "--json", env={"CAPI_DESKTOP_HOME": str(app_home)})
    assert json.loads(result.stdout)["mode"] == "sandbox"
    assert result.returncode == ExitCode.SIGN_IN


def test_standalone_sandbox_command(app_home: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "capi_desktop", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        secret = re.search(r"X-Sandbox-Secret: (\S+)", line)
        assert url and secret, line
        admin = {"X-Sandbox-Secret": secret.group(1)}
        assert requests.post(f"{url.group(0)}/_sandbox/tokens", json={}, timeout=10).status_code == 403
        scopes = {"scopes": ["r_ads", "openid", "profile"]}
        token = requests.post(f"{url.group(0)}/_sandbox/tokens", json=scopes, headers=admin, timeout=10).json()[
            "access_token"
        ]
        me = requests.get(f"{url.group(0)}/v2/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert me.json()["given_name"] == "Alex"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.keyring
def test_settings_set_show_and_client_secret(app_home: Path, real_keychain: object) -> None:
    env = {"CAPI_DESKTOP_HOME": str(app_home)}
    assert run_cli("settings", "set", "client-id", "86abcdefgh", env=env).returncode == ExitCode.OK
    bad = run_cli("settings", "set", "api-version", "June 2026", env=env)
    assert bad.returncode == ExitCode.BAD_INPUT and "year and month" in bad.stderr
    secret = run_cli("settings", "client-secret", env=env, stdin="s3cr3t-value\n")
    assert secret.returncode == ExitCode.OK, secret.stderr
    shown = run_cli("settings", "show", "--json", env=env)
    data = json.loads(shown.stdout)
    assert data["client_id"] == "86abcdefgh" and data["mode_now"] == "linkedin"
    assert "s3cr3t" not in shown.stdout
    assert "s3cr3t" not in (app_home / "config" / "settings.json").read_text()
    assert run_cli("settings", "client-secret", "--clear", env=env).returncode == ExitCode.OK


def test_settings_validation() -> None:
    settings = Settings()
    assert settings.with_value("redirect-port", "9000").redirect_port == 9000
    assert settings.with_value("sandbox-mode", "auto").sandbox_mode is None
    assert settings.with_value("sandbox-mode", "off").sandbox_mode is False
    assert settings.with_value("redirect-host", "LocalHost").redirect_host == "localhost"
    assert settings.with_value("redirect-path", "/oauth/linkedin").redirect_path == "/oauth/linkedin"
    for name, value in [
        ("redirect-port", "80"), ("use-pkce", "maybe"), ("api-base", "linkedin"), ("colour", "x"),
        ("redirect-host", "example.com"), ("redirect-path", "callback"), ("redirect-path", "/a b"),
    ]:  # fmt: skip
        with pytest.raises(SettingsError):
            settings.with_value(name, value)


def test_the_api_version_is_kept_only_when_chosen(tmp_path: Path) -> None:
    assert Settings().api_version is None
    assert Settings().with_value("api-version", "202603").api_version == "202603"
    assert Settings(api_version="202603").with_value("api-version", "auto").api_version is None
    old = tmp_path / "settings.json"
    old.write_text(json.dumps({"schema_version": 1, "api_version": "202606", "client_id": "86abc"}))
    migrated = SettingsStore(old).load()
    assert migrated.api_version is None and migrated.client_id == "86abc"  # the old builds' default went
    assert (tmp_path / "settings.v1.bak").exists()
    old.write_text(json.dumps({"schema_version": 1, "api_version": "202601"}))
    assert SettingsStore(old).load().api_version == "202601"  # a version the user typed stays


def test_preview_command(tmp_path: Path, app_home: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Work Email", "Vorname", "Nachname", "Close Date", "Amount (EUR)", "Stage"])
    when = datetime.now() - timedelta(days=3)
    sheet.append(["anna@example.de", "Anna", "Schmidt", when, 1200, "Won"])
    sheet.append(["bernd@example.de", "Bernd", "Meyer", when, 300, "Lost"])
    sheet.append(["", "", "", when, 300, "Won"])
    book.save(tmp_path / "deals.xlsx")
    env = {"CAPI_DESKTOP_HOME": str(app_home)}
    result = run_cli(
        "preview",
        str(tmp_path / "deals.xlsx"),
        "--rule-map",
        "WON=14230102",
        "--json",
        "--output",
        str(tmp_path / "out.csv"),
        env=env,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["ok"], summary["errors"]) == (3, 1, 2)
    assert summary["unmapped_event_names"] == {"Lost": 1}
    assert (app_home / "data" / "jobs" / f"{summary['job']}.capijob").exists()
    assert "anna@example.de" not in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")

    missing_rule = run_cli("preview", str(tmp_path / "deals.xlsx"), env=env)
    assert missing_rule.returncode == ExitCode.BAD_INPUT and "--rule" in missing_rule.stderr
    (tmp_path / "fake.xlsx").write_bytes(b"this is not a spreadsheet")
    broken = run_cli("preview", str(tmp_path / "fake.xlsx"), "--rule", "1", env=env)
    assert broken.returncode == ExitCode.BAD_INPUT and "Traceback" not in broken.stderr
    assert broken.stderr.startswith("Cannot preview fake.xlsx:")


def test_template_command(tmp_path: Path, app_home: Path) -> None:
    result = run_cli("template", str(tmp_path / "template.xlsx"), env={"CAPI_DESKTOP_HOME": str(app_home)})
    assert result.returncode == ExitCode.OK
    header = next(openpyxl.load_workbook(tmp_path / "template.xlsx").active.iter_rows(values_only=True))
    assert header[:3] == ("Email", "First name", "Last name")
