"""Did it work? What LinkedIn's reporting has credited to each conversion rule over the last 90 days,
beside what this computer sent to it, with the rule's health (on, a Conversions API rule, campaigns
associated) and one plain sentence.

LinkedIn returns no match count for uploaded events and takes up to 72 hours to report them, so the
sentence says when to look again while that time has not passed. Without LinkedIn's reporting
permission (``r_ads_reporting``) the uploads are still listed and the sentence says how to grant it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from capi_desktop.app.jobs import list_jobs
from capi_desktop.app.timeleft import moment_words
from capi_desktop.core.journal import Journal
from capi_desktop.core.normalise.dates import format_day

if TYPE_CHECKING:
    from capi_desktop.linkedin.client import LinkedInClient
    from capi_desktop.linkedin.models import ConversionRule, CreditedDay

LOOKBACK_DAYS = 90
REPORT_LAG_HOURS = 72  # LinkedIn: conversions can take up to 72 hours to show in reporting
NO_REPORTING = (
    "Your sign-in does not allow reading LinkedIn's reports (the r_ads_reporting permission). To see what "
    "LinkedIn credited: give your LinkedIn app reporting access in the Developer Portal, tick “My app has "
    "LinkedIn's reporting access” in Settings, restart and sign in again. Uploads and history work without it."
)


@dataclass(frozen=True)
class SentUpload:
    """One upload job to the rule: when it started sending, how many rows LinkedIn accepted, and the
    earliest and latest conversion time among them (epoch ms)."""

    job_id: str
    source_name: str
    sent_at: float
    accepted: int
    happened: tuple[int, int] | None = None


@dataclass(frozen=True)
class RuleResult:
    rule: ConversionRule
    days: tuple[CreditedDay, ...]  # what LinkedIn credited, per day with any
    uploads: tuple[SentUpload, ...]  # newest first

    @property
    def credited(self) -> int:
        return sum(day.conversions for day in self.days)

    @property
    def post_click(self) -> int | None:
        return _sum(day.post_click for day in self.days)

    @property
    def post_view(self) -> int | None:
        return _sum(day.post_view for day in self.days)

    @property
    def value(self) -> Decimal | None:
        values = [day.value for day in self.days if day.value is not None]
        return sum(values, Decimal(0)) if values else None

    @property
    def windows(self) -> str | None:
        """Which ad interactions LinkedIn can credit a conversion to, from the rule's attribution windows."""
        click, view = self.rule.post_click_window_days, self.rule.view_through_window_days
        if click is None and view is None:
            return None
        parts = [f"a click on its campaigns' ads up to {click} days before it" if click else None,
                 f"a view up to {view} days before it" if view else None]  # fmt: skip
        return "LinkedIn credits a conversion to this rule only after " + " or ".join(p for p in parts if p) + "."

    @property
    def health(self) -> tuple[str, ...]:
        """Why LinkedIn may credit nothing to this rule, in plain words (none when it can)."""
        found = []
        if not self.rule.enabled:
            found.append("The rule is turned off in Campaign Manager, so LinkedIn credits nothing to it.")
        if not self.rule.campaign_ids:
            found.append(
                "No campaign is associated with the rule: LinkedIn credits conversions only to the campaigns "
                "associated with it (the most common reason nothing shows). Associate campaigns in "
                "Campaign Manager."
            )
        return tuple(found)


@dataclass(frozen=True)
class Results:
    account_id: int
    rules: tuple[RuleResult, ...]
    practice: bool  # the built-in sandbox's simulated reporting, not LinkedIn's
    reporting_allowed: bool
    look_again_at: float | None  # when 72 hours after the latest upload have passed, if still ahead
    sentence: str
    first: date  # the report's days
    last: date
    notes: tuple[str, ...] = field(default=())


