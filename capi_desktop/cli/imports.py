"""Importing and uploading spreadsheets: preview, upload, resume and history."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from capi_desktop import paths
from capi_desktop.app.imports import Overrides, inspect_file, plan_import
from capi_desktop.app.jobs import JobProblem, complete_staging, find_job, list_jobs, open_job, source_table, stage_job
from capi_desktop.app.outcome import Outcome, UploadReport
from capi_desktop.app.record import JobRecord, JobState
from capi_desktop.app.runlock import UploadBusy
from capi_desktop.app.timeleft import time_left
from capi_desktop.app.uploads import RESUME_LATER, PreflightFailed, send_job
from capi_desktop.cli import ExitCode, emit, exit_code, main, runtime_or_exit
from capi_desktop.cli.profiles import load_profile, save_profile_from_options
from capi_desktop.core.control import Control
from capi_desktop.core.delivery.engine import MAX_BATCH, UploadConfig, UploadProgress
from capi_desktop.core.journal import Journal, JournalError
from capi_desktop.core.mapping import Field, RuleChoice, parse_constant_value, parse_rule_map
from capi_desktop.core.normalise.dates import DateOrder
from capi_desktop.core.normalise.money import normalise_currency
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import SpreadsheetError
from capi_desktop.core.reports import write_preview, write_problems_report, write_template
from capi_desktop.core.staging import ImportCancelled, StageSummary
from capi_desktop.core.storage import StorageError
from capi_desktop.core.stores.profiles import ProfileError


def _import_options(func: Callable[..., None]) -> Callable[..., None]:
    """The options `preview` and `upload` share, so a command line works for both."""
    options = [
        click.option("--profile", help="Start from a saved profile's choices; other options override them."),
        click.option("--save-profile", help="Save the choices of this run as a profile with this name."),
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
            help="Order of day and month in dates like 05/06/2026 (default: worked out from the column).",
        ),
        click.option("--currency", help="Currency for rows without one, e.g. USD."),
        click.option("--value", help="Value for rows without one, e.g. 100."),
        click.option("--event-name", help="Event name for every row (with --rule-map)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _wait_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--wait",
        type=click.FloatRange(0),
        default=0,
        metavar="SECONDS",
        help="If another upload is sending to the same rule, wait up to this long for it (default: do not wait).",
    )(func)


def _overrides(
    *,
    account_id: int | None,
    rule_id: int | None,
    rule_map: str | None,
    maps: tuple[str, ...],
    timezone: str | None,
    date_order: str | None,
    currency: str | None,
    value: str | None,
    event_name: str | None,
) -> Overrides:
    """The command line's choices, checked; what is not given comes from the profile or the file."""
    if rule_id is not None and rule_map is not None:
        raise ValueProblem("Use either --rule or --rule-map, not both.")
    rules = RuleChoice(rule_id=rule_id) if rule_id is not None else parse_rule_map(rule_map) if rule_map else None
    columns: dict[Field, list[str]] = {}
    for item in maps:
        name, sep, column = item.partition("=")
        try:
            target = Field(name.strip().lower().replace("-", "_"))
        except ValueError:
            known = ", ".join(f.value for f in Field)
            raise ValueProblem(f"“{name}” is not a field; use one of: {known}.") from None
        if not sep or not column.strip():
            raise ValueProblem(f"Write --map as FIELD=COLUMN, for example --map email='Work Email' (got “{item}”).")
        columns.setdefault(target, []).append(column.strip())
    return Overrides(
        rules=rules,
        account_id=account_id,
        columns=columns,
        currency=normalise_currency(currency) if currency else None,
        value=parse_constant_value(value) if value else None,
        event_name=event_name,
        timezone=timezone,
        date_order=DateOrder[date_order.upper()] if date_order else None,
    )


