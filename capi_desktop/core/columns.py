"""Column-at-a-time staging of big files: the same journal rows as the row stager in ``staging``, an
order of magnitude faster.

A delimited text file is parsed by polars (native code, both cores) in batches; a workbook's grid,
which calamine has already read, is turned into columns a batch of rows at a time, its date and number
cells into typed columns. Each column is normalised as a whole: common shapes (plain ASCII emails,
"23/11/2026 14:05" and ISO dates, "1234.56" amounts, tidy names, date and number cells) by vectorised
expressions, every other value by the row stager's own cached functions, called once per distinct
value. Rows whose outcome is anything but OK, a warning, or the no-rule and no-identifier errors are
staged by the row stager itself, and so are rows with a workbook cell of a type a field does not read
by column (a yes/no, a time of day, a number in a name column). So each rule lives in one place, and
``tests/core/test_staging_columns.py`` checks both ways give the same journal.

When the text is something only Python's csv module reads this way (stray quotes, line breaks inside
quotes, old Mac line ends), ``NotColumnar`` is raised and the file is staged row by row.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from datetime import date, datetime
from decimal import Decimal
from itertools import islice, zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from capi_desktop.core.dates import AmbiguousDate, DateOrder
from capi_desktop.core.events import EVENT_ID_PREFIX, EXTERNAL_ID_ONLY, MATCH_KEYS, RULE_URN
from capi_desktop.core.journal import JournalRow, RowState
from capi_desktop.core.mapping import Field
from capi_desktop.core.money import MAX_AMOUNT, format_amount, minor_units
from capi_desktop.core.problems import PLACEHOLDERS, ValueProblem
from capi_desktop.core.reading import FileKind, SourceRow, Table
from capi_desktop.core.reading.model import shape_row
from capi_desktop.core.reading.text import TextSource
from capi_desktop.core.reading.workbook import WorkbookSource, to_cell

# polars is imported in the functions that use it: importing it takes about half a second, and
# opening the app or staging a small file never needs it.
if TYPE_CHECKING:
    import polars as pl

    from capi_desktop.core.staging import _RowStager

BOM = b"\xef\xbb\xbf"
PIECE_BYTES = 7 << 19  # 3.5 MB of the file, parsed and staged at a time (about 38,000 rows of ten columns)
GRID_ROWS = 50_000  # of a workbook, turned into columns and staged at a time
MIN_BYTES = 1_000_000  # below this, importing polars costs more than it saves
# Whole numbers a double holds exactly; ``to_cell`` makes them ints, which ``repr`` writes without ".0".
_EXACT_INT = 2**53
EVENT_ID_MAX = 64
# The user ids of an event, in ``build_event``'s order, by their column in ``_event_json``.
_ID_KEYS = (
    ("email", "SHA256_EMAIL"),
    ("click", "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"),
    ("acxiom", "ACXIOM_ID"),
)
# Cells in these fields enter the derived event id (see ``_RowStager.process``), in this order.
_ID_CONTENT = (
    Field.FIRST_NAME,
    Field.LAST_NAME,
    Field.COMPANY,
    Field.CLICK_ID,
    Field.EXTERNAL_ID,
    Field.ACXIOM_ID,
    Field.CONVERSION_TIME,
    Field.VALUE,
    Field.CURRENCY,
    Field.EVENT_NAME,
)
# The workbook cells read by column from a typed column (see ``_Rows``).
_TYPED_CONTENT = ((Field.CONVERSION_TIME, "t"), (Field.VALUE, "n"))
_TEXT_FIELDS = (
    Field.FIRST_NAME,
    Field.LAST_NAME,
    Field.COMPANY,
    Field.TITLE,
    Field.CLICK_ID,
    Field.ACXIOM_ID,
    Field.EXTERNAL_ID,
    Field.EVENT_ID,
)
# Vectorised shapes, each a strict subset of what the Python normaliser reads the same way.
# Printable ASCII and Latin letters (which NFC keeps as they are), single inner spaces: clean_text keeps
# it as it is. Not ß or ſ, whose casefold() is not their lowercase.
_TIDY_TEXT = r"^[!-~\u00a1-\u00ac\u00ae-\u00de\u00e0-\u017e]+(?: [!-~\u00a1-\u00ac\u00ae-\u00de\u00e0-\u017e]+)*$"
_PLAIN_EMAIL = (
    r"^[ \t]*[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\-]+)*@"
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9\-]*[a-zA-Z0-9][ \t]*$"
)
_DAY_MONTH = (
    r"^[ \t]*([0-9]{1,2})([/.\-])([0-9]{1,2})([/.\-])([0-9]{4})(?:[ T]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?[ \t]*$"
)
_ISO = r"^[ \t]*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?[ \t]*$"
_PLAIN_AMOUNT = r"^[ \t]*(-?)([0-9]{1,15})(?:\.([0-9]{1,20}))?[ \t]*$"
_PLAIN_AMOUNT_THOUSANDS = r"^[ \t]*-?[0-9]{1,15}\.[0-9]{3}[ \t]*$"  # "1.234": the row stager decides
# ``dates._DATE_HEAD`` for ASCII text (Python's \s also matches \x1c-\x1f); the separators must agree.
_DATE_HEAD = r"^[\t\n\x0b\x0c\r \x1c-\x1f]*([0-9]{1,4})([/.\-])([0-9]{1,2})([/.\-])([0-9]{1,4})(?:[^0-9]|$)"
# "1 234,56", "-5,49": a decimal comma, thousands grouped by spaces; "1,234" alone is ambiguous.
_COMMA_AMOUNT = r"^[ \t]*(-?)([1-9][0-9]{0,2}(?: [0-9]{3})+|[0-9]{1,15}),([0-9]{1,20})[ \t]*$"
_BLANK = r"^[\s\x1c-\x1f]*$"


class NotColumnar(Exception):
    """This text file must be read row by row to read it exactly as the row reader does."""


class _Rows(NamedTuple):
    """A batch of non-blank rows as columns, and how to get any of them as the row stager reads them."""

    # "number"; a text column c{i} per column of the table; for a workbook, where its cells are not all
    # text: t{i} (a date or date and time) with d{i} (a date alone), n{i} (a number), and "odd": the row
    # has a cell of another type. A typed cell is null in its text column.
    frame: pl.DataFrame
    source_rows: Callable[[pl.Series], list[SourceRow]]  # the rows a mask over ``frame`` selects


class ColumnChunk(NamedTuple):
    """A batch of rows staged: the common ones as columns ready for the journal, the rest as rows."""

    frame: pl.DataFrame  # number, state (its value), reason, event_id, rule_id, event_json
    rows: list[JournalRow]
    pending: list[tuple[JournalRow, str]]
    unmapped: Counter[str]
    matches: Counter[str]  # how many of the columns' events hold each of ``MATCH_KEYS``


def suitable(table: Table) -> bool:
    """True for a big workbook, or a big UTF-8 delimited text file, which column staging reads as the
    row reader does."""
    source = table.source
    readable = isinstance(source, WorkbookSource) or (
        table.kind is FileKind.CSV
        and isinstance(source, TextSource)
        and source.codec in ("utf-8", "utf-8-sig")
        and len(source.delimiter) == 1
    )
    return readable and not table.preview_complete and table.stamp.size >= MIN_BYTES


def staged_batches(table: Table, stager: _RowStager) -> Iterator[ColumnChunk]:
    """Stage ``table`` batch by batch; ``NotColumnar`` (possibly after some batches) means: start over
    row by row."""
    batch_stager = _BatchStager(stager, table.columns)
    batches = _grid_batches(table) if isinstance(table.source, WorkbookSource) else _text_batches(table)
    # One batch at a time, however big the file. (Making the next one on a thread meanwhile was no
    # faster, measured: the two contend for the interpreter.)
    with closing(batches):
        for batch in batches:
            yield batch_stager.stage(batch)


def _text_batches(table: Table) -> Generator[_Rows, None, None]:

    source = table.source
    assert isinstance(source, TextSource)
    skip = max(table.header_row, 1 if source.skip_first_line else 0)
    width = len(table.columns) + 1
    number = skip + 1

    def source_rows(frame: pl.DataFrame) -> Callable[[pl.Series], list[SourceRow]]:
        return lambda mask: [SourceRow(values[0], tuple(values[1:width])) for values in frame.filter(mask).iter_rows()]

    pieces = _pieces(table.path, skip)
    with closing(pieces):
        for piece in pieces:
            batch = _parsed(piece, source.delimiter, len(table.columns), skip)
            skip = 0
            frame = _filled(batch.with_row_index("number", offset=number), [f"c{i}" for i in range(width)])
            number += batch.height
            if frame.height:
                yield _Rows(frame, source_rows(frame))


def _filled(frame: pl.DataFrame, texts: Sequence[str], typed: Sequence[str] = ()) -> pl.DataFrame:
    """The rows with a cell that is neither empty nor only spaces, empty text cells made null."""
    import polars as pl

    blank = [pl.col(name).is_null() | pl.col(name).str.contains(_BLANK) for name in texts]
    return frame.with_columns(pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in texts).filter(
        ~pl.all_horizontal(blank + [pl.col(name).is_null() for name in typed])
    )


def _grid_batches(table: Table) -> Generator[_Rows, None, None]:
    """A workbook's rows below the header, ``GRID_ROWS`` at a time; the grid is freed as this ends."""
    source = table.source
    assert isinstance(source, WorkbookSource)
    table.check_unchanged()
    grid = source.iter_grid()
    number = 1
    while True:
        with source.reading():
            chunk = list(islice(grid, GRID_ROWS))
        if not chunk:
            return
        skip = max(0, table.header_row + 1 - number)
        rows = _grid_rows(chunk[skip:], number + skip, len(table.columns))
        number += len(chunk)
        if rows is not None:
            yield rows


