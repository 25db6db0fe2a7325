"""Failure injection, throttling, latency, the admin endpoints, and the server's lifecycle and binding."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from sandbox_kit import PROBE, Api, FakeClock, error_of, make_event

from capi_desktop.sandbox import Knobs, SandboxServer


def batch(tag: str, size: int = 5) -> list[dict[str, Any]]:
    return [make_event(event_id=f"{tag}-{i}") for i in range(size)]


# --- failure injection --------------------------------------------------------------------------------------
def test_error_rate_one_answers_5xx_before_processing(
    api: Api, sandbox: SandboxServer, admin: Callable[..., Any]
) -> None:
    sandbox.knobs.update({"error_rate": 1.0})
    statuses = set()
    for i in range(20):
        response = api.send_events(batch(f"b{i}"))
        status, code, _ = error_of(response)
        assert status in (500, 502, 503, 504)
        assert code in ("INTERNAL_SERVER_ERROR", "BAD_GATEWAY", "SERVICE_UNAVAILABLE", "GATEWAY_TIMEOUT")
        assert len(response.headers["x-li-uuid"]) == 22
        statuses.add(status)
    assert len(statuses) > 1
    assert admin("events")["elements"] == []
    assert sum(admin("stats")["by_status"].get(str(s), 0) for s in (500, 502, 503, 504)) == 20


def test_error_rate_zero_point_five_is_reproducible(clock: FakeClock) -> None:
    def run() -> list[int]:
        with SandboxServer(knobs=Knobs(error_rate=0.5, seed=42), clock=clock) as server:
            api = Api(server.api_base, server.mint_token())
            return [api.get(PROBE).status_code for _ in range(20)]

    first = run()
    assert 200 in first and any(s >= 500 for s in first)
    assert run() == first


def test_drop_rate_one_drops_every_connection(api: Api, sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"drop_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        api.get(PROBE)


def test_drops_after_processing_keep_the_events(api: Api, sandbox: SandboxServer, admin: Callable[..., Any]) -> None:
    sandbox.knobs.update({"drop_rate": 1.0})
    sent = {}
    for i in range(12):
        events = batch(f"b{i}")
        sent[f"b{i}"] = events
        with pytest.raises(requests.ConnectionError):
            api.send_events(events)
    dropped = admin("stats")["dropped"]
    assert dropped["before_processing"] + dropped["after_processing"] == 12
    assert dropped["before_processing"] > 0 and dropped["after_processing"] > 0

    stored = [e["event"] for e in admin("events")["elements"]]
    assert len(stored) == 5 * dropped["after_processing"]
    stored_batches = {e["eventId"].split("-")[0] for e in stored}
    assert stored == [e for tag in sent if tag in stored_batches for e in sent[tag]]

    sandbox.knobs.update({"drop_rate": 0.0})
    assert api.send_events(batch("retry")).status_code == 200


def test_rate_limit_per_minute(api: Api, sandbox: SandboxServer, clock: FakeClock, admin: Callable[..., Any]) -> None:
    sandbox.knobs.update({"rate_limit_per_minute": 3})
    assert [api.get(PROBE).status_code for _ in range(3)] == [200, 200, 200]
    status, code, message = error_of(api.get(PROBE))
    assert (status, code) == (429, "TOO_MANY_REQUESTS")
    assert message == "Member token throttled: more than 3 requests in the last minute"

    other = Api(api.base, sandbox.mint_token())
    assert other.get(PROBE).status_code == 200  # limits are per access token

    clock.advance(59.9)
    assert api.get(PROBE).status_code == 429
    clock.advance(0.1)  # the first three leave the sliding window
    assert api.get(PROBE).status_code == 200
    assert admin("stats")["by_status"]["429"] == 2


def test_throttling_comes_before_failure_injection(api: Api, sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"rate_limit_per_minute": 1})
    assert api.get(PROBE).status_code == 200
    sandbox.knobs.update({"error_rate": 1.0})
    assert api.get(PROBE).status_code == 429


def test_rejected_tokens_do_not_count(api: Api, sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"rate_limit_per_minute": 1})
    for _ in range(3):
        assert api.get(PROBE, headers={"LinkedIn-Version": ""}).status_code == 426
    assert api.get(PROBE).status_code == 200


def test_daily_cap_resets_at_midnight_utc(api: Api, sandbox: SandboxServer, clock: FakeClock) -> None:
    sandbox.knobs.update({"daily_cap": 2})
    assert api.get(PROBE).status_code == 200
    clock.advance(3600)
    assert api.get(PROBE).status_code == 200
    clock.advance(3600)
    response = api.get(PROBE)
    assert error_of(response) == (
        429,
        "TOO_MANY_REQUESTS",
        "Member token throttled: the daily limit of 2 requests is reached",
    )
    clock.advance(10 * 3600)  # NOW is 12:00 UTC; this is 00:00 the next day
    assert api.get(PROBE).status_code == 200


def test_throttle_bursts(api: Api, sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"throttle_rate": 1.0})
    assert error_of(api.get(PROBE))[:2] == (429, "TOO_MANY_REQUESTS")
    sandbox.knobs.update({"throttle_rate": 0.0})
    assert api.get(PROBE).status_code == 200


def test_latency(api: Api, sandbox: SandboxServer) -> None:
    sandbox.knobs.update({"latency_ms": 150})
    started = time.perf_counter()
    assert api.get(PROBE).status_code == 200
    assert time.perf_counter() - started >= 0.15


# --- admin endpoints ----------------------------------------------------------------------------------------
def test_knobs_read_and_partial_update(sandbox: SandboxServer, admin: Callable[..., Any]) -> None:
    knobs = admin("knobs")
    assert knobs == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "throttle_rate": 0.0,
        "drop_rate": 0.0,
        "rate_limit_per_minute": 600,
        "daily_cap": 300000,
        "auto_consent": None,
        "seed": 7,
        "max_batch": 5000,
        "event_max_age_days": 90,
        "future_grace_seconds": 300,
        "event_id_max_length": 64,
        "oldest_version": None,
        "newest_version": None,
        "skipped_versions": [],
        "code_ttl_seconds": 1800,
        "me_requires_profile_scope": True,
        "standard_redirect_uris": ["http://127.0.0.1:8765/callback", "http://localhost:8765/callback"],
        "attribution_share_percent": 13.0,
        "reporting_delay_hours": 0.0,
    }
    updated = admin("knobs", {"error_rate": 0.25, "auto_consent": "allow", "standard_redirect_uris": ["http://x/"]})
    assert (updated["error_rate"], updated["auto_consent"], updated["standard_redirect_uris"]) == (
        0.25,
        "allow",
        ["http://x/"],
    )
    assert updated["latency_ms"] == 0
    assert sandbox.knobs.error_rate == 0.25
    assert sandbox.knobs.standard_redirect_uris == ("http://x/",)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"error_rate": 1.5}, "knob error_rate must be a number between 0 and 1, got 1.5"),
        ({"auto_consent": "maybe"}, 'knob auto_consent must be null, "allow" or "deny", got \'maybe\''),
        ({"max_batch": True}, "knob max_batch must be an integer >= 1, got True"),
        ({"newest_version": "2026-06"}, "knob newest_version must be null or a YYYYMM string, got '2026-06'"),
        ({"speed": 1}, "unknown knob: speed"),
    ],
)
def test_invalid_knob_updates_change_nothing(sandbox: SandboxServer, body: dict[str, Any], error: str) -> None:
    response = requests.post(
        f"{sandbox.url}/_sandbox/knobs", json=body | {"latency_ms": 5}, headers=sandbox.admin_headers, timeout=10
    )
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert sandbox.knobs.latency_ms == 0


def test_knobs_validate_in_python_too() -> None:
    with pytest.raises(ValueError, match="drop_rate"):
        Knobs(drop_rate=-0.1)
    with pytest.raises(ValueError, match="unknown knob: speed"):
        Knobs().update({"speed": 1})


def test_every_knob_is_validated_and_reported() -> None:
    assert set(Knobs().to_dict()) == {f.name for f in dataclasses.fields(Knobs) if f.init}


def test_admin_tokens_and_revoke(sandbox: SandboxServer, admin: Callable[..., Any]) -> None:
    token = admin("tokens", {"scopes": ["r_ads"], "expires_in": 600})["access_token"]
    api = Api(sandbox.api_base, token)
    assert api.get(PROBE).status_code == 200
    assert error_of(api.send_event(make_event()))[:2] == (403, "ACCESS_DENIED")
    assert admin("revoke", {"token": token}) == {"revoked": True}
    assert error_of(api.get(PROBE))[1] == "REVOKED_ACCESS_TOKEN"
    unknown = requests.post(
        f"{sandbox.url}/_sandbox/revoke", json={"token": "nope"}, headers=sandbox.admin_headers, timeout=10
    )
    assert unknown.status_code == 404
    bad = requests.post(
        f"{sandbox.url}/_sandbox/tokens", json={"scopes": ["w_everything"]}, headers=sandbox.admin_headers, timeout=10
    )
    assert (bad.status_code, bad.json()) == (400, {"error": "unknown scopes: w_everything"})


def test_mint_token_rejects_unknown_names(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError, match="unknown member"):
        sandbox.mint_token(member="someone-else")
    with pytest.raises(ValueError, match="unknown client_id"):
        sandbox.mint_token(client_id="nobody")


def test_stats_and_reset(api: Api, sandbox: SandboxServer, admin: Callable[..., Any]) -> None:
    api.send_events(batch("a"))
    api.get(PROBE, headers={"Authorization": ""})
    stats = admin("stats")
    assert stats == {
        "requests": 2,
        "by_status": {"200": 1, "401": 1},
        "dropped": {"before_processing": 0, "after_processing": 0},
        "events_accepted": 5,
    }
    assert admin("reset", {}) is None
    assert admin("stats") == {
        "requests": 0,
        "by_status": {},
        "dropped": {"before_processing": 0, "after_processing": 0},
        "events_accepted": 0,
    }
    assert admin("events") == {"elements": []}


def test_reset_restarts_the_fault_sequence(api: Api, sandbox: SandboxServer, admin: Callable[..., Any]) -> None:
    sandbox.knobs.update({"error_rate": 0.5})
    first = [api.get(PROBE).status_code for _ in range(10)]
    admin("reset", {})
    assert [api.get(PROBE).status_code for _ in range(10)] == first


def test_admin_unknown_path(sandbox: SandboxServer) -> None:
    assert requests.get(f"{sandbox.url}/_sandbox/nothing", headers=sandbox.admin_headers, timeout=10).status_code == 404
    assert requests.get(f"{sandbox.url}/elsewhere", timeout=10).status_code == 404


# --- lifecycle and binding ----------------------------------------------------------------------------------
def test_addresses(sandbox: SandboxServer) -> None:
    assert sandbox.url == f"http://127.0.0.1:{sandbox.port}"
    assert sandbox.api_base == sandbox.url + "/rest"
    assert sandbox.oauth_base == sandbox.url + "/oauth/v2"
    assert sandbox.port > 0


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outgoing interface
            address: str = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_listens_on_loopback_only(sandbox: SandboxServer) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5):
        pass
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError), socket.create_connection((address, sandbox.port), timeout=5):
        pass


def test_taken_port_raises_oserror(sandbox: SandboxServer) -> None:
    with pytest.raises(OSError):
        SandboxServer(port=sandbox.port)


def test_start_stop(clock: FakeClock) -> None:
    server = SandboxServer(clock=clock)
    port = server.port
    assert server.start() is server
    with pytest.raises(RuntimeError):
        server.start()
    assert requests.get(f"{server.url}/_sandbox/stats", headers=server.admin_headers, timeout=5).status_code == 200
    server.stop()
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=5)
    with pytest.raises(RuntimeError):
        server.start()


def test_stop_without_start_releases_the_port(clock: FakeClock) -> None:
    server = SandboxServer(clock=clock)
    port = server.port
    server.stop()
    SandboxServer(port=port, clock=clock).stop()


def test_server_thread_is_quiet(api: Api, sandbox: SandboxServer, capfd: pytest.CaptureFixture[str]) -> None:
    api.get(PROBE)
    api.get("/nothing")
    sandbox.knobs.update({"drop_rate": 1.0})
    for _ in range(4):
        with pytest.raises(requests.ConnectionError):
            api.send_events(batch("quiet"))
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_oauth_requests_are_counted_and_delayed(sandbox: SandboxServer, admin: Callable[..., Any]) -> None:
    sandbox.knobs.update({"latency_ms": 100})
    started = time.perf_counter()
    requests.post(sandbox.oauth_base + "/accessToken", data={}, timeout=10)
    assert time.perf_counter() - started >= 0.1
    assert admin("stats")["by_status"] == {"400": 1}


# --- who may use the admin endpoints ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("secret", "extra", "why"),
    [
        (False, {}, "header is missing or wrong"),
        (False, {"X-Sandbox-Secret": "guessed"}, "header is missing or wrong"),
        (True, {"Host": "attacker.example"}, "answer only on 127.0.0.1"),  # DNS rebinding: a foreign name
        (True, {"Origin": "https://attacker.example"}, "cross-origin requests"),
        (True, {"Origin": "null"}, "cross-origin requests"),
    ],
)
def test_admin_requests_without_the_secret_or_from_elsewhere_are_refused(
    sandbox: SandboxServer, secret: bool, extra: dict[str, str], why: str
) -> None:
    headers = (sandbox.admin_headers if secret else {}) | extra
    # A web page's form post: text/plain needs no CORS preflight, so only these checks stop it.
    response = requests.post(
        f"{sandbox.url}/_sandbox/knobs", data='{"error_rate": 1}', headers=headers | {"Content-Type": "text/plain"},
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 403 and why in response.json()["error"]
    assert sandbox.knobs.error_rate == 0  # nothing changed
    assert requests.get(f"{sandbox.url}/_sandbox/events", headers=headers, timeout=10).status_code == 403


def test_admin_requests_with_the_secret_from_this_origin_are_served(sandbox: SandboxServer) -> None:
    local = f"localhost:{sandbox.port}"
    for extra in ({}, {"Origin": sandbox.url}, {"Host": local, "Origin": f"http://{local}"}):
        response = requests.get(f"{sandbox.url}/_sandbox/stats", headers=sandbox.admin_headers | extra, timeout=10)
        assert response.status_code == 200, response.text


def test_each_run_has_its_own_secret(clock: FakeClock) -> None:
    first, second = SandboxServer(clock=clock), SandboxServer(clock=clock)
    try:
        assert len(first.admin_secret) >= 32 and first.admin_secret != second.admin_secret
    finally:
        first.stop()
        second.stop()
