"""What the upload engine needs from whoever sends events, and how sending can fail.

The engine lives in the core and never imports the LinkedIn client; the client's typed errors
inherit from these categories, so the engine knows what to do without knowing HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ElementFailure:
    """One event of a batch that was refused: its position in the batch, the field and the reason."""

    index: int
    path: str
    reason: str


class DeliveryFailure(Exception):
    """Sending a batch failed. ``str()`` is a plain-language message; ``request_id`` is for support."""

    request_id: str | None = None


class TransientFailure(DeliveryFailure):
    """Try again later with the same events (rate limit, server error, dropped connection).

    ``answer_lost``: the service may have taken the events without the answer arriving (a dropped
    connection, a timeout, a server error), so sending them again may count them twice. False when it
    said it did not take them (a rate limit)."""

    answer_lost = True


class AuthFailure(DeliveryFailure):
    """The sign-in is no longer accepted and could not be renewed: stop, sign in, resume."""


class FatalFailure(DeliveryFailure):
    """Retrying cannot help (missing permission, retired API version): stop and explain."""


class RejectedEvents(DeliveryFailure):
    """The service refused the batch because of some of its events; ``failures`` names them when it can."""

    failures: tuple[ElementFailure, ...] = ()


class BatchReceipt(Protocol):
    @property
    def statuses(self) -> tuple[int, ...]: ...

    @property
    def request_id(self) -> str | None: ...


class EventSender(Protocol):
    def send_events(self, events_json: Sequence[str]) -> BatchReceipt:
        """Send events given as their exact JSON texts; raise a ``DeliveryFailure`` subclass on failure."""
        ...
