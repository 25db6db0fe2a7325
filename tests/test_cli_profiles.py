"""`capi-desktop profiles ...` as a user runs it: real processes, a fresh app home, documented exit codes."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import support

from capi_desktop.cli import ExitCode
from capi_desktop.cli.profiles import load_profile, profile_store, save_profile_from_options
from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice
from capi_desktop.core.normalise.dates import DateOrder
from capi_desktop.core.stores.profiles import Profile, ProfileError, ProfileStore, file_name_for

SECRET = "AQVthis-is-a-token-and-must-not-be-printed-0123456789"


def run_cli(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return support.run_cli("profiles", *args, env={"CAPI_DESKTOP_HOME": str(home)}, stdin=stdin)


def options() -> ImportOptions:
    return ImportOptions(
        rules=RuleChoice(by_event={"lead": 22285180, "purchase": 22285181}),
        mapping=ColumnMapping(
            columns={Field.EMAIL: ("Work Email",), Field.CONVERSION_TIME: ("Close Date",), Field.EVENT_ID: ("Deal",)},
            currency="EUR",
            value=Decimal("250"),
        ),
        timezone="Europe/Berlin",
        date_order=DateOrder.DMY,
    )


@pytest.fixture
def saved(app_home: Path) -> Profile:
    """One profile saved the way `preview --save-profile` will save it."""
    return save_profile_from_options("Q3 / EMEA", account_id=512345678, sheet="Deals", header_row=2, options=options())


def folder(home: Path) -> Path:
    return home / "config" / "profiles"


def assert_plain_failure(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == ExitCode.BAD_INPUT, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


# The helpers `preview`/`upload` will call ---------------------------------------------------------


def test_helpers_for_preview_and_upload(saved: Profile, app_home: Path) -> None:
    assert (folder(app_home) / file_name_for("Q3 / EMEA")).is_file()
    profile = load_profile("q3 / emea")
    assert profile.import_options() == options()
    assert (profile.account_id, profile.sheet, profile.header_row) == (512345678, "Deals", 2)
    with pytest.raises(ProfileError, match="already exists"):
        save_profile_from_options("Q3 / EMEA", account_id=1, sheet=None, header_row=None, options=options())
    save_profile_from_options("Q3 / EMEA", account_id=1, sheet=None, header_row=None, options=options(), overwrite=True)
    assert load_profile("Q3 / EMEA").account_id == 1
    with pytest.raises(ProfileError, match="Saved profiles: Q3 / EMEA"):
        load_profile("Q4")
    assert profile_store().folder == folder(app_home)


# list and show ------------------------------------------------------------------------------------


def test_list_when_nothing_is_saved(app_home: Path) -> None:
    result = run_cli("list", home=app_home)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "No profiles are saved yet" in result.stdout
    as_json = run_cli("list", "--json", home=app_home)
    assert json.loads(as_json.stdout) == []


def test_list_and_show(saved: Profile, app_home: Path) -> None:
    ProfileStore(folder(app_home)).save(
        Profile(name="alpha", account_id=None, rules=RuleChoice(rule_id=7), mapping=ColumnMapping())
    )
    table = run_cli("list", home=app_home)
    assert table.returncode == ExitCode.OK, table.stderr
    lines = table.stdout.splitlines()
    assert lines[1].startswith("alpha") and lines[2].startswith("Q3 / EMEA")
    assert "LEAD=22285180, PURCHASE=22285181" in lines[2] and "512345678" in lines[2]

    listed = json.loads(run_cli("list", "--json", home=app_home).stdout)
    assert [p["name"] for p in listed] == ["alpha", "Q3 / EMEA"]

    shown = run_cli("show", "q3 / emea", home=app_home)
    assert shown.returncode == ExitCode.OK, shown.stderr
    for expected in (
        "Name: Q3 / EMEA",
        "Ad account: 512345678",
        "Email ← Work Email",
        "Event id ← Deal",
        "Currency for rows without one: EUR",
        "Value for rows without one: 250",
        "Sheet: Deals",
        "Header row: 2",
        "Time zone: Europe/Berlin",
        "Date order: DMY",
    ):
        assert expected in shown.stdout
    data = json.loads(run_cli("show", "Q3 / EMEA", "--json", home=app_home).stdout)
    assert data["rules"]["by_event"] == {"lead": 22285180, "purchase": 22285181}
    assert data["mapping"]["columns"]["event_id"] == ["Deal"]
    assert "token" not in json.dumps(data).lower()

    simple = run_cli("show", "ALPHA", home=app_home).stdout
    assert "Event ids: made from each row's content" in simple and "Ad account: not chosen" in simple


def test_show_a_missing_profile(saved: Profile, app_home: Path) -> None:
    result = run_cli("show", "Q4", home=app_home)
    assert_plain_failure(result, "There is no profile called “Q4”", "Saved profiles: Q3 / EMEA")
    assert result.stdout == ""


def test_damaged_file_is_reported_but_list_works(saved: Profile, app_home: Path) -> None:
    (folder(app_home) / "broken.json").write_text("{ this is not json")
    result = run_cli("list", "--json", home=app_home)
    assert result.returncode == ExitCode.OK
    assert [p["name"] for p in json.loads(result.stdout)] == ["Q3 / EMEA"]
    assert "broken.json" in result.stderr and "damaged" in result.stderr and "Traceback" not in result.stderr


# rename and delete --------------------------------------------------------------------------------


def test_rename(saved: Profile, app_home: Path) -> None:
    result = run_cli("rename", "q3 / emea", "EMEA quarterly", home=app_home)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "Renamed “Q3 / EMEA” to “EMEA quarterly”." in result.stdout
    assert [p.name for p in ProfileStore(folder(app_home)).list()] == ["EMEA quarterly"]


def test_rename_onto_an_existing_name_is_refused(saved: Profile, app_home: Path) -> None:
    save_profile_from_options("Other", account_id=1, sheet=None, header_row=None, options=options())
    result = run_cli("rename", "Other", "q3 / EMEA", home=app_home)
    assert_plain_failure(result, "“Q3 / EMEA” already exists")
    assert {p.name for p in ProfileStore(folder(app_home)).list()} == {"Other", "Q3 / EMEA"}


def test_delete_without_a_terminal_needs_yes(saved: Profile, app_home: Path) -> None:
    refused = run_cli("delete", "Q3 / EMEA", home=app_home, stdin="y\n")
    assert_plain_failure(refused, "Add --yes")
    assert load_profile("Q3 / EMEA") == saved

    deleted = run_cli("delete", "q3 / emea", "--yes", home=app_home)
    assert deleted.returncode == ExitCode.OK, deleted.stderr
    assert "Deleted the profile “Q3 / EMEA”." in deleted.stdout
    assert list(folder(app_home).iterdir()) == []

    again = run_cli("delete", "Q3 / EMEA", "--yes", home=app_home)
    assert_plain_failure(again, "There is no profile called “Q3 / EMEA”; no profiles are saved yet.")


def _run_on_a_terminal(args: list[str], home: Path, answer: str) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as stdin/stdout, type ``answer`` at the prompt."""
    import pty

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "capi_desktop", "profiles", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "CAPI_DESKTOP_HOME": str(home)},
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 30
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 1024)
            except OSError:  # the other side closed: the process has ended
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(controller, answer.encode() + b"\r")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(controller)
    return process.wait(timeout=30), output.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_delete_on_a_terminal_asks_first(saved: Profile, app_home: Path) -> None:
    code, output = _run_on_a_terminal(["delete", "Q3 / EMEA"], app_home, "n")
    assert code == ExitCode.OK, output
    assert "Delete the profile “Q3 / EMEA”?" in output and "Nothing was deleted." in output
    assert load_profile("Q3 / EMEA") == saved

    code, output = _run_on_a_terminal(["delete", "Q3 / EMEA"], app_home, "y")
    assert code == ExitCode.OK, output
    assert "Deleted the profile" in output
    assert ProfileStore(folder(app_home)).list() == []


