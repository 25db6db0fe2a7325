"""Welcome: what the app does in three steps, and what the user wants to do now."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from capi_desktop import paths
from capi_desktop.app.jobs import list_jobs, open_job, release_job
from capi_desktop.app.record import JobRecord
from capi_desktop.core.control import Control
from capi_desktop.core.journal import DeliveryCounts, JournalError
from capi_desktop.core.stores.profiles import Profile, ProfileStore
from capi_desktop.gui.errors import show_error
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.widgets import (
    BRAND_BLUE,
    badge,
    heading_label,
    moment_text,
    side_button,
    small_label,
    wrapped_label,
)
from capi_desktop.linkedin.models import AdAccount
from capi_desktop.runtime import Mode

logger = logging.getLogger(__name__)

MAX_JOBS_LISTED = 20

STEPS = (
    ("Sign in with LinkedIn", "Use the LinkedIn account that manages your ads."),
    (
        "Pick an ad account and a conversion rule",
        "The rule tells LinkedIn what these conversions are, for example leads or purchases.",
    ),
    (
        "Drop in your spreadsheet",
        "CAPI Desktop checks every row and shows you what will be sent before anything is sent.",
    ),
)
PRIVACY_TITLE = "Email addresses stay on your computer"
PRIVACY_NOTE = (
    "They are hashed before anything is sent: each one becomes a one-way code that LinkedIn can match to "
    "its members, so the addresses themselves never leave your computer."
)


class StartChoice(Enum):
    """What the user can do from the welcome page, in this order. A new upload is always offered; the
    others only when there is a saved profile or an unfinished upload."""

    NEW_UPLOAD = ("Start a new upload", "Sign in, choose where the conversions go, then pick your spreadsheet.")
    USE_PROFILE = (
        "Use a saved profile",
        "Start from choices you saved: ad account, rule, columns and date settings. You can still change them.",
    )
    RESUME = (
        "Resume an unfinished upload",
        "Send the rest of an upload that was stopped or interrupted. Rows already sent are not sent again.",
    )

    def __init__(self, label: str, description: str) -> None:
        self.label = label
        self.description = description


def profile_store() -> ProfileStore:
    return ProfileStore(paths.profiles_dir())


@dataclass(frozen=True)
class UnfinishedJob:
    """An upload that started (sending, or checking its rows) and still has rows to send."""

    path: Path
    record: JobRecord
    counts: DeliveryCounts
    status: str

    @property
    def left(self) -> int:
        return self.counts.pending + self.counts.in_flight

    def describe(self) -> str:
        c, record = self.counts, self.record
        when = moment_text(datetime.fromtimestamp(record.created)) if record.created else self.path.stem
        where = record.account_name or f"ad account {record.account_id}"
        if c.sendable == 0:  # its rows were never all checked: they are checked again on resume
            return f"{record.source.name} · {where} · {when} · {self.status}"
        answered = c.accepted + c.rejected + c.skipped
        return f"{record.source.name} · {where} · {when} · {answered:,} of {c.sendable:,} sent, {self.left:,} left"


def find_unfinished_jobs(data_dir: Path, limit: int = MAX_JOBS_LISTED) -> list[UnfinishedJob]:
    """Jobs, newest first, that ``history`` marks resumable: an upload with rows left that nothing is sending.

    A job that was only previewed (never sent) is not an unfinished upload; unreadable files are skipped.
    """
    found: list[UnfinishedJob] = []
    for job in list_jobs(data_dir):
        if job.record is None:
            logger.info("Skipping job %s: %s", job.path.name, job.problem)
            continue
        if job.resumable:
            found.append(UnfinishedJob(job.path, job.record, job.delivered, job.status))
        if len(found) >= limit:
            break
    return found


@dataclass(frozen=True)
class _Offers:
    profiles: list[Profile]
    jobs: list[UnfinishedJob]


class WelcomePage(WizardPage):
    """The first page. Saved profiles and unfinished uploads are looked up on the worker each time the page
    is shown; their options appear only when there is something to offer."""

    history_requested = Signal()  # the wizard opens the history, with the runtime its results need

    def __init__(self, mode: Mode, parent: QWidget | None = None) -> None:
        super().__init__(
            mode,
            "Welcome to CAPI Desktop",
            "Send the conversions in your spreadsheet to LinkedIn, so your campaigns get credit for them.",
            parent,
        )
        self.profiles: list[Profile] = []
        self.jobs: list[UnfinishedJob] = []
        self._resume_wanted: Path | None = None
        self.profile_combo: QComboBox | None = None
        self.job_combo: QComboBox | None = None
        self.body.addLayout(self._steps())
        privacy = QVBoxLayout()
        privacy.setSpacing(2)
        privacy.addWidget(heading_label(PRIVACY_TITLE, scale=1.0))
        self.privacy_label = wrapped_label(PRIVACY_NOTE)
        privacy.addWidget(self.privacy_label)
        self.body.addSpacing(4)
        self.body.addLayout(privacy)
        self.body.addWidget(self._choices())
        self.history_button = side_button("History and results…", self.history_requested)
        self.history_button.setToolTip("Every upload from this computer, and what LinkedIn credited since.")
        history = QHBoxLayout()
        history.addWidget(self.history_button)
        history.addWidget(small_label("Did it work? See what LinkedIn has credited to your conversion rules."), 1)
        self.body.addLayout(history)
        self.body.addStretch(1)

    @property
    def choice(self) -> StartChoice:
        checked = self._choice_group.checkedButton()
        return self._choice_buttons[checked] if checked is not None else StartChoice.NEW_UPLOAD

    @property
    def chosen_profile(self) -> Profile | None:
        if self.profile_combo is None or self.profile_combo.currentIndex() < 0:
            return None
        return self.profiles[self.profile_combo.currentIndex()]

    @property
    def chosen_job(self) -> UnfinishedJob | None:
        if self.job_combo is None or self.job_combo.currentIndex() < 0:
            return None
        return self.jobs[self.job_combo.currentIndex()]

    def resume(self, path: Path) -> None:
        """Resume the job at ``path`` once the unfinished jobs are known (they are looked up on showing)."""
        self._resume_wanted = path
        self._resume_if_wanted()

    def _resume_if_wanted(self) -> None:
        path, index = (
            self._resume_wanted,
            next((i for i, j in enumerate(self.jobs) if j.path == self._resume_wanted), None),
        )
        if path is None or index is None or self.wizard() is None:
            return
        self._resume_wanted = None
        self.select(StartChoice.RESUME, index)
        wizard = self.wizard()
        assert wizard is not None
        wizard.next()

    def select(self, choice: StartChoice, index: int = 0) -> None:
        """Choose an option (and which profile or job) as the user would."""
        button = next(b for b, c in self._choice_buttons.items() if c is choice)
        button.setChecked(True)
        combo = {StartChoice.USE_PROFILE: self.profile_combo, StartChoice.RESUME: self.job_combo}.get(choice)
        if combo is not None:
            combo.setCurrentIndex(index)

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        data_dir = paths.data_dir()

        def look(control: Control, report: object) -> _Offers:
            return _Offers(profile_store().list(), find_unfinished_jobs(data_dir))

        self.run_in_background(look, self._show_offers)

    def isComplete(self) -> bool:
        choice = self.choice
        if choice is StartChoice.USE_PROFILE:
            return self.chosen_profile is not None
        if choice is StartChoice.RESUME:
            return self.chosen_job is not None
        return True

    def validatePage(self) -> bool:
        session = self._session()
        choice = self.choice
        if choice is StartChoice.RESUME:
            job = self.chosen_job
            return job is not None and self._open_job(session, job)
        if session is not None:
            session.profile = self.chosen_profile if choice is StartChoice.USE_PROFILE else None
        return True

    def nextId(self) -> int:
        if self.choice is StartChoice.RESUME:
            from capi_desktop.gui.wizard import PageId  # the wizard imports this module

            # Straight to sending: the Upload page checks the sign-in first and offers to sign in again.
            return int(PageId.UPLOAD)
        return super().nextId()

    # -- the options -----------------------------------------------------------------------------

    def _session(self) -> UploadSession | None:
        session = getattr(self.wizard(), "session", None)
        return session if isinstance(session, UploadSession) else None

    def _open_job(self, session: UploadSession | None, job: UnfinishedJob) -> bool:
        if session is None:
            return False
        current = session.journal
        try:
            journal, record = open_job(job.path)
        except JournalError as exc:
            show_error(self, exc)
            return False
        if current is not None and current.path != job.path:
            session.journal = None
            release_job(current)  # a job staged on this visit but never sent is replaced by the resumed one
        session.close()
        assert record.account_id is not None  # resumable jobs have an account
        session.journal, session.record = journal, record
        session.account = AdAccount(id=record.account_id, name=record.account_name, currency="", status="", role="")
        session.source = Path(record.source.path) if record.source.path else None
        session.options = record.options
        session.table = session.summary = None
        session.result = session.report_path = None
        return True

    def _show_offers(self, offers: _Offers) -> None:
        self.profiles, self.jobs = offers.profiles, offers.jobs
        self.profile_combo = self._offer(StartChoice.USE_PROFILE, self.profile_combo, [p.name for p in self.profiles])
        self.job_combo = self._offer(StartChoice.RESUME, self.job_combo, [j.describe() for j in self.jobs])
        if self._choice_group.checkedButton() is None:
            next(iter(self._choice_buttons)).setChecked(True)
        # The lists start at the same place, whatever the length of their option's name.
        options = [b for b, c in self._choice_buttons.items() if c is not StartChoice.NEW_UPLOAD]
        width = max((b.sizeHint().width() for b in options), default=0)
        for button in options:
            button.setMinimumWidth(width)
        self._choice_changed()
        self._resume_if_wanted()  # chosen in the history while the page was being shown

    def _offer(self, choice: StartChoice, combo: QComboBox | None, items: list[str]) -> QComboBox | None:
        """Show the option ``choice`` with ``items`` to choose from, or remove it when there are none."""
        row = self._option_rows.pop(choice, None)
        if row is not None:
            button = next(b for b, c in self._choice_buttons.items() if c is choice)
            self._choice_group.removeButton(button)
            del self._choice_buttons[button]
            row.setParent(None)
            row.deleteLater()
        if not items:
            return None
        row = QWidget()
        layout = QVBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        line = QHBoxLayout()
        button = QRadioButton(choice.label)
        combo = QComboBox()
        combo.addItems(items)
        combo.setAccessibleName(choice.label)
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.setMinimumContentsLength(20)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.currentIndexChanged.connect(self._choice_changed)
        # Picking from the list means choosing that option.
        combo.activated.connect(lambda _index, b=button: b.setChecked(True))
        line.addWidget(button)
        line.addWidget(combo, 1)
        layout.addLayout(line)
        description = small_label(choice.description)
        description.setIndent(24)
        layout.addWidget(description)
        self._choice_group.addButton(button)
        self._choice_buttons[button] = choice
        self._option_rows[choice] = row
        # Keep the options in the enum's order.
        order = list(StartChoice)
        position = 1 + sum(1 for c in self._option_rows if order.index(c) < order.index(choice))
        self._choices_layout.insertWidget(position, row)
        return combo

    def _choice_changed(self) -> None:
        for choice, combo in ((StartChoice.USE_PROFILE, self.profile_combo), (StartChoice.RESUME, self.job_combo)):
            if combo is not None:
                combo.setEnabled(self.choice is choice)
        self.completeChanged.emit()

    def _steps(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        for row, (title, text) in enumerate(STEPS):
            grid.addWidget(badge(str(row + 1), BRAND_BLUE), row, 0, Qt.AlignmentFlag.AlignTop)
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(heading_label(title, scale=1.05))
            cell.addWidget(wrapped_label(text))
            grid.addLayout(cell, row, 1)
        return grid

    def _choices(self) -> QGroupBox:
        box = QGroupBox("What would you like to do?")
        self._choices_layout = QVBoxLayout(box)
        self._choice_group = QButtonGroup(self)
        self._choice_group.buttonToggled.connect(lambda *_: self._choice_changed())
        self._choice_buttons: dict[QAbstractButton, StartChoice] = {}
        self._option_rows: dict[StartChoice, QWidget] = {}
        # A new upload is always possible; the other options are added once there is something to offer.
        row = QWidget()
        layout = QVBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        button = QRadioButton(StartChoice.NEW_UPLOAD.label)
        self._choice_group.addButton(button)
        self._choice_buttons[button] = StartChoice.NEW_UPLOAD
        layout.addWidget(button)
        description = small_label(StartChoice.NEW_UPLOAD.description)
        description.setIndent(24)  # lines up with the radio button's text
        layout.addWidget(description)
        self._choices_layout.addWidget(row)
        button.setChecked(True)
        return box
