"""Import: read a spreadsheet, map its columns, normalise and hash every row, and stage the result as
events in a job journal. One streaming pass; nothing is sent.

Ambiguous day/month dates are decided for the whole column: text dates like 05/06/2026 are held back
(``pending_time`` in the journal) until a value such as 23/06/2026 tells the order, and resolved then.
Once the order is known, a value that contradicts it is an error on that row.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import operator
import os
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar
from zoneinfo import ZoneInfo

from capi_desktop.core import columns
from capi_desktop.core.dates import (
    AmbiguousDate,
    DateOrder,
    check_conversion_window,
    parse_conversion_time,
    resolve_timezone,
    telling_order,
)
from capi_desktop.core.events import EXTERNAL_ID_ONLY, MATCH_KEYS, Person, build_event, derive_event_id
from capi_desktop.core.identity import clean_text, normalise_country, normalise_email
from capi_desktop.core.journal import Journal, JournalRow, RowState
from capi_desktop.core.mapping import ColumnMapping, Field, RuleChoice
from capi_desktop.core.memory import release_freed_memory
from capi_desktop.core.money import detect_decimal_comma, format_amount, normalise_currency, parse_money
from capi_desktop.core.problems import ValueProblem, is_missing
from capi_desktop.core.reading import SourceRow, Table

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger(__name__)

CHUNK = 5000
PARALLEL_MIN_BYTES = 4_000_000  # below this a file is staged before helper processes would have started
EVENT_ID_MAX = 64
PENDING_TIME_PLACEHOLDER = ',"conversionHappenedAt":0,'
_T = TypeVar("_T")


class CancelToken(Protocol):
    def is_set(self) -> bool: ...


class ImportCancelled(Exception):
    """The user stopped the import; the journal holds no half-staged rows."""


@dataclass(frozen=True)
class ImportOptions:
    rules: RuleChoice
    mapping: ColumnMapping
    timezone: str | None = None  # IANA name; None: this computer's zone
    date_order: DateOrder = DateOrder.AUTO
    max_age_days: int = 90
    future_grace_seconds: int = 300

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules.to_dict(),
            "mapping": self.mapping.to_dict(),
            "timezone": self.timezone,
            "date_order": self.date_order.name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportOptions:
        """The options ``to_dict`` wrote; ``ValueError`` when they are not that."""
        try:
            return cls(
                rules=RuleChoice.from_dict(data["rules"]),
                mapping=ColumnMapping.from_dict(data["mapping"]),
                timezone=data.get("timezone"),
                date_order=DateOrder[str(data.get("date_order") or "AUTO")],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not import options: {exc}") from exc


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


class _StagerSettings(NamedTuple):
    """What a row stager needs, in the importing process or a helper process (so: picklable)."""

    columns: tuple[str, ...]
    options: ImportOptions
    tz: ZoneInfo
    now_ms: int
    decimal_comma: bool | None  # what the value column's sample showed


class _OrderEvidence:
    """Day/month order learnt from the column's text dates as the import streams through it."""

    def __init__(self, chosen: DateOrder) -> None:
        self.order: DateOrder | None = None if chosen is DateOrder.AUTO else chosen
        self.user_chose = chosen is not DateOrder.AUTO