# export and import --------------------------------------------------------------------------------


def test_export_then_import_on_a_colleagues_computer(saved: Profile, app_home: Path, tmp_path: Path) -> None:
    shared = tmp_path / "to-sam" / "emea.json"
    shared.parent.mkdir()
    exported = run_cli("export", "q3 / emea", str(shared), home=app_home)
    assert exported.returncode == ExitCode.OK, exported.stderr
    assert f"Exported to {shared}." in exported.stdout

    again = run_cli("export", "Q3 / EMEA", str(shared), home=app_home)
    assert_plain_failure(again, "already exists")
    assert run_cli("export", "Q3 / EMEA", str(shared), "--overwrite", home=app_home).returncode == ExitCode.OK

    sam = tmp_path / "sam-home"
    imported = run_cli("import", str(shared), home=sam)
    assert imported.returncode == ExitCode.OK, imported.stderr
    assert "Imported the profile “Q3 / EMEA”." in imported.stdout
    theirs = ProfileStore(folder(sam)).load("Q3 / EMEA")
    assert theirs.import_options() == saved.import_options()
    assert (theirs.account_id, theirs.sheet, theirs.header_row) == (512345678, "Deals", 2)

    twice = run_cli("import", str(shared), home=sam)
    assert_plain_failure(twice, "already exists here")
    renamed = run_cli("import", str(shared), "--name", "EMEA (from Alex)", home=sam)
    assert renamed.returncode == ExitCode.OK, renamed.stderr
    replaced = run_cli("import", str(shared), "--overwrite", home=sam)
    assert replaced.returncode == ExitCode.OK, replaced.stderr
    assert [p.name for p in ProfileStore(folder(sam)).list()] == ["EMEA (from Alex)", "Q3 / EMEA"]


