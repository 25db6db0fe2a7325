"""What a job journal holds, as values: a row's state, its delivery, and their counts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple


class JournalError(Exception):
    """The journal file is missing, from a newer app version, or damaged; ``str()`` says so plainly."""


class Delivery(Enum):
    """Where a sendable row stands with LinkedIn. Rows not yet sent have no delivery (NULL)."""

    IN_FLIGHT = "in_flight"  # handed to LinkedIn; the answer is not recorded yet
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # LinkedIn refused this row; delivery_reason says why
    SKIPPED = "skipped"  # already accepted in an earlier upload (the sent-ledger)


class RowState(Enum):
    OK = "ok"
    WARNING = "warning"  # sent, with a note (e.g. matching on name only)
    ERROR = "error"  # not sent; reason says why


class JournalRow(NamedTuple):
    """One staged row (a tuple rather than a dataclass: a million are made per import)."""

    number: int  # the row number the user sees in their spreadsheet
    state: RowState
    reason: str | None
    event_id: str | None
    rule_id: int | None
    event_json: str | None


@dataclass(frozen=True)
class DeliveryCounts:
    sendable: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    in_flight: int = 0
    resent: int = 0  # rows sent again after an answer was lost: LinkedIn may count them twice

    @property
    def pending(self) -> int:
        return self.sendable - self.accepted - self.rejected - self.skipped - self.in_flight

    @property
    def finished(self) -> bool:
        return self.pending == 0 and self.in_flight == 0


class Outgoing(NamedTuple):
    """A sendable row as the upload engine needs it (a tuple: 5,000 are made per batch)."""

    number: int
    rule_id: int
    event_id: str
    event_json: str


@dataclass(frozen=True)
class StateCounts:
    ok: int = 0
    warning: int = 0
    error: int = 0

    @property
    def total(self) -> int:
        return self.ok + self.warning + self.error
