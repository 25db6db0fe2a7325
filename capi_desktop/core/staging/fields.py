"""Reading one field of a batch: its cells as a column, normalised as a whole.

Common shapes (plain ASCII emails, tidy names, codes) are handled by vectorised expressions; every
other value goes through the scalar normaliser (``identity``, ``money``, ``dates``), called once per
distinct value and cached across batches. A non-text cell of a workbook (a number in a name column, a
yes/no value) always goes through the scalar normaliser, which accepts or words it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from capi_desktop.core.mapping import ColumnMapping, Field
from capi_desktop.core.normalise.dates import DateOrder, check_conversion_window, parse_conversion_time, telling_order
from capi_desktop.core.normalise.identity import clean_text, normalise_country, normalise_email
from capi_desktop.core.normalise.money import normalise_currency, parse_money
from capi_desktop.core.normalise.problems import PLACEHOLDERS, ValueProblem, is_missing
from capi_desktop.core.reading.workbook import to_cell
from capi_desktop.core.staging import messages
from capi_desktop.core.staging.cells import Cells

if TYPE_CHECKING:
    import polars as pl

    from capi_desktop.core.mapping import ImportOptions

_T = TypeVar("_T")
# Printable ASCII and Latin letters (which NFC keeps as they are), single inner spaces: clean_text keeps
# it as it is. Not ß or ſ, whose casefold() is not their lowercase.
_TIDY_TEXT = r"^[!-~\u00a1-\u00ac\u00ae-\u00de\u00e0-\u017e]+(?: [!-~\u00a1-\u00ac\u00ae-\u00de\u00e0-\u017e]+)*$"
# ``is_missing``'s placeholders, in any case: for tidy text, which is ASCII where it matters (no Latin
# letter folds to ASCII; ß and ſ are not tidy), this is its casefold() comparison.
_PLACEHOLDER = "(?i)^(?:" + "|".join(re.escape(text) for text in sorted(PLACEHOLDERS)) + ")$"
_PLAIN_EMAIL = (
    r"^[ \t]*[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\-]+)*@"
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9\-]*[a-zA-Z0-9][ \t]*$"
)


def _remembered(parse: Callable[..., _T]) -> functools._lru_cache_wrapper[_T | ValueProblem]:
    """``parse`` cached together with its refusals, returned rather than raised: lru_cache keeps no
    exceptions, and a column repeating one bad value would be parsed again in every batch."""

    def outcome(*args: Any) -> _T | ValueProblem:
        try:
            return parse(*args)
        except ValueProblem as problem:
            return problem.with_traceback(None)  # a kept traceback would keep its frames alive

    return functools.lru_cache(maxsize=65536, typed=True)(outcome)


class Scalars:
    """The scalar normalisers one import calls, each cached for the whole import (``typed``: True
    is not 1)."""

    def __init__(self, options: ImportOptions, tz: ZoneInfo, now_ms: int, decimal_comma: bool | None) -> None:
        self.options, self.tz, self.now_ms, self.decimal_comma = options, tz, now_ms, decimal_comma
        self.text = functools.lru_cache(maxsize=65536, typed=True)(clean_text)
        self.missing = functools.lru_cache(maxsize=65536, typed=True)(is_missing)
        self.told = functools.lru_cache(maxsize=65536, typed=True)(telling_order)
        self.money = _remembered(self._money)
        self.country = _remembered(normalise_country)
        self.currency = _remembered(normalise_currency)
        self.time_ms = _remembered(self._time)
        self.email = _remembered(normalise_email)
        self._caches = (
            self.text, self.missing, self.told, self.money, self.country, self.currency, self.time_ms, self.email,
        )  # fmt: skip

    def close(self) -> None:
        """Empty the caches now: they hold bound methods of this object, a reference cycle that would
        otherwise wait for a full garbage collection (a visible freeze of the window after an import)."""
        for cache in self._caches:
            cache.cache_clear()

    def _time(self, cell: Any, order: DateOrder) -> int:
        ms = parse_conversion_time(cell, order, self.tz)
        options = self.options
        check_conversion_window(ms, self.now_ms, options.max_age_days, options.future_grace_seconds)
        return ms

    def _money(self, cell: Any) -> tuple[Decimal, str | None]:
        money = parse_money(cell, decimal_comma=self.decimal_comma)
        return money.amount, money.currency


class Column(NamedTuple):
    """One spreadsheet column's cells in a batch (see ``Cells``); all null for a field not mapped."""

    name: str  # the column's name, or the field's label when it is not mapped
    text: pl.Series
    keys: pl.Series | None  # other cells: their index in the batch's objects
    moments: pl.Series | None
    dates: pl.Series | None
    numbers: pl.Series | None


