"""Importing spreadsheets: preview (and, with the upload engine, upload and resume)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from capi_desktop import paths
from capi_desktop.cli import ExitCode, emit, main
from capi_desktop.core.dates import DateOrder
from capi_desktop.core.journal import Journal, JournalError, journal_path, new_job_id
from capi_desktop.core.mapping import Field, RuleChoice, guess_mapping, parse_constant_value, parse_rule_map
from capi_desktop.core.money import normalise_currency
from capi_desktop.core.problems import ValueProblem
from capi_desktop.core.reading import SpreadsheetError, Table, open_table
from capi_desktop.core.reports import write_preview, write_problems_report
from capi_desktop.core.staging import ImportOptions, StageSummary, stage


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
    emit(as_json, data, lambda: _summary_text(summary, table, options, output))


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
