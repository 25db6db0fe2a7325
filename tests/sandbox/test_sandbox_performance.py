"""How long the sandbox takes for one 5,000-event batch (parse, validate, store, respond) over loopback.

The figure is printed (run with -s to see it), not asserted: timing depends on the machine. The body is
serialized once beforehand so the measurement is the round trip, not our own json.dumps.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import requests
from sandbox_kit import VERSION, Api, make_event

BATCH = 5000
RUNS = 5


def test_5000_event_batch_round_trip(api: Api, admin: Callable[..., Any]) -> None:
    events = []
    for i in range(BATCH):
        event = make_event(event_id=f"perf-{i:05d}")
        event["user"]["userIds"][0]["idValue"] = hashlib.sha256(f"buyer{i}@example.com".encode()).hexdigest()
        events.append(event)
    body = json.dumps({"elements": events}).encode()
    headers = {
        "Authorization": f"Bearer {api.token}",
        "LinkedIn-Version": VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
        "X-RestLi-Method": "BATCH_CREATE",
        "Content-Type": "application/json",
    }

    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = requests.post(api.base + "/conversionEvents", data=body, headers=headers, timeout=60)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        assert len(response.json()["elements"]) == BATCH

    print(
        f"\n5,000-event batch ({len(body) / 1e6:.1f} MB) over loopback: median {statistics.median(timings):.0f} ms, "
        f"best {min(timings):.0f} ms, worst {max(timings):.0f} ms over {RUNS} runs"
    )
    assert admin("stats")["events_accepted"] == BATCH * RUNS
