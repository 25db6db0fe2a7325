"""Generated broken files, each answered by a real preview in a watched worker process: read, or refused
in a plain sentence; never a crash, a hang, or more than 1.5 GB. `make fuzz` runs the same at scale."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fixtures.fuzz_kit import KINDS, Tally, corpus, run

FILES = int(os.environ.get("CAPI_FUZZ_FILES", "200"))
SEED = int(os.environ.get("CAPI_FUZZ_SEED", "2026"))


def test_the_corpus_holds_every_kind_of_damage() -> None:
    names = [case.name.split(" #")[0] for case in corpus(200)]
    assert set(names) == {*KINDS, "50 MB cell"}


@pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="the harness measures memory as Linux reports it"
)
def test_generated_broken_files_are_read_or_refused_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def show(done: int, tally: Tally) -> None:
        if done % 250 == 0 or done == FILES:
            with capsys.disabled():
                print(f"\n{tally.report()}", flush=True)

    tally = run(FILES, tmp_path, SEED, progress=show)
    failures = "\n".join(f"{name}: {answer.outcome}: {answer.detail}" for name, answer in tally.failures[:5])
    assert not tally.failures, failures
    assert tally.counts["read fine"] > FILES // 10 and tally.counts["clean message"] > FILES // 10
