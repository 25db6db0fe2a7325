"""Conversion rules: which of the ad account's Conversions API rules each row is sent to.

Either every row goes to one rule, or the rows carry an event name (LEAD, PURCHASE…) and a small map says
which rule each name goes to; the Spreadsheet page later picks the column that holds the names. Rules
load on the page's worker when the page is entered for an account it has not loaded yet, so going Back
and forward again keeps what the user chose.
"""

from __future__ import annotations

from enum import Enum
from itertools import pairwise

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from capi_desktop.core.control import Control
from capi_desktop.core.mapping import RuleChoice
from capi_desktop.gui.errors import show_error
from capi_desktop.gui.pages.account import LoadingStack, choice_list, failure_hint
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.rule_dialog import NewRuleDialog, type_label
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.widgets import Notice, side_button, small_label, wrapped_label
from capi_desktop.linkedin.models import AdAccount, ConversionRule
from capi_desktop.runtime import Mode, Runtime

WHAT_IS_A_RULE = (
    "A conversion rule tells LinkedIn what kind of result a row is (a lead, a purchase, a sign-up…) and which "
    "campaigns get credit for it."
)
TURNED_OFF = "Turned off in Campaign Manager"
TURNED_OFF_TIP = "This rule is turned off in Campaign Manager. Turn it on there to send conversions to it."
NO_RULES = "This ad account has no Conversions API rules yet. Choose New rule… to create one."
MAP_HINT = (
    "Type each event name as it appears in your spreadsheet and choose its rule. Upper and lower case do not "
    "matter. On the Spreadsheet step you choose the column that holds these names."
)
_PROBLEM_STYLE = "color: #B24020;"


class RuleMode(Enum):
    ONE_RULE = "Send every row to one rule"
    BY_EVENT = "Choose the rule by an event-name column"


