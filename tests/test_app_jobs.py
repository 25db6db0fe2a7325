"""Listing jobs: newest first by creation time, unreadable files reported, not hidden."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from upload_kit import stage_file, write_leads

from capi_desktop.app.jobs import list_jobs
from capi_desktop.app.record import JobState, read_record, write_record
from capi_desktop.core.journal import jobs_dir, journal_path


def test_jobs_are_listed_newest_first_even_within_one_second(tmp_path: Path) -> None:
    source = write_leads(tmp_path / "leads.csv", 3)
    # Same second, and the later job's random part sorts first by name: the order must still be by time.
    for name, created in (("20261123-101500-aaaaaa", 1000.5), ("20261123-101500-ffffff", 1000.1)):
        with stage_file(source, journal_path(tmp_path, name), rule_id=1, account_id=7) as journal:
            write_record(journal, dataclasses.replace(read_record(journal), created=created))
    (jobs_dir(tmp_path) / "20261123-000000-broken.capijob").write_bytes(b"not a database at all" * 100)
    jobs = list_jobs(tmp_path)
    readable = [job.job_id for job in jobs if job.problem is None]
    assert readable == ["20261123-101500-aaaaaa", "20261123-101500-ffffff"]
    assert all(job.status == "checked, not sent" and job.counts.total == 3 for job in jobs if job.record)
    broken = [job for job in jobs if job.problem is not None]
    assert len(broken) == 1 and broken[0].status == "unreadable" and "damaged" in (broken[0].problem or "")


def test_a_job_whose_staging_never_finished_is_listed_as_interrupted_and_resumable(tmp_path: Path) -> None:
    source = write_leads(tmp_path / "leads.csv", 3)
    with stage_file(source, journal_path(tmp_path, "20261123-101500-aaaaaa"), rule_id=1, account_id=7) as journal:
        record = read_record(journal)
        write_record(journal, dataclasses.replace(record, state=JobState.STAGING))
    (job,) = list_jobs(tmp_path)
    assert job.status == "interrupted while checking rows" and job.resumable and job.outcome is None


def test_a_preview_is_never_resumable(tmp_path: Path) -> None:
    source = write_leads(tmp_path / "leads.csv", 3)
    stage_file(source, journal_path(tmp_path, "20261123-101500-aaaaaa"), rule_id=1).close()
    (job,) = list_jobs(tmp_path)
    assert job.status == "preview" and not job.resumable