def stage(
    table: Table,
    options: ImportOptions,
    journal: Journal,
    *,
    now_ms: int,
    progress: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
    helpers: int | None = None,
    by_column: bool | None = None,
) -> StageSummary:
    """Stage every row of ``table`` into ``journal`` (replacing earlier rows) and summarise.

    ``by_column`` stages a workbook or a delimited text file a batch of columns at a time (see
    ``columns``); None decides by the file. Otherwise ``helpers`` is how many helper processes
    normalise rows while this one reads the file and writes the journal; None decides by the file's
    size and the computer's cores, 0 does everything here.
    """
    problems = options.mapping.problems(table.columns)
    if problems:
        raise ValueProblem(" ".join(problems))
    value_column = options.mapping.column(Field.VALUE)
    decimal_comma = (
        detect_decimal_comma(row.values[table.columns.index(value_column)] for row in table.sample(1000))
        if value_column
        else None
    )
    settings = _StagerSettings(table.columns, options, resolve_timezone(options.timezone), now_ms, decimal_comma)
    by_column = columns.suitable(table) if by_column is None else by_column
    stager = _RowStager(settings)
    journal.clear_rows()
    staged = _Staged()
    try:
        if by_column:
            try:
                staged.write(columns.staged_batches(table, stager), journal, progress, cancel)
            except columns.NotColumnar as exc:
                logger.info("Staging %s row by row: %s", table.path.name, exc)
                journal.clear_rows()
                stager.close()
                stager = _RowStager(settings)
                staged = _Staged()
                by_column = False
        if not by_column:
            chunks = _chunks(table.rows())
            helpers = _helpers_for(table) if helpers is None else helpers
            try:
                staged.write(_staged_chunks(chunks, stager, helpers), journal, progress, cancel)
            finally:
                chunks.close()
        needed = _resolve_pending(journal, staged, stager)
    except ImportCancelled:
        journal.clear_rows()
        raise
    finally:
        journal.index_rows()
        stager.close()
        release_freed_memory()  # the rows read and staged are gone now; so is a workbook's grid
    duplicates = journal.flag_duplicates(staged.candidates())
    staged.matches.subtract(_matches(duplicates))
    if progress is not None:
        progress(staged.done)
    counts = journal.counts()
    return StageSummary(
        rows=counts.total,
        ok=counts.ok,
        warnings=counts.warning,
        errors=counts.error,
        duplicates=len(duplicates),
        with_email=staged.matches[_EMAIL_ID],
        with_name_company=staged.matches[_COMPANY_NAME],
        with_click_id=staged.matches[_CLICK_ID],
        date_order=stager.evidence.order,
        date_order_needed=needed,
        unmapped_event_names=dict(staged.unmapped),
    )


_EMAIL_ID, _COMPANY_NAME, _CLICK_ID = MATCH_KEYS


def _matches(events: Iterable[str | None]) -> Counter[str]:
    sent = [event for event in events if event is not None]
    return Counter({key: sum(key in event for event in sent) for key in MATCH_KEYS})


@dataclass
class _Staged:
    """What has been written to the journal so far."""

    done: int = 0
    pending: list[tuple[JournalRow, str]] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    matches: Counter[str] = field(default_factory=Counter)
    # The number and a hash of (rule, event id) of each row with an event id: the rows that may repeat
    # another's, found without an index over the whole journal. Frames, a million rows in 16 MB.
    keys: list[pl.DataFrame] = field(default_factory=list)

    def write(
        self,
        staged_chunks: Iterator[_StagedChunk | columns.ColumnChunk],
        journal: Journal,
        progress: Callable[[int], None] | None,
        cancel: CancelToken | None,
    ) -> None:
        # SQLite writes one chunk on a thread (it lets go of the GIL) while the next one is staged.
        writing: Future[None] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="journal") as writer:
            try:
                for staged in staged_chunks:
                    if writing is not None:
                        writing.result()
                    writing = writer.submit(self._write_chunk, journal, staged)
                    self.pending += staged.pending
                    self.unmapped.update(staged.unmapped)
                    self.done += len(staged.rows) + len(staged.pending)
                    self.matches.update(_matches(row.event_json for row in staged.rows))
                    self._track(_key_frame(staged.rows + [row for row, _ in staged.pending]))
                    if isinstance(staged, columns.ColumnChunk):
                        frame = staged.frame
                        self._track(frame)
                        self.done += frame.height
                        self.matches.update(staged.matches)
                    if cancel is not None and cancel.is_set():
                        raise ImportCancelled()
                    if progress is not None:
                        progress(self.done)
            finally:
                if writing is not None:
                    writing.result()

    @staticmethod
    def _write_chunk(journal: Journal, staged: _StagedChunk | columns.ColumnChunk) -> None:
        if isinstance(staged, columns.ColumnChunk):
            # Row by row from the frame: a chunk's event JSON never sits in memory as Python text at once.
            journal.add_values(staged.frame.iter_rows(buffer_size=1000))
        journal.add_rows(staged.rows)

    def _track(self, rows: pl.DataFrame) -> None:
        """Keep the key hash of ``rows`` (number, rule_id, event_id) that have an event id."""
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

    def add(self, journal: Journal, rows: list[JournalRow]) -> None:
        journal.add_rows(rows)
        self.matches.update(_matches(row.event_json for row in rows))


def _key_frame(rows: list[JournalRow]) -> pl.DataFrame:
    """Rows' keys as column staging has them, to be hashed alike."""
    import polars as pl

    return pl.DataFrame(
        [(r.number, r.rule_id, r.event_id) for r in rows],
        schema={"number": pl.Int64, "rule_id": pl.Int64, "event_id": pl.String},
        orient="row",
    )