def _stage_file(
    file: Path, choices: dict[str, Any], require_account: bool = False
) -> tuple[Journal, JobRecord, StageSummary]:
    """Read, check and stage FILE into a new job; nothing is sent."""
    profile_name, save_as = choices.pop("profile"), choices.pop("save_profile")
    sheet, header_row = choices.pop("sheet"), choices.pop("header_row")
    overrides = _overrides(**choices)
    profile = load_profile(profile_name) if profile_name else None
    if overrides.rules is None and profile is None:
        raise ValueProblem("Choose the conversion rule: --rule ID for every row, or --rule-map 'LEAD=1,PURCHASE=2'.")
    if require_account and overrides.account_id is None and (profile is None or profile.account_id is None):
        raise ValueProblem("Choose the ad account: --account ID (see `capi-desktop accounts`) or --profile.")
    plan = plan_import(inspect_file(file, sheet=sheet, header_row=header_row, profile=profile), profile, overrides)
    if plan.inspected.header_note:
        click.echo(plan.inspected.header_note, err=True)
    if save_as:
        # Saving the same name as the profile used is how a user updates it.
        overwrite = profile is not None and save_as.casefold() == profile.name.casefold()
        save_profile_from_options(
            save_as,
            account_id=plan.account_id,
            sheet=plan.table.sheet,
            header_row=plan.table.header_row,
            options=plan.options,
            overwrite=overwrite,
        )
    staged = stage_job(paths.data_dir(), plan.table, plan.options, account_id=plan.account_id)
    return staged.journal, staged.record, staged.summary


@contextmanager
def _plain_errors(action: str) -> Iterator[None]:
    """A file, a choice or a job that cannot be used: one sentence and its exit code, never a traceback."""
    try:
        yield
    except (SpreadsheetError, ValueProblem, JournalError, ProfileError, JobProblem, PreflightFailed) as exc:
        _fail(f"{action}: {exc}", ExitCode.BAD_INPUT)
    except UploadBusy as exc:
        _fail(f"{action}: {exc}", ExitCode.BUSY)
    except StorageError as exc:
        _fail(f"{action}: {exc}", ExitCode.STORAGE)


def _fail(message: str, code: ExitCode) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@_import_options
@click.option("--output", type=click.Path(path_type=Path), help="Write the preview to this .csv or .xlsx file.")
@click.option("--problems", type=click.Path(path_type=Path), help="Write rows with problems to this .csv or .xlsx.")
def preview(file: Path, as_json: bool, output: Path | None, problems: Path | None, **choices: Any) -> None:
    """Show what would be sent for FILE, without sending anything."""
    with _plain_errors(f"Cannot preview {file.name}"):
        journal, record, summary = _stage_file(file, choices)
        with journal:
            if output is not None:
                write_preview(journal, output)
            if problems is not None:
                write_problems_report(source_table(record), journal, problems)
    data = {"job": record.job_id, **summary.to_dict()}
    emit(as_json, data, lambda: _summary_text(summary, record, output))


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@_import_options
@click.option("--dry-run", is_flag=True, help="Check and stage everything, but send nothing.")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH), default=MAX_BATCH, show_default=True)
@click.option("--force-resend", is_flag=True, help="Also send rows already accepted in an earlier upload.")
@click.option("--report", type=click.Path(path_type=Path), help="Write rows not sent (with why) to .csv or .xlsx.")
@_wait_option
def upload(
    file: Path,
    as_json: bool,
    dry_run: bool,
    batch_size: int,
    force_resend: bool,
    report: Path | None,
    wait: float,
    **choices: Any,
) -> None:
    """Check FILE, then send its conversions to LinkedIn in batches."""
    with _plain_errors(f"Cannot upload {file.name}"):
        journal, record, summary = _stage_file(file, choices, require_account=True)
    with journal:
        if not as_json:
            click.echo(_summary_text(summary, record, None), err=True)
        if dry_run:
            if report is not None:
                with _plain_errors(f"Checked {file.name}, but cannot save the report"):
                    write_problems_report(source_table(record), journal, report)
            data = {"job": record.job_id, "dry_run": True, **summary.to_dict()}
            emit(as_json, data, lambda: f"Dry run: nothing was sent. Job {record.job_id}.")
            sys.exit(ExitCode.OK if summary.errors == 0 else ExitCode.SOME_NOT_SENT)
        config = UploadConfig(batch_size=batch_size, force_resend=force_resend)
        _deliver(journal, record, config, report, as_json, wait, f"Cannot upload {file.name}")


