"""The application layer: every use case once, for the wizard and the command line alike.

Front ends call these functions and render what they return; neither assembles core steps itself.
Reading a file and planning its import (``imports``), a job's life (``jobs``), sending it with the
same checks on every path (``uploads``), and how it ended (``outcome``).
"""

from capi_desktop.app.imports import (
    ImportPlan,
    InspectedFile,
    Overrides,
    inspect_file,
    merge_mapping,
    plan_import,
)
from capi_desktop.app.jobs import (
    AlreadySent,
    JobEntry,
    JobProblem,
    StagedJob,
    already_sent,
    complete_staging,
    delete_job,
    find_job,
    list_jobs,
    open_job,
    release_job,
    source_table,
    stage_job,
    support_snapshot,
)
from capi_desktop.app.outcome import Outcome, UploadReport
from capi_desktop.app.record import JobRecord, JobState, SourceFile
from capi_desktop.app.runlock import UploadBusy
from capi_desktop.app.timeleft import TimeLeft, time_left
from capi_desktop.app.uploads import RESUME_LATER, PreflightFailed, preflight, report_of, send_job

__all__ = [
    "AlreadySent",
    "ImportPlan",
    "InspectedFile",
    "JobEntry",
    "JobProblem",
    "JobRecord",
    "JobState",
    "Outcome",
    "Overrides",
    "PreflightFailed",
    "RESUME_LATER",
    "SourceFile",
    "StagedJob",
    "TimeLeft",
    "already_sent",
    "UploadBusy",
    "UploadReport",
    "complete_staging",
    "delete_job",
    "find_job",
    "inspect_file",
    "list_jobs",
    "merge_mapping",
    "open_job",
    "plan_import",
    "preflight",
    "release_job",
    "report_of",
    "send_job",
    "source_table",
    "stage_job",
    "support_snapshot",
    "time_left",
]
