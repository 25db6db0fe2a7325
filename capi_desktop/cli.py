"""The command line: ``capi-desktop`` with no arguments opens the app; subcommands work without a screen.

Errors are printed as plain sentences with a documented exit code, never as a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from enum import IntEnum
from pathlib import Path
from typing import Any

import click

from capi_desktop import __version__, paths
from capi_desktop.core.dates import DateOrder
from capi_desktop.core.journal import Journal, JournalError, journal_path, new_job_id
from capi_desktop.core.keychain import KeychainError
from capi_desktop.core.mapping import Field, RuleChoice, guess_mapping, parse_constant_value, parse_rule_map
from capi_desktop.core.money import normalise_currency
from capi_desktop.core.problems import ValueProblem
from capi_desktop.core.reading import SpreadsheetError, Table, open_table
from capi_desktop.core.reports import write_preview, write_problems_report
from capi_desktop.core.settings import SettingsError
from capi_desktop.core.staging import ImportOptions, StageSummary, stage
from capi_desktop.linkedin.auth import SignInStatus, format_date
from capi_desktop.linkedin.errors import (
    CertificateError,
    ConnectionFailed,
    LinkedInError,
    RateLimited,
    ServerError,
    SignInFailed,
    SignInRequired,
)
from capi_desktop.runtime import Runtime, client_secret_entry, open_runtime

logger = logging.getLogger(__name__)


class ExitCode(IntEnum):
    """Documented in the README; scripts and schedulers rely on these staying put."""

    OK = 0
    USAGE = 2  # click's own code for a wrong command line
    BAD_INPUT = 3
    SIGN_IN = 4
    LINKEDIN_REFUSED = 5
    NETWORK = 6


def _exit_code(exc: Exception) -> ExitCode:
    if isinstance(exc, SignInRequired | SignInFailed):
        return ExitCode.SIGN_IN
    if isinstance(exc, ConnectionFailed | CertificateError | ServerError | RateLimited):
        return ExitCode.NETWORK
    if isinstance(exc, LinkedInError):
        return ExitCode.LINKEDIN_REFUSED
    return ExitCode.BAD_INPUT


@contextmanager
def _runtime() -> Iterator[Runtime]:
    """Open the runtime and turn every expected failure into a message and an exit code."""
    runtime = None
    try:
        runtime = open_runtime()
        yield runtime
    except (LinkedInError, SettingsError, KeychainError) as exc:
        title = getattr(exc, "title", "Problem")
        click.echo(f"{title}: {exc}", err=True)
        sys.exit(_exit_code(exc))
    finally:
        if runtime is not None:
            runtime.close()


def _emit(as_json: bool, data: Any, text: Callable[[], str]) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text())


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="capi-desktop")
@click.option("-v", "--verbose", is_flag=True, help="Show more detail about what happens.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """CAPI Desktop: send offline conversions to the LinkedIn Conversions API.

    Run without a command to open the app.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if ctx.invoked_subcommand is None:
        from capi_desktop.gui.app import run  # Qt loads only when the window is wanted

        sys.exit(run())


