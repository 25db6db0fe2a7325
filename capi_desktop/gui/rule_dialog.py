"""The "New rule…" dialog: create a Conversions API rule in the chosen ad account, optionally for some campaigns.

Campaigns load and the rule is created on a background worker; the dialog stays open (and keeps what the
user typed) when LinkedIn refuses, and closes with ``created`` set once the rule exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from capi_desktop.core.control import Control
from capi_desktop.gui.background import OperationSlot
from capi_desktop.gui.errors import show_error
from capi_desktop.gui.widgets import side_button, small_label, wrapped_label
from capi_desktop.linkedin.errors import LinkedInError
from capi_desktop.linkedin.models import (
    ATTRIBUTION_TYPES,
    ATTRIBUTION_WINDOWS,
    RULE_TYPES,
    AdAccount,
    Campaign,
    ConversionRule,
    NewRule,
)

# Plain words for LinkedIn's rule types; types LinkedIn adds later are shown as it names them, tidied.
TYPE_LABELS = {
    "LEAD": "Lead",
    "PURCHASE": "Purchase",
    "QUALIFIED_LEAD": "Qualified lead",
    "SUBMIT_APPLICATION": "Submitted application",
    "SIGN_UP": "Sign-up",
    "BOOK_APPOINTMENT": "Booked appointment or demo",
    "REQUEST_QUOTE": "Quote request",
    "START_TRIAL": "Trial started",
    "CONTACT": "Contact",
    "PHONE_CALL": "Phone call",
    "DOWNLOAD": "Download",
    "ADD_TO_CART": "Added to cart",
    "START_CHECKOUT": "Checkout started",
    "SUBSCRIBE": "Subscription",
    "KEY_PAGE_VIEW": "Key page view",
    "OTHER": "Other",
}
ATTRIBUTION_HINTS = {
    "LAST_TOUCH_BY_CAMPAIGN": "Every campaign the person clicked or saw counts the conversion.",
    "LAST_TOUCH_BY_CONVERSION": "Only the campaign the person clicked or saw last counts it.",
}
CAMPAIGN_STATUS_NAMES = {"ACTIVE": "", "DRAFT": "draft", "PAUSED": "paused"}
NAME_PROBLEM = "Give the rule a name."
_PROBLEM_STYLE = "color: #B24020;"  # readable on light and dark backgrounds


def type_label(rule_type: str) -> str:
    return TYPE_LABELS.get(rule_type, rule_type.replace("_", " ").capitalize())


def window_label(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


class RuleApi(Protocol):
    """What the dialog needs from the LinkedIn client."""

    def campaigns(self, account_id: int) -> list[Campaign]: ...

    def create_rule(self, account_id: int, rule: NewRule) -> ConversionRule: ...

    def associate_campaigns(self, rule_id: int, campaign_ids: Sequence[int]) -> None: ...


@dataclass(frozen=True)
class CreatedRule:
    rule: ConversionRule
    campaign_ids: tuple[int, ...]
    association_error: LinkedInError | None = None  # the rule exists, but linking the campaigns failed


class NewRuleDialog(QDialog):
    def __init__(self, client: RuleApi, account: AdAccount, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._account = account
        self._work = OperationSlot()
        self._worker_kind = ""
        self._campaigns_loaded = False
        self._name_touched = False
        self.created: CreatedRule | None = None
        self.setWindowTitle("New conversion rule")
        self.setMinimumWidth(640)

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(
            wrapped_label(
                f"The rule is created in {account.name}. LinkedIn uses it to count the conversions you send "
                "for your campaigns."
            )
        )

        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("For example: CRM – Closed-won deal")
        self.name_edit.setMaxLength(200)
        self.name_edit.textEdited.connect(self._name_edited)
        form.addRow("&Name:", self.name_edit)

        self.type_combo = QComboBox()
        for rule_type in RULE_TYPES:
            self.type_combo.addItem(type_label(rule_type), rule_type)
        self.type_combo.currentIndexChanged.connect(self._update)
        form.addRow("&What it counts:", self.type_combo)

        credit = QVBoxLayout()
        credit.setSpacing(2)
        self._attribution_group = QButtonGroup(self)
        self.attribution_buttons: dict[str, QRadioButton] = {}
        for attribution, label in ATTRIBUTION_TYPES.items():
            button = QRadioButton(label)
            button.setToolTip(ATTRIBUTION_HINTS.get(attribution, ""))
            self._attribution_group.addButton(button)
            self.attribution_buttons[attribution] = button
            credit.addWidget(button)
            explanation = small_label(ATTRIBUTION_HINTS.get(attribution, ""))
            explanation.setIndent(24)  # lines up with the radio button's text
            credit.addWidget(explanation)
        next(iter(self.attribution_buttons.values())).setChecked(True)
        self._attribution_group.buttonToggled.connect(self._update)
        form.addRow("Who gets credit:", credit)

        self.click_combo = self._window_combo(30)
        self.view_combo = self._window_combo(7)
        for text, combo, hint in (
            (
                "&Click-through window:",
                self.click_combo,
                "Counts a conversion up to this long after someone clicked your ad.",
            ),
            (
                "&View-through window:",
                self.view_combo,
                "Counts it up to this long after someone saw your ad without clicking.",
            ),
        ):
            row = QHBoxLayout()
            row.setSpacing(10)
            row.addWidget(combo)
            row.addWidget(small_label(hint), 1)
            window_name = QLabel(text)
            window_name.setBuddy(combo)  # Alt plus the underlined letter moves to the dropdown
            form.addRow(window_name, row)
        layout.addLayout(form)

        layout.addWidget(wrapped_label("Count it for these campaigns (optional; you can also do this later):"))
        self.campaign_list = QListWidget()
        self.campaign_list.setAccessibleName("Campaigns")
        self.campaign_list.setMinimumHeight(120)
        layout.addWidget(self.campaign_list, 1)
        campaign_row = QHBoxLayout()
        self.campaign_status = small_label()
        campaign_row.addWidget(self.campaign_status, 1)
        self.campaign_retry = side_button("Load campaigns again", self._load_campaigns)
        self.campaign_retry.hide()
        campaign_row.addWidget(self.campaign_retry)
        layout.addLayout(campaign_row)

        self.problems_label = wrapped_label()
        self.problems_label.setStyleSheet(_PROBLEM_STYLE)
        self.problems_label.hide()
        layout.addWidget(self.problems_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create rule")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._create)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._update()
        self._load_campaigns()
        self.name_edit.setFocus()

    # -- the rule as entered -----------------------------------------------------------------------

    def draft(self) -> NewRule:
        attribution = next(
            (key for key, button in self.attribution_buttons.items() if button.isChecked()), "LAST_TOUCH_BY_CAMPAIGN"
        )
        return NewRule(
            name=self.name_edit.text().strip(),
            type=str(self.type_combo.currentData()),
            attribution_type=attribution,
            post_click_window_days=int(self.click_combo.currentData()),
            view_through_window_days=int(self.view_combo.currentData()),
        )

    def problems(self) -> list[str]:
        return self.draft().problems()

    def checked_campaign_ids(self) -> list[int]:
        found = []
        for index in range(self.campaign_list.count()):
            item = self.campaign_list.item(index)
            if item.checkState() == Qt.CheckState.Checked:
                found.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return found

    @property
    def is_busy(self) -> bool:
        return self._work.current is not None

    # -- QDialog ---------------------------------------------------------------------------------

    def reject(self) -> None:
        if self._creating:
            return  # the rule may already exist on LinkedIn's side: wait for the answer
        self._work.drop()
        super().reject()

    # -- showing state ---------------------------------------------------------------------------

    def _window_combo(self, default: int) -> QComboBox:
        combo = QComboBox()
        for days in ATTRIBUTION_WINDOWS:
            combo.addItem(window_label(days), days)
        combo.setCurrentIndex(ATTRIBUTION_WINDOWS.index(default))
        combo.currentIndexChanged.connect(self._update)
        return combo

    def _name_edited(self) -> None:
        self._name_touched = True
        self._update()

    def _update(self) -> None:
        problems = self.problems()
        shown = [p for p in problems if self._name_touched or p != NAME_PROBLEM]
        self.problems_label.setText("\n".join(shown))
        self.problems_label.setVisible(bool(shown))
        self.create_button.setEnabled(not problems and not self._creating)

    @property
    def _creating(self) -> bool:
        return self._work.current is not None and self._worker_kind == "create"

    # -- background work -------------------------------------------------------------------------

    def _start(self, kind: str, work: Callable[[Control, Any], Any], on_result: Callable[[Any], None]) -> None:
        self._work.start(work, on_result, on_failure=self._failed)
        self._worker_kind = kind

    def _load_campaigns(self) -> None:
        self.campaign_retry.hide()
        self._campaigns_loaded = False
        self.campaign_list.clear()
        self.campaign_list.setEnabled(False)
        self.campaign_status.setText("Loading the account's campaigns…")
        account_id = self._account.id

        def load(control: Control, report: object) -> list[Campaign]:
            return self._client.campaigns(account_id)

        self._start("campaigns", load, self._show_campaigns)

    def _show_campaigns(self, campaigns: list[Campaign]) -> None:
        self.campaign_list.clear()
        for campaign in sorted(campaigns, key=lambda c: (c.status != "ACTIVE", c.name.casefold())):
            status = CAMPAIGN_STATUS_NAMES.get(campaign.status, campaign.status.lower())
            item = QListWidgetItem(campaign.name + (f" ({status})" if status else ""))
            item.setData(Qt.ItemDataRole.UserRole, campaign.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.campaign_list.addItem(item)
        self._campaigns_loaded = True
        self.campaign_list.setEnabled(bool(campaigns))
        self.campaign_status.setText(
            "Tick the campaigns whose results should include these conversions."
            if campaigns
            else "This account has no active, paused or draft campaigns yet."
        )

    def _create(self) -> None:
        draft = self.draft()
        if draft.problems() or self._creating:
            self._name_touched = True
            self._update()
            return
        account_id = self._account.id
        campaign_ids = tuple(self.checked_campaign_ids())

        def create(control: Control, report: object) -> CreatedRule:
            rule = self._client.create_rule(account_id, draft)
            try:
                if campaign_ids:
                    self._client.associate_campaigns(rule.id, campaign_ids)
            except LinkedInError as exc:
                return CreatedRule(rule, (), exc)
            # LinkedIn answered the creation before the campaigns were linked: show the rule as it is now.
            return CreatedRule(replace(rule, campaign_ids=rule.campaign_ids + campaign_ids), campaign_ids)

        self._start("create", create, self._created)
        self._set_inputs_enabled(False)
        self.campaign_status.setText("Creating the rule…")

    def _created(self, created: CreatedRule) -> None:
        self.created = created
        self.accept()

    def _failed(self, exc: Exception, cancelled: bool) -> None:
        self._set_inputs_enabled(True)
        if self._worker_kind == "campaigns":
            self.campaign_status.setText("The campaigns could not be loaded. You can still create the rule.")
            self.campaign_retry.show()
        else:
            self.campaign_status.setText("The rule was not created.")
        show_error(self, exc)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        for widget in (self.name_edit, self.type_combo, self.click_combo, self.view_combo):
            widget.setEnabled(enabled)
        for button in self.attribution_buttons.values():
            button.setEnabled(enabled)
        self.campaign_list.setEnabled(enabled and self._campaigns_loaded and self.campaign_list.count() > 0)
        self.cancel_button.setEnabled(enabled)
        self._update()