class EventRuleRow(QWidget):
    """One line of the event-name map: the name as in the spreadsheet → the rule it goes to."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, rules: list[ConversionRule], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("For example LEAD")
        self.name_edit.setAccessibleName("Event name")
        self.name_edit.setMaxLength(100)
        self.name_edit.textChanged.connect(self.changed)
        arrow = QLabel("→")
        arrow.setAccessibleName("goes to")
        self.rule_combo = QComboBox()
        self.rule_combo.setAccessibleName("Conversion rule")
        self.rule_combo.setPlaceholderText("Choose a rule…")
        self.rule_combo.setMinimumContentsLength(28)
        self.rule_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.rule_combo.currentIndexChanged.connect(self.changed)
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Remove this event name")
        self.remove_button.setAccessibleName("Remove this event name")
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        layout.addWidget(self.name_edit, 2)
        layout.addWidget(arrow)
        layout.addWidget(self.rule_combo, 3)
        layout.addWidget(self.remove_button)
        self.set_rules(rules)

    @property
    def event_name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def rule_id(self) -> int | None:
        data = self.rule_combo.currentData()
        return int(data) if data is not None and self.rule_combo.currentIndex() >= 0 else None

    def set_rules(self, rules: list[ConversionRule]) -> None:
        """Offer ``rules`` (the choosable ones), keeping the current choice when it is still offered."""
        current = self.rule_id
        self.rule_combo.blockSignals(True)
        self.rule_combo.clear()
        for rule in rules:
            self.rule_combo.addItem(f"{rule.name} ({type_label(rule.type)})", rule.id)
        self.rule_combo.setCurrentIndex(-1)
        self.rule_combo.blockSignals(False)
        if current is not None:
            self.choose(current)
        else:
            self.changed.emit()

    def choose(self, rule_id: int) -> bool:
        index = self.rule_combo.findData(rule_id)
        self.rule_combo.setCurrentIndex(index)
        return index >= 0

    def focus_chain(self) -> list[QWidget]:
        return [self.name_edit, self.rule_combo, self.remove_button]


class RulesPage(WizardPage):
    COLUMNS = ("Name", "What it counts", "Campaigns", "Status")

    def __init__(self, mode: Mode, runtime: Runtime, session: UploadSession, parent: QWidget | None = None) -> None:
        super().__init__(
            mode,
            "Choose the conversion rule",
            "Pick where in Campaign Manager these conversions are counted.",
            parent,
        )
        self._runtime = runtime
        self._session = session
        self._rules: list[ConversionRule] = []
        self._loaded_for: int | None = None  # the account whose rules are shown
        self._account: AdAccount | None = None
        self.rows: list[EventRuleRow] = []
        self.rule_dialog: NewRuleDialog | None = None

        self.body.addWidget(wrapped_label(WHAT_IS_A_RULE))
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        self._mode_group = QButtonGroup(self)
        self.mode_buttons: dict[RuleMode, QRadioButton] = {}
        modes = QHBoxLayout()
        modes.setSpacing(18)
        for rule_mode in RuleMode:
            button = QRadioButton(rule_mode.value)
            self._mode_group.addButton(button)
            self.mode_buttons[rule_mode] = button
            modes.addWidget(button)
        modes.addStretch(1)
        self.mode_buttons[RuleMode.ONE_RULE].setChecked(True)
        self._mode_group.buttonToggled.connect(self._mode_toggled)
        layout.addLayout(modes)

        self.views = QStackedWidget()
        self.views.addWidget(self._build_one_rule_view())
        self.views.addWidget(self._build_map_view())
        layout.addWidget(self.views, 1)

        self.problems_label = wrapped_label()
        self.problems_label.setStyleSheet(_PROBLEM_STYLE)
        self.problems_label.hide()
        layout.addWidget(self.problems_label)

        row = QHBoxLayout()
        self.new_rule_button = side_button("New rule…", self.open_new_rule_dialog)
        self.new_rule_button.setToolTip("Create a Conversions API rule in this ad account")
        row.addWidget(self.new_rule_button)
        row.addStretch(1)
        layout.addLayout(row)

        self.loader = LoadingStack(content)
        self.loader.retry.connect(self._load)
        self.body.addWidget(self.loader, 1)
        self.notice = Notice()
        self.body.addWidget(self.notice)

    def _build_one_rule_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tree = choice_list(self.COLUMNS, "Conversion rules")
        self.tree.itemSelectionChanged.connect(self._choice_changed)
        # Enter on a row reaches the wizard's default button (Next) by itself; a double-click does the same.
        self.tree.itemDoubleClicked.connect(self._go_next)
        layout.addWidget(self.tree, 1)
        self.empty_label = wrapped_label(NO_RULES)
        self.empty_label.hide()
        layout.addWidget(self.empty_label)
        return view

    def _build_map_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(small_label(MAP_HINT))
        header = QGridLayout()
        header.addWidget(QLabel("<b>Event name in your spreadsheet</b>"), 0, 0)
        header.addWidget(QLabel("<b>Conversion rule</b>"), 0, 1)
        header.setColumnStretch(0, 2)
        header.setColumnStretch(1, 3)
        layout.addLayout(header)

        self.rows_widget = QWidget()
        self.rows_layout = QVBoxLayout(self.rows_widget)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(6)
        self.rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.rows_widget)
        layout.addWidget(scroll, 1)

        self.add_row_button = side_button("Add event name", lambda: self.add_row(focus=True))
        row = QHBoxLayout()
        row.addWidget(self.add_row_button)
        row.addStretch(1)
        layout.addLayout(row)
        return view

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        account = self._session.account
        if account is None or account.id != self._loaded_for or self.loader.has_failed:
            self._load()
        else:
            self._account = account  # same account as last time: keep the list and the user's choice

    def cleanupPage(self) -> None:
        self.stop_background_work()
        super().cleanupPage()

    def isComplete(self) -> bool:
        return not self.loader.is_busy and self.choice() is not None

    def validatePage(self) -> bool:
        choice = self.choice()
        if choice is None:
            return False
        self._session.rules = choice
        self._session.rules_by_id = {rule.id: rule for rule in self._rules}
        return True

    # -- the user's choice -------------------------------------------------------------------------

    @property
    def mode(self) -> RuleMode:
        return RuleMode.BY_EVENT if self.mode_buttons[RuleMode.BY_EVENT].isChecked() else RuleMode.ONE_RULE

    def set_mode(self, mode: RuleMode) -> None:
        self.mode_buttons[mode].setChecked(True)

    @property
    def rules(self) -> list[ConversionRule]:
        return list(self._rules)

    def choosable_rules(self) -> list[ConversionRule]:
        return [rule for rule in self._rules if rule.enabled]

    def selected_rule(self) -> ConversionRule | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        rule = items[0].data(0, Qt.ItemDataRole.UserRole)
        return rule if isinstance(rule, ConversionRule) and rule.enabled else None

    def select_rule(self, rule_id: int) -> bool:
        item = self.item_for(rule_id)
        if item is None or not (item.flags() & Qt.ItemFlag.ItemIsSelectable):
            return False
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        return True

    def item_for(self, rule_id: int) -> QTreeWidgetItem | None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            rule = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
            if item is not None and isinstance(rule, ConversionRule) and rule.id == rule_id:
                return item
        return None

    def map_problems(self) -> list[str]:
        """Why the event-name map cannot be used yet, in plain words (empty when it can)."""
        problems = []
        seen: dict[str, str] = {}
        for row in self.rows:
            name = row.event_name
            if not name:
                if row.rule_id is not None:
                    problems.append("A row has a rule but no event name: type the name or remove the row.")
                continue
            key = name.casefold()
            if key in seen:
                problems.append(f"“{name}” is listed twice; keep one row for it.")
            seen[key] = name
            if row.rule_id is None:
                problems.append(f"Choose the rule for “{name}”.")
        return problems

    def choice(self) -> RuleChoice | None:
        """What the user chose, as the upload needs it; None while the choice is incomplete."""
        if self.mode is RuleMode.ONE_RULE:
            rule = self.selected_rule()
            return RuleChoice(rule_id=rule.id) if rule is not None else None
        if self.map_problems():
            return None
        mapping = {row.event_name.casefold(): row.rule_id for row in self.rows if row.event_name}
        if not mapping:
            return None
        return RuleChoice(by_event={name: rule_id for name, rule_id in mapping.items() if rule_id is not None})

    # -- the event-name map ------------------------------------------------------------------------

    def add_row(self, name: str = "", rule_id: int | None = None, *, focus: bool = False) -> EventRuleRow:
        row = EventRuleRow(self.choosable_rules())
        row.name_edit.setText(name)
        if rule_id is not None:
            row.choose(rule_id)
        row.changed.connect(self._choice_changed)
        row.remove_requested.connect(self.remove_row)
        self.rows.append(row)
        self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)  # above the closing stretch
        self._fix_tab_order()
        self._choice_changed()
        if focus:
            row.name_edit.setFocus()
        return row

    def remove_row(self, row: EventRuleRow) -> None:
        if row not in self.rows:
            return
        index = self.rows.index(row)
        self.rows.remove(row)
        self.rows_layout.removeWidget(row)
        row.deleteLater()
        self._fix_tab_order()
        self._choice_changed()
        if self.rows:
            self.rows[min(index, len(self.rows) - 1)].name_edit.setFocus()
        else:
            self.add_row_button.setFocus()

    def _clear_rows(self) -> None:
        for row in self.rows:
            self.rows_layout.removeWidget(row)
            row.deleteLater()
        self.rows = []

    def _fix_tab_order(self) -> None:
        # Rows added later would otherwise come after the wizard's own buttons when tabbing.
        chain: list[QWidget] = [self.mode_buttons[RuleMode.BY_EVENT]]
        for row in self.rows:
            chain += row.focus_chain()
        chain += [self.add_row_button, self.new_rule_button]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- loading ---------------------------------------------------------------------------------

    def _load(self) -> None:
        account = self._session.account
        self.notice.show_messages(())
        if account is None:
            self.loader.show_failed("Choose an ad account first.", "Go Back and choose the ad account.")
            self.completeChanged.emit()
            return
        self._account = account
        self.loader.show_busy(f"Loading the conversion rules of {account.name}…")
        self.completeChanged.emit()
        account_id = account.id

        def load(control: Control, report: object) -> tuple[int, list[ConversionRule]]:
            return account_id, self._runtime.auth.client().conversion_rules(account_id)

        self.run_in_background(load, self._show_rules)

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        super().background_failed(exc, cancelled)
        self.loader.show_failed("The conversion rules could not be loaded.", failure_hint(exc))
        self.completeChanged.emit()

    def _show_rules(self, loaded: tuple[int, list[ConversionRule]]) -> None:
        account_id, rules = loaded
        same_account = account_id == self._loaded_for
        keep = self.choice() if same_account else None  # a retry for the same account keeps the choice
        self._loaded_for = account_id
        self._set_rules(rules)
        if not same_account:
            self._clear_rows()
            self.set_mode(RuleMode.ONE_RULE)
        self.loader.show_content()
        self._preselect(keep)
        self._choice_changed()
        if self.mode is RuleMode.ONE_RULE:
            if self.selected_rule() is not None:
                self.tree.setFocus()  # Enter now means Next
            elif not self.choosable_rules():
                self.new_rule_button.setFocus()
            else:
                # Not the list: focused with nothing chosen, it outlines its first row, which reads as chosen
                # while Next stays disabled. Tab reaches it, and there the outline is what the keys move.
                self.mode_buttons[RuleMode.ONE_RULE].setFocus()

    def _set_rules(self, rules: list[ConversionRule]) -> None:
        # Rules that can take conversions first, then by name; turned-off ones stay visible, greyed out.
        self._rules = sorted(rules, key=lambda r: (not r.enabled, r.name.casefold()))
        selected = self.selected_rule()
        self.tree.clear()
        for rule in self._rules:
            self.tree.addTopLevelItem(_rule_item(rule))
        self.tree.setVisible(bool(self._rules))
        self.empty_label.setVisible(not self._rules)
        choosable = self.choosable_rules()
        for row in self.rows:
            row.set_rules(choosable)
        if selected is not None:
            self.select_rule(selected.id)

    def _preselect(self, keep: RuleChoice | None) -> None:
        """The choice made before (a retry, Back and forward), else the saved profile's rules."""
        choice = keep or self._session.rules
        source = "your earlier choice"
        profile = self._session.profile
        if choice is None and profile is not None and profile.account_id in (None, self._loaded_for):
            if profile.rules.rule_id is not None or profile.rules.by_event:
                choice = profile.rules
                source = f"the saved profile “{profile.name}”"
        if choice is None:
            return
        missing: list[int] = []
        if choice.rule_id is not None:
            self.set_mode(RuleMode.ONE_RULE)
            if not self.select_rule(choice.rule_id):
                missing.append(choice.rule_id)
        elif choice.by_event:
            self.set_mode(RuleMode.BY_EVENT)
            self._clear_rows()
            for name, rule_id in choice.by_event.items():
                row = self.add_row(name.upper())
                if not row.choose(rule_id):
                    missing.append(rule_id)
        if missing:
            self.notice.show_messages(tuple(self._unavailable(rule_id, source) for rule_id in missing))

    def _unavailable(self, rule_id: int, source: str) -> str:
        known = next((rule for rule in self._rules if rule.id == rule_id), None)
        if known is not None:
            return (
                f"The rule “{known.name}” from {source} is turned off in Campaign Manager. Turn it on there, "
                "or choose another rule."
            )
        return (
            f"Rule {rule_id} from {source} is not among this account's Conversions API rules (it may have been "
            "deleted). Choose another rule."
        )

    # -- reacting to the user ----------------------------------------------------------------------

    def _mode_toggled(self) -> None:
        mode = self.mode
        self.views.setCurrentIndex(0 if mode is RuleMode.ONE_RULE else 1)
        if mode is RuleMode.BY_EVENT and not self.rows and self.isVisible():
            self.add_row(focus=True)
        self._choice_changed()

    def _choice_changed(self) -> None:
        problems = self.map_problems() if self.mode is RuleMode.BY_EVENT else []
        self.problems_label.setText("\n".join(problems))
        self.problems_label.setVisible(bool(problems))
        self.completeChanged.emit()

    def _go_next(self) -> None:
        wizard = self.wizard()
        if wizard is not None and self.isComplete():
            wizard.next()

    # -- creating a rule -------------------------------------------------------------------------

    def open_new_rule_dialog(self) -> NewRuleDialog | None:
        account = self._account
        if account is None or self.loader.is_busy:
            return None
        dialog = NewRuleDialog(self._runtime.auth.client(), account, self)
        dialog.finished.connect(lambda result: self._rule_dialog_closed(dialog))
        self.rule_dialog = dialog
        dialog.open()
        return dialog

    def _rule_dialog_closed(self, dialog: NewRuleDialog) -> None:
        created = dialog.created
        self.rule_dialog = None
        dialog.deleteLater()
        if created is None:
            return
        rule = created.rule
        self._set_rules([r for r in self._rules if r.id != rule.id] + [rule])
        if self.mode is RuleMode.ONE_RULE:
            self.select_rule(rule.id)
            self.tree.setFocus()
        else:
            target = next((row for row in self.rows if row.rule_id is None), None)
            if target is None:
                target = self.add_row()
            target.choose(rule.id)
            target.name_edit.setFocus()
        self._choice_changed()
        if created.association_error is not None:
            self.notice.show_messages(
                (
                    f"The rule “{rule.name}” was created, but it could not be linked to the campaigns you "
                    "ticked. You can link them in Campaign Manager, under Conversion tracking.",
                )
            )
            show_error(self, created.association_error)


def _rule_item(rule: ConversionRule) -> QTreeWidgetItem:
    campaigns = str(len(rule.campaign_ids)) if rule.campaign_ids else "None yet"
    status = "On" if rule.enabled else TURNED_OFF
    item = QTreeWidgetItem([rule.name, type_label(rule.type), campaigns, status])
    item.setData(0, Qt.ItemDataRole.UserRole, rule)
    tip = f"{rule.name}\nRule id {rule.id}"
    if not rule.enabled:
        item.setFlags(item.flags() & ~(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable))
        tip += f"\n{TURNED_OFF_TIP}"
    for column in range(item.columnCount()):
        item.setToolTip(column, tip)
    item.setToolTip(2, "How many campaigns count these conversions")
    return item
