"""Sign-in, accounts, rules, settings and the standalone sandbox."""

from __future__ import annotations

import sys
import webbrowser
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from capi_desktop.cli import ExitCode, emit, main, runtime_or_exit
from capi_desktop.core.delivery.apiversion import version_note
from capi_desktop.core.normalise.dates import day_words, format_day
from capi_desktop.core.stores.settings import SettingsError

if TYPE_CHECKING:
    from capi_desktop.linkedin.auth import SignInStatus


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
    with runtime_or_exit() as runtime:
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
    with runtime_or_exit() as runtime:
        runtime.auth.sign_out()
        click.echo("Signed out. The LinkedIn sign-in was removed from this computer.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(as_json: bool) -> None:
    """Who is signed in, until when, and with which permissions."""
    with runtime_or_exit() as runtime:
        state = runtime.auth.status()
        data = {
            "mode": runtime.mode.value,
            "signed_in": state.signed_in,
            "member": state.member.display_name if state.member else None,
            "expires_at": state.expires_at,
            "scopes": sorted(state.scopes) if state.scopes is not None else None,
            "storage": state.storage.value,
            "warnings": list(state.warnings),
            "api_version": runtime.auth.api.version,
            "api_version_worked_on": known.worked_on if (known := runtime.auth.known_version) else None,
        }
        version = version_note(runtime.auth.api.version, known)
        emit(as_json, data, lambda: f"{runtime.mode.description}\n{_status_text(state)}\n{version}")
        if not state.signed_in:
            sys.exit(ExitCode.SIGN_IN)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def accounts(as_json: bool) -> None:
    """List the ad accounts you can use, with your role on each."""
    with runtime_or_exit() as runtime:
        found = runtime.auth.client().ad_accounts()

        def text() -> str:
            rows = [f"{'ID':>12}  {'NAME':30}  {'CUR':3}  {'STATUS':9}  ROLE"]
            for a in found:
                note = "" if a.can_upload else "  (cannot upload: viewer)"
                test = " [test]" if a.test else ""
                rows.append(f"{a.id:>12}  {a.name[:30]:30}  {a.currency:3}  {a.status:9}  {a.role_name}{test}{note}")
            return "\n".join(rows)

        emit(as_json, [asdict(a) for a in found], text)


@main.command()
@click.option("--account", "account_id", required=True, type=int, help="Ad account id (see `accounts`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rules(account_id: int, as_json: bool) -> None:
    """List an ad account's Conversions API rules."""
    with runtime_or_exit() as runtime:
        found = runtime.auth.client().conversion_rules(account_id)

        def text() -> str:
            rows = [f"{'ID':>12}  {'NAME':36}  {'TYPE':18}  STATE"]
            for r in found:
                rows.append(f"{r.id:>12}  {r.name[:36]:36}  {r.type[:18]:18}  {'on' if r.enabled else 'off'}")
            return "\n".join(rows) if found else "This account has no Conversions API rules yet."

        emit(as_json, [asdict(r) for r in found], text)


@main.command()
@click.option("--account", "account_id", required=True, type=int, help="Ad account id (see `accounts`).")
@click.option("--rule", "rule_id", type=int, help="Only this conversion rule.")
@click.option("--job", help="The rules of this upload job (see `history`), and its upload date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def results(account_id: int, rule_id: int | None, job: str | None, as_json: bool) -> None:
    """What LinkedIn credited to your conversion rules over the last 90 days, beside what was sent."""
    from capi_desktop import paths
    from capi_desktop.app.results import results as credited
    from capi_desktop.runtime import Mode

    with runtime_or_exit() as runtime:
        found = credited(
            runtime.auth.client(),
            paths.data_dir(),
            account_id,
            practice=runtime.mode is Mode.SANDBOX,
            rule_id=rule_id,
            job_id=job,
        )
        data = {
            "account_id": found.account_id,
            "practice": found.practice,
            "reporting_allowed": found.reporting_allowed,
            "sentence": found.sentence,
            "look_again_at": found.look_again_at,
            "notes": list(found.notes),
            "from": found.first.isoformat(),
            "to": found.last.isoformat(),
            "rules": [
                {
                    "rule_id": r.rule.id,
                    "name": r.rule.name,
                    "enabled": r.rule.enabled,
                    "campaigns": list(r.rule.campaign_ids),
                    "credited": r.credited,
                    "post_click": r.post_click,
                    "view_through": r.post_view,
                    "value": str(r.value) if r.value is not None else None,
                    "days": [{"day": d.day.isoformat(), "conversions": d.conversions} for d in r.days],
                    "uploads": [asdict(u) for u in r.uploads],
                    "health": list(r.health),
                    "attribution": r.windows,
                }
                for r in found.rules
            ],
        }

        def text() -> str:
            lines = [found.sentence, ""]
            for r in found.rules:
                split = ""
                if r.post_click is not None and r.post_view is not None:
                    split = f" ({r.post_click:,} after a click, {r.post_view:,} after a view)"
                value = f", worth {r.value}" if r.value else ""
                lines.append(f"{r.rule.name} ({r.rule.id}): {r.credited:,} credited{split}{value}")
                for upload in r.uploads[:5]:
                    lines.append(
                        f"  sent {format_day(upload.sent_at)}: {upload.accepted:,} rows ({upload.source_name})"
                    )
                if r.windows:
                    lines.append(f"  {r.windows}")
                lines += [f"  ! {problem}" for problem in r.health]
            lines += [f"! {note}" for note in found.notes if not any(note in r.health for r in found.rules)]
            lines.append(f"Days reported: {day_words(found.first)} to {day_words(found.last)}.")
            return "\n".join(lines)

        emit(as_json, data, text)


@main.group(name="settings")
def settings_group() -> None:
    """Show or change settings (LinkedIn app, API version, limits, practice mode)."""


@settings_group.command(name="show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def settings_show(as_json: bool) -> None:
    """Show the saved settings (the client secret is never shown)."""
    with runtime_or_exit() as runtime:
        saved = runtime.settings_store.load()
        data = {**asdict(saved), "mode_now": runtime.mode.value}
        emit(as_json, data, lambda: "\n".join(f"{k.replace('_', '-')}: {v}" for k, v in data.items()))


@settings_group.command(name="set")
@click.argument("name")
@click.argument("value")
def settings_set(name: str, value: str) -> None:
    """Change one setting, e.g. `settings set sandbox-mode off` or `settings set api-version auto`."""
    with runtime_or_exit() as runtime:
        store = runtime.settings_store
        store.save(store.load().with_value(name, value))
        click.echo(f"Saved {name}.")


@settings_group.command(name="client-secret")
@click.option("--clear", is_flag=True, help="Remove the saved client secret.")
def settings_client_secret(clear: bool) -> None:
    """Save the LinkedIn app's client secret in this computer's credential store."""
    with runtime_or_exit() as runtime:
        client_id = runtime.settings_store.load().client_id
        if not client_id:
            raise SettingsError("Set the client id first: capi-desktop settings set client-id YOUR_CLIENT_ID")
        if not runtime.keychain.is_secure:
            raise SettingsError(
                "No secure credential store was found on this computer, so the client secret cannot be saved."
            )
        from capi_desktop.runtime import client_secret_entry

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


def _status_text(state: SignInStatus) -> str:
    lines = []
    if state.signed_in:
        lines.append(f"Signed in as {state.member_name}.")
        if state.expires_at:
            lines.append(f"Sign-in valid until {format_day(state.expires_at)}.")
        if state.scopes is not None:
            lines.append("Permissions: " + ", ".join(sorted(state.scopes)))
    else:
        lines.append("Not signed in.")
    lines.extend(state.warnings)
    return "\n".join(lines)