def _chunks(rows: Iterator[SourceRow]) -> Generator[list[SourceRow], None, None]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _helpers_for(table: Table) -> int:
    """Two helper processes for a big file on a computer with cores to spare; none for a small one, which
    is staged before helpers would have started."""
    if (os.cpu_count() or 1) < 2 or table.preview_complete or table.stamp.size < PARALLEL_MIN_BYTES:
        return 0
    return 2


class _StagedChunk(NamedTuple):
    """What one chunk of source rows became, and what the column's dates told while staging it."""

    rows: list[JournalRow]
    pending: list[tuple[JournalRow, str]]  # rows whose ambiguous date waits for the column's order
    assumed_order: DateOrder | None  # the day/month order known when the chunk started
    order: DateOrder | None  # ... and when it ended
    order_sensitive: bool  # some cell told an order, or was ambiguous: the result depends on the order
    unmapped: Counter[str]  # event names no rule is mapped to, and how often


def _staged_chunks(chunks: Iterator[list[SourceRow]], stager: _RowStager, helpers: int) -> Iterator[_StagedChunk]:
    """Each chunk staged, in file order.

    With helpers, chunks are normalised in helper processes while this one reads the next ones and
    writes the journal. The first chunk is staged here while the helpers start, so that the day/month
    order it usually tells goes out with the rest; a chunk a helper staged before the order was known
    is staged again here if the order could change its rows. A helper that dies (say, the system ran
    out of memory) costs speed, not rows: its chunks are staged here.
    """
    if helpers <= 0:
        for rows in chunks:
            yield stager.stage_chunk(rows, stager.evidence.order)
        return
    context = multiprocessing.get_context("spawn")  # fork is unsafe in a process with Qt's threads
    with ProcessPoolExecutor(helpers, context, initializer=_start_helper, initargs=(stager.settings,)) as pool:
        for _ in range(helpers):
            pool.submit(int)  # starts a helper now, while the first chunk is staged here
        in_flight: deque[tuple[list[SourceRow], Future[_StagedChunk] | None]] = deque()
        helper_stopped = False

        def fallen_back() -> None:
            nonlocal helper_stopped
            if not helper_stopped:  # every chunk sent to the helpers now fails the same way: say it once
                logger.warning("An import helper process stopped; staging its rows in this process instead")
            helper_stopped = True

        def submitted(rows: list[SourceRow]) -> Future[_StagedChunk] | None:
            try:
                return pool.submit(_stage_in_helper, rows, stager.evidence.order)
            except BrokenProcessPool:
                fallen_back()
                return None  # staged in this process when its turn comes

        def settled(rows: list[SourceRow], future: Future[_StagedChunk] | None) -> _StagedChunk:
            try:
                staged = future.result() if future is not None else None
            except BrokenProcessPool:
                fallen_back()
                staged = None
            return _adopted(stager, rows, staged)

        try:
            for number, rows in enumerate(chunks):
                if number == 0:
                    yield stager.stage_chunk(rows, stager.evidence.order)
                    continue
                in_flight.append((rows, submitted(rows)))
                if len(in_flight) > 2 * helpers:
                    yield settled(*in_flight.popleft())
            while in_flight:
                yield settled(*in_flight.popleft())
        finally:
            for _, future in in_flight:
                if future is not None:
                    future.cancel()


def _adopted(stager: _RowStager, rows: list[SourceRow], staged: _StagedChunk | None) -> _StagedChunk:
    """A helper's chunk as this process would have staged it (``None``: no helper staged it)."""
    order = stager.evidence.order
    if staged is None or (staged.assumed_order is not order and staged.order_sensitive):
        return stager.stage_chunk(rows, order)
    stager.evidence.order = staged.order or order
    return staged


_helper_stager: _RowStager | None = None


def _start_helper(settings: _StagerSettings) -> None:
    global _helper_stager
    _helper_stager = _RowStager(settings)


def _stage_in_helper(rows: list[SourceRow], order: DateOrder | None) -> _StagedChunk:
    assert _helper_stager is not None, "the helper process was started without its settings"
    return _helper_stager.stage_chunk(rows, order)


