"""What every wizard page shares: the mode banner on top, and at most one background job at a time."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QAbstractButton, QVBoxLayout, QWidget, QWizard, QWizardPage

from capi_desktop.gui.errors import show_error
from capi_desktop.gui.widgets import ModeBanner
from capi_desktop.gui.worker import Task, Worker
from capi_desktop.runtime import Mode


class WizardPage(QWizardPage):
    """A page loads its state in ``initializePage`` and says whether it is done through ``isComplete``.

    Subclasses put their widgets into ``self.body``.
    """

    def __init__(self, mode: Mode, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The wizard shows titles as rich text: a size up from the body text, as a heading should be.
        self.setTitle(f'<span style="font-size: large">{html.escape(title)}</span>')
        self.setSubTitle(subtitle)
        outer = QVBoxLayout(self)
        outer.setSpacing(16)
        self.banner = ModeBanner(mode)
        outer.addWidget(self.banner)
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body, 1)
        self._worker: Worker | None = None
        self._on_result: Callable[[Any], None] | None = None

    def forward_button(self) -> QAbstractButton | None:
        """Next, or Finish on the last page: the button that ``isComplete`` enables."""
        wizard = self.wizard()
        if wizard is None:
            return None
        which = QWizard.WizardButton.FinishButton if self.isFinalPage() else QWizard.WizardButton.NextButton
        return wizard.button(which)

    @property
    def background_worker(self) -> Worker | None:
        """The page's current job, if it has not ended yet."""
        return self._worker

    def run_in_background(self, task: Task, on_result: Callable[[Any], None]) -> Worker:
        """Start ``task`` as this page's job, dropping any earlier one; failures go to ``background_failed``."""
        self.stop_background_work()
        worker = Worker(task)
        worker.finished.connect(self._background_finished)
        worker.failed.connect(self._background_raised)
        self._worker, self._on_result = worker, on_result
        worker.start()
        return worker

    def stop_background_work(self) -> None:
        """Cancel the current job and ignore whatever it still reports (page left, wizard closed)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            worker.finished.disconnect(self._background_finished)
            worker.failed.disconnect(self._background_raised)

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        """Tell the user why the job failed, unless they cancelled it themselves."""
        if not cancelled:
            show_error(self, exc)

    def _background_finished(self, result: object) -> None:
        callback = self._on_result
        self._worker = self._on_result = None
        if callback is not None:
            callback(result)

    def _background_raised(self, exc: Exception) -> None:
        cancelled = self._worker is not None and self._worker.is_cancelled
        self._worker = self._on_result = None
        self.background_failed(exc, cancelled)
