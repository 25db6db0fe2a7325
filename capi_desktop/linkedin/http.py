"""Transport for every LinkedIn call: one place that turns network failures into typed errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from capi_desktop.linkedin.errors import (
    CertificateError,
    ConnectionFailed,
    UnexpectedResponse,
)

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-li-uuid"
DEFAULT_TIMEOUT = 60.0


def request_id(response: requests.Response) -> str | None:
    return response.headers.get(REQUEST_ID_HEADER)


def perform(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; network and TLS failures become ``ConnectionFailed`` / ``CertificateError``."""
    host = urlsplit(url).netloc
    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.exceptions.SSLError as exc:
        raise CertificateError(
            f"The secure connection to {host} could not be verified.",
            "If your company uses a proxy that inspects traffic, ask IT to install its certificate "
            "on this computer; otherwise check the computer's date and time.",
        ) from exc
    except requests.exceptions.Timeout as exc:
        raise ConnectionFailed(
            f"{host} did not answer in time.",
            "Check your internet connection and try again.",
        ) from exc
    except requests.exceptions.RequestException as exc:
        # ConnectionError covers refused, DNS failure and connections dropped mid-answer.
        raise ConnectionFailed(
            f"Could not reach {host}, or the connection was cut before LinkedIn answered.",
            "Check your internet connection (and proxy settings) and try again.",
        ) from exc
    logger.debug("%s %s -> %s (%s)", method, urlsplit(url).path, response.status_code, request_id(response))
    return response


def json_body(response: requests.Response) -> Mapping[str, Any]:
    """The JSON object in a response, or ``UnexpectedResponse`` if it is not one."""
    try:
        data = response.json()
    except ValueError as exc:
        raise UnexpectedResponse(
            f"LinkedIn sent an answer that is not valid JSON (HTTP {response.status_code}).",
            "Try again later; if it keeps happening, check the API address in Settings.",
            status=response.status_code,
            request_id=request_id(response),
        ) from exc
    if not isinstance(data, dict):
        raise UnexpectedResponse(
            "LinkedIn sent an answer in an unexpected shape.",
            status=response.status_code,
            request_id=request_id(response),
        )
    return data