def _resolve_pending(journal: Journal, staged: _Staged, stager: _RowStager) -> bool:
    """Give held-back dates their order now that the whole column has been seen; True if still unknown."""
    if not staged.pending:
        return False
    order = stager.evidence.order
    resolved = []
    for row, raw in staged.pending:
        if order is None:
            resolved.append(
                JournalRow(
                    row.number,
                    RowState.ERROR,
                    f"The date “{raw}” could be day/month or month/day and no row in the column tells which. "
                    "Choose the date order.",
                    row.event_id,
                    row.rule_id,
                    None,
                )
            )
            continue
        ms = stager.time_ms(raw, order)
        if isinstance(ms, ValueProblem):
            resolved.append(JournalRow(row.number, RowState.ERROR, str(ms), row.event_id, row.rule_id, None))
            continue
        assert row.event_json is not None
        event_json = row.event_json.replace(PENDING_TIME_PLACEHOLDER, f',"conversionHappenedAt":{ms},', 1)
        resolved.append(JournalRow(row.number, row.state, row.reason, row.event_id, row.rule_id, event_json))
    for start in range(0, len(resolved), CHUNK):
        staged.add(journal, resolved[start : start + CHUNK])
    return order is None


def _remembered(parse: Callable[..., _T], maxsize: int) -> functools._lru_cache_wrapper[_T | ValueProblem]:
    """``parse`` cached together with its refusals, returned rather than raised: lru_cache keeps no
    exceptions, and a column repeating one bad value would be parsed again on every row."""

    def outcome(*args: Any) -> _T | ValueProblem:
        try:
            return parse(*args)
        except ValueProblem as problem:
            return problem.with_traceback(None)  # a kept traceback would keep its frames alive

    return functools.lru_cache(maxsize=maxsize, typed=True)(outcome)


# The single-valued fields a row is read for, in the order ``_RowStager.pick`` returns their cells.
_PICKED = (
    Field.EVENT_NAME,
    Field.FIRST_NAME,
    Field.LAST_NAME,
    Field.COMPANY,
    Field.TITLE,
    Field.COUNTRY,
    Field.CLICK_ID,
    Field.ACXIOM_ID,
    Field.EXTERNAL_ID,
    Field.CONVERSION_TIME,
    Field.VALUE,
    Field.CURRENCY,
    Field.EVENT_ID,
)

# The picked fields read as text (``clean_text``).
_TEXT_FIELDS = frozenset(_PICKED) - {Field.COUNTRY, Field.CONVERSION_TIME, Field.VALUE, Field.CURRENCY}


