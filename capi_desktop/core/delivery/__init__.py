"""Delivery: sending a job's events to LinkedIn in batches (``engine``), at LinkedIn's pace
(``usage``), with the API version it takes (``apiversion``); how sending can fail (``failures``)."""

from capi_desktop.core.delivery.failures import (
    AuthFailure,
    BatchReceipt,
    DeliveryFailure,
    ElementFailure,
    EventSender,
    FatalFailure,
    RejectedEvents,
    TransientFailure,
)

__all__ = [
    "AuthFailure",
    "BatchReceipt",
    "DeliveryFailure",
    "ElementFailure",
    "EventSender",
    "FatalFailure",
    "RejectedEvents",
    "TransientFailure",
]
