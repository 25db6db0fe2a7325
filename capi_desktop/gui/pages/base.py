"""What every wizard page shares: the mode banner on top, and at most one background job at a time."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtWidgets import QAbstractButton, QVBoxLayout, QWidget, QWizard, QWizardPage

from capi_desktop.core.control import Control
from capi_desktop.gui.background import Operation, OperationSlot
from capi_desktop.gui.errors import show_error
from capi_desktop.gui.widgets import ModeBanner
from capi_desktop.runtime import Mode

T = TypeVar("T")
P = TypeVar("P")


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
        self._work = OperationSlot()

    def forward_button(self) -> QAbstractButton | None:
        """Next, or Finish on the last page: the button that ``isComplete`` enables."""
        wizard = self.wizard()
        if wizard is None:
            return None
        which = QWizard.WizardButton.FinishButton if self.isFinalPage() else QWizard.WizardButton.NextButton
        return wizard.button(which)

    @property
    def background_operation(self) -> Operation[Any, Any] | None:
        """The page's current work, if it has not ended yet."""
        return self._work.current

    def run_in_background(
        self,
        work: Callable[[Control, Callable[[P], None]], T],
        on_result: Callable[[T], None],
        on_progress: Callable[[P], None] | None = None,
    ) -> Operation[T, P]:
        """Start ``work`` as this page's one operation, dropping any earlier one; failures go to
        ``background_failed``."""
        self.stop_background_work()
        return self._work.start(work, on_result, on_failure=self.background_failed, on_progress=on_progress)

    def stop_background_work(self) -> None:
        """Cancel the current operation and ignore whatever it still reports (page left, wizard closed)."""
        self._work.drop()

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        """Tell the user why the work failed, unless they cancelled it themselves."""
        if not cancelled:
            show_error(self, exc)
