"""Reading the conversion-time column of a batch, and learning the column's day/month order from it.

Text dates like 05/06/2026 need the order; the first cell that tells it (23/06/2026) settles it for the
whole column, and a later cell telling the other order is an error on its row. Rows whose date needs
an order no cell has told yet are left ``AMBIGUOUS`` for now: the engine stages them again once the
whole column has been seen.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from capi_desktop.core.mapping import Field
from capi_desktop.core.normalise.dates import AmbiguousDate, DateOrder
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.staging import messages
from capi_desktop.core.staging.fields import Batch, coalesce, constant, fast_or_per_value, non_text, per_value_many

if TYPE_CHECKING:
    import polars as pl

_DAY_MONTH = (
    r"^[ \t]*([0-9]{1,2})([/.\-])([0-9]{1,2})([/.\-])([0-9]{4})(?:[ T]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?[ \t]*$"
)
_ISO = r"^[ \t]*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?[ \t]*$"
# ``dates._DATE_HEAD`` for ASCII text (Python's \s also matches \x1c-\x1f); the separators must agree.
_DATE_HEAD = r"^[\t\n\x0b\x0c\r \x1c-\x1f]*([0-9]{1,4})([/.\-])([0-9]{1,2})([/.\-])([0-9]{1,4})(?:[^0-9]|$)"
_ORDER_CODES: dict[DateOrder | None, int | None] = {None: None, DateOrder.DMY: 1, DateOrder.MDY: 2}
_CODE_ORDERS = {1: DateOrder.DMY, 2: DateOrder.MDY}


class TimeState(IntEnum):
    OK = 0
    AMBIGUOUS = 1  # day/month or month/day, and the column has not told which yet
    PROBLEM = 2  # the message says what


class OrderEvidence:
    """The column's day/month order: chosen by the user, or learnt from its cells as batches come."""

    def __init__(self, chosen: DateOrder) -> None:
        self.order: DateOrder | None = None if chosen is DateOrder.AUTO else chosen
        self.user_chose = chosen is not DateOrder.AUTO


class Times(NamedTuple):
    ms: pl.Series  # epoch milliseconds, null unless OK
    state: pl.Series  # TimeState
    message: pl.Series  # the problem in words, null unless PROBLEM


def read_times(batch: Batch, evidence: OrderEvidence, *, final: bool) -> Times:
    """The batch's conversion times. ``final``: no later cell can tell the order, so a date that
    needs it is a problem."""
    import polars as pl

    scalars = batch.scalars
    learnt_at = 0  # rows above the one that first told the order here were read without it
    column = batch.field(Field.CONVERSION_TIME)
    raw = column.text
    height = batch.height
    tz = scalars.tz.key
    # Day/month dates, the commonest kind; the other patterns are only tried on the other cells.
    dm = raw.str.extract_groups(_DAY_MONTH).struct.unnest()
    other = pl.select(pl.when(dm["1"].is_null()).then(pl.lit(raw))).to_series()
    if evidence.user_chose:
        contradicts = constant(False, height, pl.Boolean)
    else:
        told = _told(batch, raw, dm, other)
        if evidence.order is None:
            telling = told.is_not_null().arg_true()
            if telling.len():
                learnt_at = int(telling[0])
                evidence.order = _CODE_ORDERS[told[learnt_at]]
        known = _ORDER_CODES[evidence.order]
        contradicts = (told.is_not_null() & (told != known)) if known is not None else told.is_not_null() & False
    order = evidence.order or DateOrder.AUTO
    iso = other.str.extract_groups(_ISO).struct.unnest()
    parts = pl.DataFrame([dm[k].alias(f"dm_{k}") for k in dm.columns] + [iso[k].alias(f"iso_{k}") for k in iso.columns])
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
    instant = _instants(local.to_series(), tz)
    options = scalars.options
    low = scalars.now_ms - options.max_age_days * 86_400_000
    high = scalars.now_ms + options.future_grace_seconds * 1000
    fast = real & ~moment["ambiguous"] & instant.is_between(low, high).fill_null(False) & ~contradicts
    fast_ms = pl.select(pl.when(pl.lit(fast)).then(pl.lit(instant))).to_series()

    def read(cell: Any) -> tuple[int | None, int, str | None]:
        if scalars.missing(cell):
            return None, TimeState.PROBLEM, messages.no_time(column.name)
        ms = scalars.time_ms(cell, order)
        if isinstance(ms, AmbiguousDate):
            # Said only when nothing else is wrong with the row, once the whole column is known.
            if not final:
                return None, TimeState.AMBIGUOUS, None
            if evidence.order is not None:  # an order the user chose, which this date does not fit
                return None, TimeState.PROBLEM, str(ms)
            return None, TimeState.PROBLEM, messages.untold_date_order(str(cell))
        if isinstance(ms, ValueProblem):
            return None, TimeState.PROBLEM, str(ms)
        return int(ms), TimeState.OK, None

    has_other = non_text(column, height)
    rest = ~fast & ~has_other
    slow_ms, slow_state, slow_message = per_value_many(raw.filter(rest), read, pl.Int64, pl.Int8, pl.String)
    at = rest.arg_true()
    ms = fast_ms.scatter(at, slow_ms)
    state = constant(TimeState.OK, height, pl.Int8).scatter(at, slow_state)
    message = constant(None, height, pl.String).scatter(at, slow_message)
    if contradicts.any():
        wrong = other_order(raw.filter(contradicts), evidence.order)
        message = message.scatter(contradicts.arg_true(), wrong)
        state = state.scatter(contradicts.arg_true(), TimeState.PROBLEM)
        ms = ms.scatter(contradicts.arg_true(), None)
    if learnt_at:
        ms, state, message = _read_before_order(batch, raw, learnt_at, Times(ms, state, message))
    if not has_other.any():
        return Times(ms, state, message)
    # Date cells: wall-clock time in the zone, as ``parse_conversion_time`` reads them; other cells and
    # those outside LinkedIn's window through it.
    moments = column.moments
    typed_ms = _instants(moments, tz) if moments is not None else constant(None, height, pl.Int64)
    typed_fast = typed_ms.is_between(low, high).fill_null(False)
    slow = has_other & ~typed_fast
    other_ms, other_state, other_message = batch.per_object(column, read, pl.Int64, pl.Int8, pl.String, only=slow)
    frame = pl.DataFrame(
        {
            "ms": ms,
            "state": state,
            "message": message,
            "typed": typed_fast,
            "typed_ms": typed_ms,
            "slow": slow,
            "other_ms": other_ms,
            "other_state": other_state,
            "other_message": other_message,
        }  # fmt: skip
    ).select(
        pl.when("typed").then("typed_ms").when("slow").then("other_ms").otherwise("ms").alias("ms"),
        pl.when("typed")
        .then(pl.lit(TimeState.OK, pl.Int8))
        .when("slow")
        .then("other_state")
        .otherwise("state")
        .alias("state"),
        pl.when("typed").then(None).when("slow").then("other_message").otherwise("message").alias("message"),
    )
    return Times(frame["ms"], frame["state"], frame["message"])