@main.command()
@click.argument("job")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH), default=MAX_BATCH, show_default=True)
@click.option("--report", type=click.Path(path_type=Path), help="Write rows not sent (with why) to .csv or .xlsx.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@_wait_option
def resume(job: str, batch_size: int, report: Path | None, as_json: bool, wait: float) -> None:
    """Continue an upload that was stopped, cancelled or interrupted (see `history` for job ids)."""
    with _plain_errors("Cannot resume"):
        journal, record = open_job(find_job(paths.data_dir(), job))
    with journal:
        with _plain_errors(f"Cannot resume {record.job_id}"):
            if record.account_id is None:
                raise JobProblem("This job was a preview without an ad account; upload the file instead.")
            if record.state is JobState.STAGING:
                click.echo(
                    f"The rows of {record.source.name} were not all checked when this job stopped; checking them "
                    "again…",
                    err=True,
                )
                record = complete_staging(journal, record)
        _deliver(journal, record, UploadConfig(batch_size=batch_size), report, as_json, wait, f"Cannot resume {job}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history(as_json: bool) -> None:
    """Past upload jobs, newest first, with their counts."""
    jobs: list[dict[str, Any]] = []
    with _plain_errors("Cannot list the upload jobs"):
        found = list_jobs(paths.data_dir())
    for job in found:
        record = job.record
        if record is None:
            jobs.append({"job": job.job_id, "problem": job.problem})
            continue
        delivered, outcome = job.delivered, job.outcome
        jobs.append(
            {
                "job": job.job_id,
                "source": record.source.name,
                "account_id": record.account_id,
                "account_name": record.account_name,
                "rules": {str(r): record.rule_names.get(r, "") for r in record.rule_ids},
                "created": record.created,
                "state": record.state.value,
                "status": job.status,
                "outcome": outcome.value if outcome else None,
                "resumable": job.resumable,
                "rows": job.counts.total,
                "errors": job.counts.error,
                "accepted": delivered.accepted,
                "rejected": delivered.rejected,
                "skipped_already_sent": delivered.skipped,
                "sent_again_after_lost_answer": delivered.resent,
                "not_sent_yet": delivered.pending + delivered.in_flight,
            }
        )

    def text() -> str:
        if not jobs:
            return "No upload jobs yet."
        lines = [
            f"{'JOB':24}  {'FILE':24}  {'STATUS':30}  {'ROWS':>8}  {'ACCEPTED':>8}  {'REJECTED':>8}  "
            f"{'SKIPPED':>7}  {'LEFT':>7}"
        ]
        for j in jobs:
            if "problem" in j:
                lines.append(f"{j['job']:24}  {j['problem']}")
                continue
            lines.append(
                f"{j['job']:24}  {str(j['source'])[:24]:24}  {j['status'][:30]:30}  {j['rows']:>8,}  "
                f"{j['accepted']:>8,}  {j['rejected']:>8,}  {j['skipped_already_sent']:>7,}  {j['not_sent_yet']:>7,}"
            )
        return "\n".join(lines)

    emit(as_json, jobs, text)


def _deliver(
    journal: Journal,
    record: JobRecord,
    config: UploadConfig,
    report: Path | None,
    as_json: bool,
    wait: float,
    action: str,
) -> NoReturn:
    """Send the job with the signed-in account, then summarise and exit with the outcome's code."""
    with runtime_or_exit() as runtime:
        control = Control()
        line = _TerminalLine(enabled=not as_json and sys.stderr.isatty())
        previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
        try:
            with _plain_errors(action):
                try:
                    result = send_job(
                        runtime, journal, record, config=config, progress=line.show, control=control, wait_seconds=wait
                    )
                except StorageError as exc:
                    _fail(
                        f"{action}: {exc} {RESUME_LATER} Resume with: capi-desktop resume {record.job_id}",
                        ExitCode.STORAGE,
                    )
        except ImportCancelled:
            _fail("Stopped while checking the rows; nothing was sent.", ExitCode.INTERRUPTED)
        finally:
            signal.signal(signal.SIGINT, previous)
            line.close()
    report_failure = None
    if report is not None:
        try:
            write_problems_report(source_table(record), journal, report)
        except (StorageError, ValueProblem) as exc:  # the upload itself is over: say how it went first
            report_failure = exc
    counts = result.counts
    summary = {
        "job": result.job_id,
        "outcome": result.outcome.value,
        "rows": result.rows.total,
        "ok": result.rows.ok,
        "warnings": result.rows.warning,
        "errors": result.rows.error,
        "sent": result.sent_this_run,
        "accepted": counts.accepted,
        "rejected": counts.rejected,
        "skipped_already_sent": counts.skipped,
        "sent_again_after_lost_answer": counts.resent,
        "not_sent_yet": result.left,
        "requests": result.requests_today,
        "message": result.message,
    }
    if result.failure is not None:  # what stopped it, where errors go, in both forms
        click.echo(f"{getattr(result.failure, 'title', 'Problem')}: {result.failure}", err=True)
    job_hint = f" Job: {result.job_id}" if result.outcome is Outcome.STOPPED else ""
    emit(as_json, summary, lambda: result.message + job_hint)
    if report_failure is not None:
        _fail(f"The report of rows not sent could not be saved: {report_failure}", exit_code(report_failure))
    sys.exit(_exit_code(result))


def _exit_code(result: UploadReport) -> ExitCode:
    if result.outcome is Outcome.STOPPED:
        if result.cancelled:
            return ExitCode.INTERRUPTED
        return exit_code(result.failure) if result.failure else ExitCode.NETWORK
    if result.outcome is Outcome.ALL_ACCEPTED or (result.outcome is Outcome.NOTHING_NEW and not result.rows.error):
        return ExitCode.OK
    return ExitCode.SOME_NOT_SENT


class _TerminalLine:
    """One progress line on a terminal, rewritten in place; silent when output is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._shown = False

    def show(self, progress: UploadProgress) -> None:
        if not self.enabled:
            return
        c = progress.counts
        done = c.accepted + c.rejected + c.skipped
        left = time_left(progress)
        eta = f", {left.sentence}" if left is not None else ""
        text = (
            f"{done:,}/{c.sendable:,} done ({c.accepted:,} accepted, {c.rejected:,} rejected, {c.skipped:,} skipped), "
            f"{progress.events_per_second:,.0f} events/s{eta}, requests today {progress.requests_today:,}"
        )
        if progress.note:
            text += f" · {progress.note}"
        click.echo("\r\033[K" + text, err=True, nl=False)
        self._shown = True

    def close(self) -> None:
        if self._shown:
            click.echo(err=True)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
def template(path: Path) -> None:
    """Write a template spreadsheet (.xlsx or .csv) with the recommended columns and an example row."""
    try:
        write_template(path)
    except ValueProblem as exc:
        click.echo(str(exc), err=True)
        sys.exit(ExitCode.BAD_INPUT)
    click.echo(f"Template written to {path}. Fill in one row per conversion, then use `upload` or the app.")


def _summary_text(summary: StageSummary, record: JobRecord, output: Path | None) -> str:
    mapping = record.options.mapping
    mapped = ", ".join(f"{f.label} ← {' / '.join(cols)}" for f, cols in mapping.columns.items())
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
