"""The cycle collector's switch: paused around bulk work, or collected only when (and where) asked."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import pytest

from capi_desktop.collector import collect_if_due, collect_only_when_asked, collector_paused


@pytest.fixture(autouse=True)
def automatic_collection_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()  # what a pause froze goes back to be collected as usual
    gc.enable()


class _Cycle:
    def __init__(self, freed: list[bool]) -> None:
        self.me, self.freed = self, freed

    def __del__(self) -> None:
        self.freed.append(True)


def test_the_pause_is_counted_and_restored() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # a second import overlapping the first one's end
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()  # it was off before: it stays off


def test_collecting_only_when_asked_outlasts_a_running_pause() -> None:
    with collector_paused():
        collect_only_when_asked()
    assert not gc.isenabled()


@pytest.mark.parametrize("paused", [False, True])
def test_collect_if_due_frees_cycles_unless_bulk_work_is_running(paused: bool) -> None:
    collect_only_when_asked()
    freed: list[bool] = []
    _Cycle(freed)
    kept = [[number] for number in range(10_000)]  # past the youngest generation's threshold
    assert not freed  # nothing collects on its own any more
    with contextlib.ExitStack() as stack:
        if paused:
            stack.enter_context(collector_paused())
        collect_if_due()
        assert freed == ([] if paused else [True])
    assert len(kept) == 10_000