def _grid_rows(raw: list[list[Any]], first: int, width: int) -> _Rows | None:
    """Rows of calamine cells as columns: text as text ("" as null), dates and numbers typed."""
    import polars as pl

    height = len(raw)
    columns: dict[str, pl.Series] = {"number": pl.Series(range(first, first + height), dtype=pl.Int64)}
    texts, typed, odd = [], [], []
    for i, cells in enumerate(zip_longest(*raw, fillvalue="")):
        kinds = set(map(type, cells))
        if kinds == {str} and cells.count("") == height:
            continue  # an empty stretch of a column: the commonest case beyond the table's columns
        if str in kinds:
            text = cells if kinds == {str} else [cell if type(cell) is str else None for cell in cells]
            columns[f"c{i}"] = pl.Series(text, dtype=pl.String)
            texts.append(f"c{i}")
        if kinds & {datetime, date}:
            moments = (
                cells if kinds == {datetime} else [cell if type(cell) in (datetime, date) else None for cell in cells]
            )
            columns[f"t{i}"] = pl.Series(moments, dtype=pl.Datetime("us"), strict=False)
            dates = [type(cell) is date for cell in cells] if date in kinds else None
            columns[f"d{i}"] = _constant(False, height, pl.Boolean) if dates is None else pl.Series(dates)
            typed.append(f"t{i}")
        if kinds & {float, int}:
            numbers = cells if kinds == {float} else [cell if type(cell) in (float, int) else None for cell in cells]
            columns[f"n{i}"] = pl.Series(numbers, dtype=pl.Float64, strict=False)
            typed.append(f"n{i}")
        if kinds - {str, float, datetime, date}:
            # A yes/no, time of day, duration or error cell, or an int beyond a double's exact range (xlsx
            # stores doubles; other formats may not): read by Python in this row's columns; beyond them
            # it only makes its row not blank.
            columns[f"x{i}"] = pl.Series([True if _strange(cell) else None for cell in cells], dtype=pl.Boolean)
            typed.append(f"x{i}")
            if i < width:
                odd.append(f"x{i}")
    for i in range(width):
        columns.setdefault(f"c{i}", _constant(None, height, pl.String))
    frame = _filled(pl.DataFrame(columns).with_row_index("index"), texts, typed).with_columns(
        pl.any_horizontal([pl.col(name).is_not_null() for name in odd] or [pl.lit(False)]).alias("odd")
    )
    if not frame.height:
        return None

    def source_rows(mask: pl.Series) -> list[SourceRow]:
        chosen = frame.filter(mask).select("index", "number").iter_rows()
        return [shape_row(number, [to_cell(cell) for cell in raw[index]], width) for index, number in chosen]

    return _Rows(frame.drop([name for name in frame.columns if name[0] == "x"]), source_rows)


def _strange(cell: Any) -> bool:
    kind = type(cell)
    return kind not in (str, float, datetime, date) and not (kind is int and abs(cell) < _EXACT_INT)


def _pieces(path: Path, skip: int) -> Generator[bytes, None, None]:
    """The file in pieces of about ``PIECE_BYTES``, each ending at a line end outside quotes; the first
    holds at least the ``skip`` lines before the rows."""
    with open(path, "rb") as handle:
        buffer = b""
        while chunk := handle.read(PIECE_BYTES):
            buffer += chunk
            cut = _cut(buffer, skip)
            if cut:
                skip = 0
                yield buffer[:cut]
                buffer = buffer[cut:]
            elif len(buffer) > 8 * PIECE_BYTES:
                raise NotColumnar("no line end outside quotes in a long stretch of the file")
        if buffer:
            yield buffer


def _cut(buffer: bytes, skip: int) -> int:
    """Where ``buffer`` can be cut: after its last line end with an even number of quote marks before
    it (and at least ``skip`` line ends), or 0."""
    cut = buffer.rfind(b"\n") + 1
    quotes = buffer.count(b'"', 0, cut)
    while cut and quotes % 2:
        earlier = buffer.rfind(b"\n", 0, cut - 1) + 1
        quotes -= buffer.count(b'"', earlier, cut)
        cut = earlier
    return cut if buffer.count(b"\n", 0, cut) >= skip else 0


