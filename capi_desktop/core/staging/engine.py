"""Staging: every row of a spreadsheet normalised, hashed and written to the job's journal as the exact
event it will send (or the reason it will not). One streaming pass over the file; nothing is sent.

Batches of rows go through ``rows.stage_batch``; SQLite writes one batch on a thread (it lets go of
the interpreter) while the next is staged. Rows whose date needs a day/month order no cell has told
yet wait, and are staged again at the end: with the order the column told, or with a message asking
the user to choose it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capi_desktop.core.control import Control
from capi_desktop.core.events import MATCH_KEYS
from capi_desktop.core.journal import Journal
from capi_desktop.core.mapping import Field, ImportOptions
from capi_desktop.core.memory import release_freed_memory
from capi_desktop.core.normalise.dates import DateOrder, resolve_timezone
from capi_desktop.core.normalise.money import detect_decimal_comma
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading import Table
from capi_desktop.core.staging import cells
from capi_desktop.core.staging.fields import Batch, Scalars
from capi_desktop.core.staging.rows import StagedBatch, stage_batch
from capi_desktop.core.staging.times import OrderEvidence

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger(__name__)


class ImportCancelled(Exception):
    """The user stopped the import; the journal holds no half-staged rows."""


@dataclass(frozen=True)
class StageSummary:
    rows: int
    ok: int
    warnings: int
    errors: int
    duplicates: int
    with_email: int
    with_name_company: int
    with_click_id: int
    date_order: DateOrder | None  # what was used for text dates; None if the column could not tell
    date_order_needed: bool  # some dates are waiting for the user to choose the order
    unmapped_event_names: dict[str, int] = field(default_factory=dict)

    @property
    def sendable(self) -> int:
        return self.ok + self.warnings

    def share(self, count: int) -> float:
        return round(count / self.sendable, 4) if self.sendable else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "ok": self.ok,
            "warnings": self.warnings,
            "errors": self.errors,
            "duplicates": self.duplicates,
            "match_readiness": {
                "hashed_email": self.share(self.with_email),
                "name_and_company": self.share(self.with_name_company),
                "click_id": self.share(self.with_click_id),
            },
            "date_order": self.date_order.name if self.date_order else None,
            "date_order_needed": self.date_order_needed,
            "unmapped_event_names": self.unmapped_event_names,
        }


def stage(
    table: Table,
    options: ImportOptions,
    journal: Journal,
    *,
    now_ms: int,
    progress: Callable[[int], None] | None = None,
    control: Control | None = None,
) -> StageSummary:
    """Stage every row of ``table`` into ``journal`` (replacing earlier rows) and summarise; ``control``
    pauses it between batches, or cancels it (``ImportCancelled``, and the journal holds no rows)."""
    problems = options.mapping.problems(table.columns)
    if problems:
        raise ValueProblem(" ".join(problems))
    value_column = options.mapping.column(Field.VALUE)
    decimal_comma = (
        detect_decimal_comma(row.values[table.columns.index(value_column)] for row in table.sample(1000))
        if value_column
        else None
    )
    scalars = Scalars(options, resolve_timezone(options.timezone), now_ms, decimal_comma)
    journal.clear_rows()
    written = _Written(table, scalars, OrderEvidence(options.date_order))
    try:
        try:
            written.write(cells.batches(table), journal, progress, control)
        except cells.NotColumnar as exc:
            logger.info("Reading %s with the row reader: %s", table.path.name, exc)
            journal.clear_rows()
            written = _Written(table, scalars, OrderEvidence(options.date_order))
            written.write(cells.batches(table, by_rows=True), journal, progress, control)
        if control is not None and not control.wait(0):  # asked during the last batch
            raise ImportCancelled()
        written.write_waiting(journal)
    except ImportCancelled:
        journal.clear_rows()
        raise
    finally:
        journal.index_rows()
        scalars.close()
        release_freed_memory()  # the rows read and staged are gone now; so is a workbook's grid
    duplicates = journal.flag_duplicates(written.candidates())
    written.matches.subtract(_matches(duplicates))
    if progress is not None:
        progress(written.done)
    counts = journal.counts()
    email, company, click = MATCH_KEYS
    return StageSummary(
        rows=counts.total,
        ok=counts.ok,
        warnings=counts.warning,
        errors=counts.error,
        duplicates=len(duplicates),
        with_email=written.matches[email],
        with_name_company=written.matches[company],
        with_click_id=written.matches[click],
        date_order=written.evidence.order,
        date_order_needed=written.order_needed,
        unmapped_event_names=dict(written.unmapped),
    )


def _matches(events: Iterable[str | None]) -> Counter[str]:
    sent = [event for event in events if event is not None]
    return Counter({key: sum(key in event for event in sent) for key in MATCH_KEYS})


class _Written:
    """What has been staged and written to the journal so far."""

    def __init__(self, table: Table, scalars: Scalars, evidence: OrderEvidence) -> None:
        self.table, self.scalars, self.evidence = table, scalars, evidence
        self.done = 0
        self.unmapped: Counter[str] = Counter()
        self.matches: Counter[str] = Counter()
        self.waiting: list[cells.Cells] = []
        self.order_needed = False
        # The number and a hash of (rule, event id) of each row with an event id: the rows that may repeat
        # another's, found without an index over the whole journal. Frames, a million rows in 16 MB.
        self.keys: list[pl.DataFrame] = []

    def _staged(self, batch: cells.Cells, final: bool) -> StagedBatch:
        mapped = Batch(batch, self.table.columns, self.scalars.options.mapping, self.scalars)
        return stage_batch(mapped, self.evidence, final=final)

    def write(
        self,
        batches: Iterator[cells.Cells],
        journal: Journal,
        progress: Callable[[int], None] | None,
        control: Control | None,
    ) -> None:
        self._write((self._counted(batch) for batch in batches), journal, progress, control)

    def _counted(self, batch: cells.Cells) -> StagedBatch:
        self.done += batch.frame.height
        staged = self._staged(batch, final=False)
        if staged.waiting is not None:
            self.waiting.append(staged.waiting)
        return staged

    def write_waiting(self, journal: Journal) -> None:
        """Stage the rows that waited for the day/month order, now that the whole column is known."""
        self.order_needed = bool(self.waiting) and self.evidence.order is None
        waiting, self.waiting = self.waiting, []
        self._write((self._staged(batch, final=True) for batch in waiting), journal, None, None)

    def _write(
        self,
        staged_batches: Iterator[StagedBatch],
        journal: Journal,
        progress: Callable[[int], None] | None,
        control: Control | None,
    ) -> None:
        writing: Future[None] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="journal") as writer:
            try:
                for staged in staged_batches:
                    if writing is not None:
                        writing.result()
                    # Row by row from the frame: a batch's event JSON never sits in memory as Python text.
                    writing = writer.submit(journal.add_values, staged.rows.iter_rows(buffer_size=1000))
                    self.unmapped.update(staged.unmapped)
                    self.matches.update(staged.matches)
                    self._track(staged.rows)
                    if control is not None and not control.wait(0):
                        raise ImportCancelled()
                    if progress is not None:
                        progress(self.done)
            finally:
                if writing is not None:
                    writing.result()

    def _track(self, rows: pl.DataFrame) -> None:
        import polars as pl

        with_id = rows.filter(pl.col("event_id").is_not_null())
        key = pl.struct(pl.col("rule_id").cast(pl.Int64), pl.col("event_id")).hash(seed=0).alias("key")
        self.keys.append(with_id.select(pl.col("number").cast(pl.Int64), key))

    def candidates(self) -> list[int]:
        """The numbers of the rows whose key hash is not unique (a superset of the repeated rows)."""
        import polars as pl  # a million keys sorted in 0.1 s and 33 MB (Python: 0.7 s and more memory)

        if not self.keys:
            return []
        tracked = pl.concat(self.keys)
        keys = tracked["key"]
        ordered = keys.sort()
        repeated = ordered.filter(ordered == ordered.shift(1)).unique()
        return tracked["number"].filter(keys.is_in(repeated.implode())).to_list()
