"""How an upload ended, decided once: every page, the command line's summary, its exit code and the
reports take it from here and never count again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from capi_desktop.app.record import JobRecord
from capi_desktop.core.delivery import DeliveryFailure
from capi_desktop.core.delivery.engine import REPORTING_NOTE
from capi_desktop.core.journal import DeliveryCounts, StateCounts


class Outcome(Enum):
    ALL_ACCEPTED = "all_accepted"  # every row of the file was sent and accepted
    SOME_REFUSED = "some_refused"  # some accepted; others refused by LinkedIn or not sendable (file errors)
    NONE_ACCEPTED = "none_accepted"  # every row answered, none accepted
    NOTHING_NEW = "nothing_new"  # every sendable row was accepted in an earlier upload
    STOPPED = "stopped"  # rows are left to send: the user stopped, or a problem did; resume later

    @property
    def succeeded(self) -> bool:
        """Worth a ✓: only when everything in the file reached LinkedIn and was accepted."""
        return self is Outcome.ALL_ACCEPTED


def decide(counts: DeliveryCounts, rows: StateCounts) -> Outcome:
    if not counts.finished:
        return Outcome.STOPPED
    if counts.accepted == 0:
        if counts.skipped and not counts.rejected:
            return Outcome.NOTHING_NEW
        return Outcome.NONE_ACCEPTED
    if counts.rejected or rows.error:
        return Outcome.SOME_REFUSED
    return Outcome.ALL_ACCEPTED


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class UploadReport:
    """What a run of a job ended with: its outcome, the counts behind it and, if it stopped, why."""

    record: JobRecord  # the job as it stands after the run
    outcome: Outcome
    counts: DeliveryCounts  # the whole job's, across every run
    rows: StateCounts  # the file's rows as staged
    sent_this_run: int
    requests_today: int
    cancelled: bool = False  # the user stopped it (the rest of STOPPED: a problem did)
    failure: DeliveryFailure | None = None
    stop_reason: str | None = None  # in plain words, when it stopped

    @property
    def job_id(self) -> str:
        return self.record.job_id

    @property
    def left(self) -> int:
        return self.counts.pending + self.counts.in_flight

    @property
    def headline(self) -> str:
        c, outcome = self.counts, self.outcome
        # Rows sent in an earlier upload were accepted then: counted with the accepted, so the figures add up.
        if outcome is Outcome.ALL_ACCEPTED:
            return f"All {_n(c.accepted + c.skipped, 'conversion')} were accepted by LinkedIn"
        if outcome is Outcome.SOME_REFUSED:
            verb = "was" if self.not_sent == 1 else "were"
            before = f" ({c.skipped:,} of them in an earlier upload)" if c.skipped else ""
            return (
                f"{c.accepted + c.skipped:,} of {self.rows.total:,} rows were accepted{before}; "
                f"{self.not_sent:,} {verb} not"
            )
        if outcome is Outcome.NONE_ACCEPTED:
            return "No conversions were accepted"
        if outcome is Outcome.NOTHING_NEW:
            return f"Nothing new to send: all {_n(c.skipped, 'row')} were sent in an earlier upload"
        return f"{'Upload stopped' if self.cancelled else 'The upload stopped'}: {_n(self.left, 'row')} not sent yet"

    @property
    def not_sent(self) -> int:
        """Rows of the file that will never go: file errors and LinkedIn's refusals."""
        return self.rows.error + self.counts.rejected

    @property
    def message(self) -> str:
        """The headline with its counts and what to do, in a sentence or three."""
        c = self.counts
        if self.outcome is Outcome.STOPPED:
            why = self.stop_reason or ""
            text = f"{self.headline}. {why} Resume it any time; rows already accepted are never sent again."
            return f"{text} {self.resent_note}".strip()
        parts = [f"{self.headline}."]
        details = []
        if c.rejected:
            details.append(f"{_n(c.rejected, 'row')} refused by LinkedIn")
        if self.rows.error:
            details.append(f"{_n(self.rows.error, 'row')} with errors in the file (not sent)")
        if c.skipped and self.outcome is not Outcome.NOTHING_NEW:
            details.append(f"{_n(c.skipped, 'row')} already sent in an earlier upload (skipped)")
        if details:
            parts.append("Of the rest: " + "; ".join(details) + ". The report lists each with the reason.")
        if c.accepted:
            parts.append(REPORTING_NOTE)
        return " ".join(parts + [self.resent_note]).strip()

    @property
    def resent_note(self) -> str:
        """LinkedIn documents no deduplication between two Conversions API events with one event id, so an
        event sent again after its answer was lost may count twice: say how many, never hide it."""
        n = self.counts.resent
        if not n:
            return ""
        return (
            f"{_n(n, 'event')} went to LinkedIn again, with the same event id, because the answer to an earlier "
            f"sending was lost; LinkedIn may count {'it' if n == 1 else 'them'} more than once."
        )