def _parsed(piece: bytes, delimiter: str, width: int, skip: int) -> pl.DataFrame:
    """One piece as a frame of text columns (one more than the table's: a row with data only right of
    its columns is not blank), checked to be read as Python's csv module reads it."""
    import polars as pl

    _check_quotes(piece, delimiter.encode())
    try:
        frame = pl.read_csv(
            piece,
            separator=delimiter,
            has_header=False,
            skip_rows=skip,
            schema={f"c{i}": pl.String for i in range(width + 1)},
            truncate_ragged_lines=True,
            missing_columns="insert",
            infer_schema=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        # Not polars' message: it quotes the text it stopped at, and this one is logged.
        raise NotColumnar(f"polars could not read a piece ({type(exc).__name__})") from exc
    lines = piece.count(b"\n") + (not piece.endswith(b"\n"))
    if skip + frame.height != lines:
        raise NotColumnar(f"{frame.height:,} records on {lines - skip:,} lines: some value spans lines")
    return frame


def _check_quotes(piece: bytes, delimiter: bytes) -> None:
    """Every quote mark opens a value (after a delimiter or a line end), closes one (before them), or is
    doubled; with any other ("5\" screen") a piece's end may be inside quotes, so the file is read
    row by row."""
    quotes = piece.count(b'"')
    if not quotes:
        return
    piece = piece.replace(b'""', b"")
    quotes = piece.count(b'"')
    opening = piece.count(delimiter + b'"') + piece.count(b'\n"') + piece.startswith((b'"', BOM + b'"'))
    closing = piece.count(b'"' + delimiter) + piece.count(b'"\r') + piece.count(b'"\n') + piece.endswith(b'"')
    if opening != closing or opening + closing != quotes:
        raise NotColumnar("quote marks inside values")


class _BatchStager:
    def __init__(self, stager: _RowStager, columns: tuple[str, ...]) -> None:
        self.stager = stager
        self.columns = columns
        self.index = {name: i for i, name in enumerate(columns)}
        # ``is_missing``'s placeholders, in any case: for tidy text, which is ASCII where it matters (no
        # Latin letter folds to ASCII; ß and ſ are not tidy), this is its casefold() comparison.
        self.placeholder = "(?i)^(?:" + "|".join(re.escape(text) for text in sorted(PLACEHOLDERS)) + ")$"

    def stage(self, rows: _Rows) -> ColumnChunk:
        return _Batch(self, rows).staged()

    def cell_column(self, batch: pl.DataFrame, f: Field, kind: str = "c") -> pl.Series | None:
        """The field's column of text cells, or with ``kind`` "t", "d" or "n" of typed ones (see ``_Rows``)."""
        name = self.stager.mapping.column(f)
        key = None if name is None else f"{kind}{self.index[name]}"
        return batch[key] if key in batch.columns else None


class _Batch:
    """One batch's columns, normalised."""

    def __init__(self, owner: _BatchStager, rows: _Rows) -> None:
        self.owner = owner
        self.stager = owner.stager
        self.frame = rows.frame
        self.source_rows = rows.source_rows
        self.height = rows.frame.height
        # Where this batch's dates first told the day/month order the column had not told before: the
        # rows above were read without an order (see ``_row_way``).
        self.learnt_at = 0

    def staged(self) -> ColumnChunk:
        import polars as pl

        stager, frame = self.stager, self.frame
        names = stager.names
        text = self._texts((*_TEXT_FIELDS, Field.EVENT_NAME))
        event_name = text.pop(Field.EVENT_NAME)
        if stager.mapping.event_name is not None:
            event_name = event_name.fill_null(stager.mapping.event_name)
        rule_id = _per_value(event_name, stager.rules.rule_for, pl.Int64)
        country, country_warning = self._country()
        email, bad_email = self._email()
        ms, time_state = self._time()
        amount, currency, value_ok, negative = self._value()
        first, last = text[Field.FIRST_NAME], text[Field.LAST_NAME]
        full_name = first.is_not_null() & last.is_not_null()
        company = text[Field.COMPANY]
        other_ids = text[Field.CLICK_ID].is_not_null() | text[Field.ACXIOM_ID].is_not_null()
        strong = email.is_not_null() | other_ids | full_name
        external_only = ~strong & text[Field.EXTERNAL_ID].is_not_null()
        matchable = strong | external_only
        event_id_text = text[Field.EVENT_ID]
        long_id = event_id_text.str.len_chars() > EVENT_ID_MAX

        columns = pl.DataFrame(
            {
                "number": frame["number"],
                "rule_id": rule_id,
                "event_name": event_name,
                "email": email,
                "bad_email": bad_email,
                "full_name": full_name,
                "company": company,
                "matchable": matchable,
                "external_only": external_only,
                "country_warning": country_warning,
                "one_name": first.is_not_null() != last.is_not_null(),
                "ms": ms,
                "time_state": time_state,
                "value_ok": value_ok,
                "amount": amount,
                "negative": negative,
                "long_id": long_id,
            }
        )
        # Rows whose outcome is rare (an unreadable date or amount, a long event id) go the row way.
        slow = (
            ~columns["value_ok"]
            | columns["long_id"].fill_null(False)
            | (columns["time_state"] == _TIME_PROBLEM)
            | self._typed_elsewhere()
            | (pl.int_range(self.height, eager=True) < self.learnt_at)
        )
        rule_error = (
            pl.when(pl.col("rule_id").is_not_null())
            .then(None)
            .when(pl.col("event_name").is_null())
            .then(pl.lit(f"No event name in “{names[Field.EVENT_NAME]}”, so no conversion rule applies."))
            .otherwise(pl.format("The event name “{}” is not mapped to a conversion rule.", "event_name"))
        )
        what = (
            pl.when(pl.col("bad_email").is_not_null())
            .then(pl.format("The value in “{}” is not a valid email address", "bad_email"))
            .otherwise(pl.lit("There is no email"))
        )
        identity_error = pl.when(~pl.col("matchable")).then(
            pl.format("{}, and there is no first and last name or click id LinkedIn could match instead.", what)
        )
        basis = (
            pl.when(pl.col("full_name") & pl.col("company").is_not_null())
            .then(pl.lit("name and company"))
            .otherwise(pl.lit("the other identifiers"))
        )
        no_email = pl.col("matchable") & pl.col("email").is_null()
        identity_warning = (
            pl.when(pl.col("external_only") & pl.col("bad_email").is_not_null())
            .then(pl.format("The value in “{}” is not a valid email address. " + EXTERNAL_ID_ONLY, "bad_email"))
            .when(pl.col("external_only"))
            .then(pl.lit(EXTERNAL_ID_ONLY))
            .when(no_email & pl.col("bad_email").is_not_null())
            .then(
                pl.format(
                    "The value in “{}” is not a valid email address; LinkedIn will match on {}.", "bad_email", basis
                )
            )
            .when(no_email & pl.lit(bool(stager.emails)))
            .then(pl.format("No email; LinkedIn will match on {} only.", basis))
        )
        outcome = columns.select(
            pl.concat_str([rule_error, identity_error], separator=" ", ignore_nulls=True).alias("errors"),
            pl.concat_str(
                [
                    pl.col("country_warning"),
                    identity_warning,
                    pl.when(pl.col("one_name")).then(
                        pl.lit("Only one of first and last name is filled in, so the name is not sent.")
                    ),
                    pl.when(pl.col("negative")).then(pl.lit("The value is negative (a refund?); it is sent as it is.")),
                ],
                separator=" ",
                ignore_nulls=True,
            ).alias("warnings"),
        )
        errors, warnings = outcome["errors"], outcome["warnings"]
        failed = errors != ""
        event_id = self._event_id(event_id_text, email, rule_id)
        event_json = self._event_json(rule_id, ms, event_id, email, text, country, amount, currency)
        state = (
            pl.select(
                pl.when(pl.lit(failed))
                .then(pl.lit("error"))
                .when(pl.lit(warnings) != "")
                .then(pl.lit("warning"))
                .otherwise(pl.lit("ok"))
            )
            .to_series()
            .alias("state")
        )
        reason = pl.select(
            pl.when(pl.lit(failed)).then(pl.lit(errors)).when(pl.lit(warnings) != "").then(pl.lit(warnings))
        ).to_series()
        # A failed row sends nothing, and an ambiguous date waits for the column's order (see staging).
        event_json = pl.select(pl.when(pl.lit(failed)).then(None).otherwise(pl.lit(event_json))).to_series()
        pending_mask = ~failed & (columns["time_state"] == _TIME_PENDING) & ~slow
        fast = ~slow & ~pending_mask
        table = pl.DataFrame(
            {
                "number": frame["number"],
                "state": state,
                "reason": reason,
                "event_id": event_id,
                "rule_id": rule_id,
                "event_json": event_json,
            }
        )
        done = table.filter(fast)
        unmapped: Counter[str] = Counter()
        unmapped_names = event_name.filter(fast & rule_id.is_null() & event_name.is_not_null())
        unmapped.update(dict(unmapped_names.value_counts().iter_rows()))
        pending = [
            (JournalRow(number, _STATES[state], reason, event_id, rule, body), raw)
            for (number, state, reason, event_id, rule, body), raw in zip(
                table.filter(pending_mask).iter_rows(),
                self._raw(Field.CONVERSION_TIME).filter(pending_mask).to_list(),
                strict=True,
            )
        ]
        rows = self._row_way(slow, unmapped, pending)
        # Which of ``MATCH_KEYS`` the events sent hold, from the columns ``_event_json`` builds them from.
        sent = fast & ~failed
        email_key, company_key, click_key = MATCH_KEYS
        matches = Counter(
            {
                email_key: int((sent & email.is_not_null()).sum()),
                company_key: int((sent & full_name & company.is_not_null()).sum()),
                click_key: int((sent & text[Field.CLICK_ID].is_not_null()).sum()),
            }
        )
        return ColumnChunk(done, rows, pending, unmapped, matches)

    # -- per field -------------------------------------------------------------------------------

    @functools.cached_property
    def _value_numbers(self) -> tuple[pl.Series, pl.Series] | None:
        """The value column's number cells as ``_number_texts`` writes them, for the amount and the id."""
        numbers = self.owner.cell_column(self.frame, Field.VALUE, "n")
        return None if numbers is None else _number_texts(numbers)

    def _typed_elsewhere(self) -> pl.Series:
        """Rows with a workbook cell the column way does not read: a date or number where neither is
        read by column (only dates are, as conversion times, and numbers, as values), or another type."""
        import polars as pl

        frame = self.frame
        index = self.owner.index
        read = set(_TYPED_CONTENT)
        unread = [
            frame[f"{kind}{index[name]}"].is_not_null()
            for f, names in self.stager.mapping.columns.items()
            for name in names
            for kind in "tn"
            if (f, kind) not in read and f"{kind}{index[name]}" in frame.columns
        ]
        if "odd" in frame.columns:
            unread.append(frame["odd"])
        if not unread:
            return _constant(False, self.height, pl.Boolean)
        return pl.select(pl.any_horizontal([pl.lit(mask) for mask in unread])).to_series()

    def _raw(self, f: Field) -> pl.Series:
        import polars as pl

        series = self.owner.cell_column(self.frame, f)
        return _constant(None, self.height, pl.String).alias(f.value) if series is None else series

    def _texts(self, fields: tuple[Field, ...]) -> dict[Field, pl.Series]:
        """``clean_text`` of columns: tidy text as it is, empty cells empty, anything else through the
        cached function."""
        import polars as pl

        raw = pl.DataFrame({f.value: self._raw(f) for f in fields})
        tidy = raw.select(
            (pl.col(name).str.contains(_TIDY_TEXT) & ~pl.col(name).str.contains(self.owner.placeholder))
            .fill_null(True)
            .alias(name)
            for name in raw.columns
        )
        return {
            f: _fast_or_per_value(raw[f.value], raw[f.value], tidy[f.value], self.stager.text, pl.String)
            for f in fields
        }

    def _country(self) -> tuple[pl.Series, pl.Series]:
        import polars as pl

        raw = self._raw(Field.COUNTRY)

        def read(cell: str | None) -> tuple[str | None, str | None]:
            if self.stager.missing(cell):
                return None, None
            country = self.stager.country(cell)
            if isinstance(country, ValueProblem):
                return None, f"{country} It is sent without a country."
            return str(country), None

        country, warning = _per_value_many(raw, read, pl.String, pl.String)
        return country, warning

    def _email(self) -> tuple[pl.Series, pl.Series]:
        """The first valid email's hash, and the first email column holding something invalid."""
        import polars as pl

        found = _constant(None, self.height, pl.String).alias("email")
        bad = _constant(None, self.height, pl.String).alias("bad")
        for _, name in self.stager.emails:
            raw = self.frame[f"c{self.owner.index[name]}"]
            plain = raw.str.contains(_PLAIN_EMAIL).fill_null(False)
            cleaned = raw.str.strip_chars(" \t").str.to_lowercase()
            # The contract's length limits: 254 in all, 64 before the "@".
            plain = plain & (cleaned.str.len_bytes() <= 254) & (cleaned.str.find("@") <= 64)
            hashed = _sha256(cleaned.filter(plain))
            fast = _constant(None, self.height, pl.String).alias("email").scatter(plain.arg_true(), hashed)

            def read(cell: str | None) -> tuple[str | None, bool]:
                if self.stager.missing(cell):
                    return None, False
                try:
                    return _normalise_email(cell), False
                except ValueProblem:
                    return None, True

            rest = raw.filter(~plain)
            slow_hash, slow_bad = _per_value_many(rest, read, pl.String, pl.Boolean)
            hash_column = fast.scatter((~plain).arg_true(), slow_hash)
            bad_here = _constant(False, self.height, pl.Boolean).scatter((~plain).arg_true(), slow_bad)
            frame = pl.DataFrame({"found": found, "bad": bad, "hash": hash_column, "bad_here": bad_here})
            step = frame.select(
                pl.coalesce("found", "hash").alias("found"),
                pl.when(pl.col("found").is_null() & pl.col("bad").is_null() & pl.col("bad_here"))
                .then(pl.lit(name))
                .otherwise(pl.col("bad"))
                .alias("bad"),
            )
            found, bad = step["found"], step["bad"]
        return found, bad

    def _time(self) -> tuple[pl.Series, pl.Series]:
        """Epoch ms and a state per row; the column's day/month order as the row stager learns it."""
        import polars as pl

        stager = self.stager
        evidence = stager.evidence
        raw = self._raw(Field.CONVERSION_TIME)
        tz = stager.settings.tz.key
        options = stager.settings.options
        # Day/month dates, the commonest kind; the other patterns are only tried on the other cells.
        dm = raw.str.extract_groups(_DAY_MONTH).struct.unnest()
        other = pl.select(pl.when(dm["1"].is_null()).then(pl.lit(raw))).to_series()
        if not evidence.user_chose:
            told = self._told(raw, dm, other)
            if evidence.order is None:
                telling = told.is_not_null().arg_true()
                if telling.len():
                    self.learnt_at = int(telling[0])
                    evidence.order = _CODE_ORDERS[told[self.learnt_at]]
            known = _ORDER_CODES[evidence.order]
            contradicts = told.is_not_null() & (told != known) if known is not None else told.is_not_null() & False
        else:
            contradicts = _constant(False, self.height, pl.Boolean)
        order = evidence.order or DateOrder.AUTO
        iso = other.str.extract_groups(_ISO).struct.unnest()
        parts = pl.DataFrame(
            [dm[k].alias(f"dm_{k}") for k in dm.columns] + [iso[k].alias(f"iso_{k}") for k in iso.columns]
        )
        # Day/month dates: which part is the day, as ``dates._numeric_parts`` decides for ``order``.
        a, b = pl.col("dm_1").cast(pl.Int32), pl.col("dm_3").cast(pl.Int32)
        if order is DateOrder.DMY:
            day, month = a, b
        elif order is DateOrder.MDY:
            day, month = b, a
        else:
            day = pl.when((b <= 12) & (a > 12)).then(a).when((a <= 12) & (b > 12)).then(b).when(a == b).then(a)
            month = pl.when((b <= 12) & (a > 12)).then(b).when((a <= 12) & (b > 12)).then(a).when(a == b).then(a)
        ambiguous = (a != b) & (a <= 12) & (b <= 12) & pl.lit(order not in (DateOrder.DMY, DateOrder.MDY))
        same_sep = pl.col("dm_2") == pl.col("dm_4")
        moment = parts.select(
            pl.when(pl.col("dm_1").is_not_null() & same_sep)
            .then(pl.struct(y=pl.col("dm_5"), m=month, d=day, hh=pl.col("dm_6"), mm=pl.col("dm_7"), ss=pl.col("dm_8")))
            .when(pl.col("iso_1").is_not_null())
            .then(
                pl.struct(
                    y=pl.col("iso_1"),
                    m=pl.col("iso_2"),
                    d=pl.col("iso_3"),
                    hh=pl.col("iso_4"),
                    mm=pl.col("iso_5"),
                    ss=pl.col("iso_6"),
                )  # fmt: skip
            )
            .alias("t"),
            (pl.col("dm_1").is_not_null() & same_sep & ambiguous).alias("ambiguous"),
        ).unnest("t")
        number = {k: moment[k].cast(pl.Int32, strict=False) for k in ("y", "m", "d", "hh", "mm", "ss")}
        in_range = (
            number["m"].is_between(1, 12)
            & number["d"].is_between(1, 31)
            & number["hh"].fill_null(0).is_between(0, 23)
            & number["mm"].fill_null(0).is_between(0, 59)
            & number["ss"].fill_null(0).is_between(0, 59)
            & number["y"].is_between(1, 9999)
        ).fill_null(False)
        # Rows that are not a real date get a stand-in (1 January 2000, midnight) and are read by Python.
        fields = pl.DataFrame({k: v.fill_null(0) for k, v in number.items()}).with_columns(
            pl.when(pl.lit(in_range)).then(pl.col(k)).otherwise(stand_in).alias(k)
            for k, stand_in in (("y", 2000), ("m", 1), ("d", 1), ("hh", 0), ("mm", 0), ("ss", 0))
        )
        month_days = fields.select(pl.date("y", "m", 1).dt.month_end().dt.day()).to_series()
        real = in_range & (fields["d"] <= month_days)
        local = fields.with_columns(pl.when(pl.lit(real)).then(pl.col("d")).otherwise(1).alias("d")).select(
            pl.datetime("y", "m", "d", "hh", "mm", "ss", time_unit="ms")
        )
        try:
            # A time that a daylight-saving change skips or repeats is left to Python's reading.
            instant = local.to_series().dt.replace_time_zone(tz, ambiguous="null", non_existent="null").dt.epoch("ms")
        except pl.exceptions.PolarsError:  # a zone polars does not know: every time is read by Python
            instant = _constant(None, self.height, pl.Int64)
        low = stager.now_ms - options.max_age_days * 86_400_000
        high = stager.now_ms + options.future_grace_seconds * 1000
        fast = real & ~moment["ambiguous"] & instant.is_between(low, high).fill_null(False) & ~contradicts
        fast_ms = pl.select(pl.when(pl.lit(fast)).then(pl.lit(instant))).to_series()

        def read(cell: str | None) -> tuple[int | None, int]:
            if stager.missing(cell):
                return None, _TIME_PROBLEM
            ms = stager.time_ms(cell, order)
            if isinstance(ms, AmbiguousDate):
                return 0, _TIME_PENDING
            if isinstance(ms, ValueProblem):
                return None, _TIME_PROBLEM
            return int(ms), _TIME_OK

        rest = raw.filter(~fast)
        slow_ms, slow_state = _per_value_many(rest, read, pl.Int64, pl.Int8)
        ms = fast_ms.scatter((~fast).arg_true(), slow_ms)
        state = _constant(_TIME_OK, self.height, pl.Int8).scatter((~fast).arg_true(), slow_state)
        state = pl.select(pl.when(pl.lit(contradicts)).then(_TIME_PROBLEM).otherwise(pl.lit(state))).to_series()
        moments = self.owner.cell_column(self.frame, Field.CONVERSION_TIME, "t")
        if moments is None:
            return ms, state
        # Date cells: wall-clock time in the zone, as ``parse_conversion_time`` reads them.
        try:
            instant = moments.dt.replace_time_zone(tz, ambiguous="null", non_existent="null").dt.epoch("ms")
        except pl.exceptions.PolarsError:
            instant = _constant(None, self.height, pl.Int64)
        typed = pl.DataFrame({"moment": moments, "instant": instant, "ms": ms, "state": state}).select(
            pl.when(pl.col("moment").is_null()).then(pl.col("ms")).otherwise(pl.col("instant")).alias("ms"),
            pl.when(pl.col("moment").is_null())
            .then(pl.col("state"))
            .when(pl.col("instant").is_between(low, high))
            .then(pl.lit(_TIME_OK, pl.Int8))
            .otherwise(pl.lit(_TIME_PROBLEM, pl.Int8))  # the row stager words the problem
            .alias("state"),
        )
        return typed["ms"], typed["state"]

    def _told(self, raw: pl.Series, dm: pl.DataFrame, other: pl.Series) -> pl.Series:
        """``telling_order`` of each cell as a code (1 DMY, 2 MDY), ASCII cells vectorised: from the parts
        of the day/month dates ``dm`` found, else of the ``other`` cells' start."""
        import polars as pl

        head = other.str.extract_groups(_DATE_HEAD).struct.unnest()
        part = {k: pl.select(pl.coalesce(pl.lit(dm[k]), pl.lit(head[k]))).to_series() for k in ("1", "2", "3", "4")}
        a, b = part["1"].cast(pl.Int32), part["3"].cast(pl.Int32)
        frame = pl.DataFrame({"a": a, "b": b, "la": part["1"].str.len_bytes(), "same": part["2"] == part["4"]})
        told = frame.select(
            pl.when(
                ~pl.col("same") | (pl.col("la") > 2) | ~pl.col("a").is_between(1, 31) | ~pl.col("b").is_between(1, 31)
            )
            .then(None)
            .when((pl.col("a") > 12) & (pl.col("b") <= 12))
            .then(1)
            .when((pl.col("b") > 12) & (pl.col("a") <= 12))
            .then(2)
            .cast(pl.Int8)
        ).to_series()
        # Where ``other`` is empty, the cell is empty or a day/month date (ASCII, as the pattern is).
        ascii_text = other.str.contains(r"^[\x00-\x7f]*$").fill_null(True)
        return _fast_or_per_value(raw, told, ascii_text, lambda cell: _ORDER_CODES[self.stager.told(cell)], pl.Int8)

    def _value(self) -> tuple[pl.Series, pl.Series, pl.Series, pl.Series]:
        """Amount text as sent, currency, whether the row's value is settled (else: the row way), and
        whether it is below zero."""
        import polars as pl

        stager = self.stager
        mapping = stager.mapping
        raw = self._raw(Field.VALUE)
        currency_raw = self._raw(Field.CURRENCY)

        def read_currency(cell: str | None) -> tuple[str | None, bool]:
            if stager.missing(cell):
                return None, True
            code = stager.currency(cell)
            return (None, False) if isinstance(code, ValueProblem) else (str(code), True)

        column_currency, currency_ok = _per_value_many(currency_raw, read_currency, pl.String, pl.Boolean)
        parts = raw.str.extract_groups(_PLAIN_AMOUNT).struct.unnest()
        comma = raw.str.extract_groups(_COMMA_AMOUNT).struct.unnest()
        comma_whole = comma["2"].str.replace_all(" ", "", literal=True)
        comma_ok = (
            comma["2"].is_not_null()
            & (comma_whole.str.len_bytes() <= 15)
            & ~(comma["2"].str.contains("^[1-9][0-9]{0,2}$") & (comma["3"].str.len_bytes() == 3))
        ).fill_null(False)
        plain = (parts["1"].is_not_null() & ~raw.str.contains(_PLAIN_AMOUNT_THOUSANDS)).fill_null(False)

        def read_amount(cell: str | None) -> tuple[str | None, str | None, bool]:
            """(plain decimal text, currency from a symbol, ok)."""
            if stager.missing(cell):
                value = mapping.value
                return (None if value is None else format(value, "f")), None, True
            money = stager.money(cell)
            if isinstance(money, ValueProblem):
                return None, None, False
            amount, symbol = money
            return format(amount, "f"), symbol, True

        plain_text = (
            pl.when(pl.lit(plain))
            .then(pl.concat_str([parts["1"], parts["2"], pl.lit("."), parts["3"].fill_null("")]))
            .otherwise(pl.concat_str([comma["1"], pl.lit(comma_whole), pl.lit("."), comma["3"]]))
        )
        plain = plain | comma_ok
        rest = raw.filter(~plain)
        slow = _per_value_many(rest, read_amount, pl.String, pl.String, pl.Boolean)
        rest_index = (~plain).arg_true()
        amount_text = pl.select(plain_text).to_series().scatter(rest_index, slow[0])
        symbol = _constant(None, self.height, pl.String).scatter(rest_index, slow[1])
        amount_ok = _constant(True, self.height, pl.Boolean).scatter(rest_index, slow[2])
        numbers = self.owner.cell_column(self.frame, Field.VALUE, "n")
        if numbers is not None and self._value_numbers is not None:
            # Number cells, read as ``parse_money`` reads them: by their shortest text, and never as
            # money with a symbol; the few other than plain digits there go the row way.
            written, _ = self._value_numbers
            readable = written.is_not_null() & (numbers.abs() < float(MAX_AMOUNT))
            typed = pl.DataFrame(
                {"number": numbers, "written": written, "ok": readable, "text": amount_text, "symbol": symbol}
            ).select(
                pl.when(pl.col("number").is_null()).then(pl.col("text")).otherwise(pl.col("written")).alias("text"),
                pl.when(pl.col("number").is_null()).then(pl.col("symbol")).alias("symbol"),
                (pl.col("number").is_null() | pl.col("ok")).alias("ok"),
            )
            amount_text, symbol, amount_ok = typed["text"], typed["symbol"], amount_ok & typed["ok"]
        frame = pl.DataFrame(
            {"amount": amount_text, "symbol": symbol, "column": column_currency, "ok": amount_ok & currency_ok}
        )
        frame = frame.with_columns(
            pl.coalesce("column", "symbol", pl.lit(mapping.currency, pl.String)).alias("currency")
        ).with_columns(
            # What the row stager refuses (a currency clash, no currency at all) goes the row way.
            (
                pl.col("ok")
                & (pl.col("amount").is_null() | pl.col("currency").is_not_null())
                & (pl.col("symbol").is_null() | (pl.col("symbol") == pl.col("currency")))
            ).alias("ok"),
        )
        sent = frame.filter(pl.col("ok") & pl.col("amount").is_not_null())
        formatted = _format_amounts(sent["amount"], sent["currency"])
        index = (frame["ok"] & frame["amount"].is_not_null()).arg_true()
        amount = _constant(None, self.height, pl.String).scatter(index, formatted)
        currency = pl.select(pl.when(pl.lit(amount).is_not_null()).then(pl.lit(frame["currency"]))).to_series()
        negative = amount_text.str.starts_with("-") & ~amount_text.str.contains(r"^-?0*\.?0*$")
        return amount, currency, frame["ok"], negative

    # -- per row ---------------------------------------------------------------------------------

    def _event_id(self, given: pl.Series, email: pl.Series, rule_id: pl.Series) -> pl.Series:
        """The event id column, else one derived from the row's content exactly as ``derive_event_id``."""
        import polars as pl

        cells = pl.DataFrame([email.alias("0")] + [self._raw(f).alias(str(i + 1)) for i, f in enumerate(_ID_CONTENT)])
        reprs = _reprs(cells)
        cell_column = self.owner.cell_column
        moments = cell_column(self.frame, Field.CONVERSION_TIME, "t")
        dates = cell_column(self.frame, Field.CONVERSION_TIME, "d")
        typed_reprs = (
            None if moments is None or dates is None else _moment_reprs(moments, dates),
            None if self._value_numbers is None else self._value_numbers[1],
        )
        for (f, _), typed in zip(_TYPED_CONTENT, typed_reprs, strict=True):
            if typed is not None:
                position = 1 + _ID_CONTENT.index(f)
                reprs[position] = pl.coalesce(pl.lit(typed), reprs[position])
        # Null where the row has an event id, or no rule (concat_str propagates nulls): not hashed.
        content = cells.select(
            pl.when(pl.lit(given).is_null()).then(
                pl.concat_str(
                    [
                        pl.lit(rule_id).cast(pl.String),
                        pl.lit("\x1f("),
                        pl.concat_str(reprs, separator=", "),
                        pl.lit(")"),
                    ]
                )
            )
        ).to_series()
        derived = EVENT_ID_PREFIX + _sha256(content).str.slice(0, 40)
        return pl.select(pl.coalesce(pl.lit(given), pl.lit(derived))).to_series()

    def _event_json(
        self,
        rule_id: pl.Series,
        ms: pl.Series,
        event_id: pl.Series,
        email: pl.Series,
        text: dict[Field, pl.Series],
        country: pl.Series,
        amount: pl.Series,
        currency: pl.Series,
    ) -> pl.Series:
        """The event as ``events.build_event`` writes it."""
        import polars as pl

        frame = pl.DataFrame(
            {
                "rule": rule_id.cast(pl.String),
                "ms": ms.fill_null(0).cast(pl.String),
                "event_id": event_id,
                "email": email,
                "first": text[Field.FIRST_NAME],
                "last": text[Field.LAST_NAME],
                "company": text[Field.COMPANY],
                "title": text[Field.TITLE],
                "country": country,
                "click": text[Field.CLICK_ID],
                "acxiom": text[Field.ACXIOM_ID],
                "external": text[Field.EXTERNAL_ID],
                "amount": amount,
                "currency": currency,
            }
        )

        # Escaping copies every text, so only columns holding a quote or backslash are escaped (hashes,
        # codes and amounts never do).
        texts = ("event_id", "first", "last", "company", "title", "click", "acxiom", "external")
        special = frame.select(pl.col(texts).str.contains(r'["\\]').any())
        escaped = {name for name in texts if special[name][0]}

        # Each part is null when its value is: concat_str propagates nulls unless told to skip them.
        def part(before: str, name: str, after: str = "") -> pl.Expr:
            text = _json_escaped(pl.col(name)) if name in escaped else pl.col(name)
            return pl.concat_str([pl.lit(f'{before}"'), text, pl.lit(f'"{after}')])

        ids = pl.concat_str(
            [part(f'{{"idType":"{kind}","idValue":', name, "}") for name, kind in _ID_KEYS],
            separator=",",
            ignore_nulls=True,
        )
        info = pl.concat_str(
            [
                part(',"userInfo":{"firstName":', "first"),
                part(',"lastName":', "last"),
                pl.concat_str(
                    [
                        part(',"companyName":', "company"),
                        part(',"title":', "title"),
                        part(',"countryCode":', "country"),
                    ],
                    ignore_nulls=True,
                ),
                pl.lit("}"),
            ]
        )
        value = pl.concat_str(
            [part(',"conversionValue":{"currencyCode":', "currency"), part(',"amount":', "amount", "}")]
        )
        urn = RULE_URN.format("")
        return frame.select(
            pl.concat_str(
                [
                    pl.lit(f'{{"conversion":"{urn}'),
                    pl.col("rule"),
                    pl.lit('","conversionHappenedAt":'),
                    pl.col("ms"),
                    value.fill_null(""),
                    part(',"eventId":', "event_id"),
                    pl.lit(',"user":{"userIds":['),
                    ids,
                    pl.lit("]"),
                    info.fill_null(""),
                    part(',"externalIds":[', "external", "]").fill_null(""),
                    pl.lit("}}"),
                ]
            )
        ).to_series()

    def _row_way(
        self, slow: pl.Series, unmapped: Counter[str], pending: list[tuple[JournalRow, str]]
    ) -> list[JournalRow]:
        """The rare rows, staged by the row stager itself (its counter of unmapped names is per chunk)."""
        stager = self.stager
        if not slow.any():
            return []
        rows: list[JournalRow] = []
        stager.unmapped = Counter()
        order = stager.evidence.order
        try:
            for position, source in zip(slow.arg_true().to_list(), self.source_rows(slow), strict=True):
                if self.learnt_at:
                    # As the row stager reads the file, the order is unknown until the row that tells it.
                    stager.evidence.order = None if position < self.learnt_at else order
                row, pending_time = stager.process(source)
                if pending_time is None:
                    rows.append(row)
                else:
                    pending.append((row, pending_time))
        finally:
            stager.evidence.order = order
        unmapped.update(stager.unmapped)
        return rows


_TIME_OK, _TIME_PENDING, _TIME_PROBLEM = 0, 1, 2
_ORDER_CODES: dict[DateOrder | None, int | None] = {None: None, DateOrder.DMY: 1, DateOrder.MDY: 2}
_CODE_ORDERS = {1: DateOrder.DMY, 2: DateOrder.MDY}
_STATES = {state.value: state for state in RowState}


def _normalise_email(cell: str | None) -> str:
    from capi_desktop.core.identity import normalise_email

    return normalise_email(cell)


def _sha256(series: pl.Series) -> pl.Series:
    """SHA-256 lowercase hex of each text's UTF-8, as ``identity.hash_sha256`` (native, on both cores)."""
    import polars as pl
    import polars_hash

    return pl.DataFrame({"text": series}).select(polars_hash.col("text").chash.sha2_256()).to_series()


def _json_escaped(text: pl.Expr) -> pl.Expr:
    """``encode_basestring`` without its quotes, for text ``clean_text`` made (no control characters)."""
    return text.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)


