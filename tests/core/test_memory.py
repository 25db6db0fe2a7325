"""Memory freed by bulk work goes back to the operating system, not only to the C library's free lists."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from capi_desktop.core.memory import release_freed_memory

MB = 1 << 20


def resident() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * 4096


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; trims glibc's heap")
def test_memory_freed_by_many_small_allocations_is_handed_back() -> None:
    # 1 kB blocks come from the C heap; the last one, kept, pins its top, as live objects do after an import.
    blocks = [bytes(1000) + i.to_bytes(4, "little") for i in range(200_000)]
    kept = blocks[-1]
    del blocks
    freed_but_held = resident()
    release_freed_memory()
    assert resident() < freed_but_held - 100 * MB
    assert kept.endswith((199_999).to_bytes(4, "little"))