@main.command()
@click.option("--port", default=8080, show_default=True, help="Port on 127.0.0.1 to listen on (0: any free port).")
def sandbox(port: int) -> None:
    """Run the built-in LinkedIn sandbox on this computer (for practice and testing)."""
    from capi_desktop.sandbox import SandboxServer

    try:
        server = SandboxServer(port=port)
    except OSError as exc:
        click.echo(f"The sandbox could not listen on port {port}: {exc.strerror}. Try another --port.", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    server.serve_forever()


@main.command()
@click.option("--paste-token", "paste", is_flag=True, help="Paste an access token made in LinkedIn instead.")
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening a browser.")
@click.option("--timeout", default=300, show_default=True, help="Seconds to wait for the browser sign-in.")
def login(paste: bool, no_browser: bool, timeout: int) -> None:
    """Sign in to LinkedIn (browser sign-in, or a pasted access token)."""
    with _runtime() as runtime:
        if paste:
            token = sys.stdin.readline() if not sys.stdin.isatty() else click.prompt("Access token", hide_input=True)
            status = runtime.auth.sign_in_with_token(token)
        else:
            attempt = runtime.auth.begin_browser_sign_in()
            click.echo("Finish signing in in your browser. If it did not open, visit:\n" + attempt.url, err=True)
            if not no_browser:
                webbrowser.open(attempt.url)
            status = attempt.wait(timeout)
        click.echo(_status_text(status))


@main.command()
def logout() -> None:
    """Sign out and remove the saved LinkedIn sign-in from this computer."""
    with _runtime() as runtime:
        runtime.auth.sign_out()
        click.echo("Signed out. The LinkedIn sign-in was removed from this computer.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(as_json: bool) -> None:
    """Who is signed in, until when, and with which permissions."""
    with _runtime() as runtime:
        state = runtime.auth.status()
        data = {
            "mode": runtime.mode.value,
            "signed_in": state.signed_in,
            "member": state.member.display_name if state.member else None,
            "expires_at": state.expires_at,
            "scopes": sorted(state.scopes) if state.scopes is not None else None,
            "storage": state.storage.value,
            "warnings": list(state.warnings),
        }
        _emit(as_json, data, lambda: runtime.mode.description + "\n" + _status_text(state))
        if not state.signed_in:
            sys.exit(ExitCode.SIGN_IN)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def accounts(as_json: bool) -> None:
    """List the ad accounts you can use, with your role on each."""
    with _runtime() as runtime:
        found = runtime.auth.client().ad_accounts()

        def text() -> str:
            rows = [f"{'ID':>12}  {'NAME':30}  {'CUR':3}  {'STATUS':9}  ROLE"]
            for a in found:
                note = "" if a.can_upload else "  (cannot upload: viewer)"
                test = " [test]" if a.test else ""
                rows.append(f"{a.id:>12}  {a.name[:30]:30}  {a.currency:3}  {a.status:9}  {a.role_name}{test}{note}")
            return "\n".join(rows)

        _emit(as_json, [asdict(a) for a in found], text)


@main.command()
@click.option("--account", "account_id", required=True, type=int, help="Ad account id (see `accounts`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rules(account_id: int, as_json: bool) -> None:
    """List an ad account's Conversions API rules."""
    with _runtime() as runtime:
        found = runtime.auth.client().conversion_rules(account_id)

        def text() -> str:
            rows = [f"{'ID':>12}  {'NAME':36}  {'TYPE':18}  STATE"]
            for r in found:
                rows.append(f"{r.id:>12}  {r.name[:36]:36}  {r.type[:18]:18}  {'on' if r.enabled else 'off'}")
            return "\n".join(rows) if found else "This account has no Conversions API rules yet."

        _emit(as_json, [asdict(r) for r in found], text)


@main.group(name="settings")
def settings_group() -> None:
    """Show or change settings (LinkedIn app, API version, limits, practice mode)."""


@settings_group.command(name="show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def settings_show(as_json: bool) -> None:
    """Show the saved settings (the client secret is never shown)."""
    with _runtime() as runtime:
        saved = runtime.settings_store.load()
        data = {**asdict(saved), "mode_now": runtime.mode.value}
        _emit(as_json, data, lambda: "\n".join(f"{k.replace('_', '-')}: {v}" for k, v in data.items()))


@settings_group.command(name="set")
@click.argument("name")
@click.argument("value")
def settings_set(name: str, value: str) -> None:
    """Change one setting, e.g. `settings set api-version 202606` or `settings set sandbox-mode off`."""
    with _runtime() as runtime:
        store = runtime.settings_store
        store.save(store.load().with_value(name, value))
        click.echo(f"Saved {name}.")


@settings_group.command(name="client-secret")
@click.option("--clear", is_flag=True, help="Remove the saved client secret.")
def settings_client_secret(clear: bool) -> None:
    """Save the LinkedIn app's client secret in this computer's credential store."""
    with _runtime() as runtime:
        client_id = runtime.settings_store.load().client_id
        if not client_id:
            raise SettingsError("Set the client id first: capi-desktop settings set client-id YOUR_CLIENT_ID")
        if not runtime.keychain.is_secure:
            raise SettingsError(
                "No secure credential store was found on this computer, so the client secret cannot be saved."
            )
        entry = client_secret_entry(client_id)
        if clear:
            runtime.keychain.delete(entry)
            click.echo("Client secret removed.")
            return
        secret = sys.stdin.readline() if not sys.stdin.isatty() else click.prompt("Client secret", hide_input=True)
        if not secret.strip():
            raise SettingsError("The client secret was empty; nothing was saved.")
        runtime.keychain.set(entry, secret.strip())
        click.echo("Client secret saved in your computer's credential store.")


def _import_options(func: Callable[..., None]) -> Callable[..., None]:
    """The options `preview` and `upload` share, so a command line works for both."""
    options = [
        click.option("--account", "account_id", type=int, help="Ad account id (see `accounts`)."),
        click.option("--rule", "rule_id", type=int, help="Send every row to this conversion rule id."),
        click.option("--rule-map", help="Map event names to rules, e.g. 'LEAD=22285180,PURCHASE=22285181'."),
        click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Use COLUMN for FIELD (repeatable)."),
        click.option("--sheet", help="Workbook sheet to read (default: the first with data)."),
        click.option("--header-row", type=int, help="Row number of the column names (default: detected)."),
        click.option(
            "--timezone", help="Time zone of times without one, e.g. Europe/Berlin (default: this computer's)."
        ),
        click.option(
            "--date-order",
            type=click.Choice(["auto", "DMY", "MDY", "YMD"], case_sensitive=False),
            default="auto",
            show_default=True,
            help="Order of day and month in dates like 05/06/2026.",
        ),
        click.option("--currency", help="Currency for rows without one, e.g. USD."),
        click.option("--value", help="Value for rows without one, e.g. 100."),
        click.option("--event-name", help="Event name for every row (with --rule-map)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _build_import(
    file: Path,
    rule_id: int | None,
    rule_map: str | None,
    maps: tuple[str, ...],
    sheet: str | None,
    header_row: int | None,
    timezone: str | None,
    date_order: str,
    currency: str | None,
    value: str | None,
    event_name: str | None,
) -> tuple[Table, ImportOptions]:
    if (rule_id is None) == (rule_map is None):
        raise ValueProblem("Choose the conversion rule: --rule ID for every row, or --rule-map 'LEAD=1,PURCHASE=2'.")
    rules = RuleChoice(rule_id=rule_id) if rule_id is not None else parse_rule_map(rule_map or "")
    table = open_table(file, sheet=sheet, header_row=header_row)
    mapping = guess_mapping(table.columns, [row.values for row in table.sample(50)])
    overrides: dict[Field, list[str]] = {}
    for item in maps:
        name, sep, column = item.partition("=")
        try:
            target = Field(name.strip().lower().replace("-", "_"))
        except ValueError:
            known = ", ".join(f.value for f in Field)
            raise ValueProblem(f"“{name}” is not a field; use one of: {known}.") from None
        if not sep or not column.strip():
            raise ValueProblem(f"Write --map as FIELD=COLUMN, for example --map email='Work Email' (got “{item}”).")
        overrides.setdefault(target, []).append(column.strip())
    for target, columns in overrides.items():
        mapping = mapping.with_columns(target, columns)
    mapping = replace(
        mapping,
        currency=normalise_currency(currency) if currency else mapping.currency,
        value=parse_constant_value(value) if value else mapping.value,
        event_name=event_name or mapping.event_name,
    )
    options = ImportOptions(rules=rules, mapping=mapping, timezone=timezone, date_order=DateOrder[date_order.upper()])
    return table, options


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@_import_options
@click.option("--output", type=click.Path(path_type=Path), help="Write the preview to this .csv or .xlsx file.")
@click.option("--problems", type=click.Path(path_type=Path), help="Write rows with problems to this .csv or .xlsx.")
def preview(
    file: Path, account_id: int | None, as_json: bool, output: Path | None, problems: Path | None, **choices: Any
) -> None:
    """Show what would be sent for FILE, without sending anything."""
    try:
        table, options = _build_import(file, **choices)
        journal = Journal(journal_path(paths.data_dir(), new_job_id()), create=True)
        with journal:
            journal.set_meta(
                {
                    "account_id": account_id,
                    "source_name": file.name,
                    "fingerprint": table.fingerprint,
                    "sheet": table.sheet,
                    "header_row": table.header_row,
                    **options.to_dict(),
                }
            )
            summary = stage(table, options, journal, now_ms=int(time.time() * 1000))
            if output is not None:
                write_preview(journal, output)
            if problems is not None:
                write_problems_report(table, journal, problems)
    except (SpreadsheetError, ValueProblem, JournalError) as exc:
        click.echo(f"Cannot preview {file.name}: {exc}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    data = {"job": journal.job_id, **summary.to_dict()}
    _emit(as_json, data, lambda: _summary_text(summary, table, options, output))


def _summary_text(summary: StageSummary, table: Table, options: ImportOptions, output: Path | None) -> str:
    mapped = ", ".join(f"{f.label} ← {' / '.join(cols)}" for f, cols in options.mapping.columns.items())
    lines = [
        f"Columns: {mapped}",
        f"{summary.rows} rows: {summary.ok} ready, {summary.warnings} with warnings (sent), "
        f"{summary.errors} with errors (not sent), of which {summary.duplicates} duplicates.",
        f"Match readiness: {summary.share(summary.with_email):.0%} with a hashed email, "
        f"{summary.share(summary.with_name_company):.0%} with name and company, "
        f"{summary.share(summary.with_click_id):.0%} with a LinkedIn click id.",
    ]
    if summary.unmapped_event_names:
        names = ", ".join(f"{n} ({c})" for n, c in sorted(summary.unmapped_event_names.items()))
        lines.append(f"Event names without a rule: {names}.")
    if summary.date_order_needed:
        lines.append("Some dates could be day/month or month/day: choose with --date-order DMY or MDY.")
    if output is not None:
        lines.append(f"Preview written to {output}.")
    return "\n".join(lines)


def _status_text(state: SignInStatus) -> str:
    lines = []
    if state.signed_in:
        lines.append(f"Signed in as {state.member_name}.")
        if state.expires_at:
            lines.append(f"Sign-in valid until {format_date(state.expires_at)}.")
        if state.scopes is not None:
            lines.append("Permissions: " + ", ".join(sorted(state.scopes)))
    else:
        lines.append("Not signed in.")
    lines.extend(state.warnings)
    return "\n".join(lines)