def non_text(column: Column, height: int) -> pl.Series:
    """Where the column's cell is a date, a number or another cell that is not text."""
    import polars as pl

    present = [series.is_not_null() for series in (column.keys, column.moments, column.numbers) if series is not None]
    if not present:
        return constant(False, height, pl.Boolean)
    return pl.select(pl.any_horizontal([pl.lit(mask) for mask in present])).to_series()


class Batch:
    """A batch of cells as the mapping's fields."""

    def __init__(self, cells: Cells, columns: tuple[str, ...], mapping: ColumnMapping, scalars: Scalars) -> None:
        self.cells, self.frame, self.height = cells, cells.frame, cells.frame.height
        self.index = {name: i for i, name in enumerate(columns)}
        self.mapping, self.scalars = mapping, scalars

    def column(self, name: str | None, label: str = "") -> Column:
        import polars as pl

        frame = self.frame
        i = None if name is None else self.index[name]

        def part(kind: str) -> pl.Series | None:
            key = f"{kind}{i}"
            return frame[key] if i is not None and key in frame.columns else None

        text = part("c")
        if text is None:
            text = constant(None, self.height, pl.String)
        return Column(name or label, text, part("k"), part("t"), part("d"), part("n"))

    def field(self, f: Field) -> Column:
        return self.column(self.mapping.column(f), f.label)

    def per_object(
        self, column: Column, fn: Callable[[Any], tuple[Any, ...]], *dtypes: Any, only: pl.Series | None = None
    ) -> list[pl.Series]:
        """``fn`` of each non-text cell as the app reads it (of those ``only`` selects), once per distinct
        cell; null for the others."""
        import polars as pl

        empty = [constant(None, self.height, dtype) for dtype in dtypes]
        present = non_text(column, self.height)
        if only is not None:
            present = present & only
        if not present.any():
            return empty
        at = present.arg_true()
        cells = self._python_cells(column, at)
        found: dict[tuple[type, Any], tuple[Any, ...]] = {}
        results = [found.setdefault((type(cell), cell), fn(cell)) if _hashable(cell) else fn(cell) for cell in cells]
        return [
            series.scatter(at, pl.Series([r[n] for r in results], dtype=dtype))
            for n, (series, dtype) in enumerate(zip(empty, dtypes, strict=True))
        ]

    def _python_cells(self, column: Column, at: pl.Series) -> list[Any]:
        """The non-text cells at ``at`` as the workbook reader gives them, then as ``to_cell`` reads them."""
        count = at.len()
        parts = [
            [None] * count if series is None else series.gather(at).to_list()
            for series in (column.keys, column.moments, column.dates, column.numbers)
        ]
        objects = self.cells.objects
        cells: list[Any] = []
        for key, moment, is_date, number in zip(*parts, strict=True):
            if key is not None:
                cells.append(to_cell(objects[key]))
            elif moment is not None:
                cells.append(moment.date() if is_date else moment)
            else:
                cells.append(to_cell(number))
        return cells

    def text_field(self, f: Field) -> tuple[pl.Series, pl.Series]:
        """``clean_text`` of the field's cells, and the problem with a cell that is not text (a date in a
        name column) in words."""
        import polars as pl

        column = self.field(f)
        raw = column.text
        tidy = (raw.str.contains(_TIDY_TEXT) & ~raw.str.contains(_PLACEHOLDER)).fill_null(True)
        text = fast_or_per_value(raw, raw, tidy, self.scalars.text, pl.String)

        def read(cell: Any) -> tuple[str | None, str | None]:
            try:
                return clean_text(cell, column=column.name), None
            except ValueProblem as problem:
                return None, str(problem)

        other, problem = self.per_object(column, read, pl.String, pl.String)
        return coalesce(text, other), problem

    def email(self) -> tuple[pl.Series, pl.Series]:
        """The first valid email's hash, and the first email column holding something invalid."""
        import polars as pl

        found = constant(None, self.height, pl.String)
        bad = constant(None, self.height, pl.String)
        scalars = self.scalars

        def read(cell: Any) -> tuple[str | None, bool]:
            if scalars.missing(cell):  # "n/a", "-", blank: no email, rather than a wrong one
                return None, False
            hashed = scalars.email(cell)
            return (None, True) if isinstance(hashed, ValueProblem) else (hashed, False)

        for name in self.mapping.columns.get(Field.EMAIL, ()):
            column = self.column(name)
            raw = column.text
            cleaned = raw.str.strip_chars(" \t").str.to_lowercase()
            # The contract's length limits: 254 in all, 64 before the "@".
            plain = (
                raw.str.contains(_PLAIN_EMAIL) & (cleaned.str.len_bytes() <= 254) & (cleaned.str.find("@") <= 64)
            ).fill_null(False)
            fast = constant(None, self.height, pl.String).scatter(plain.arg_true(), sha256(cleaned.filter(plain)))
            rest = ~plain & raw.is_not_null()
            slow_hash, slow_bad = per_value_many(raw.filter(rest), read, pl.String, pl.Boolean)
            hashes = fast.scatter(rest.arg_true(), slow_hash)
            bad_here = constant(False, self.height, pl.Boolean).scatter(rest.arg_true(), slow_bad)
            other_hash, other_bad = self.per_object(column, read, pl.String, pl.Boolean)
            hashes = coalesce(hashes, other_hash)
            bad_here = bad_here | other_bad.fill_null(False)
            step = pl.DataFrame({"found": found, "bad": bad, "hash": hashes, "bad_here": bad_here}).select(
                pl.coalesce("found", "hash").alias("found"),
                pl.when(pl.col("found").is_null() & pl.col("bad").is_null() & pl.col("bad_here"))
                .then(pl.lit(name))
                .otherwise(pl.col("bad"))
                .alias("bad"),
            )
            found, bad = step["found"], step["bad"]
        return found, bad

    def country(self) -> tuple[pl.Series, pl.Series]:
        """The ISO code, and the warning for a country not recognised (it is sent without one)."""

        scalars = self.scalars

        def read(cell: Any) -> tuple[str | None, str | None]:
            if scalars.missing(cell):
                return None, None
            country = scalars.country(cell)
            if isinstance(country, ValueProblem):
                return None, messages.country_dropped(str(country))
            return str(country), None

        return self.coded(self.field(Field.COUNTRY), read)

    def currency(self) -> tuple[pl.Series, pl.Series]:
        """The currency column's ISO codes, and the problem with a currency not recognised."""
        scalars = self.scalars

        def read(cell: Any) -> tuple[str | None, str | None]:
            if scalars.missing(cell):
                return None, None
            code = scalars.currency(cell)
            return (None, str(code)) if isinstance(code, ValueProblem) else (str(code), None)

        return self.coded(self.field(Field.CURRENCY), read)

    def coded(self, column: Column, read: Callable[[Any], tuple[Any, ...]]) -> tuple[pl.Series, pl.Series]:
        import polars as pl

        value, problem = per_value_many(column.text, read, pl.String, pl.String)
        other_value, other_problem = self.per_object(column, read, pl.String, pl.String)
        return coalesce(value, other_value), coalesce(problem, other_problem)


