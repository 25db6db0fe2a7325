"""Reading the value and currency columns of a batch: the amount as sent, its currency, and the one
problem that keeps a row's value from being sent, in words."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from capi_desktop.core.mapping import Field
from capi_desktop.core.normalise.money import MAX_AMOUNT, format_amount, minor_units
from capi_desktop.core.normalise.problems import ValueProblem
from capi_desktop.core.reading.workbook import EXACT_INT  # whole numbers ``to_cell`` makes ints
from capi_desktop.core.staging import messages
from capi_desktop.core.staging.fields import Batch, constant, non_text, per_value, per_value_many

if TYPE_CHECKING:
    import polars as pl

_PLAIN_AMOUNT = r"^[ \t]*(-?)([0-9]{1,15})(?:\.([0-9]{1,20}))?[ \t]*$"
_PLAIN_AMOUNT_THOUSANDS = r"^[ \t]*-?[0-9]{1,15}\.[0-9]{3}[ \t]*$"  # "1.234": the scalar reader decides
# "1 234,56", "-5,49": a decimal comma, thousands grouped by spaces; "1,234" alone is ambiguous.
_COMMA_AMOUNT = r"^[ \t]*(-?)([1-9][0-9]{0,2}(?: [0-9]{3})+|[0-9]{1,15}),([0-9]{1,20})[ \t]*$"
# A bare "$" reads as USD; a currency column saying CAD or AUD is the better authority then.
_DOLLARS = ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "BSD", "BBD", "JMD", "TTD")


class Values(NamedTuple):
    amount: pl.Series  # as sent ("1234.50"), null when the row sends no value
    currency: pl.Series  # ISO code, null when the row sends no value
    problem: pl.Series  # why the row cannot be sent, in words; null when it can
    negative: pl.Series


def read_values(batch: Batch) -> Values:
    import polars as pl

    scalars = batch.scalars
    mapping = batch.mapping
    column = batch.field(Field.VALUE)
    raw = column.text
    height = batch.height
    default = None if mapping.value is None else format(mapping.value, "f")

    def read(cell: Any) -> tuple[str | None, str | None, str | None]:
        """(plain decimal text, the currency a symbol names, the problem)."""
        if scalars.missing(cell):
            return default, None, None
        money = scalars.money(cell)
        if isinstance(money, ValueProblem):
            return None, None, str(money)
        amount, symbol = money
        return format(amount, "f"), symbol, None

    parts = raw.str.extract_groups(_PLAIN_AMOUNT).struct.unnest()
    comma = raw.str.extract_groups(_COMMA_AMOUNT).struct.unnest()
    comma_whole = comma["2"].str.replace_all(" ", "", literal=True)
    comma_ok = (
        comma["2"].is_not_null()
        & (comma_whole.str.len_bytes() <= 15)
        & ~(comma["2"].str.contains("^[1-9][0-9]{0,2}$") & (comma["3"].str.len_bytes() == 3))
    ).fill_null(False)
    plain = (parts["1"].is_not_null() & ~raw.str.contains(_PLAIN_AMOUNT_THOUSANDS)).fill_null(False)
    plain_text = (
        pl.when(pl.lit(plain))
        .then(pl.concat_str([parts["1"], parts["2"], pl.lit("."), parts["3"].fill_null("")]))
        .otherwise(pl.concat_str([comma["1"], pl.lit(comma_whole), pl.lit("."), comma["3"]]))
    )
    fast = plain | comma_ok
    has_other = non_text(column, height)
    rest = ~fast & ~has_other
    slow = per_value_many(raw.filter(rest), read, pl.String, pl.String, pl.String)
    at = rest.arg_true()
    amount = pl.select(plain_text).to_series().scatter(at, slow[0])
    symbol = constant(None, height, pl.String).scatter(at, slow[1])
    problem = constant(None, height, pl.String).scatter(at, slow[2])
    if has_other.any():
        # Number cells by their shortest text, as ``parse_money`` reads them (never with a symbol); any
        # other cell, and numbers written otherwise ("1e-05"), through it.
        numbers = column.numbers if column.numbers is not None else constant(None, height, pl.Float64)
        written = _number_texts(numbers)
        readable = (written.is_not_null() & (numbers.abs() < float(MAX_AMOUNT))).fill_null(False)
        other = batch.per_object(column, read, pl.String, pl.String, pl.String, only=has_other & ~readable)
        frame = pl.DataFrame(
            {
                "amount": amount,
                "symbol": symbol,
                "problem": problem,
                "typed": readable,
                "written": written,
                "other": has_other,
                "o_amount": other[0],
                "o_symbol": other[1],
                "o_problem": other[2],
            }  # fmt: skip
        ).select(
            pl.when("typed").then("written").when("other").then("o_amount").otherwise("amount").alias("amount"),
            pl.when("typed").then(None).when("other").then("o_symbol").otherwise("symbol").alias("symbol"),
            pl.when("typed").then(None).when("other").then("o_problem").otherwise("problem").alias("problem"),
        )
        amount, symbol, problem = frame["amount"], frame["symbol"], frame["problem"]
    column_currency, currency_problem = batch.currency()
    dollars = pl.Series(_DOLLARS, dtype=pl.String)
    decided = pl.DataFrame(
        {"amount": amount, "symbol": symbol, "problem": problem, "column": column_currency, "refused": currency_problem}
    ).with_columns(pl.coalesce("column", "symbol", pl.lit(mapping.currency, pl.String)).alias("currency"))
    has_amount = pl.col("amount").is_not_null() & pl.col("problem").is_null()
    clash = (
        pl.col("symbol").is_not_null()
        & (pl.col("currency") != pl.col("symbol"))
        & ~((pl.col("symbol") == "USD") & pl.col("currency").is_in(dollars.implode()))
    )
    no_currency = has_amount & pl.col("refused").is_null() & pl.col("currency").is_null()
    decided = decided.with_columns(
        pl.when(pl.col("problem").is_not_null())
        .then("problem")
        .when(pl.col("amount").is_null())
        .then(None)
        .when(pl.col("refused").is_not_null())
        .then("refused")
        .when(pl.col("currency").is_null())
        .then(pl.lit(""))  # worded below, with the amount as the scalar reader writes it
        .when(clash)
        .then(pl.format(messages.currency_clash("{}", "{}"), "symbol", "currency"))
        .alias("problem"),
        no_currency.alias("no_currency"),
    )
    problem = decided["problem"]
    if decided["no_currency"].any():
        missing = decided["no_currency"]
        words = [messages.no_currency(_as_read(text)) for text in amount.filter(missing).to_list()]
        problem = problem.scatter(missing.arg_true(), pl.Series(words, dtype=pl.String))
    sent = problem.is_null() & amount.is_not_null()
    currency = pl.select(pl.when(pl.lit(sent)).then(pl.lit(decided["currency"]))).to_series()
    formatted = constant(None, height, pl.String).scatter(
        sent.arg_true(), _format_amounts(amount.filter(sent), currency.filter(sent))
    )
    negative = (amount.str.starts_with("-") & ~amount.str.contains(r"^-?0*\.?0*$")).fill_null(False) & sent
    return Values(formatted, currency, problem, negative)


def _as_read(text: str) -> str:
    """Plain decimal text as the scalar reader writes the amount in a message ("0.00" for "-0.00")."""
    amount = Decimal(text)
    return str(abs(amount) if amount.is_zero() else amount)


def _number_texts(numbers: pl.Series) -> pl.Series:
    """Number cells as plain decimal text ("12." for twelve, "12.5"), as ``parse_money`` reads what
    ``to_cell`` made of them; null where that text would be written otherwise ("1e-05")."""
    import polars as pl

    frame = pl.DataFrame({"n": numbers}).with_columns(
        ((pl.col("n") == pl.col("n").floor()) & (pl.col("n").abs() < EXACT_INT)).alias("whole"),
        pl.col("n").cast(pl.Int64, strict=False).cast(pl.String).alias("int"),
        pl.col("n").cast(pl.String).alias("float"),
    )
    # Both write the shortest digits that read back as the same double; repr switches to an exponent
    # below 1e-4 and from 1e16, polars elsewhere.
    magnitude = pl.col("n").abs()
    plain = pl.col("float").str.contains(r"^-?[0-9]+\.[0-9]+$") & (magnitude >= 1e-4) & (magnitude < 1e16)
    return frame.select(
        pl.when(pl.col("whole")).then(pl.concat_str([pl.col("int"), pl.lit(".")])).when(plain).then(pl.col("float"))
    ).to_series()


def _format_amounts(amount: pl.Series, currency: pl.Series) -> pl.Series:
    """``format_amount`` of plain decimal text ("-12.5"): padded to the currency's decimal places; text
    with more places (to round) or in another form goes through ``format_amount`` itself."""
    import polars as pl

    if not amount.len():
        return pl.Series([], dtype=pl.String)
    places = per_value(currency, minor_units, pl.Int32)
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
