"""Helpers shared by tests: well-formed events, the command line, and the sandbox's admin endpoints."""

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


def admin(sandbox: SandboxServer, path: str, body: Any = None) -> Any:
    """GET (or POST ``body`` to) the sandbox's ``/_sandbox/PATH`` with this run's secret; its JSON."""
    url = f"{sandbox.url}/_sandbox/{path}"
    headers = sandbox.admin_headers
    if body is None:
        response = requests.get(url, headers=headers, timeout=60)
    else:
        response = requests.post(url, json=body, headers=headers, timeout=60)
    response.raise_for_status()
    return response.json() if response.content else None


def accepted_events(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return [element["event"] for element in admin(sandbox, "events")["elements"]]


def set_knobs(sandbox: SandboxServer, **knobs: Any) -> None:
    admin(sandbox, "knobs", knobs)


def stats(sandbox: SandboxServer) -> dict[str, Any]:
    result: dict[str, Any] = admin(sandbox, "stats")
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