def _hashable(cell: Any) -> bool:
    try:
        hash(cell)
    except TypeError:
        return False
    return True


def sha256(series: pl.Series) -> pl.Series:
    """SHA-256 lowercase hex of each text's UTF-8, as ``identity.hash_sha256`` (native, on both cores)."""
    import polars as pl
    import polars_hash

    return pl.DataFrame({"text": series}).select(polars_hash.col("text").chash.sha2_256()).to_series()


def constant(value: Any, length: int, dtype: Any) -> pl.Series:
    import polars as pl

    return pl.Series([value], dtype=dtype).new_from_index(0, length)  # not pl.repeat: a query, 30× slower


def coalesce(*series: pl.Series) -> pl.Series:
    import polars as pl

    return pl.select(pl.coalesce([pl.lit(s) for s in series])).to_series()


def per_value(series: pl.Series, fn: Callable[[Any], Any], dtype: Any) -> pl.Series:
    """``fn`` of every cell, called once per distinct value."""
    return per_value_many(series, lambda cell: (fn(cell),), dtype)[0]


def per_value_many(series: pl.Series, fn: Callable[[Any], tuple[Any, ...]], *dtypes: Any) -> list[pl.Series]:
    """``fn`` of every cell, called once per distinct value; one series per item of its result."""
    import polars as pl

    if not series.len():
        return [pl.Series(series.name, [], dtype=dtype) for dtype in dtypes]
    keys = series.unique(maintain_order=True).to_list()
    results = [fn(key) for key in keys]
    places = series.replace_strict(keys, range(len(keys)), return_dtype=pl.UInt32)  # one lookup for all results
    return [pl.Series([r[i] for r in results], dtype=dtype).gather(places) for i, dtype in enumerate(dtypes)]


def fast_or_per_value(
    series: pl.Series, fast: pl.Series, handled: pl.Series, fn: Callable[[Any], Any], dtype: Any
) -> pl.Series:
    """``fast`` where ``handled``, else ``fn`` once per distinct remaining value."""
    rest = ~handled
    if not rest.any():
        return fast
    return fast.cast(dtype).scatter(rest.arg_true(), per_value(series.filter(rest), fn, dtype))