def test_import_warns_about_unknown_fields(saved: Profile, app_home: Path, tmp_path: Path) -> None:
    data = saved.to_dict()
    data["favourite_colour"] = "teal"
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(data))
    result = run_cli("import", str(path), "--name", "With extras", home=app_home)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "favourite_colour" in result.stderr
    stored = (folder(app_home) / file_name_for("With extras")).read_text(encoding="utf-8")
    assert "favourite_colour" not in stored


def test_import_refuses_a_file_with_a_token(saved: Profile, app_home: Path, tmp_path: Path) -> None:
    data = saved.to_dict()
    data["linkedin"] = {"access_token": SECRET}
    path = tmp_path / "leaky.json"
    path.write_text(json.dumps(data))
    result = run_cli("import", str(path), "--name", "Leaky", home=app_home)
    assert_plain_failure(result, "Cannot import leaky.json", "linkedin.access_token", "never hold sign-in tokens")
    assert SECRET not in result.stderr + result.stdout
    assert [p.name for p in ProfileStore(folder(app_home)).list()] == ["Q3 / EMEA"]


def test_import_refuses_a_newer_profile(saved: Profile, app_home: Path, tmp_path: Path) -> None:
    data = {**saved.to_dict(), "schema_version": 2}
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(data))
    result = run_cli("import", str(path), "--name", "Newer", home=app_home)
    assert_plain_failure(result, "newer version of CAPI Desktop", "Update the app")


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        ("{oops", "damaged or not a CAPI Desktop profile"),
        ('{"schema_version": 1, "client_id": "abc"}', "not a CAPI Desktop profile"),
        (None, "There is no file"),
    ],
)
def test_import_of_something_else(app_home: Path, tmp_path: Path, content: str | None, phrase: str) -> None:
    path = tmp_path / "thing.json"
    if content is not None:
        path.write_text(content)
    assert_plain_failure(run_cli("import", str(path), home=app_home), phrase)


def test_missing_arguments_are_usage_errors(app_home: Path) -> None:
    assert run_cli("show", home=app_home).returncode == ExitCode.USAGE
    assert run_cli("rename", "only-one", home=app_home).returncode == ExitCode.USAGE
