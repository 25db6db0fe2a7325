"""The conversion rules page and the New rule dialog against the real sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from gui_support import error_boxes
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QAbstractButton, QLabel, QMessageBox, QWizard
from pytestqt.qtbot import QtBot
from test_gui_account import click_row, forward, open_accounts, set_knobs

from capi_desktop.core.mapping import ColumnMapping, RuleChoice
from capi_desktop.core.stores.profiles import Profile
from capi_desktop.gui.pages.rules import TURNED_OFF, EventRuleRow, RuleMode, RulesPage
from capi_desktop.gui.rule_dialog import NewRuleDialog
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.linkedin.models import AdAccount
from capi_desktop.runtime import Runtime
from capi_desktop.sandbox import SandboxServer
from capi_desktop.sandbox.seed import (
    ACCOUNT_EUR,
    ACCOUNT_NO_ROLE,
    ACCOUNT_USD,
    CAMPAIGN_USD_ACTIVE_2,
    CAMPAIGN_USD_ACTIVE_3,
    RULE_EUR_LEAD,
    RULE_USD_CONTACT_JS,
    RULE_USD_DEMO_BOOKED,
    RULE_USD_DISABLED,
    RULE_USD_INSIGHT_TAG,
    RULE_USD_JS_EVENT,
    RULE_USD_LEAD,
    RULE_USD_NEWSLETTER_TAG,
    RULE_USD_PURCHASE,
    RULE_USD_QUALIFIED_LEAD,
    RULE_USD_QUOTE,
    RULE_USD_RENEWAL,
    RULE_USD_TRIAL,
    RULE_USD_WHITEPAPER_TAG,
)

USD_API_RULES = {
    RULE_USD_LEAD,
    RULE_USD_PURCHASE,
    RULE_USD_QUALIFIED_LEAD,
    RULE_USD_DEMO_BOOKED,
    RULE_USD_TRIAL,
    RULE_USD_QUOTE,
    RULE_USD_RENEWAL,
    RULE_USD_DISABLED,
}
INSIGHT_TAG_RULES = {
    RULE_USD_INSIGHT_TAG,
    RULE_USD_JS_EVENT,
    RULE_USD_WHITEPAPER_TAG,
    RULE_USD_CONTACT_JS,
    RULE_USD_NEWSLETTER_TAG,
}


def open_rules(
    qtbot: QtBot,
    wizard: UploadWizard,
    runtime: Runtime,
    sandbox: SandboxServer,
    account_id: int = ACCOUNT_USD,
    profile: Profile | None = None,
) -> RulesPage:
    accounts = open_accounts(qtbot, wizard, runtime, sandbox, profile)
    click_row(qtbot, accounts, account_id)
    qtbot.mouseClick(forward(accounts), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.RULES
    page = wizard.rules_page
    qtbot.waitUntil(lambda: not page.loader.is_busy, timeout=15_000)
    assert not page.loader.has_failed
    return page


def click_rule(qtbot: QtBot, page: RulesPage, rule_id: int, *, double: bool = False) -> None:
    item = page.item_for(rule_id)
    assert item is not None
    position = page.tree.visualItemRect(item).center()
    qtbot.mouseClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=position)
    if double:
        qtbot.mouseDClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=position)


def choose_mode(qtbot: QtBot, page: RulesPage, mode: RuleMode) -> None:
    qtbot.mouseClick(page.mode_buttons[mode], Qt.MouseButton.LeftButton)
    assert page.mode is mode


def combo_rule_ids(row: EventRuleRow) -> list[int]:
    return [int(row.rule_combo.itemData(i)) for i in range(row.rule_combo.count())]


def open_dialog(qtbot: QtBot, page: RulesPage) -> NewRuleDialog:
    qtbot.mouseClick(page.new_rule_button, Qt.MouseButton.LeftButton)
    dialog = page.rule_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.is_busy, timeout=10_000)
    return dialog


def tick_campaigns(dialog: NewRuleDialog, campaign_ids: set[int]) -> None:
    for index in range(dialog.campaign_list.count()):
        item = dialog.campaign_list.item(index)
        if int(item.data(Qt.ItemDataRole.UserRole)) in campaign_ids:
            item.setCheckState(Qt.CheckState.Checked)


def test_lists_the_accounts_conversions_api_rules_only(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)

    assert {rule.id for rule in page.rules} == USD_API_RULES
    assert not INSIGHT_TAG_RULES & {rule.id for rule in page.rules}
    assert page.tree.topLevelItemCount() == len(USD_API_RULES)
    lead = page.item_for(RULE_USD_LEAD)
    assert lead is not None
    assert [lead.text(c) for c in range(4)] == ["CRM – Marketing qualified lead", "Lead", "1", "On"]
    demo = page.item_for(RULE_USD_DEMO_BOOKED)
    assert demo is not None and demo.text(1) == "Booked appointment or demo"
    assert "conversion rule tells LinkedIn" in " ".join(label.text() for label in page.findChildren(QLabel))
    assert page.mode is RuleMode.ONE_RULE and not forward(page).isEnabled()
    # Nothing chosen, nothing that looks chosen: no row carries the focus outline.
    assert page.mode_buttons[RuleMode.ONE_RULE].hasFocus()
    assert not page.tree.currentIndex().isValid()
    qtbot.keyClick(page.tree, Qt.Key.Key_Down)  # the keys still choose, once the user is in the list
    assert page.selected_rule() is not None and forward(page).isEnabled()


def test_turned_off_rule_is_shown_but_cannot_be_chosen(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    disabled = page.item_for(RULE_USD_DISABLED)
    assert disabled is not None
    assert disabled.text(3) == TURNED_OFF == "Turned off in Campaign Manager"
    assert not disabled.flags() & Qt.ItemFlag.ItemIsSelectable
    assert "turned off in Campaign Manager" in disabled.toolTip(0)

    click_rule(qtbot, page, RULE_USD_DISABLED, double=True)
    assert page.selected_rule() is None and not forward(page).isEnabled()
    assert wizard.currentId() == PageId.RULES
    assert not page.select_rule(RULE_USD_DISABLED)

    click_rule(qtbot, page, RULE_USD_PURCHASE)
    assert forward(page).isEnabled()
    assert page.validatePage()
    assert wizard.session.rules == RuleChoice(rule_id=RULE_USD_PURCHASE)
    assert set(wizard.session.rules_by_id) == USD_API_RULES
    assert wizard.session.rules_by_id[RULE_USD_PURCHASE].name == "CRM – Closed-won deal"


def test_event_name_map_builds_the_rule_choice(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    choose_mode(qtbot, page, RuleMode.BY_EVENT)
    assert len(page.rows) == 1  # one empty row to start typing in
    first = page.rows[0]
    assert first.name_edit.hasFocus()
    # Turned-off rules are not offered in the dropdowns.
    assert set(combo_rule_ids(first)) == USD_API_RULES - {RULE_USD_DISABLED}
    assert not forward(page).isEnabled()

    qtbot.keyClicks(first.name_edit, "LEAD")
    assert page.problems_label.text() == "Choose the rule for “LEAD”."
    assert not forward(page).isEnabled()
    first.choose(RULE_USD_LEAD)
    assert not page.problems_label.isVisibleTo(page)
    assert forward(page).isEnabled()

    qtbot.mouseClick(page.add_row_button, Qt.MouseButton.LeftButton)
    second = page.rows[1]
    assert second.name_edit.hasFocus()
    qtbot.keyClicks(second.name_edit, " Purchase ")
    second.choose(RULE_USD_PURCHASE)

    third = page.add_row("lead", RULE_USD_RENEWAL)  # the same name again, any case
    assert "“lead” is listed twice" in page.problems_label.text()
    assert not forward(page).isEnabled() and page.choice() is None
    qtbot.mouseClick(third.remove_button, Qt.MouseButton.LeftButton)
    assert len(page.rows) == 2

    expected = RuleChoice(by_event={"lead": RULE_USD_LEAD, "purchase": RULE_USD_PURCHASE})
    assert page.choice() == expected
    assert forward(page).isEnabled()
    assert page.validatePage()
    assert wizard.session.rules == expected
    assert wizard.session.rules.rule_for("PURCHASE") == RULE_USD_PURCHASE

    # Switching back to one rule keeps the map, but the choice is now the list's.
    choose_mode(qtbot, page, RuleMode.ONE_RULE)
    assert page.choice() is None and not forward(page).isEnabled()
    choose_mode(qtbot, page, RuleMode.BY_EVENT)
    assert page.choice() == expected


def test_row_with_a_rule_but_no_name_is_explained(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    choose_mode(qtbot, page, RuleMode.BY_EVENT)
    page.rows[0].choose(RULE_USD_LEAD)
    assert "a rule but no event name" in page.problems_label.text()
    assert not forward(page).isEnabled()


def test_new_rule_dialog_refuses_365_days_for_sign_up_inline(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    dialog = open_dialog(qtbot, page)
    assert not dialog.create_button.isEnabled()  # no name yet
    assert not dialog.problems_label.isVisibleTo(dialog)  # but no scolding before typing
    qtbot.keyClicks(dialog.name_edit, "Event sign-ups")
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("SIGN_UP"))
    assert dialog.type_combo.currentText() == "Sign-up"
    assert dialog.create_button.isEnabled()

    dialog.click_combo.setCurrentIndex(dialog.click_combo.findData(365))
    assert dialog.problems_label.isVisibleTo(dialog)
    assert dialog.problems_label.text() == (
        "A 365-day click-through window is allowed only for lead, purchase and similar types."
    )
    assert not dialog.create_button.isEnabled()

    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("PURCHASE"))  # a type that may
    assert not dialog.problems_label.isVisibleTo(dialog)
    assert dialog.create_button.isEnabled()

    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, " ")
    assert dialog.problems_label.text() == "Give the rule a name."
    assert not dialog.create_button.isEnabled()

    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.rule_dialog is None)
    assert {rule.id for rule in page.rules} == USD_API_RULES  # nothing created


def test_creating_a_rule_with_two_campaigns_creates_it_and_selects_it(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    click_rule(qtbot, page, RULE_USD_LEAD)
    dialog = open_dialog(qtbot, page)
    names = [dialog.campaign_list.item(i).text() for i in range(dialog.campaign_list.count())]
    assert "Always-on Brand – IT Leaders (paused)" in names
    assert not any("Webinar Promo" in name for name in names)  # archived campaigns are not offered

    qtbot.keyClicks(dialog.name_edit, "CRM - Webinar registration")
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("SIGN_UP"))
    dialog.attribution_buttons["LAST_TOUCH_BY_CONVERSION"].click()
    dialog.click_combo.setCurrentIndex(dialog.click_combo.findData(90))
    dialog.view_combo.setCurrentIndex(dialog.view_combo.findData(1))
    tick_campaigns(dialog, {CAMPAIGN_USD_ACTIVE_2, CAMPAIGN_USD_ACTIVE_3})
    assert sorted(dialog.checked_campaign_ids()) == [CAMPAIGN_USD_ACTIVE_2, CAMPAIGN_USD_ACTIVE_3]
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: page.rule_dialog is None, timeout=10_000)
    assert error_boxes(page) == []
    # LinkedIn (the sandbox) really has it, with the two campaigns.
    stored = [r for r in runtime.auth.client().conversion_rules(ACCOUNT_USD) if r.name == "CRM - Webinar registration"]
    assert len(stored) == 1
    rule = stored[0]
    assert rule.type == "SIGN_UP" and rule.enabled
    assert rule.attribution_type == "LAST_TOUCH_BY_CONVERSION"
    assert (rule.post_click_window_days, rule.view_through_window_days) == (90, 1)
    assert sorted(rule.campaign_ids) == [CAMPAIGN_USD_ACTIVE_2, CAMPAIGN_USD_ACTIVE_3]
    # …and the page lists it, selected.
    selected = page.selected_rule()
    assert selected is not None and selected.id == rule.id
    item = page.item_for(rule.id)
    assert item is not None and item.text(2) == "2"
    assert forward(page).isEnabled()
    assert page.validatePage()
    assert wizard.session.rules == RuleChoice(rule_id=rule.id)
    assert wizard.session.rules_by_id[rule.id].name == "CRM - Webinar registration"


def test_new_rule_fills_the_event_row_that_has_no_rule(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    choose_mode(qtbot, page, RuleMode.BY_EVENT)
    qtbot.keyClicks(page.rows[0].name_edit, "LEAD")
    page.rows[0].choose(RULE_USD_LEAD)
    page.add_row("DOWNLOAD")
    dialog = open_dialog(qtbot, page)
    qtbot.keyClicks(dialog.name_edit, "Product - App download")
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("DOWNLOAD"))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.rule_dialog is None, timeout=10_000)

    new_id = page.rows[1].rule_id
    assert new_id is not None and new_id not in USD_API_RULES
    assert new_id in combo_rule_ids(page.rows[0])  # offered everywhere now
    assert page.choice() == RuleChoice(by_event={"lead": RULE_USD_LEAD, "download": new_id})


def test_failed_rule_creation_keeps_the_dialog_open(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    dialog = open_dialog(qtbot, page)
    qtbot.keyClicks(dialog.name_edit, "Will fail")
    set_knobs(sandbox, error_rate=1)
    try:
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(error_boxes(dialog)), timeout=10_000)
    finally:
        set_knobs(sandbox, error_rate=0)
    assert dialog.isVisible() and dialog.name_edit.text() == "Will fail"
    assert dialog.name_edit.isEnabled() and dialog.create_button.isEnabled()
    assert page.rule_dialog is dialog


def test_profile_event_map_is_preselected(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    choice = RuleChoice(by_event={"lead": RULE_USD_LEAD, "purchase": RULE_USD_PURCHASE})
    profile = Profile("US deals", ACCOUNT_USD, choice, ColumnMapping())
    page = open_rules(qtbot, wizard, runtime, sandbox, profile=profile)
    assert page.mode is RuleMode.BY_EVENT
    assert [(row.event_name, row.rule_id) for row in page.rows] == [
        ("LEAD", RULE_USD_LEAD),
        ("PURCHASE", RULE_USD_PURCHASE),
    ]
    assert page.choice() == choice and forward(page).isEnabled()


def test_profile_with_a_turned_off_rule_says_so(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    profile = Profile("Old", ACCOUNT_USD, RuleChoice(rule_id=RULE_USD_DISABLED), ColumnMapping())
    page = open_rules(qtbot, wizard, runtime, sandbox, profile=profile)
    assert page.selected_rule() is None and not forward(page).isEnabled()
    assert page.notice.isVisibleTo(page)
    assert page.notice.label.text() == (
        "The rule “CRM – Webinar attended (retired)” from the saved profile “Old” is turned off in Campaign "
        "Manager. Turn it on there, or choose another rule."
    )


def test_profile_with_a_deleted_rule_says_so(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    choice = RuleChoice(by_event={"lead": RULE_USD_LEAD, "renewal": 999})
    profile = Profile("Gone", ACCOUNT_USD, choice, ColumnMapping())
    page = open_rules(qtbot, wizard, runtime, sandbox, profile=profile)
    assert [(row.event_name, row.rule_id) for row in page.rows] == [("LEAD", RULE_USD_LEAD), ("RENEWAL", None)]
    assert "Rule 999 from the saved profile “Gone” is not among" in page.notice.label.text()
    assert page.problems_label.text() == "Choose the rule for “RENEWAL”."
    assert not forward(page).isEnabled()


def test_rules_reload_only_when_the_account_changed(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_rules(qtbot, wizard, runtime, sandbox)
    click_rule(qtbot, page, RULE_USD_QUOTE)

    wizard.back()  # same account again: the list and the choice stay
    wizard.next()
    assert not page.loader.is_busy
    selected = page.selected_rule()
    assert selected is not None and selected.id == RULE_USD_QUOTE

    wizard.back()
    click_row(qtbot, wizard.account_page, ACCOUNT_EUR)
    wizard.next()
    qtbot.waitUntil(lambda: not page.loader.is_busy, timeout=10_000)
    assert RULE_EUR_LEAD in {rule.id for rule in page.rules}
    assert RULE_USD_QUOTE not in {rule.id for rule in page.rules}
    assert page.selected_rule() is None and not forward(page).isEnabled()
    assert wizard.session.rules is None  # the USD choice does not follow to the EUR account


@pytest.fixture
def lone_rules_page(qtbot: QtBot, runtime: Runtime, sandbox: SandboxServer) -> Iterator[RulesPage]:
    """The rules page alone in a wizard, for an account the page would never be given from the list."""
    runtime.auth.sign_in_with_token(sandbox.mint_token())
    session = UploadSession(account=AdAccount(ACCOUNT_NO_ROLE, "Fabrikam Brand Awareness", "GBP", "ACTIVE", "VIEWER"))
    page = RulesPage(runtime.mode, runtime, session)
    wizard = QWizard()
    wizard.addPage(page)
    qtbot.addWidget(wizard)
    wizard.show()  # shows the first page: its rules start loading
    yield page
    wizard.reject()
    QThreadPool.globalInstance().waitForDone(5000)


def test_403_on_the_account_shows_a_dialog_and_offers_try_again(qtbot: QtBot, lone_rules_page: RulesPage) -> None:
    page = lone_rules_page
    qtbot.waitUntil(lambda: bool(error_boxes(page)), timeout=10_000)
    (box,) = error_boxes(page)
    assert "Traceback" not in box.text() + box.informativeText()
    assert page.loader.has_failed
    assert page.loader.retry_button.isVisibleTo(page)
    button = page.forward_button()
    assert isinstance(button, QAbstractButton) and not button.isEnabled()
    assert not page.isComplete()


def test_server_errors_on_rules_show_a_dialog_and_try_again_loads(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    runtime.auth.api = replace(runtime.auth.api, max_backoff_seconds=0.01)
    accounts = open_accounts(qtbot, wizard, runtime, sandbox)
    click_row(qtbot, accounts, ACCOUNT_USD)
    set_knobs(sandbox, error_rate=1)
    wizard.next()
    page = wizard.rules_page
    qtbot.waitUntil(lambda: bool(error_boxes(page)), timeout=15_000)
    (box,) = error_boxes(page)
    assert "Traceback" not in box.text() + box.informativeText()
    assert page.loader.has_failed and not forward(page).isEnabled()
    assert box.text() in page.loader.failed_hint.text()  # still readable once the dialog is closed

    set_knobs(sandbox, error_rate=0)
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.mouseClick(page.loader.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.rules), timeout=10_000)
    assert {rule.id for rule in page.rules} == USD_API_RULES
    click_rule(qtbot, page, RULE_USD_LEAD)
    assert forward(page).isEnabled()
