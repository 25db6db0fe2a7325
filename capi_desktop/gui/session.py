"""What the user has chosen so far in the wizard, shared by its pages.

Plain data, no Qt: each page reads what earlier pages chose in ``initializePage`` and records its own
choice in ``validatePage``. Going Back never clears anything, so choices survive a step back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from capi_desktop.app.outcome import UploadReport
from capi_desktop.app.record import JobRecord
from capi_desktop.core.journal import Journal
from capi_desktop.core.mapping import ImportOptions, RuleChoice
from capi_desktop.core.reading import Table
from capi_desktop.core.staging import StageSummary
from capi_desktop.core.stores.profiles import Profile
from capi_desktop.linkedin.models import AdAccount, ConversionRule


@dataclass
class UploadSession:
    profile: Profile | None = None  # the saved profile the user started from, if any
    account: AdAccount | None = None
    rules: RuleChoice | None = None
    rules_by_id: dict[int, ConversionRule] = field(default_factory=dict)  # the account's rules, for names
    source: Path | None = None  # the spreadsheet
    table: Table | None = None
    options: ImportOptions | None = None
    journal: Journal | None = None  # the staged job; the Upload page sends from it
    record: JobRecord | None = None  # what that job is, as its journal records it
    summary: StageSummary | None = None
    result: UploadReport | None = None  # how the last run of the job ended
    report_path: Path | None = None  # where the problems report was written, if it was

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self.record = None
