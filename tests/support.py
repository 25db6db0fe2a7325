"""Helpers shared by tests: well-formed events and the sandbox's inspection endpoint."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from capi_desktop.sandbox import SandboxServer


def cli_env(sandbox: SandboxServer, home: Path) -> dict[str, str]:
    """This process's environment plus what points `capi-desktop` at ``home`` and the signed-in sandbox."""
    return {
        **os.environ,
        "CAPI_DESKTOP_HOME": str(home),
        "CAPI_DESKTOP_API_BASE": sandbox.api_base,
        "CAPI_DESKTOP_ACCESS_TOKEN": sandbox.mint_token(),
    }


def run_cli(*args: str, env: dict[str, str], stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `capi-desktop ARGS` as a user would: a new process, with ``env`` on top of this one's."""
    return subprocess.run(
        [sys.executable, "-m", "capi_desktop", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
    )


def event(rule_id: int, event_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid Conversions API event, as LinkedIn documents it, an hour old."""
    body: dict[str, Any] = {
        "conversion": f"urn:lla:llaPartnerConversion:{rule_id}",
        "conversionHappenedAt": int((time.time() - 3600) * 1000),
        "conversionValue": {"currencyCode": "USD", "amount": "150.00"},
        "eventId": event_id,
        "user": {
            "userIds": [
                {"idType": "SHA256_EMAIL", "idValue": hashlib.sha256(f"{event_id}@example.com".encode()).hexdigest()}
            ],
            "userInfo": {"firstName": "Mike", "lastName": "Smith", "companyName": "Contoso", "countryCode": "US"},
        },
    }
    body.update(overrides)
    return body


def event_json(rule_id: int, event_id: str, **overrides: Any) -> str:
    return json.dumps(event(rule_id, event_id, **overrides))


def accepted_events(sandbox_url: str) -> list[dict[str, Any]]:
    response = requests.get(f"{sandbox_url}/_sandbox/events", timeout=10)
    response.raise_for_status()
    return [element["event"] for element in response.json()["elements"]]


def set_knobs(sandbox_url: str, **knobs: Any) -> None:
    requests.post(f"{sandbox_url}/_sandbox/knobs", json=knobs, timeout=10).raise_for_status()


def stats(sandbox_url: str) -> dict[str, Any]:
    response = requests.get(f"{sandbox_url}/_sandbox/stats", timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def consent_without_browser(authorization_url: str, decision: str = "allow") -> None:
    """Act as the member on the sandbox's consent page with plain HTTP (no browser), then deliver the
    redirect to our loopback listener exactly as a browser would follow it."""
    import re
    from html import unescape
    from urllib.parse import urljoin

    page = requests.get(authorization_url, timeout=10)
    page.raise_for_status()
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action, "consent page has no form"
    fields = {
        unescape(n): unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page.text)
    }
    fields["decision"] = decision
    answer = requests.post(urljoin(page.url, unescape(action.group(1))), data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    requests.get(answer.headers["Location"], timeout=10)
