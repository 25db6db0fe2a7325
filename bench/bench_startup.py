"""Cold start: from launching the process to the first wizard page painted on screen, and from
launching the command line to its first output (``--version``, ``--help``).

Run with `make bench` (or `python bench/bench_startup.py`). The child follows the real start-up path
(the `capi-desktop` entry point's imports, the Qt application, the runtime — which starts the
built-in sandbox in practice mode — and the wizard) and reports when the first page has painted.
Uses the offscreen platform unless a display is available. Not a timed test.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 5

CHILD = r"""
import sys, time
import capi_desktop.cli  # what the `capi-desktop` entry point imports first
from PySide6.QtCore import QEvent, QObject, QTimer
from capi_desktop.gui import app as gui_app
from capi_desktop.runtime import open_runtime

qt_app = gui_app._application([])
runtime = open_runtime()
wizard = gui_app.create_wizard(runtime)

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print(f"painted {time.time():.6f}", flush=True)
            QTimer.singleShot(0, qt_app.quit)
            watched.removeEventFilter(self)
        return False

painted = FirstPaint()
wizard.show()  # the first page exists once shown; its first paint comes from the event loop
wizard.currentPage().installEventFilter(painted)
qt_app.exec()
runtime.close()
"""


def one_start() -> float:
    env = {**os.environ, "CAPI_DESKTOP_HOME": tempfile.mkdtemp(prefix="capi-start-")}
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    started = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True).stdout
    painted = float(next(line for line in out.splitlines() if line.startswith("painted")).split()[1])
    return painted - started


def cli_start(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "capi_desktop", *args], capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    for args in (("--version",), ("--help",)):
        cli_start(*args)
        times = sorted(cli_start(*args) for _ in range(RUNS))
        print(f"Command line to its first output, capi-desktop {args[0]} ({RUNS} runs): median "
              f"{statistics.median(times):.2f} s, best {times[0]:.2f} s, worst {times[-1]:.2f} s")  # fmt: skip
    one_start()  # warm the OS file cache once, as a second launch of an installed app would
    times = sorted(one_start() for _ in range(RUNS))
    print(
        f"Cold start to the first painted page ({RUNS} runs): median {statistics.median(times):.2f} s, "
        f"best {times[0]:.2f} s, worst {times[-1]:.2f} s"
    )


if __name__ == "__main__":
    main()
