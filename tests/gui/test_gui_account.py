"""The ad account page against the real sandbox: the member's accounts, viewers greyed out, search, profiles, errors."""

from __future__ import annotations

from dataclasses import replace

from gui_support import error_boxes
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox
from pytestqt.qtbot import QtBot
from support import set_knobs

from capi_desktop.core.mapping import ColumnMapping, RuleChoice
from capi_desktop.core.stores.profiles import Profile
from capi_desktop.gui.pages.account import TAG_ROLE, TEST_TAG, AccountPage
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.wizard import PageId, UploadWizard
from capi_desktop.runtime import Runtime
from capi_desktop.sandbox import SandboxServer
from capi_desktop.sandbox.seed import (
    ACCOUNT_EUR,
    ACCOUNT_NO_ROLE,
    ACCOUNT_TEST,
    ACCOUNT_USD,
    ACCOUNT_VIEWER,
    RULE_EUR_LEAD,
)

VIEWER_REASON = "You are a Viewer on this account; LinkedIn accepts conversions only from managers and admins."


def open_accounts(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer, profile: Profile | None = None
) -> AccountPage:
    """Signed in with a minted token, from Welcome through Sign in to the loaded account list.

    ``profile`` is put into the session as the Welcome page does when the user starts from a saved profile.
    """
    runtime.auth.sign_in_with_token(sandbox.mint_token())
    wizard.next()
    if profile is not None:
        wizard.session.profile = profile
    qtbot.waitUntil(wizard.sign_in_page.isComplete, timeout=10_000)
    qtbot.mouseClick(forward(wizard.sign_in_page), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.ACCOUNT
    page = wizard.account_page
    qtbot.waitUntil(lambda: not page.loader.is_busy, timeout=15_000)
    return page


def forward(page: WizardPage) -> QAbstractButton:
    button = page.forward_button()
    assert button is not None
    return button


def click_row(qtbot: QtBot, page: AccountPage, account_id: int, *, double: bool = False) -> None:
    item = next(item for item, listed in page.rows() if listed.id == account_id)
    position = page.tree.visualItemRect(item).center()
    qtbot.mouseClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=position)
    if double:  # as a real double-click arrives: a click, then the double-click on the same row
        qtbot.mouseDClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=position)


