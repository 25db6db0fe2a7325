"""``capi-desktop --self-test``: checks that an installed (frozen) copy of the app has what it needs.

Each check runs on this computer only (the LinkedIn part talks to the built-in sandbox on 127.0.0.1,
never to the internet) and prints one line: ``OK   name: detail`` or ``FAIL name: reason``. The exit
code is 0 only when every check passed.

The Qt window check runs last: if Qt cannot load its platform plugin it ends the process itself, and
the lines printed before it still say what else works.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)


class CheckFailed(Exception):
    """A check's plain-language reason for failing."""


@dataclass(frozen=True)
class Check:
    """``run`` returns a short detail for the OK line, or raises (CheckFailed or anything) to fail."""

    name: str
    run: Callable[[], str]


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str

    @property
    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def check_tls() -> str:
    import ssl

    import certifi

    bundle = Path(certifi.where())
    if not bundle.is_file():
        raise CheckFailed(f"the certificate bundle is missing ({bundle})")
    context = ssl.create_default_context(cafile=str(bundle))
    authorities = context.cert_store_stats().get("x509_ca", 0)
    if authorities == 0:
        raise CheckFailed(f"the certificate bundle has no certificates ({bundle})")
    system = ssl.create_default_context().cert_store_stats().get("x509_ca", 0)
    return f"{authorities} certificate authorities in the app's bundle; {system} in the system store"


def check_keyring() -> str:
    from capi_desktop.core.stores.keychain import Keychain

    keychain = Keychain()
    if not keychain.is_secure:
        return "none (sign-ins kept for the session only)"
    keychain.get("self-test")  # a read only: raises KeychainError if the store refuses
    return keychain.backend_name


def check_sandbox() -> str:
    from capi_desktop.linkedin.client import ApiConfig, LinkedInClient, StaticToken
    from capi_desktop.sandbox import SandboxServer

    server = SandboxServer(port=0).start()
    try:
        client = LinkedInClient(
            ApiConfig(api_base=server.api_base, timeout=10, max_backoff_seconds=0.1),
            StaticToken(server.mint_token()),
        )
        accounts = client.ad_accounts()
    finally:
        server.stop()
    if not accounts:
        raise CheckFailed("the sandbox answered but listed no ad accounts")
    return f"{len(accounts)} ad accounts from the built-in sandbox on 127.0.0.1"


def _write_workbook(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def check_spreadsheets() -> str:
    from capi_desktop.core.reading import open_table

    with tempfile.TemporaryDirectory(prefix="capi-self-test-") as folder:
        xlsx = _write_workbook(Path(folder) / "check.xlsx", [["Email", "Amount"], ["ada@example.com", 12.5]])
        csv = Path(folder) / "check.csv"
        csv.write_text("Email;Amount\nada@example.com;12,50\n", encoding="utf-8")
        read = []
        for path in (xlsx, csv):
            table = open_table(path)
            rows = list(table.rows())
            if table.columns != ("Email", "Amount") or len(rows) != 1:
                raise CheckFailed(f"{path.name} was read as columns {table.columns} with {len(rows)} rows")
            read.append(path.suffix.lstrip(".").upper())
    return " and ".join(read) + " read"


def check_column_import() -> str:
    """Files are staged a column at a time by polars and its hashing plugin, native code that an
    installer has to carry; a workbook's date cells go through polars' time zone rules."""
    import hashlib

    from capi_desktop.core.journal import Journal
    from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice
    from capi_desktop.core.reading import open_table
    from capi_desktop.core.staging import stage

    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    mapping = ColumnMapping(columns={Field.EMAIL: ("Email",), Field.CONVERSION_TIME: ("Date",)})
    with tempfile.TemporaryDirectory(prefix="capi-self-test-") as folder:
        csv = Path(folder) / "check.csv"
        csv.write_text(f"Email;Date\nAda@Example.com;{yesterday:%Y-%m-%d %H:%M}\n", encoding="utf-8")
        xlsx = _write_workbook(Path(folder) / "check.xlsx", [["Email", "Date"], ["Ada@Example.com", yesterday]])
        for path in (csv, xlsx):
            with Journal(Path(folder) / f"{path.name}.capijob", create=True) as journal:
                summary = stage(
                    open_table(path),
                    ImportOptions(rules=RuleChoice(rule_id=1), mapping=mapping, timezone="Europe/Berlin"),
                    journal,
                    now_ms=int(now.timestamp() * 1000),
                )
                event = next(journal.rows()).event_json or ""
            if summary.ok != 1 or hashlib.sha256(b"ada@example.com").hexdigest() not in event:
                raise CheckFailed(f"{path.name} was staged as {summary.ok} OK rows: {event[:80]}")
    return "a text file and a workbook were staged a column at a time and their emails hashed"


def check_qt_window() -> str:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise CheckFailed("no screen found (no DISPLAY); run with QT_QPA_PLATFORM=offscreen to check without one")
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance() or QApplication(["capi-desktop"])
    assert isinstance(app, QApplication)
    window = QWidget()
    window.setWindowTitle("CAPI Desktop self-test")
    window.resize(200, 100)
    window.show()
    app.processEvents()
    shown = window.isVisible()
    window.close()
    app.processEvents()
    if not shown:
        raise CheckFailed("a window was created but could not be shown")
    return f"platform plugin '{app.platformName()}' loaded; a window opened and closed"


CHECKS: tuple[Check, ...] = (
    Check("TLS certificates", check_tls),
    Check("Credential store", check_keyring),
    Check("LinkedIn sandbox round trip", check_sandbox),
    Check("Spreadsheet reading", check_spreadsheets),
    Check("Column import", check_column_import),
    Check("Qt window", check_qt_window),
)


def run_checks(checks: Sequence[Check] = CHECKS, echo: Callable[[str], None] | None = None) -> list[Result]:
    """Run every check (a failure does not stop the rest), echoing each line as it finishes."""
    results = []
    for check in checks:
        try:
            result = Result(check.name, True, check.run())
        except Exception as exc:  # every failure becomes a line, never a traceback
            logger.debug("self-test check %r failed", check.name, exc_info=True)
            reason = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
            result = Result(check.name, False, reason)
        if echo is not None:
            echo(result.line)
        results.append(result)
    return results


def main(checks: Sequence[Check] = CHECKS, echo: Callable[[str], None] | None = None) -> int:
    """Print one line per check; 0 when all passed, 1 otherwise."""
    if echo is None:

        def echo(line: str) -> None:
            print(line, flush=True)

    results = run_checks(checks, echo)
    return 0 if all(result.ok for result in results) else 1
