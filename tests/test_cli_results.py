"""`capi-desktop results`: what LinkedIn's reporting (the sandbox's simulation of it, over real HTTP)
credited to a rule, beside what this computer sent to it, with and without the reporting permission."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import accepted_events, cli_env, run_cli, set_knobs

from capi_desktop.cli import ExitCode
from capi_desktop.linkedin.client import ApiConfig, LinkedInClient, StaticToken
from capi_desktop.linkedin.errors import PermissionDenied
from capi_desktop.sandbox import SandboxServer, seed

REPORTING = ("rw_conversions", "r_ads", "r_ads_reporting")


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    when = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d 14:05")
    path = tmp_path / "leads.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First name", "Last name", "Close date", "Value", "Currency"])
        writer.writerows([f"lead{i}@example.com", "Ann", f"Lee{i}", when, "100", "USD"] for i in range(400))
    return path


def env_with(sandbox: SandboxServer, home: Path, scopes: tuple[str, ...]) -> dict[str, str]:
    return {**cli_env(sandbox, home), "CAPI_DESKTOP_ACCESS_TOKEN": sandbox.mint_token(scopes=scopes)}


def upload(leads: Path, env: dict[str, str], account: int, rule: int) -> None:
    sent = run_cli("upload", str(leads), "--account", str(account), "--rule", str(rule), "--json", env=env)
    assert sent.returncode == ExitCode.OK, sent.stderr


def results(env: dict[str, str], *args: str) -> dict[str, Any]:
    found = run_cli("results", *args, "--json", env=env)
    assert found.returncode == ExitCode.OK, found.stderr
    data: dict[str, Any] = json.loads(found.stdout)
    return data


def credited_by_rule(events: list[dict[str, Any]], share_percent: float) -> int:
    """The sandbox's documented attribution (docs/sandbox.md): a share of events chosen by their id."""
    chosen = [
        e
        for e in events
        if int(hashlib.sha256(e["eventId"].encode()).hexdigest()[:8], 16) % 10_000 < share_percent * 100
    ]
    return len(chosen)


def test_results_show_what_was_credited_since_the_upload(leads: Path, sandbox: SandboxServer, app_home: Path) -> None:
    env = env_with(sandbox, app_home, REPORTING)
    upload(leads, env, seed.ACCOUNT_USD, seed.RULE_USD_LEAD)
    data = results(env, "--account", str(seed.ACCOUNT_USD), "--rule", str(seed.RULE_USD_LEAD))
    (rule,) = data["rules"]
    expected = credited_by_rule(accepted_events(sandbox), 13.0)
    assert 0 < rule["credited"] == expected < 400
    assert rule["post_click"] + rule["view_through"] == expected
    assert Decimal(rule["value"]) == Decimal(100) * expected
    assert rule["health"] == [] and rule["uploads"][0]["accepted"] == 400
    assert rule["attribution"] == (
        "LinkedIn credits a conversion to this rule only after a click on its campaigns' ads up to 30 days before "
        "it or a view up to 7 days before it."
    )
    assert data["reporting_allowed"] and data["look_again_at"] is not None
    assert "400 rows sent on" in data["sentence"] and "look again" in data["sentence"]
    assert f"credits {expected:,} conversions" in data["sentence"]
    plain = run_cli("results", "--account", str(seed.ACCOUNT_USD), "--rule", str(seed.RULE_USD_LEAD), env=env)
    assert (
        plain.returncode == ExitCode.OK and f"{expected:,} credited" in plain.stdout and "after a click" in plain.stdout
    )


def test_before_the_reporting_delay_nothing_is_credited_yet(
    leads: Path, sandbox: SandboxServer, app_home: Path
) -> None:
    env = env_with(sandbox, app_home, REPORTING)
    set_knobs(sandbox, reporting_delay_hours=72)
    upload(leads, env, seed.ACCOUNT_USD, seed.RULE_USD_LEAD)
    before = results(env, "--account", str(seed.ACCOUNT_USD), "--rule", str(seed.RULE_USD_LEAD))
    assert before["rules"][0]["credited"] == 0 and "look again" in before["sentence"]
    set_knobs(sandbox, reporting_delay_hours=0)  # as if three days had passed
    after = results(env, "--account", str(seed.ACCOUNT_USD), "--rule", str(seed.RULE_USD_LEAD))
    assert after["rules"][0]["credited"] > 0


