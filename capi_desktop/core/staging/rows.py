"""What each row of a batch becomes: its state, its reason in words, its event id and the exact event
JSON (as ``events.build_event`` writes it) — the one place a row's result is assembled."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, NamedTuple

from capi_desktop.core.events import MATCH_KEYS, RULE_URN, derived_event_ids
from capi_desktop.core.mapping import Field
from capi_desktop.core.staging import messages
from capi_desktop.core.staging.amounts import read_values
from capi_desktop.core.staging.cells import Cells
from capi_desktop.core.staging.fields import Batch, per_value
from capi_desktop.core.staging.times import OrderEvidence, TimeState, read_times

if TYPE_CHECKING:
    import polars as pl

# The text fields in the order a row's problems with non-text cells are listed.
_TEXT_FIELDS = (
    Field.EVENT_NAME, Field.FIRST_NAME, Field.LAST_NAME, Field.COMPANY, Field.TITLE, Field.CLICK_ID,
    Field.ACXIOM_ID, Field.EXTERNAL_ID, Field.EVENT_ID,
)  # fmt: skip
# The user ids of an event, in ``build_event``'s order.
_ID_KEYS = (("email", "SHA256_EMAIL"), ("click", "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"), ("acxiom", "ACXIOM_ID"))


class StagedBatch(NamedTuple):
    rows: pl.DataFrame  # number, state, reason, event_id, rule_id, event_json: as the journal stores them
    waiting: Cells | None  # rows whose date needs the day/month order, to stage again once it is known
    unmapped: Counter[str]  # event names no rule is mapped to, and how often
    matches: Counter[str]  # how many sendable events hold each of ``MATCH_KEYS``


def stage_batch(batch: Batch, evidence: OrderEvidence, *, final: bool) -> StagedBatch:
    import polars as pl

    mapping = batch.mapping
    text: dict[Field, pl.Series] = {}
    not_text: list[pl.Series] = []
    for f in _TEXT_FIELDS:
        text[f], problem = batch.text_field(f)
        not_text.append(problem)
    event_name = text[Field.EVENT_NAME]
    if mapping.event_name is not None:
        event_name = event_name.fill_null(mapping.event_name)
    rules = batch.scalars.options.rules
    rule_id = per_value(event_name, rules.rule_for, pl.Int64)
    country, country_warning = batch.country()
    email, bad_email = batch.email()
    times = read_times(batch, evidence, final=final)
    values = read_values(batch)
    names = {f: batch.field(f).name for f in (Field.EVENT_NAME, Field.EVENT_ID)}
    first, last, company = text[Field.FIRST_NAME], text[Field.LAST_NAME], text[Field.COMPANY]
    frame = pl.DataFrame(
        {
            "number": batch.frame["number"],
            "rule": rule_id,
            "event_name": event_name,
            "email": email,
            "bad_email": bad_email,
            "first": first,
            "last": last,
            "company": company,
            "title": text[Field.TITLE],
            "country": country,
            "country_warning": country_warning,
            "click": text[Field.CLICK_ID],
            "acxiom": text[Field.ACXIOM_ID],
            "external": text[Field.EXTERNAL_ID],
            "given_id": text[Field.EVENT_ID],
            "ms": times.ms,
            "time_state": times.state,
            "time_problem": times.message,
            "amount": values.amount,
            "currency": values.currency,
            "value_problem": values.problem,
            "negative": values.negative,
        }  # fmt: skip
    )
    problems = pl.concat_str([pl.lit(problem) for problem in not_text], separator=" ", ignore_nulls=True)
    frame = frame.with_columns(pl.when(problems != "").then(problems).alias("not_text"))
    full_name = pl.col("first").is_not_null() & pl.col("last").is_not_null()
    strong = pl.col("email").is_not_null() | pl.col("click").is_not_null() | pl.col("acxiom").is_not_null() | full_name
    external_only = ~strong & pl.col("external").is_not_null()
    matchable = strong | external_only
    rule_error = (
        pl.when(pl.col("rule").is_not_null())
        .then(None)
        .when(pl.col("event_name").is_null())
        .then(pl.lit(messages.no_event_name(names[Field.EVENT_NAME])))
        .otherwise(pl.format(messages.unmapped_event_name("{}"), "event_name"))
    )
    what = (
        pl.when(pl.col("bad_email").is_not_null())
        .then(pl.format(messages.not_an_email("{}"), "bad_email"))
        .otherwise(pl.lit(messages.NO_EMAIL))
    )
    identity_error = pl.when(~matchable).then(pl.format(messages.unmatchable("{}"), what))
    basis = (
        pl.when(full_name & pl.col("company").is_not_null())
        .then(pl.lit(messages.NAME_AND_COMPANY))
        .otherwise(pl.lit(messages.OTHER_IDENTIFIERS))
    )
    no_email = matchable & pl.col("email").is_null()
    identity_warning = (
        pl.when(external_only & pl.col("bad_email").is_not_null())
        .then(pl.format(messages.not_an_email_but_external_id("{}"), "bad_email"))
        .when(external_only)
        .then(pl.lit(messages.EXTERNAL_ID_ONLY))
        .when(no_email & pl.col("bad_email").is_not_null())
        .then(pl.format(messages.not_an_email_matching_on("{}", "{}"), "bad_email", basis))
        .when(no_email & pl.lit(bool(mapping.columns.get(Field.EMAIL))))
        .then(pl.format(messages.no_email_matching_on("{}"), basis))
    )
    long_id = pl.col("given_id").str.len_chars() > messages.EVENT_ID_MAX
    errors = pl.concat_str(
        [
            rule_error,
            identity_error,
            pl.col("time_problem"),
            pl.col("value_problem"),
            pl.when(long_id).then(pl.lit(messages.long_event_id(names[Field.EVENT_ID]))),
        ],
        separator=" ",
        ignore_nulls=True,
    )
    warnings = pl.concat_str(
        [
            pl.col("country_warning"),
            identity_warning,
            pl.when(pl.col("first").is_not_null() != pl.col("last").is_not_null()).then(pl.lit(messages.ONE_NAME)),
            pl.when(pl.col("negative")).then(pl.lit(messages.NEGATIVE_VALUE)),
        ],
        separator=" ",
        ignore_nulls=True,
    )
    # An event name no rule is mapped to, whatever else is wrong with the row.
    unmapped = Counter(
        dict(
            frame.filter(pl.col("rule").is_null() & pl.col("event_name").is_not_null())["event_name"]
            .value_counts()
            .iter_rows()
        )
    )
    # A cell that is not text where text belongs (a date as a name) is the row's only problem.
    frame = frame.with_columns(
        pl.when(pl.col("not_text").is_not_null()).then("not_text").otherwise(errors).alias("errors"),
        warnings.alias("warnings"),
        pl.when(pl.col("not_text").is_null()).then("rule").alias("rule"),
        pl.when(pl.col("not_text").is_null()).then("event_name").alias("event_name"),
        pl.when(pl.col("not_text").is_null()).then("given_id").alias("given_id"),
    )
    failed = pl.col("errors") != ""
    waiting = ~failed & (pl.col("time_state") == TimeState.AMBIGUOUS)
    frame = frame.with_columns(failed.alias("failed"), waiting.alias("waiting"))
    # Names, and the company, are sent together only (userInfo); what the event sends makes its id.
    sent_name = pl.when(full_name)
    frame = frame.with_columns(
        sent_name.then("first").alias("first"),
        sent_name.then("last").alias("last"),
        sent_name.then("company").alias("company"),
        sent_name.then("title").alias("title"),
        sent_name.then("country").alias("country"),
    )
    derived = derived_event_ids(frame.with_columns(pl.when(~pl.col("failed")).then("rule").alias("rule")))
    event_id = pl.select(pl.coalesce(pl.lit(frame["given_id"]), pl.lit(derived))).to_series()
    frame = frame.with_columns(event_id.alias("event_id"))
    frame = frame.with_columns(_event_json(frame).alias("event_json"))
    done = ~pl.col("waiting")
    rows = frame.filter(done).select(
        "number",
        pl.when("failed").then(pl.lit("error")).when(pl.col("warnings") != "").then(pl.lit("warning"))
        .otherwise(pl.lit("ok")).alias("state"),
        pl.when("failed").then("errors").when(pl.col("warnings") != "").then("warnings").alias("reason"),
        pl.col("event_id"),
        pl.col("rule").alias("rule_id"),
        pl.when("failed").then(None).otherwise("event_json").alias("event_json"),
    )  # fmt: skip
    sent = frame.filter(done & ~pl.col("failed"))
    email_key, company_key, click_key = MATCH_KEYS
    matches = Counter(
        {
            email_key: sent["email"].is_not_null().sum(),
            company_key: sent["company"].is_not_null().sum(),
            click_key: sent["click"].is_not_null().sum(),
        }
    )
    held = frame["waiting"]
    return StagedBatch(rows, batch.cells.only(held) if held.any() else None, unmapped, matches)


def _event_json(frame: pl.DataFrame) -> pl.Series:
    """The event as ``events.build_event`` writes it."""
    import polars as pl

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
                [part(',"companyName":', "company"), part(',"title":', "title"), part(',"countryCode":', "country")],
                ignore_nulls=True,
            ),
            pl.lit("}"),
        ]
    )
    value = pl.concat_str([part(',"conversionValue":{"currencyCode":', "currency"), part(',"amount":', "amount", "}")])
    return frame.select(
        pl.concat_str(
            [
                pl.lit(f'{{"conversion":"{RULE_URN.format("")}'),
                pl.col("rule").cast(pl.String),
                pl.lit('","conversionHappenedAt":'),
                pl.col("ms").fill_null(0).cast(pl.String),
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


def _json_escaped(text: pl.Expr) -> pl.Expr:
    """``encode_basestring`` without its quotes, for text ``clean_text`` made (no control characters)."""
    return text.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
