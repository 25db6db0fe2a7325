"""The journal: one SQLite file per job (``job``, its tables in ``schema``, its values in ``model``)
and the sent-ledger across jobs (``ledger``)."""

from capi_desktop.core.journal.job import (
    SUFFIX,
    Journal,
    jobs_dir,
    journal_path,
    new_job_id,
    staging_space,
)
from capi_desktop.core.journal.model import (
    Delivery,
    DeliveryCounts,
    JournalError,
    JournalRow,
    Outgoing,
    RowState,
    StateCounts,
)
from capi_desktop.core.journal.schema import ACCEPTED_EVENTS, SCHEMA_VERSION

__all__ = [
    "ACCEPTED_EVENTS",
    "SCHEMA_VERSION",
    "SUFFIX",
    "Delivery",
    "DeliveryCounts",
    "Journal",
    "JournalError",
    "JournalRow",
    "Outgoing",
    "RowState",
    "StateCounts",
    "jobs_dir",
    "journal_path",
    "new_job_id",
    "staging_space",
]