def test_a_rule_without_campaigns_is_credited_nothing_and_says_why(
    leads: Path, sandbox: SandboxServer, app_home: Path
) -> None:
    env = env_with(sandbox, app_home, REPORTING)
    upload(leads, env, seed.ACCOUNT_EUR, seed.RULE_EUR_PURCHASE)
    data = results(env, "--account", str(seed.ACCOUNT_EUR), "--rule", str(seed.RULE_EUR_PURCHASE))
    (rule,) = data["rules"]
    assert rule["credited"] == 0 and rule["campaigns"] == []
    assert any("No campaign is associated" in line for line in rule["health"])


def test_without_the_reporting_permission_uploads_still_show_and_the_way_to_grant_it_is_said(
    leads: Path, sandbox: SandboxServer, app_home: Path
) -> None:
    env = cli_env(sandbox, app_home)  # rw_conversions and r_ads only
    upload(leads, env, seed.ACCOUNT_USD, seed.RULE_USD_LEAD)
    data = results(env, "--account", str(seed.ACCOUNT_USD), "--job", data_job(env))
    assert not data["reporting_allowed"] and "r_ads_reporting" in data["sentence"]
    assert [r["rule_id"] for r in data["rules"]] == [seed.RULE_USD_LEAD]
    assert data["rules"][0]["uploads"][0]["accepted"] == 400


def data_job(env: dict[str, str]) -> str:
    history = json.loads(run_cli("history", "--json", env=env).stdout)
    return str(history[0]["job"])


def test_the_reporting_endpoint_follows_linkedins_rules(sandbox: SandboxServer) -> None:
    config = ApiConfig(api_base=sandbox.api_base, max_backoff_seconds=0.05)
    today = datetime.now(UTC).date()
    plain = LinkedInClient(config, StaticToken(sandbox.mint_token()))
    with pytest.raises(PermissionDenied):
        plain.credited_conversions(seed.ACCOUNT_USD, today - timedelta(days=89), today)
    reporting = LinkedInClient(config, StaticToken(sandbox.mint_token(scopes=REPORTING)))
    assert reporting.credited_conversions(seed.ACCOUNT_NO_ROLE, today, today) == []  # no access: empty, as LinkedIn


@pytest.mark.parametrize("asked", [False, True])
def test_sign_in_asks_for_the_reporting_permission_only_when_the_app_has_it(
    app_home: Path, memory_keychain: Any, asked: bool
) -> None:
    from capi_desktop.core.stores.settings import Settings, SettingsStore
    from capi_desktop.runtime import Mode, open_runtime

    store = SettingsStore(app_home / "config" / "settings.json")
    store.save(Settings(client_id="86mine", sandbox_mode=False, sign_in_reporting=asked))
    runtime = open_runtime(env={}, keychain=memory_keychain, settings_store=store)
    try:
        assert runtime.mode is Mode.LINKEDIN and runtime.auth.app is not None
        assert ("r_ads_reporting" in runtime.auth.app.scopes) is asked
    finally:
        runtime.close()
    practice = open_runtime(env={}, keychain=memory_keychain, settings_store=SettingsStore(app_home / "p.json"))
    try:  # the sandbox's demo app always has it
        assert practice.mode is Mode.SANDBOX and practice.auth.app is not None
        assert "r_ads_reporting" in practice.auth.app.scopes
    finally:
        practice.close()


def test_a_rule_that_is_gone_is_named(leads: Path, sandbox: SandboxServer, app_home: Path) -> None:
    env = env_with(sandbox, app_home, REPORTING)
    data = results(env, "--account", str(seed.ACCOUNT_USD), "--rule", "999")
    assert data["rules"] == [] and any("Rule 999 is not a Conversions API rule" in note for note in data["notes"])


def test_sending_the_same_file_again_does_not_hide_the_upload_that_sent_it(
    leads: Path, sandbox: SandboxServer, app_home: Path
) -> None:
    env = env_with(sandbox, app_home, REPORTING)
    upload(leads, env, seed.ACCOUNT_USD, seed.RULE_USD_LEAD)
    upload(leads, env, seed.ACCOUNT_USD, seed.RULE_USD_LEAD)  # nothing new: every row was sent before
    data = results(env, "--account", str(seed.ACCOUNT_USD), "--rule", str(seed.RULE_USD_LEAD))
    assert data["sentence"].startswith("400 rows sent on")
    assert sorted(u["accepted"] for u in data["rules"][0]["uploads"]) == [0, 400]
    resent = data_job(env)  # the newest job: the one that sent nothing new
    alone = results(env, "--account", str(seed.ACCOUNT_USD), "--job", resent)
    assert alone["sentence"].startswith("0 rows sent on") and alone["look_again_at"] is None
