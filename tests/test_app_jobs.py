"""Listing jobs: newest first by creation time, unreadable files reported, not hidden."""

from __future__ import annotations

from pathlib import Path

from capi_desktop.core.jobs import list_jobs

from capi_desktop.core.journal import Journal, jobs_dir, journal_path


def test_jobs_are_listed_newest_first_even_within_one_second(tmp_path: Path) -> None:
    # Same second, and the later job's random part sorts first by name: the order must still be by time.
    for name, created in (("20261123-101500-aaaaaa", 1000.5), ("20261123-101500-ffffff", 1000.1)):
        with Journal(journal_path(tmp_path, name), create=True) as journal:
            journal.set_meta({"created": created, "source_name": name})
    (jobs_dir(tmp_path) / "20261123-000000-broken.capijob").write_bytes(b"not a database at all" * 100)
    jobs = list_jobs(tmp_path)
    readable = [job.path.stem for job in jobs if job.problem is None]
    assert readable == ["20261123-101500-aaaaaa", "20261123-101500-ffffff"]
    broken = [job for job in jobs if job.problem is not None]
    assert len(broken) == 1 and "damaged" in (broken[0].problem or "")
