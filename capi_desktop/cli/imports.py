"""Importing and uploading spreadsheets: preview, upload, resume and history."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from capi_desktop import paths
from capi_desktop.cli import ExitCode, emit, exit_code, main, runtime_or_exit
from capi_desktop.cli.profiles import load_profile, save_profile_from_options
from capi_desktop.collector import collector_paused
from capi_desktop.core.dates import DateOrder
from capi_desktop.core.jobs import create_job, list_jobs
from capi_desktop.core.journal import SUFFIX as JOB_SUFFIX
from capi_desktop.core.journal import Journal, JournalError, jobs_dir
from capi_desktop.core.mapping import (
    ColumnMapping,
    Field,
    RuleChoice,
    guess_mapping,
    parse_constant_value,
    parse_rule_map,
)
from capi_desktop.core.money import normalise_currency
from capi_desktop.core.problems import ValueProblem
from capi_desktop.core.profiles import ProfileError
from capi_desktop.core.reading import SpreadsheetError, Table, open_table
from capi_desktop.core.reports import write_preview, write_problems_report, write_template
from capi_desktop.core.staging import ImportOptions, StageSummary, stage
from capi_desktop.core.upload import MAX_BATCH, UploadConfig, UploadControl, UploadOutcome, UploadProgress
from capi_desktop.linkedin.client import LinkedInClient


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


@dataclass(frozen=True)
class _Import:
    """What one run of `preview`/`upload` works on: the table, the choices, and the ad account."""

    table: Table
    options: ImportOptions
    account_id: int | None


def _build_import(
    file: Path,
    *,
    profile: str | None,
    save_profile: str | None,
    account_id: int | None,
    rule_id: int | None,
    rule_map: str | None,
    maps: tuple[str, ...],
    sheet: str | None,
    header_row: int | None,
    timezone: str | None,
    date_order: str | None,
    currency: str | None,
    value: str | None,
    event_name: str | None,
) -> _Import:
    """Combine a saved profile (if any) with the command line; the command line wins."""
    base = load_profile(profile) if profile else None
    if rule_id is not None and rule_map is not None:
        raise ValueProblem("Use either --rule or --rule-map, not both.")
    if rule_id is not None:
        rules = RuleChoice(rule_id=rule_id)
    elif rule_map is not None:
        rules = parse_rule_map(rule_map)
    elif base is not None:
        rules = base.rules
    else:
        raise ValueProblem("Choose the conversion rule: --rule ID for every row, or --rule-map 'LEAD=1,PURCHASE=2'.")
    table = open_table(
        file,
        sheet=sheet or (base.sheet if base else None),
        header_row=header_row if header_row is not None else (base.header_row if base else None),
    )
    mapping = base.mapping if base else guess_mapping(table.columns, [row.values for row in table.sample(50)])
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
    order = DateOrder[date_order.upper()] if date_order else (base.date_order if base else DateOrder.AUTO)
    options = ImportOptions(
        rules=rules, mapping=mapping, timezone=timezone or (base.timezone if base else None), date_order=order
    )
    account = account_id if account_id is not None else (base.account_id if base else None)
    if save_profile:
        # Saving the same name as the profile used is how a user updates it.
        overwrite = bool(profile) and save_profile.casefold() == (profile or "").casefold()
        save_profile_from_options(
            save_profile,
            account_id=account,
            sheet=table.sheet,
            header_row=table.header_row,
            options=options,
            overwrite=overwrite,
        )
    return _Import(table, options, account)


def _stage_job(
    file: Path, choices: dict[str, Any], require_account: bool = False
) -> tuple[Table, Journal, StageSummary]:
    """Read, check and stage FILE into a new job journal; nothing is sent."""
    chosen = _build_import(file, **choices)
    if require_account and chosen.account_id is None:
        raise ValueProblem("Choose the ad account: --account ID (see `capi-desktop accounts`) or --profile.")
    table, options = chosen.table, chosen.options
    journal = create_job(paths.data_dir(), table, options, chosen.account_id)
    with collector_paused():  # see collector_paused: bulk work, no reference cycles
        summary = stage(table, options, journal, now_ms=int(time.time() * 1000))
    return table, journal, summary


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@_import_options
@click.option("--output", type=click.Path(path_type=Path), help="Write the preview to this .csv or .xlsx file.")
@click.option("--problems", type=click.Path(path_type=Path), help="Write rows with problems to this .csv or .xlsx.")
def preview(file: Path, as_json: bool, output: Path | None, problems: Path | None, **choices: Any) -> None:
    """Show what would be sent for FILE, without sending anything."""
    try:
        table, journal, summary = _stage_job(file, choices)
        with journal:
            if output is not None:
                write_preview(journal, output)
            if problems is not None:
                write_problems_report(table, journal, problems)
    except (SpreadsheetError, ValueProblem, JournalError, ProfileError) as exc:
        click.echo(f"Cannot preview {file.name}: {exc}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    data = {"job": journal.job_id, **summary.to_dict()}
    emit(as_json, data, lambda: _summary_text(summary, table, journal.meta(), output))


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@_import_options
@click.option("--dry-run", is_flag=True, help="Check and stage everything, but send nothing.")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH), default=MAX_BATCH, show_default=True)
@click.option("--force-resend", is_flag=True, help="Also send rows already accepted in an earlier upload.")
@click.option("--report", type=click.Path(path_type=Path), help="Write rows not sent (with why) to .csv or .xlsx.")
def upload(
    file: Path,
    as_json: bool,
    dry_run: bool,
    batch_size: int,
    force_resend: bool,
    report: Path | None,
    **choices: Any,
) -> None:
    """Check FILE, then send its conversions to LinkedIn in batches."""
    try:
        table, journal, summary = _stage_job(file, choices, require_account=True)
    except (SpreadsheetError, ValueProblem, JournalError, ProfileError) as exc:
        click.echo(f"Cannot upload {file.name}: {exc}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    with journal:
        if not as_json:
            click.echo(_summary_text(summary, table, journal.meta(), None), err=True)
        if dry_run:
            if report is not None:
                write_problems_report(table, journal, report)
            data = {"job": journal.job_id, "dry_run": True, **summary.to_dict()}
            emit(as_json, data, lambda: f"Dry run: nothing was sent. Job {journal.job_id}.")
            sys.exit(ExitCode.OK if summary.errors == 0 else ExitCode.SOME_NOT_SENT)
        _deliver(journal, table, summary.errors, UploadConfig(batch_size=batch_size, force_resend=force_resend),
                 report, as_json)  # fmt: skip


@main.command()
@click.argument("job")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH), default=MAX_BATCH, show_default=True)
@click.option("--report", type=click.Path(path_type=Path), help="Write rows not sent (with why) to .csv or .xlsx.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
def resume(job: str, batch_size: int, report: Path | None, as_json: bool) -> None:
    """Continue an upload that was stopped, cancelled or interrupted (see `history` for job ids)."""
    try:
        journal = Journal(_find_job(job))
    except JournalError as exc:
        click.echo(str(exc), err=True)
        sys.exit(ExitCode.BAD_INPUT)
    with journal:
        meta = journal.meta()
        if meta.get("account_id") is None:
            click.echo("This job was a preview without an ad account; upload the file instead.", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        errors = journal.counts().error
        _deliver(journal, _source_table(meta), errors, UploadConfig(batch_size=batch_size), report, as_json)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history(as_json: bool) -> None:
    """Past upload jobs, newest first, with their counts."""
    jobs: list[dict[str, Any]] = []
    for job in list_jobs(paths.data_dir()):
        if job.problem is not None:
            jobs.append({"job": job.path.stem, "problem": job.problem})
            continue
        delivered = job.delivered
        jobs.append(
            {
                "job": job.path.stem,
                "source": job.meta.get("source_name"),
                "account_id": job.meta.get("account_id"),
                "created": job.meta.get("created"),
                "rows": job.counts.total,
                "errors": job.counts.error,
                "accepted": delivered.accepted,
                "rejected": delivered.rejected,
                "skipped_already_sent": delivered.skipped,
                "not_sent_yet": delivered.pending + delivered.in_flight,
            }
        )

    def text() -> str:
        if not jobs:
            return "No upload jobs yet."
        lines = [f"{'JOB':24}  {'FILE':28}  {'ROWS':>8}  {'ACCEPTED':>8}  {'REJECTED':>8}  {'SKIPPED':>7}  {'LEFT':>7}"]
        for j in jobs:
            if "problem" in j:
                lines.append(f"{j['job']:24}  {j['problem']}")
                continue
            lines.append(
                f"{j['job']:24}  {str(j['source'])[:28]:28}  {j['rows']:>8,}  {j['accepted']:>8,}  "
                f"{j['rejected']:>8,}  {j['skipped_already_sent']:>7,}  {j['not_sent_yet']:>7,}"
            )
        return "\n".join(lines)

    emit(as_json, jobs, text)


def _find_job(job: str) -> Path:
    folder = jobs_dir(paths.data_dir())
    matches = sorted(folder.glob(f"{job}*{JOB_SUFFIX}"))
    if len(matches) != 1:
        known = ", ".join(p.stem for p in sorted(folder.glob(f"*{JOB_SUFFIX}"))[-5:]) or "none yet"
        what = "No job" if not matches else "More than one job"
        raise JournalError(f"{what} matches “{job}”. Recent jobs: {known} (see `capi-desktop history`).")
    return matches[0]


def _source_table(meta: dict[str, Any]) -> Table | None:
    """The job's spreadsheet for the report in the user's own columns, if it is still there unchanged."""
    try:
        table = open_table(
            Path(meta.get("source_path", "")), sheet=meta.get("sheet"), header_row=meta.get("header_row")
        )
    except SpreadsheetError:
        return None
    return table if table.fingerprint == meta.get("fingerprint") else None


def _deliver(
    journal: Journal, table: Table | None, file_errors: int, config: UploadConfig, report: Path | None, as_json: bool
) -> None:
    """Run the upload engine for ``journal`` with the signed-in account, then summarise and exit."""
    meta = journal.meta()
    account_id = int(meta["account_id"])
    with runtime_or_exit() as runtime:
        _check_destination(runtime.auth.client(), account_id, journal)
        control = UploadControl()
        line = _TerminalLine(enabled=not as_json and sys.stderr.isatty())
        previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
        try:
            with collector_paused(), runtime.upload_engine(journal, account_id, config) as engine:
                result = engine.run(progress=line.show, control=control)
        finally:
            signal.signal(signal.SIGINT, previous)
            line.close()
    if report is not None:
        write_problems_report(table, journal, report, include_warnings=False)
    counts = result.progress.counts
    summary = {
        "job": journal.job_id,
        "outcome": result.outcome.value,
        "rows": journal.counts().total,
        "ok": journal.counts().ok,
        "warnings": journal.counts().warning,
        "errors": file_errors,
        "sent": result.progress.sent_this_run,
        "accepted": counts.accepted,
        "rejected": counts.rejected,
        "skipped_already_sent": counts.skipped,
        "not_sent_yet": counts.pending + counts.in_flight,
        "requests": result.progress.requests_today,
        "message": result.message,
    }
    emit(as_json, summary, lambda: result.message + ("" if result.outcome is UploadOutcome.COMPLETED
                                                      else f" Job: {journal.job_id}"))  # fmt: skip
    if result.outcome is UploadOutcome.CANCELLED:
        sys.exit(ExitCode.INTERRUPTED)
    if result.outcome is UploadOutcome.STOPPED:
        sys.exit(exit_code(result.failure) if result.failure else ExitCode.NETWORK)
    sys.exit(ExitCode.OK if counts.rejected == 0 and file_errors == 0 else ExitCode.SOME_NOT_SENT)


def _check_destination(client: LinkedInClient, account_id: int, journal: Journal) -> None:
    """Refuse before sending anything when the account or a rule cannot take these conversions."""
    role = client.ad_account_roles().get(account_id)
    problem = None
    if role is None:
        problem = f"You have no access to ad account {account_id} (see `capi-desktop accounts`)."
    elif role == "VIEWER":
        problem = f"You are a Viewer on ad account {account_id}; LinkedIn accepts conversions only from managers."
    else:
        rules = {r.id: r for r in client.conversion_rules(account_id)}
        for rule_id in journal.rule_ids():
            rule = rules.get(rule_id)
            if rule is None:
                problem = f"Rule {rule_id} is not a Conversions API rule of ad account {account_id} (see `rules`)."
            elif not rule.enabled:
                problem = f"The rule “{rule.name}” ({rule_id}) is turned off; turn it on in Campaign Manager first."
            if problem:
                break
    if problem:
        click.echo(problem + " Nothing was sent.", err=True)
        sys.exit(ExitCode.BAD_INPUT)


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
        eta = f", about {_duration(progress.eta_seconds)} left" if progress.eta_seconds is not None else ""
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


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


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


def _summary_text(summary: StageSummary, table: Table, meta: dict[str, Any], output: Path | None) -> str:
    mapping = ColumnMapping.from_dict(meta["mapping"])
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
