"""``capi-desktop --self-test``: every check passes here, and a failing check is reported and fails the run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from capi_desktop import selftest


def test_self_test_passes_in_a_subprocess() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "capi_desktop", "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(lines) == len(selftest.CHECKS)
    assert all(line.startswith("OK ") for line in lines), done.stdout


def test_a_failing_check_gives_a_fail_line_and_a_non_zero_exit() -> None:
    def broken() -> str:
        raise selftest.CheckFailed("the widget factory is closed")

    printed: list[str] = []
    checks = (selftest.Check("Always fine", lambda: "fine"), selftest.Check("Broken", broken))
    code = selftest.main(checks, echo=printed.append)
    assert code != 0
    assert printed == ["OK   Always fine: fine", "FAIL Broken: the widget factory is closed"]


def test_an_unexpected_error_is_a_fail_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    def crashes() -> str:
        raise OSError("disk on fire")

    assert selftest.main((selftest.Check("Crashes", crashes),)) == 1
    assert capsys.readouterr().out == "FAIL Crashes: OSError: disk on fire\n"
