"""Typed LinkedIn errors, each with a plain-language explanation and what to do about it.

Every error keeps LinkedIn's request id (the ``x-li-uuid`` response header) so a support ticket can
point LinkedIn at the exact call.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TypeVar

from capi_desktop.core.delivery import (
    AuthFailure,
    DeliveryFailure,
    ElementFailure,
    FatalFailure,
    RejectedEvents,
    TransientFailure,
)

PARTNER_CHECKS = (
    "1. The LinkedIn app has the Conversions API product approved (LinkedIn Developer Portal → your app "
    "→ Products).\n"
    "2. You granted both permissions, rw_conversions and r_ads, when you signed in.\n"
    "3. Your role on the ad account is not Viewer: you need Account Manager, Campaign Manager, "
    "Creative Manager or Billing Admin."
)


class LinkedInError(DeliveryFailure):
    """Base of all errors from talking to LinkedIn (or the built-in sandbox).

    Each subclass also names its delivery category (core.delivery) so the upload engine can act on it.
    """

    title = "LinkedIn problem"

    def __init__(
        self,
        explanation: str,
        action: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        service_error_code: int | None = None,
        linkedin_message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.explanation = explanation
        self.action = action
        self.status = status
        self.code = code
        self.service_error_code = service_error_code
        self.linkedin_message = linkedin_message
        self.request_id = request_id
        super().__init__(self.user_message())

    @property
    def retryable(self) -> bool:
        return isinstance(self, TransientFailure)

    def user_message(self) -> str:
        parts = [self.explanation]
        if self.action:
            parts.append(self.action)
        if self.request_id:
            parts.append(f"(LinkedIn request id: {self.request_id})")
        return " ".join(parts)


class SignInRequired(LinkedInError, AuthFailure):
    title = "Sign in again"


class PermissionDenied(LinkedInError, FatalFailure):
    title = "LinkedIn refused access"


class NotFound(LinkedInError, FatalFailure):
    title = "Not found on LinkedIn"


class InvalidRequest(LinkedInError, RejectedEvents):
    title = "LinkedIn rejected the data"
    # ``failures``: the batch positions LinkedIn named, when it did (see ``parse_element_failures``).


class ApiVersionRetired(LinkedInError, FatalFailure):
    title = "LinkedIn API version retired"


class RateLimited(LinkedInError, TransientFailure):
    answer_lost = False  # LinkedIn refused the request before taking any event

    title = "LinkedIn asks us to slow down"


class ServerError(LinkedInError, TransientFailure):
    title = "LinkedIn is having trouble"


class ConnectionFailed(LinkedInError, TransientFailure):
    title = "Could not reach LinkedIn"


class CertificateError(LinkedInError, FatalFailure):
    title = "Secure connection failed"


class UnexpectedResponse(LinkedInError, TransientFailure):
    # Transient for uploads: a garbled answer (a proxy's error page) says nothing about the batch,
    # so it is resent with the same event ids; the engine's attempt limit bounds this.
    title = "Unexpected answer from LinkedIn"


class SignInFailed(LinkedInError, AuthFailure):
    """The OAuth sign-in did not complete (denied, cancelled, timed out, wrong state, bad code)."""

    title = "Sign-in did not complete"


E = TypeVar("E", bound="LinkedInError")

_INDEX_LINE = re.compile(r"(?:Index:\s*(\d+),\s*)?ERROR\s*::\s*(\S*)\s*::\s*(.*)")
_INDICES = re.compile(r"indices\s*\[([\d,\s]*)\]")


def parse_element_failures(message: str) -> tuple[ElementFailure, ...]:
    """Read the failing batch positions out of LinkedIn's 400/422 message.

    Two documented shapes: ``ERROR :: /path :: reason`` lines (422), the first line of each event
    starting ``Index: N, `` and the event's further lines following it without; and
    ``... indices [0, 3] (0-indexed)`` for rules that are not Conversions API rules (400).
    """
    failures = []
    index = None
    for line in message.splitlines():
        found = _INDEX_LINE.search(line)
        if found is None:
            continue
        if found.group(1) is not None:
            index = int(found.group(1))
        if index is not None:
            failures.append(ElementFailure(index, found.group(2), found.group(3).strip()))
    if failures:
        return tuple(failures)
    found = _INDICES.search(message)
    if not found:
        return ()
    reason = message[: found.start()].rstrip(" ,")
    return tuple(ElementFailure(int(i), "/conversion", reason) for i in found.group(1).replace(" ", "").split(",") if i)


def error_for_status(
    status: int,
    *,
    code: str | None,
    service_error_code: int | None,
    message: str | None,
    request_id: str | None,
    version: str = "",
) -> LinkedInError:
    """Map an HTTP error answer to the typed error a user can act on (``version``: the API version the
    request asked for)."""

    def make(cls: type[E], explanation: str, action: str = "") -> E:
        return cls(
            explanation,
            action,
            status=status,
            code=code,
            service_error_code=service_error_code,
            linkedin_message=message,
            request_id=request_id,
        )

    said = f" LinkedIn said: “{message}”." if message else ""
    if status == 401:
        return make(
            SignInRequired,
            "LinkedIn no longer accepts your sign-in: it has expired, was revoked, or is not valid.",
            "Sign in again.",
        )
    if status == 403:
        return make(
            PermissionDenied,
            "LinkedIn refused this request: the app or your account lacks a permission." + said,
            "Please check:\n" + PARTNER_CHECKS,
        )
    if status == 404:
        return make(NotFound, "LinkedIn could not find what was asked for." + said)
    if status in (400, 422):
        error = make(InvalidRequest, "LinkedIn rejected the request as invalid." + said)
        error.failures = parse_element_failures(message or "")
        return error
    if status == 426:
        return make(
            ApiVersionRetired,
            f"LinkedIn accepted neither API version {version or 'asked for'} nor any other month of the past year."
            + said,
            f"Check that this computer's date is right (it is {datetime.now().strftime('%d %B %Y')}). If it is, "
            "LinkedIn has changed how versions work: check for an update of CAPI Desktop.",
        )
    if status == 429:
        return make(
            RateLimited,
            "LinkedIn's request limit for your sign-in has been reached for now.",
            "Wait a minute and try again; uploads pause and continue on their own.",
        )
    if status >= 500:
        return make(
            ServerError,
            f"LinkedIn had a temporary problem (HTTP {status}).",
            "Try again in a few minutes; nothing was lost.",
        )
    return make(UnexpectedResponse, f"LinkedIn answered with an unexpected status (HTTP {status})." + said)