def results(
    client: LinkedInClient,
    data_dir: Path,
    account_id: int,
    *,
    practice: bool,
    rule_id: int | None = None,
    job_id: str | None = None,
    now: float | None = None,
) -> Results:
    """What LinkedIn credited to the account's rules (or one rule, or the rules of one job)."""
    from capi_desktop.linkedin.errors import PermissionDenied

    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now, UTC).date()
    first = today - timedelta(days=LOOKBACK_DAYS - 1)
    uploads = _uploads(data_dir, account_id)
    wanted = _wanted_rules(uploads, rule_id, job_id)
    rules = [rule for rule in client.conversion_rules(account_id) if wanted is None or rule.id in wanted]
    try:
        credited = client.credited_conversions(account_id, first, today)
        allowed = True
    except PermissionDenied:
        credited, allowed = [], False
    found = tuple(
        RuleResult(
            rule,
            tuple(sorted((d for d in credited if d.rule_id == rule.id), key=lambda d: d.day)),
            tuple(upload for upload, rule_ids in uploads if rule.id in rule_ids),
        )
        for rule in rules
    )
    sent = [upload for result in found for upload in result.uploads]
    # Without a job: the newest upload LinkedIn took rows from (a later one may have sent nothing new).
    taken = [upload for upload in sent if upload.accepted] or sent
    latest = max(taken, key=lambda u: u.sent_at) if job_id is None and taken else _job(sent, job_id)
    ready_at = latest.sent_at + REPORT_LAG_HOURS * 3600 if latest and latest.accepted else None
    look_again = ready_at if ready_at is not None and ready_at > now else None
    sentence = _sentence(found, latest, allowed, look_again, now)
    if practice and allowed:
        sentence = "Practice data from the built-in sandbox, not LinkedIn's: " + sentence[0].lower() + sentence[1:]
    notes = tuple(problem for result in found for problem in result.health)
    missing = sorted((wanted or set()) - {rule.id for rule in rules})
    notes += tuple(
        f"Rule {rule} is not a Conversions API rule of this ad account any more (deleted, or changed in Campaign "
        "Manager), so LinkedIn reports nothing for it here."
        for rule in missing
    )
    return Results(account_id, found, practice, allowed, look_again, sentence, first, today, notes)


def _uploads(data_dir: Path, account_id: int) -> list[tuple[SentUpload, tuple[int, ...]]]:
    found = []
    for entry in list_jobs(data_dir):
        record = entry.record
        if record is None or record.account_id != account_id or record.upload_started is None:
            continue
        with Journal(entry.path) as journal:
            span = journal.accepted_span()
        upload = SentUpload(entry.job_id, record.source.name, record.upload_started, entry.delivered.accepted, span)
        found.append((upload, tuple(record.rule_ids)))
    return found


def _wanted_rules(
    uploads: list[tuple[SentUpload, tuple[int, ...]]], rule_id: int | None, job_id: str | None
) -> set[int] | None:
    if rule_id is not None:
        return {rule_id}
    if job_id is not None:
        return {rule for upload, rule_ids in uploads if upload.job_id == job_id for rule in rule_ids}
    return None


def _job(sent: list[SentUpload], job_id: str | None) -> SentUpload | None:
    return next((upload for upload in sent if upload.job_id == job_id), None)


def _sentence(
    found: tuple[RuleResult, ...], latest: SentUpload | None, allowed: bool, look_again: float | None, now: float
) -> str:
    if not found:
        return "No Conversions API rule of this ad account matches."
    if not allowed:
        return NO_REPORTING
    credited = sum(result.credited for result in found)
    what = f"LinkedIn credits {credited:,} conversion{'' if credited == 1 else 's'} of the last {LOOKBACK_DAYS} days"
    what += " to your campaigns"
    if latest is None:
        return f"Nothing was sent from this computer yet; {what[0].lower()}{what[1:]}."
    sent = f"{latest.accepted:,} row{'' if latest.accepted == 1 else 's'} sent on {format_day(latest.sent_at)}"
    if latest.happened is not None:
        first, last = (format_day(ms / 1000) for ms in latest.happened)
        sent += f" (conversions of {first})" if first == last else f" (conversions from {first} to {last})"
    if look_again is not None:
        return (
            f"{sent}; {what} so far. Reports can take up to {REPORT_LAG_HOURS} hours: look again "
            f"{moment_words(look_again, now)}."
        )
    return f"{sent}; {what} — reports can take up to {REPORT_LAG_HOURS} hours."


def _sum(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None
