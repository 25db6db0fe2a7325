"""The command line: ``capi-desktop`` with no arguments opens the app; subcommands work without a screen.

Errors are printed as plain sentences with a documented exit code, never as a traceback. Commands
live in the modules of this package and register themselves on ``main``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import click

from capi_desktop.core.storage import StorageError
from capi_desktop.core.stores.keychain import KeychainError
from capi_desktop.core.stores.settings import SettingsError
from capi_desktop.linkedin.errors import (
    CertificateError,
    ConnectionFailed,
    LinkedInError,
    RateLimited,
    ServerError,
    SignInFailed,
    SignInRequired,
)

if TYPE_CHECKING:
    from capi_desktop.runtime import Runtime

logger = logging.getLogger(__name__)


class ExitCode(IntEnum):
    """Documented in the README; scripts and schedulers rely on these staying put."""

    OK = 0
    SOME_NOT_SENT = 1  # finished, but some rows had errors or LinkedIn rejected them (see --report)
    USAGE = 2  # click's own code for a wrong command line
    BAD_INPUT = 3
    SIGN_IN = 4
    LINKEDIN_REFUSED = 5
    NETWORK = 6
    INTERRUPTED = 7  # stopped by the user (Ctrl-C); resume with `capi-desktop resume JOB`
    BUSY = 8  # another upload is sending to the same ad account and rule; try again when it has finished
    STORAGE = 9  # the disk is full, or the app's folder is read-only, missing or not writable; nothing is lost


def exit_code(exc: Exception) -> ExitCode:
    if isinstance(exc, StorageError):
        return ExitCode.STORAGE
    if isinstance(exc, SignInRequired | SignInFailed):
        return ExitCode.SIGN_IN
    if isinstance(exc, ConnectionFailed | CertificateError | ServerError | RateLimited):
        return ExitCode.NETWORK
    if isinstance(exc, LinkedInError):
        return ExitCode.LINKEDIN_REFUSED
    return ExitCode.BAD_INPUT


@contextmanager
def runtime_or_exit() -> Iterator[Runtime]:
    """Open the runtime and turn every expected failure into a message and an exit code."""
    from capi_desktop.runtime import open_runtime  # requests, keyring and the sandbox: only for a command

    runtime = None
    try:
        runtime = open_runtime()
        yield runtime
    except (LinkedInError, SettingsError, KeychainError, StorageError) as exc:
        title = getattr(exc, "title", "Problem")
        click.echo(f"{title}: {exc}", err=True)
        sys.exit(exit_code(exc))
    finally:
        if runtime is not None:
            runtime.close()


def emit(as_json: bool, data: Any, text: Callable[[], str]) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text())


class _CommandsOnDemand(click.Group):
    """Imports the command modules (which register themselves on ``main``) only when a command is
    looked up, so opening the app does not pay for the spreadsheet, upload and sandbox code."""

    def _load(self) -> None:
        from capi_desktop.cli import account, imports, profiles  # noqa: F401

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from capi_desktop import __version__

    click.echo(f"capi-desktop, version {__version__}")
    ctx.exit()


def _self_test(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from capi_desktop import selftest  # Qt and the rest load only inside the checks

    ctx.exit(selftest.main(echo=click.echo))


@click.group(
    cls=_CommandsOnDemand,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version", is_flag=True, is_eager=True, expose_value=False, callback=_version, help="Show the version and exit."
)
@click.option(
    "--self-test",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_self_test,
    help="Check that this copy of the app works here (window, certificates, credential store, sandbox, "
    "spreadsheets), one line per check, then exit.",
)
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