# A character ``repr()`` does not print as it is, or that changes its quotes: the other text it quotes
# as it is (ASCII and Latin letters; not the no-break space U+00A0 or the soft hyphen U+00AD).
_REPR_SPECIAL = r"[^ !#-&(-\[\]-~\u00a1-\u00ac\u00ae-\u017f]"


def _reprs(cells: pl.DataFrame) -> list[pl.Expr]:
    """``repr()`` of each column's cells, as expressions over ``cells``: plain text quoted directly, and
    in a column that also holds other text, that text through Python."""
    import polars as pl

    special = cells.select(pl.all().str.contains(_REPR_SPECIAL).any())
    reprs = []
    for name in cells.columns:
        cell = pl.col(name)
        quoted = pl.when(cell.is_null()).then(pl.lit("None")).otherwise(pl.concat_str([pl.lit("'"), cell, pl.lit("'")]))
        if special[name][0]:
            plain = (~cells[name].str.contains(_REPR_SPECIAL)).fill_null(True)
            quoted = pl.lit(_fast_or_per_value(cells[name], cells.select(quoted).to_series(), plain, repr, pl.String))
        reprs.append(quoted)
    return reprs


def _number_texts(numbers: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Number cells as plain decimal text ("12." for twelve), and as ``repr`` writes what ``to_cell``
    made of them ("12", "12.5"); null where ``repr`` would write something else ("1e-05")."""
    import polars as pl

    frame = pl.DataFrame({"n": numbers}).with_columns(
        ((pl.col("n") == pl.col("n").floor()) & (pl.col("n").abs() < _EXACT_INT)).alias("whole"),
        pl.col("n").cast(pl.Int64, strict=False).cast(pl.String).alias("int"),
        pl.col("n").cast(pl.String).alias("float"),
    )
    # Both write the shortest digits that read back as the same double; repr switches to an exponent
    # below 1e-4 and from 1e16, polars elsewhere.
    magnitude = pl.col("n").abs()
    plain = pl.col("float").str.contains(r"^-?[0-9]+\.[0-9]+$") & (magnitude >= 1e-4) & (magnitude < 1e16)
    texts = frame.select(
        pl.when(pl.col("whole"))
        .then(pl.concat_str([pl.col("int"), pl.lit(".")]))
        .when(plain)
        .then(pl.col("float"))
        .alias("written"),
        pl.when(pl.col("whole")).then(pl.col("int")).when(plain).then(pl.col("float")).alias("repr"),
    )
    return texts["written"], texts["repr"]


def _moment_reprs(moments: pl.Series, dates: pl.Series) -> pl.Series:
    """``repr`` of date cells: datetime.date(2026, 11, 23), or datetime.datetime(2026, 11, 23, 14, 5)
    with the second and microsecond when they are not zero."""
    import polars as pl

    t = pl.col("t")
    second, micro = t.dt.second(), t.dt.microsecond()
    day = pl.concat_str([t.dt.year(), t.dt.month(), t.dt.day()], separator=", ")
    clock = pl.concat_str(
        [
            t.dt.hour().cast(pl.String),
            pl.lit(", "),
            t.dt.minute().cast(pl.String),
            pl.when((second != 0) | (micro != 0)).then(pl.format(", {}", second)).otherwise(pl.lit("")),
            pl.when(micro != 0).then(pl.format(", {}", micro)).otherwise(pl.lit("")),
        ]
    )
    return (
        pl.DataFrame({"t": moments, "date": dates})
        .select(
            pl.when(pl.col("date"))
            .then(pl.format("datetime.date({})", day))
            .otherwise(pl.format("datetime.datetime({}, {})", day, clock))
        )
        .to_series()
    )


def _format_amounts(amount: pl.Series, currency: pl.Series) -> pl.Series:
    """``format_amount`` of plain decimal text ("-12.5"): padded to the currency's decimal places; text
    with more places (to round) or in another form goes through ``format_amount`` itself."""
    import polars as pl

    places = _per_value(currency, minor_units, pl.Int32)
    widest = int(places.max() or 0)  # type: ignore[arg-type]
    parts = amount.str.extract_groups(r"^(-?)0*([0-9]+?)\.([0-9]*)$").struct.unnest()
    frame = pl.DataFrame({"sign": parts["1"], "whole": parts["2"], "fraction": parts["3"], "places": places})
    fits = (frame["fraction"].str.len_chars() <= frame["places"]).fill_null(False)
    zero = (pl.col("whole") == "0") & pl.col("fraction").str.contains("^0*$")
    fast = frame.select(
        pl.concat_str(
            [
                pl.when(zero).then(pl.lit("")).otherwise(pl.col("sign")),  # "-0.00" is "0.00"
                pl.col("whole"),
                pl.when(pl.col("places") > 0).then(pl.lit(".")).otherwise(pl.lit("")),
                pl.col("fraction").str.pad_end(widest, "0").str.slice(0, pl.col("places")),
            ]
        )
    ).to_series()
    rest = ~fits
    if not rest.any():
        return fast
    formatted = [
        format_amount(Decimal(text), code)
        for text, code in zip(amount.filter(rest).to_list(), currency.filter(rest).to_list(), strict=True)
    ]
    return fast.scatter(rest.arg_true(), pl.Series(formatted, dtype=pl.String))


def _constant(value: Any, length: int, dtype: Any) -> pl.Series:
    import polars as pl

    return pl.Series([value], dtype=dtype).new_from_index(0, length)  # not pl.repeat: a query, 30× slower


def _per_value(series: pl.Series, fn: Callable[[Any], Any], dtype: Any) -> pl.Series:
    """``fn`` of every cell, called once per distinct value."""
    return _per_value_many(series, lambda cell: (fn(cell),), dtype)[0]


def _per_value_many(series: pl.Series, fn: Callable[[Any], tuple[Any, ...]], *dtypes: Any) -> list[pl.Series]:
    """``fn`` of every cell, called once per distinct value; one series per item of its result."""
    import polars as pl

    if not series.len():
        return [pl.Series(series.name, [], dtype=dtype) for dtype in dtypes]
    keys = series.unique(maintain_order=True).to_list()
    results = [fn(key) for key in keys]
    places = series.replace_strict(keys, range(len(keys)), return_dtype=pl.UInt32)  # one lookup for all results
    return [pl.Series([r[i] for r in results], dtype=dtype).gather(places) for i, dtype in enumerate(dtypes)]


def _fast_or_per_value(
    series: pl.Series, fast: pl.Series, handled: pl.Series, fn: Callable[[Any], Any], dtype: Any
) -> pl.Series:
    """``fast`` where ``handled``, else ``fn`` once per distinct remaining value."""
    rest = ~handled
    if not rest.any():
        return fast
    return fast.cast(dtype).scatter(rest.arg_true(), _per_value(series.filter(rest), fn, dtype))
