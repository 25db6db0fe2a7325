"""Fixtures for the sandbox's own tests: a sandbox on a free port with an injected clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from sandbox_kit import Api, FakeClock

from capi_desktop.sandbox import Knobs, SandboxServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def knobs() -> Knobs:
    return Knobs(seed=7)


@pytest.fixture
def sandbox(knobs: Knobs, clock: FakeClock) -> Iterator[SandboxServer]:
    with SandboxServer(port=0, knobs=knobs, clock=clock) as server:
        yield server


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox.api_base, sandbox.mint_token(scopes=("r_ads", "rw_conversions")))


@pytest.fixture
def api_for(sandbox: SandboxServer) -> Callable[..., Api]:
    """An Api whose token carries exactly the given scopes."""

    def build(*scopes: str) -> Api:
        return Api(sandbox.api_base, sandbox.mint_token(scopes=scopes))

    return build


@pytest.fixture
def admin(sandbox: SandboxServer) -> Callable[..., Any]:
    """GET or POST a /_sandbox/ endpoint and return its JSON."""

    def call(path: str, body: Any = None) -> Any:
        url, headers = f"{sandbox.url}/_sandbox/{path}", sandbox.admin_headers
        if body is None:
            response = requests.get(url, headers=headers, timeout=30)
        else:
            response = requests.post(url, json=body, headers=headers, timeout=30)
        assert response.status_code in (200, 204), response.text
        return response.json() if response.content else None

    return call