def test_lists_exactly_the_members_accounts_with_viewer_greyed_out(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_accounts(qtbot, wizard, runtime, sandbox)

    listed = {account.id for account in page.accounts}
    assert listed == {ACCOUNT_USD, ACCOUNT_EUR, ACCOUNT_VIEWER, ACCOUNT_TEST}  # not the one without a role
    assert ACCOUNT_NO_ROLE not in listed
    texts = {
        account.id: [item.text(column) for column in range(page.tree.columnCount())] for item, account in page.rows()
    }
    assert texts[ACCOUNT_USD] == [
        "Northwind Analytics – North America",
        str(ACCOUNT_USD),
        "USD",
        "Active",
        "Account manager",
    ]
    assert texts[ACCOUNT_EUR][2:] == ["EUR", "Active", "Campaign manager"]
    assert texts[ACCOUNT_VIEWER][4] == "Viewer (view only)"
    # The uploadable accounts come first; the view-only one is last.
    assert [account.id for account in page.accounts][-1] == ACCOUNT_VIEWER

    items = {account.id: item for item, account in page.rows()}
    viewer = items[ACCOUNT_VIEWER]
    assert not viewer.flags() & Qt.ItemFlag.ItemIsEnabled
    assert not viewer.flags() & Qt.ItemFlag.ItemIsSelectable
    assert VIEWER_REASON in viewer.toolTip(0)
    assert page.blocked_label.isVisibleTo(page)
    assert page.blocked_label.text() == f"Greyed out (Contoso Partner Co-Marketing): {VIEWER_REASON}"
    assert items[ACCOUNT_TEST].data(0, TAG_ROLE) == TEST_TAG
    assert items[ACCOUNT_USD].data(0, TAG_ROLE) is None
    assert error_boxes(page) == []


def test_next_follows_the_selection_and_records_the_account(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_accounts(qtbot, wizard, runtime, sandbox)
    assert page.selected_account() is None and not forward(page).isEnabled()

    click_row(qtbot, page, ACCOUNT_VIEWER)
    assert page.selected_account() is None  # a view-only account cannot be picked
    assert not forward(page).isEnabled()

    click_row(qtbot, page, ACCOUNT_EUR)
    chosen = page.selected_account()
    assert chosen is not None and chosen.id == ACCOUNT_EUR
    assert forward(page).isEnabled()
    click_row(qtbot, page, ACCOUNT_USD)
    assert forward(page).isEnabled()

    qtbot.mouseClick(forward(page), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.RULES
    assert wizard.session.account is not None
    assert wizard.session.account.id == ACCOUNT_USD
    assert wizard.session.account.currency == "USD"


def test_double_click_on_an_account_moves_on(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_accounts(qtbot, wizard, runtime, sandbox)
    click_row(qtbot, page, ACCOUNT_VIEWER, double=True)
    assert wizard.currentId() == PageId.ACCOUNT  # not on a greyed-out account

    click_row(qtbot, page, ACCOUNT_TEST, double=True)
    assert wizard.currentId() == PageId.RULES
    assert wizard.session.account is not None and wizard.session.account.id == ACCOUNT_TEST


def test_search_filters_by_name_or_id(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_accounts(qtbot, wizard, runtime, sandbox)
    assert page.search.hasFocus()

    qtbot.keyClicks(page.search, "northwind")
    assert {a.id for a in page.visible_accounts()} == {ACCOUNT_USD, ACCOUNT_EUR, ACCOUNT_TEST}
    assert page.selected_account() is None  # three matches: the user picks one

    page.search.clear()
    qtbot.keyClicks(page.search, "EMEA")  # any case
    assert [a.id for a in page.visible_accounts()] == [ACCOUNT_EUR]
    selected = page.selected_account()
    assert selected is not None and selected.id == ACCOUNT_EUR  # one match: chosen, so Enter moves on
    assert forward(page).isEnabled()

    page.search.clear()
    qtbot.keyClicks(page.search, str(ACCOUNT_VIEWER))
    assert [a.id for a in page.visible_accounts()] == [ACCOUNT_VIEWER]
    assert page.selected_account() is None and not forward(page).isEnabled()

    page.search.clear()
    qtbot.keyClicks(page.search, f"urn:li:sponsoredAccount:{ACCOUNT_TEST}")
    assert [a.id for a in page.visible_accounts()] == [ACCOUNT_TEST]

    page.search.clear()
    qtbot.keyClicks(page.search, "fabrikam")
    assert page.visible_accounts() == []
    assert page.empty_label.isVisibleTo(page)
    assert page.empty_label.text() == "No ad account matches “fabrikam”."
    assert not forward(page).isEnabled()

    page.search.clear()
    assert len(page.visible_accounts()) == 4
    assert not page.empty_label.isVisibleTo(page)


def test_keyboard_only_search_down_and_enter(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_accounts(qtbot, wizard, runtime, sandbox)
    qtbot.keyClicks(page.search, "northwind")
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    assert page.tree.hasFocus()
    first = page.selected_account()
    assert first is not None and first.id == ACCOUNT_EUR  # the first match, alphabetically
    qtbot.keyClick(page.tree, Qt.Key.Key_Down)
    second = page.selected_account()
    assert second is not None and second.id == ACCOUNT_USD

    qtbot.keyClick(page.tree, Qt.Key.Key_Return)  # Enter on a row is Next
    assert wizard.currentId() == PageId.RULES
    assert wizard.session.account is not None and wizard.session.account.id == ACCOUNT_USD


def test_saved_profile_preselects_its_account(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    profile = Profile("EMEA deals", ACCOUNT_EUR, RuleChoice(rule_id=RULE_EUR_LEAD), ColumnMapping())
    page = open_accounts(qtbot, wizard, runtime, sandbox, profile)
    selected = page.selected_account()
    assert selected is not None and selected.id == ACCOUNT_EUR
    assert forward(page).isEnabled()
    assert page.tree.hasFocus()  # so Enter means Next
    assert not page.notice.isVisibleTo(page)


def test_profile_for_a_view_only_account_says_why_and_selects_nothing(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    profile = Profile("Partner", ACCOUNT_VIEWER, RuleChoice(rule_id=1), ColumnMapping())
    page = open_accounts(qtbot, wizard, runtime, sandbox, profile)
    assert page.selected_account() is None and not forward(page).isEnabled()
    assert page.notice.isVisibleTo(page)
    assert "Contoso Partner Co-Marketing" in page.notice.label.text()
    assert VIEWER_REASON in page.notice.label.text()


def test_profile_for_an_account_the_member_cannot_see(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    profile = Profile("Fabrikam", ACCOUNT_NO_ROLE, RuleChoice(rule_id=1), ColumnMapping())
    page = open_accounts(qtbot, wizard, runtime, sandbox, profile)
    assert page.selected_account() is None
    assert f"ad account {ACCOUNT_NO_ROLE}, which this LinkedIn member cannot see" in page.notice.label.text()


def test_server_errors_show_a_dialog_and_try_again_loads(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    runtime.auth.api = replace(runtime.auth.api, max_backoff_seconds=0.01)  # the client's retries, quickly
    runtime.auth.sign_in_with_token(sandbox.mint_token())
    set_knobs(sandbox, error_rate=1)
    wizard.next()
    qtbot.waitUntil(wizard.sign_in_page.isComplete, timeout=10_000)
    wizard.next()
    page = wizard.account_page

    qtbot.waitUntil(lambda: bool(error_boxes(page)), timeout=15_000)
    (box,) = error_boxes(page)
    assert box.text() and "Traceback" not in box.text() + box.informativeText()
    assert "LinkedIn" in box.text()
    assert page.loader.has_failed
    assert page.loader.retry_button.isVisibleTo(page)
    assert box.text() in page.loader.failed_hint.text()  # still readable once the dialog is closed
    assert not forward(page).isEnabled()

    set_knobs(sandbox, error_rate=0)
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.mouseClick(page.loader.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.accounts), timeout=10_000)
    assert not page.loader.has_failed
    assert len(page.accounts) == 4
    assert error_boxes(page) == []


def test_back_and_next_keeps_the_chosen_account(
    qtbot: QtBot, wizard: UploadWizard, runtime: Runtime, sandbox: SandboxServer
) -> None:
    page = open_accounts(qtbot, wizard, runtime, sandbox)
    click_row(qtbot, page, ACCOUNT_TEST)
    wizard.next()
    assert wizard.currentId() == PageId.RULES
    wizard.back()
    wizard.back()  # to Sign in, then forward again: the list reloads and the choice is kept
    assert wizard.currentId() == PageId.SIGN_IN
    wizard.next()
    qtbot.waitUntil(lambda: not page.loader.is_busy and bool(page.accounts), timeout=10_000)
    selected = page.selected_account()
    assert selected is not None and selected.id == ACCOUNT_TEST