def _read_before_order(batch: Batch, raw: pl.Series, learnt_at: int, times: Times) -> Times:
    """The rows above the one that first told the order, as they read before it was known: a date
    that is no date says so plainly, rather than that it does not fit the order."""
    import polars as pl

    scalars = batch.scalars
    above = (pl.int_range(batch.height, eager=True) < learnt_at) & (times.state == TimeState.PROBLEM)
    above = above & raw.is_not_null() & ~times.message.str.starts_with("The date “").fill_null(False)
    if not above.any():
        return times

    def reread(cell: Any) -> str | None:
        ms = scalars.time_ms(cell, DateOrder.AUTO)
        return str(ms) if isinstance(ms, ValueProblem) and not isinstance(ms, AmbiguousDate) else None

    again = per_value_many(raw.filter(above), lambda cell: (reread(cell),), pl.String)[0]
    at = above.arg_true()
    kept = times.message.filter(above)
    return Times(times.ms, times.state, times.message.scatter(at, coalesce(again, kept)))


def other_order(cells: pl.Series, order: DateOrder | None) -> pl.Series:
    import polars as pl

    assert order is not None, "a cell contradicts only an order already known"
    return pl.Series([messages.other_date_order(str(cell), order) for cell in cells.to_list()], dtype=pl.String)


def _instants(local: pl.Series, tz: str) -> pl.Series:
    """Epoch ms of wall-clock times in ``tz``; null for a time a daylight-saving change skips or repeats,
    or for every time in a zone polars does not know (Python reads those)."""
    import polars as pl

    try:
        zoned = local.dt.replace_time_zone(tz, ambiguous="null", non_existent="null")
        return zoned.dt.epoch("ms")
    except pl.exceptions.PolarsError:
        return constant(None, local.len(), pl.Int64)


def _told(batch: Batch, raw: pl.Series, dm: pl.DataFrame, other: pl.Series) -> pl.Series:
    """``telling_order`` of each text cell as a code (1 DMY, 2 MDY), ASCII cells vectorised: from the
    parts of the day/month dates ``dm`` found, else of the ``other`` cells' start."""
    import polars as pl

    head = other.str.extract_groups(_DATE_HEAD).struct.unnest()
    part = {k: coalesce(dm[k], head[k]) for k in ("1", "2", "3", "4")}
    a, b = part["1"].cast(pl.Int32), part["3"].cast(pl.Int32)
    frame = pl.DataFrame({"a": a, "b": b, "la": part["1"].str.len_bytes(), "same": part["2"] == part["4"]})
    told = frame.select(
        pl.when(~pl.col("same") | (pl.col("la") > 2) | ~pl.col("a").is_between(1, 31) | ~pl.col("b").is_between(1, 31))
        .then(None)
        .when((pl.col("a") > 12) & (pl.col("b") <= 12))
        .then(1)
        .when((pl.col("b") > 12) & (pl.col("a") <= 12))
        .then(2)
        .cast(pl.Int8)
    ).to_series()
    # Where ``other`` is empty, the cell is empty or a day/month date (ASCII, as the pattern is).
    ascii_text = other.str.contains(r"^[\x00-\x7f]*$").fill_null(True)
    told_by = batch.scalars.told
    return fast_or_per_value(raw, told, ascii_text, lambda cell: _ORDER_CODES[told_by(cell)], pl.Int8)