class _RowStager:
    """Turns one source row into a journal row.

    This is the import's hot loop (a million rows): cells are picked with one ``itemgetter`` call,
    and the parsing of repeated values (dates, amounts, names, countries) is cached.
    """

    def __init__(self, settings: _StagerSettings) -> None:
        self.settings = settings
        columns, options, tz, now_ms, self.decimal_comma = settings
        mapping = options.mapping
        index = {name: i for i, name in enumerate(columns)}
        missing = len(columns)  # rows get one None appended: unmapped fields read it
        self.pick = operator.itemgetter(*(index.get(mapping.column(f) or "", missing) for f in _PICKED))
        self.emails = tuple((index[name], name) for name in mapping.columns.get(Field.EMAIL, ()))
        self.names = {f: mapping.column(f) or f.label for f in _PICKED}
        self.mapping = mapping
        self.rules = options.rules
        self.options = options
        self.tz = tz
        self.now_ms = now_ms
        self.evidence = _OrderEvidence(options.date_order)
        self.unmapped: Counter[str] = Counter()  # per chunk
        self.order_sensitive = False  # per chunk
        # Every cell type is hashable; ``typed`` keeps True apart from 1.
        self.text = functools.lru_cache(maxsize=65536, typed=True)(clean_text)
        self.missing = functools.lru_cache(maxsize=65536, typed=True)(is_missing)
        self.told = functools.lru_cache(maxsize=65536, typed=True)(telling_order)
        self.money = _remembered(self._parse_money, 65536)
        self.country = _remembered(normalise_country, 4096)
        self.currency = _remembered(normalise_currency, 1024)
        self.time_ms = _remembered(self._parse_time, 65536)
        self._caches = (self.text, self.missing, self.told, self.money, self.country, self.currency, self.time_ms)

    def close(self) -> None:
        """Empty the caches now: they hold bound methods of this stager, a reference cycle that would
        otherwise wait for a full garbage collection (a visible freeze of the window after an import)."""
        for cache in self._caches:
            cache.cache_clear()

    def stage_chunk(self, rows: list[SourceRow], order: DateOrder | None) -> _StagedChunk:
        """Stage ``rows`` as if the column's day/month order known so far were ``order``."""
        evidence = self.evidence
        if not evidence.user_chose:
            evidence.order = order
        self.unmapped = Counter()
        self.order_sensitive = False
        staged: list[JournalRow] = []
        pending: list[tuple[JournalRow, str]] = []
        process = self.process
        for source in rows:
            row, pending_time = process(source)
            if pending_time is None:
                staged.append(row)
            else:
                pending.append((row, pending_time))
        return _StagedChunk(staged, pending, order, evidence.order, self.order_sensitive, self.unmapped)

    def _parse_time(self, cell: Any, order: DateOrder) -> int:
        ms = parse_conversion_time(cell, order, self.tz)
        check_conversion_window(ms, self.now_ms, self.options.max_age_days, self.options.future_grace_seconds)
        return ms

    def _parse_money(self, cell: Any) -> tuple[Decimal, str | None]:
        money = parse_money(cell, decimal_comma=self.decimal_comma)
        return money.amount, money.currency

    def process(self, row: SourceRow) -> tuple[JournalRow, str | None]:
        try:
            return self._process(row)
        except ValueProblem as problem:  # a workbook cell of a type its field cannot read, such as a date as a name
            return self._not_text(row, problem), None

    def _not_text(self, row: SourceRow, problem: ValueProblem) -> JournalRow:
        """The row refused, naming each text field whose cell is not text (else saying ``problem``)."""
        problems = []
        for f, cell in zip(_PICKED, self.pick((*row.values, None)), strict=True):
            if f in _TEXT_FIELDS:
                try:
                    clean_text(cell, column=self.names[f])
                except ValueProblem as refused:
                    problems.append(str(refused))
        return JournalRow(row.number, RowState.ERROR, " ".join(problems) or str(problem), None, None, None)

    def _process(self, row: SourceRow) -> tuple[JournalRow, str | None]:
        values = (*row.values, None)
        (
            event_name_cell,
            first_cell,
            last_cell,
            company_cell,
            title_cell,
            country_cell,
            click_cell,
            acxiom_cell,
            external_cell,
            time_cell,
            value_cell,
            currency_cell,
            event_id_cell,
        ) = self.pick(values)
        errors: list[str] = []
        warnings: list[str] = []
        text = self.text

        event_name = text(event_name_cell) or self.mapping.event_name
        rule_id = self.rules.rule_for(event_name)
        if rule_id is None:
            if event_name is None:
                errors.append(f"No event name in “{self.names[Field.EVENT_NAME]}”, so no conversion rule applies.")
            else:
                self.unmapped[event_name] += 1
                errors.append(f"The event name “{event_name}” is not mapped to a conversion rule.")

        first, last = text(first_cell), text(last_cell)
        email_hash, bad_email_column = self._email(values)
        person = Person(
            email_sha256=email_hash,
            first_name=first,
            last_name=last,
            company=text(company_cell),
            title=text(title_cell),
            country=self._country(country_cell, warnings),
            click_id=text(click_cell),
            acxiom_id=text(acxiom_cell),
            external_id=text(external_cell),
        )
        self._judge_identity(person, bad_email_column, errors, warnings)
        if bool(first) != bool(last):
            warnings.append("Only one of first and last name is filled in, so the name is not sent.")

        happened_at, pending = self._when(time_cell, errors)
        amount, currency = self._value(value_cell, currency_cell, errors, warnings)

        event_id = text(event_id_cell)
        if event_id is not None and len(event_id) > EVENT_ID_MAX:
            errors.append(f"The event id in “{self.names[Field.EVENT_ID]}” is longer than {EVENT_ID_MAX} characters.")
        if event_id is None and rule_id is not None:
            # The row's content (the hashed email, not the address), so the id is stable across imports.
            content = (person.email_sha256, first_cell, last_cell, company_cell, click_cell, external_cell,
                       acxiom_cell, time_cell, value_cell, currency_cell, event_name_cell)  # fmt: skip
            event_id = derive_event_id(rule_id, repr(content))

        if errors or rule_id is None or event_id is None:
            return JournalRow(row.number, RowState.ERROR, " ".join(errors), event_id, rule_id, None), None
        event_json = build_event(
            rule_id=rule_id,
            happened_at_ms=happened_at,
            event_id=event_id,
            person=person,
            amount=amount,
            currency=currency,
        )
        state = RowState.WARNING if warnings else RowState.OK
        return JournalRow(row.number, state, " ".join(warnings) or None, event_id, rule_id, event_json), pending

    def _country(self, cell: Any, warnings: list[str]) -> str | None:
        if self.missing(cell):
            return None
        country = self.country(cell)
        if isinstance(country, ValueProblem):
            warnings.append(f"{country} It is sent without a country.")
            return None
        return str(country)

    def _email(self, values: tuple[Any, ...]) -> tuple[str | None, str | None]:
        """The first valid email's hash, and the first email column holding something invalid."""
        bad_column = None
        for index, name in self.emails:
            cell = values[index]
            if self.missing(cell):  # "n/a", "-", blank: no email, rather than a wrong one
                continue
            try:
                return normalise_email(cell), bad_column
            except ValueProblem:
                bad_column = bad_column or name
        return None, bad_column

    def _judge_identity(self, person: Person, bad_column: str | None, errors: list[str], warnings: list[str]) -> None:
        # Reasons name the column, never the address: reasons are stored in the journal.
        if not person.matchable:
            what = f"The value in “{bad_column}” is not a valid email address" if bad_column else "There is no email"
            errors.append(f"{what}, and there is no first and last name or click id LinkedIn could match instead.")
        elif person.external_id_only:
            invalid = f"The value in “{bad_column}” is not a valid email address. " if bad_column else ""
            warnings.append(invalid + EXTERNAL_ID_ONLY)
        elif person.email_sha256 is None:
            basis = "name and company" if person.has_full_name and person.company else "the other identifiers"
            if bad_column:
                warnings.append(
                    f"The value in “{bad_column}” is not a valid email address; LinkedIn will match on {basis}."
                )
            elif self.emails:
                warnings.append(f"No email; LinkedIn will match on {basis} only.")

    def _when(self, cell: Any, errors: list[str]) -> tuple[int, str | None]:
        """The conversion time in ms, or (0, raw text) while the column's day/month order is unknown."""
        if self.missing(cell):
            errors.append(f"The conversion time in “{self.names[Field.CONVERSION_TIME]}” is empty.")
            return 0, None
        evidence = self.evidence
        told = self.told(cell)
        if told is not None and not evidence.user_chose:
            self.order_sensitive = True
            if evidence.order is None:
                evidence.order = told
            elif told is not evidence.order:
                errors.append(
                    f"The date “{cell}” is written in a different day/month order from earlier rows "
                    f"({_ORDER_WORDS[evidence.order]})."
                )
                return 0, None
        ms = self.time_ms(cell, evidence.order or DateOrder.AUTO)
        if isinstance(ms, AmbiguousDate):
            # Only reachable while the order is unknown: hold the row until the column tells.
            self.order_sensitive = True
            return 0, str(cell)
        if isinstance(ms, ValueProblem):
            errors.append(str(ms))
            return 0, None
        return int(ms), None

    def _value(
        self, cell: Any, currency_cell: Any, errors: list[str], warnings: list[str]
    ) -> tuple[str | None, str | None]:
        symbol_currency = None
        if self.missing(cell):
            amount = self.mapping.value
        else:
            money = self.money(cell)
            if isinstance(money, ValueProblem):
                errors.append(str(money))
                return None, None
            amount, symbol_currency = money
        if amount is None:
            return None, None
        currency = None if self.missing(currency_cell) else self.currency(currency_cell)
        if isinstance(currency, ValueProblem):
            errors.append(str(currency))
            return None, None
        currency = currency or symbol_currency or self.mapping.currency
        if currency is None:
            errors.append(
                f"The value {amount} has no currency: choose a currency column or a default currency for all rows."
            )
            return None, None
        # A bare "$" reads as USD; a currency column saying CAD or AUD is the better authority then.
        if symbol_currency and currency != symbol_currency and not (symbol_currency == "USD" and currency in _DOLLARS):
            errors.append(f"The value is marked {symbol_currency} but the currency column says {currency}.")
            return None, None
        if amount < 0:
            warnings.append("The value is negative (a refund?); it is sent as it is.")
        return format_amount(amount, currency), currency


_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "BSD", "BBD", "JMD", "TTD"})
_ORDER_WORDS = {DateOrder.DMY: "day/month/year", DateOrder.MDY: "month/day/year", DateOrder.YMD: "year/month/day"}
