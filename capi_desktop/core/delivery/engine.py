"""The upload engine: delivers a job's staged events to LinkedIn in batches, paced to LinkedIn's
limits, retrying what can be retried, and recording every outcome in the journal before the next
batch goes out. It can be cancelled, paused and resumed, also after the process was killed.

Exactly once, as far as the API allows: a batch is marked in flight before it is sent and its answer
is recorded in the journal in one transaction. Rows accepted before a crash are never sent again. A
batch whose answer was lost (a dropped connection, a crash mid-request) is resent with the same event
ids, which is how LinkedIn can recognise the repeat. Each batch's accepted events reach the sent-ledger
before the journal records the answer (see ``core.ledger``), so a run that starts after this one stops
or dies never sends them again, and a lost batch the ledger knows was answered is not resent.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum

from capi_desktop.core.control import Control
from capi_desktop.core.delivery import (
    AuthFailure,
    BatchReceipt,
    DeliveryFailure,
    EventSender,
    FatalFailure,
    RejectedEvents,
    TransientFailure,
)
from capi_desktop.core.delivery.usage import RequestPacer, seconds_to_utc_midnight
from capi_desktop.core.events import is_legacy_derived, rederived
from capi_desktop.core.journal import DeliveryCounts, Journal, Outgoing
from capi_desktop.core.journal.ledger import SentLedger, sent_before
from capi_desktop.core.storage import StorageError, check_free_space

logger = logging.getLogger(__name__)

MAX_BATCH = 5000
REPORTING_NOTE = "LinkedIn can take up to 72 hours to show these conversions in Campaign Manager."
STOPPED_BY_USER = "Upload stopped. Resume it any time; nothing is lost."


class UploadOutcome(Enum):
    COMPLETED = "completed"  # every sendable row has an answer
    CANCELLED = "cancelled"  # the user stopped; resume later
    STOPPED = "stopped"  # something needs the user (sign in, permission, LinkedIn down); resume later


@dataclass(frozen=True)
class UploadConfig:
    batch_size: int = MAX_BATCH
    max_attempts: int = 8  # per batch, for temporary failures
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    force_resend: bool = False  # send rows the sent-ledger says were accepted before


class Pace(Enum):
    """What sets the time left, so it can be said with its reason."""

    MEASURED = "measured"  # the speed seen so far
    PER_MINUTE = "per minute"  # LinkedIn's requests-a-minute limit
    PER_DAY = "per day"  # LinkedIn's daily limit: the rest waits for the next day(s)


@dataclass(frozen=True)
class UploadProgress:
    counts: DeliveryCounts
    sent_this_run: int
    requests_today: int
    daily_cap: int
    events_per_second: float
    eta_seconds: float | None
    note: str | None = None  # why we are waiting, or why the upload will take days
    pace: Pace = Pace.MEASURED
    per_minute_cap: int = 0


@dataclass(frozen=True)
class UploadResult:
    outcome: UploadOutcome
    progress: UploadProgress
    message: str
    failure: DeliveryFailure | None = None


class _Stop(Exception):
    def __init__(self, outcome: UploadOutcome, message: str, failure: DeliveryFailure | None = None) -> None:
        super().__init__(message)
        self.outcome, self.message, self.failure = outcome, message, failure


class UploadEngine:
    def __init__(
        self,
        *,
        journal: Journal,
        sender: EventSender,
        ledger: SentLedger,
        pacer: RequestPacer,
        account_id: int,
        config: UploadConfig | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.journal = journal
        self.sender = sender
        self.ledger = ledger
        self.pacer = pacer
        self.account_id = account_id
        self.config = config or UploadConfig()
        if not 1 <= self.config.batch_size <= MAX_BATCH:
            raise ValueError(f"batch size must be 1..{MAX_BATCH}")
        self._clock = clock
        self._rng = rng or random.Random()
        self._limit = self.config.batch_size
        self._cursor = 0  # rows up to this number have been handed over or decided
        self._prepared: list[Outgoing] = []  # marked in flight, not yet handed to the sender
        self._counts = DeliveryCounts()
        self._sent = 0
        self._started = 0.0
        self._requests_today = 0
        self._report: Callable[[UploadProgress], None] = lambda p: None

    # -- the run -------------------------------------------------------------------------------------

    def run(
        self,
        progress: Callable[[UploadProgress], None] | None = None,
        control: Control | None = None,
    ) -> UploadResult:
        control = control or Control()
        self._report = progress or (lambda p: None)
        self._counts = self.journal.delivery_counts()
        self._sent = 0
        self._started = self._clock()
        self._requests_today = self.pacer.used_today()
        self._cursor = 0
        self.ledger.begin(self.journal, self.account_id)
        self._report(self._progress())  # where the job stands before the first answer
        # One sender thread: while a batch is on the wire, the next one is read and marked in flight.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="capi-send") as wire:
            try:
                for batch, rows in self.journal.in_flight().items():
                    self._resend_lost(batch, rows, control, wire)
                prepared = self._prepare(control)
                while prepared is not None:
                    if control.cancelled:  # checked here too, so a cancel never lets another batch out
                        raise _Stop(UploadOutcome.CANCELLED, STOPPED_BY_USER)
                    batch, rows = prepared
                    sending = self._send(rows, control, wire)
                    self._prepared = []  # on its way now
                    try:
                        prepared = self._prepare(control)
                    finally:
                        self._attempt(batch, rows, control, wire, sending)
                    # An answer can hand rows back (a refused batch is split): look again before stopping.
                    prepared = prepared or self._prepare(control)
            except _Stop as stop:
                return UploadResult(stop.outcome, self._progress(), stop.message, stop.failure)
            finally:
                self._release_unsent()
        counts = self._counts
        message = (
            f"Upload finished: {counts.accepted:,} accepted, {counts.rejected:,} rejected by LinkedIn, "
            f"{counts.skipped:,} skipped (already sent). {REPORTING_NOTE}"
        )
        return UploadResult(UploadOutcome.COMPLETED, self._progress(), message)

    def _prepare(self, control: Control) -> tuple[int, list[Outgoing]] | None:
        """The next batch, read and marked in flight (skipping rows the sent-ledger knows), or None."""
        while True:
            if not control.wait(0):
                raise _Stop(UploadOutcome.CANCELLED, STOPPED_BY_USER)
            candidates = self.journal.next_unsent(self._limit, after=self._cursor)
            if not candidates:
                return None
            fresh = self._without_already_sent(candidates)
            self._cursor = candidates[-1].number
            if fresh:
                batch = self.journal.mark_in_flight(candidates[0].number, candidates[-1].number)
                self._update(in_flight=len(fresh))
                self._prepared = fresh
                return batch, fresh

    def _send(self, rows: list[Outgoing], control: Control, wire: ThreadPoolExecutor) -> Future[BatchReceipt]:
        # A batch LinkedIn takes must be recorded, or a resume sends it again: no room, no batch.
        check_free_space(self.journal.path.parent, 0)
        self._pace(control)
        self._requests_today = self.pacer.record()
        return wire.submit(self.sender.send_events, [r.event_json for r in rows])

    def _release_unsent(self) -> None:
        """A batch prepared but never sent (the run stopped first) goes back to unsent."""
        if self._prepared:
            rows, self._prepared = self._prepared, []
            self._release(rows)
            self._update(in_flight=-len(rows))

    def _resend_lost(self, batch: int, rows: list[Outgoing], control: Control, wire: ThreadPoolExecutor) -> None:
        """A batch from an earlier run whose answer was never recorded in the journal."""
        keys = [(r.rule_id, r.event_id) for r in rows]
        answered = self.ledger.recorded_by(self.journal.job_id, self.account_id, keys)
        if answered:
            # LinkedIn answered and the ledger heard it; the run died before the journal did.
            lost = "LinkedIn did not accept this event (its reason was lost when the app stopped)."
            refused = [(r.number, lost) for r, key in zip(rows, keys, strict=True) if key not in answered]
            self.journal.accept_batch(batch, self._now_ms(), rejected=refused)
            self._update(in_flight=-len(rows), accepted=len(rows) - len(refused), rejected=len(refused))
            return
        logger.info("Resending %d events whose answer was lost, with the same event ids", len(rows))
        self._resent(batch)
        self._attempt(batch, rows, control, wire, None)

    def _without_already_sent(self, rows: list[Outgoing]) -> list[Outgoing]:
        if self.config.force_resend:
            return rows
        sent = self.ledger.sent_at(self.account_id, [(r.rule_id, r.event_id) for r in rows])
        if not sent:
            return rows
        skipped = [
            (r.number, sent_before(sent[(r.rule_id, r.event_id)])) for r in rows if (r.rule_id, r.event_id) in sent
        ]
        self.journal.mark_delivered(skipped=skipped, at_ms=self._now_ms())
        self._update(skipped=len(skipped))
        return [r for r in rows if (r.rule_id, r.event_id) not in sent]

    def _attempt(
        self,
        batch: int,
        rows: list[Outgoing],
        control: Control,
        wire: ThreadPoolExecutor,
        sending: Future[BatchReceipt] | None,
    ) -> None:
        """Wait for one in-flight batch's answer (sending it first if needed), retrying until it has
        one, or stop."""
        attempt = 0
        while True:
            if sending is None:
                sending = self._send(rows, control, wire)
            attempt += 1
            try:
                receipt = sending.result()
            except RejectedEvents as refused:
                self._rejected(rows, refused)
                return
            except TransientFailure as failure:
                sending = None
                if failure.answer_lost:  # the next attempt may reach LinkedIn a second time
                    self._resent(batch)
                if attempt >= self.config.max_attempts:
                    raise _Stop(
                        UploadOutcome.STOPPED,
                        f"LinkedIn kept failing ({failure}). Nothing is lost: resume the upload later.",
                        failure,
                    ) from failure
                delay = self._backoff(attempt)
                self._report(self._progress(note=f"{failure} Trying again in {delay:.0f} s."))
                if not control.wait(delay):
                    # The batch's fate is unknown: it stays in flight and is resent (same ids) on resume.
                    raise _Stop(UploadOutcome.CANCELLED, STOPPED_BY_USER) from failure
                continue
            except (AuthFailure, FatalFailure) as failure:
                # LinkedIn refused the request itself, so none of these events were taken: release them.
                self._release(rows)
                self._update(in_flight=-len(rows))
                raise _Stop(UploadOutcome.STOPPED, str(failure), failure) from failure
            self._accepted(batch, rows, receipt.statuses)
            return

    def _accepted(self, batch: int, rows: list[Outgoing], statuses: Sequence[int]) -> None:
        now = self._now_ms()
        refused = []
        taken = []
        legacy = []
        for r, status in zip(rows, statuses, strict=True):
            if 200 <= status < 300:
                taken.append((r.rule_id, r.event_id))
                if is_legacy_derived(r.event_id):  # sent before this version, answered after it
                    legacy.append((r.rule_id, r.event_id, r.event_json))
            else:
                refused.append((r.number, f"LinkedIn answered {status} for this event."))
        try:
            # Under the id importing the same file again would give it, too.
            self.ledger.record(self.journal.job_id, self.account_id, taken + rederived(legacy), now)
        except StorageError:
            # LinkedIn took them: the journal says so if it still can, and the next run copies them over.
            self.journal.accept_batch(batch, now, rejected=refused)
            self.ledger.fell_behind(self.journal)
            raise
        self.journal.accept_batch(batch, now, rejected=refused)
        self._sent += len(rows)
        self._update(in_flight=-len(rows), accepted=len(rows) - len(refused), rejected=len(refused))
        self._limit = min(self.config.batch_size, self._limit * 2)
        self._report(self._progress())

    def _rejected(self, rows: list[Outgoing], refused: RejectedEvents) -> None:
        named = {f.index: f for f in refused.failures if 0 <= f.index < len(rows)}
        now = self._now_ms()
        if named:
            bad = [(rows[i].number, _reason(f.path, f.reason)) for i, f in sorted(named.items())]
            others = [r.number for i, r in enumerate(rows) if i not in named]
        elif len(rows) == 1:
            bad, others = [(rows[0].number, f"LinkedIn rejected this event: {refused}")], []
        else:
            # LinkedIn did not say which events: halve the batch until the bad ones stand alone.
            bad, others = [], [r.number for r in rows]
            self._limit = max(1, len(rows) // 2)
        self.journal.mark_delivered(rejected=bad, released=others, at_ms=now)
        self._rewind(others)
        self._update(in_flight=-len(rows), rejected=len(bad))
        self._report(self._progress())

    def _resent(self, batch: int) -> None:
        c = self._counts
        self._counts = replace(c, resent=c.resent + self.journal.mark_resent(batch))

    def _release(self, rows: list[Outgoing]) -> None:
        self.journal.mark_delivered(released=[r.number for r in rows], at_ms=self._now_ms())
        self._rewind([r.number for r in rows])

    def _rewind(self, numbers: Sequence[int]) -> None:
        """Released rows go out again: move the cursor back so the next selection finds them."""
        if numbers:
            self._cursor = min(self._cursor, min(numbers) - 1)

    # -- pacing and progress ------------------------------------------------------------------------

    def _pace(self, control: Control) -> None:
        while True:
            wait, why = self.pacer.wait_needed()
            if wait <= 0:
                return
            if why:
                self._report(self._progress(note=why))
            if not control.wait(min(wait, 1.0)):
                raise _Stop(UploadOutcome.CANCELLED, STOPPED_BY_USER)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_max_seconds, self.config.backoff_seconds * 2 ** (attempt - 1))
        return float(ceiling * self._rng.uniform(0.5, 1.0))  # jitter: clients that failed together retry apart

    def _update(self, *, in_flight: int = 0, accepted: int = 0, rejected: int = 0, skipped: int = 0) -> None:
        c = self._counts
        self._counts = replace(
            c,
            accepted=c.accepted + accepted,
            rejected=c.rejected + rejected,
            skipped=c.skipped + skipped,
            in_flight=c.in_flight + in_flight,
        )

    def _progress(self, note: str | None = None) -> UploadProgress:
        elapsed = max(self._clock() - self._started, 1e-6)
        rate = self._sent / elapsed
        remaining = self._counts.pending + self._counts.in_flight
        limits = self.pacer.limits
        requests_needed = math.ceil(remaining / self.config.batch_size)
        # The pace LinkedIn allows bounds the time left from below: the first batches go at once, so the rate
        # seen so far would promise minutes when the per-minute limit means hours.
        paced = requests_needed * 60 / limits.per_minute if limits.per_minute else 0.0
        measured = remaining / rate if rate > 0 else None
        eta = (paced or None) if measured is None else max(measured, paced)
        pace = Pace.PER_MINUTE if eta is not None and eta == paced else Pace.MEASURED
        left_today = max(0, limits.per_day - self._requests_today)
        if requests_needed > left_today:
            later = requests_needed - left_today
            days = math.ceil(later / limits.per_day)
            if note is None:
                note = (
                    f"At LinkedIn's limit of {limits.per_day:,} requests a day, the rest of this upload "
                    f"needs {days} more day{'s' if days > 1 else ''}; it continues on its own after midnight UTC."
                )
            # The last day's requests start when LinkedIn's day begins again, and go at its per-minute pace.
            last_day = later - (days - 1) * limits.per_day
            last_day_seconds = last_day * 60 / limits.per_minute if limits.per_minute else 0.0
            eta = seconds_to_utc_midnight(self._clock()) + (days - 1) * 86400 + last_day_seconds
            pace = Pace.PER_DAY
        return UploadProgress(
            counts=self._counts,
            sent_this_run=self._sent,
            requests_today=self._requests_today,
            daily_cap=limits.per_day,
            events_per_second=rate,
            eta_seconds=eta,
            note=note,
            pace=pace,
            per_minute_cap=limits.per_minute,
        )

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


_FIELD_WORDS = {
    "/conversionHappenedAt": "the conversion time",
    "/conversionValue/amount": "the value",
    "/conversionValue/currencyCode": "the currency",
    "/conversion": "the conversion rule",
    "/eventId": "the event id",
    "/user": "the person's identifiers",
}


def _reason(path: str, reason: str) -> str:
    """LinkedIn's field path and message, in words a marketer can act on."""
    field = next((words for prefix, words in _FIELD_WORDS.items() if path.startswith(prefix)), None)
    where = f"LinkedIn refused {field}" if field else "LinkedIn refused this event"
    return f"{where}: {reason}"
