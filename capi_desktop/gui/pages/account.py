"""Ad account: which of the member's ad accounts the conversions go to.

The accounts load on the page's background worker each time the page is entered from Sign in. Accounts
the member may only view are listed greyed out with the reason, and cannot be chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from capi_desktop.core.control import Control
from capi_desktop.gui.errors import describe
from capi_desktop.gui.pages.base import WizardPage
from capi_desktop.gui.session import UploadSession
from capi_desktop.gui.widgets import Notice, busy_bar, heading_label, side_button, small_label, wrapped_label
from capi_desktop.linkedin.models import AdAccount
from capi_desktop.runtime import Mode, Runtime

# Plain words for LinkedIn's account statuses; unknown ones are shown as LinkedIn names them, tidied.
STATUS_NAMES = {
    "ACTIVE": "Active",
    "DRAFT": "Draft",
    "CANCELED": "Cancelled",
    "PENDING_DELETION": "Being deleted",
    "REMOVED": "Removed",
}
TEST_TAG = "Test account"
NO_ACCOUNTS = (
    "This LinkedIn member has no ad accounts. Ask someone who manages your company's ads to add you in "
    "Campaign Manager (Account settings → Manage access) as an Account manager or Campaign manager."
)
NOTHING_UPLOADABLE = (
    "You can only view these accounts. To send conversions, ask an account manager to give you the "
    "Account manager or Campaign manager role in Campaign Manager (Account settings → Manage access)."
)

TAG_ROLE = Qt.ItemDataRole.UserRole + 1  # the short tag drawn after an account's name, if any
_TAG_COLOURS = ("#FFF4CE", "#E3C766", "#4D3A00")  # background, border, text: as the practice-mode banner


def choice_list(columns: Sequence[str], name: str) -> QTreeWidget:
    """A one-choice list with columns: the first stretches and may carry a tag, the rest fit their text."""
    tree = QTreeWidget()
    tree.setColumnCount(len(columns))
    tree.setHeaderLabels(list(columns))
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    tree.setAccessibleName(name)
    tree.setItemDelegateForColumn(0, TagDelegate(tree))
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(columns)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return tree


def failure_hint(exc: BaseException) -> str:
    """What the error dialog said, kept on the page after the dialog is closed."""
    message = describe(exc)
    return "\n".join(part for part in (message.text, message.action, "Then choose Try again.") if part)


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status.replace("_", " ").capitalize() or "Unknown")


class LoadingStack(QStackedWidget):
    """A page's content, or in its place a busy indicator while it loads, or why it failed with Retry."""

    retry = Signal()

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content

        self._busy = QWidget()
        layout = QVBoxLayout(self._busy)
        layout.setContentsMargins(0, 0, 0, 0)
        self.busy_label = heading_label(scale=1.05)
        layout.addWidget(self.busy_label)
        layout.addWidget(busy_bar())
        layout.addStretch(1)

        self._failed = QWidget()
        layout = QVBoxLayout(self._failed)
        layout.setContentsMargins(0, 0, 0, 0)
        self.failed_label = heading_label(scale=1.05)
        layout.addWidget(self.failed_label)
        self.failed_hint = wrapped_label()
        layout.addWidget(self.failed_hint)
        self.retry_button = side_button("Try again", self.retry)
        row = QHBoxLayout()
        row.addWidget(self.retry_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

        for view in (self._busy, self._failed, content):
            self.addWidget(view)

    @property
    def is_busy(self) -> bool:
        return self.currentWidget() is self._busy

    @property
    def has_failed(self) -> bool:
        return self.currentWidget() is self._failed

    def show_busy(self, message: str) -> None:
        self.busy_label.setText(message)
        self.setCurrentWidget(self._busy)

    def show_failed(self, message: str, hint: str) -> None:
        self.failed_label.setText(message)
        self.failed_hint.setText(hint)
        self.setCurrentWidget(self._failed)
        self.retry_button.setFocus()

    def show_content(self) -> None:
        self.setCurrentWidget(self.content)


class TagDelegate(QStyledItemDelegate):
    """Draws a cell's text followed by a small rounded tag (``TAG_ROLE``), e.g. "Test account".

    Set on a list's first column it also gives the rows some air: Qt's default rows are cramped for reading.
    """

    ROW_PADDING = 8

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        tag = index.data(TAG_ROLE)
        if not tag:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            super().paint(painter, option, index)
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        area = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget).adjusted(3, 0, -3, 0)
        tag_font = self._tag_font(opt.font)
        tag_width = QFontMetrics(tag_font).horizontalAdvance(tag) + 14
        metrics = QFontMetrics(opt.font)
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(area.width() - tag_width - 8, 0))
        enabled = bool(opt.state & QStyle.StateFlag.State_Enabled)
        group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text

        painter.save()
        painter.setFont(opt.font)
        painter.setPen(opt.palette.color(group, role))
        painter.drawText(area, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown)
        height = QFontMetrics(tag_font).height() + 4
        left = area.left() + metrics.horizontalAdvance(shown) + 8
        pill = QRect(left, area.center().y() - height // 2 + 1, tag_width, height)
        background, border, foreground = _TAG_COLOURS
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(border))
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(tag_font)
        painter.setPen(QColor(foreground))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), tag)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        size.setHeight(size.height() + self.ROW_PADDING)
        tag = index.data(TAG_ROLE)
        if tag:
            size.setWidth(size.width() + QFontMetrics(self._tag_font(option.font)).horizontalAdvance(tag) + 22)
        return size

    @staticmethod
    def _tag_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * 0.85)
        small.setBold(True)
        return small


class _ArrowDownToList(QObject):
    """Down in the search box moves into the list, as in a browser's address bar suggestions."""

    def __init__(self, move: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._move = move

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down:
            self._move()
            return True
        return False


class AccountPage(WizardPage):
    COLUMNS = ("Name", "Account id", "Currency", "Status", "Your role")

    def __init__(self, mode: Mode, runtime: Runtime, session: UploadSession, parent: QWidget | None = None) -> None:
        super().__init__(
            mode,
            "Choose the ad account",
            "Conversions count for the campaigns in the ad account you choose here.",
            parent,
        )
        self._runtime = runtime
        self._session = session
        self._accounts: list[AdAccount] = []

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by account name or id")
        self.search.setAccessibleName("Search ad accounts")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(_ArrowDownToList(self._enter_list, self.search))
        layout.addWidget(self.search)

        self.tree = choice_list(self.COLUMNS, "Ad accounts")
        self.tree.itemSelectionChanged.connect(self.completeChanged)
        # Enter on a row reaches the wizard's default button (Next) by itself; a double-click does the same.
        self.tree.itemDoubleClicked.connect(self._go_next)
        layout.addWidget(self.tree, 1)

        self.empty_label = wrapped_label()
        self.empty_label.hide()
        layout.addWidget(self.empty_label)
        self.blocked_label = small_label()  # why the greyed-out accounts cannot be chosen
        self.blocked_label.hide()
        layout.addWidget(self.blocked_label)

        self.loader = LoadingStack(content)
        self.loader.retry.connect(self._load)
        self.body.addWidget(self.loader, 1)
        self.notice = Notice()
        self.body.addWidget(self.notice)

    # -- QWizardPage -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        # Entered from Sign in: the member may have changed, so the list is loaded afresh each time.
        self._load()

    def cleanupPage(self) -> None:
        self.stop_background_work()
        super().cleanupPage()

    def isComplete(self) -> bool:
        account = self.selected_account()
        return account is not None and account.can_upload and not self.loader.is_busy

    def validatePage(self) -> bool:
        account = self.selected_account()
        if account is None or not account.can_upload:
            return False
        previous = self._session.account
        if previous is not None and previous.id != account.id:
            # Rules belong to an account: a choice made for another account no longer applies.
            self._session.rules = None
            self._session.rules_by_id = {}
        self._session.account = account
        return True

    # -- what the page shows -----------------------------------------------------------------------

    @property
    def accounts(self) -> list[AdAccount]:
        return list(self._accounts)

    def selected_account(self) -> AdAccount | None:
        items = self.tree.selectedItems()
        if not items or items[0].isHidden():
            return None
        account = items[0].data(0, Qt.ItemDataRole.UserRole)
        return account if isinstance(account, AdAccount) else None

    def rows(self) -> Iterator[tuple[QTreeWidgetItem, AdAccount]]:
        """Every listed account with its row, in list order (hidden rows included)."""
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            account = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
            if item is not None and isinstance(account, AdAccount):
                yield item, account

    def select_account(self, account_id: int) -> bool:
        """Select the account with this id if it is listed and may be chosen; True when it was."""
        for item, account in self.rows():
            if account.id == account_id and account.can_upload:
                item.setHidden(False)
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return True
        return False

    def account_for(self, account_id: int) -> AdAccount | None:
        return next((account for _, account in self.rows() if account.id == account_id), None)

    def visible_accounts(self) -> list[AdAccount]:
        return [account for item, account in self.rows() if not item.isHidden()]

    # -- loading ---------------------------------------------------------------------------------

    def _load(self) -> None:
        self.notice.show_messages(())
        self.loader.show_busy("Loading your ad accounts…")
        self.completeChanged.emit()

        def load(control: Control, report: object) -> list[AdAccount]:
            return self._runtime.auth.client().ad_accounts()

        self.run_in_background(load, self._show_accounts)

    def background_failed(self, exc: Exception, cancelled: bool) -> None:
        super().background_failed(exc, cancelled)
        self.loader.show_failed("Your ad accounts could not be loaded.", failure_hint(exc))
        self.completeChanged.emit()

    def _show_accounts(self, accounts: list[AdAccount]) -> None:
        previous = self.selected_account()
        self._accounts = list(accounts)
        self.tree.clear()
        for account in accounts:
            self.tree.addTopLevelItem(_account_item(account))
        self.loader.show_content()
        self.empty_label.setText(NO_ACCOUNTS if not accounts else "")
        self.empty_label.setVisible(not accounts)
        self.tree.setVisible(bool(accounts))
        self.search.setEnabled(bool(accounts))
        self._show_blocked_reasons()
        self._filter(self.search.text())
        self._preselect(previous)
        self.completeChanged.emit()
        if self.selected_account() is not None:
            self.tree.setFocus()  # Enter now means Next
        else:
            self.search.setFocus()

    def _show_blocked_reasons(self) -> None:
        blocked = [a for a in self._accounts if not a.can_upload]
        by_reason: dict[str, list[str]] = {}
        for account in blocked:
            by_reason.setdefault(account.upload_blocked_reason or "", []).append(account.name)
        lines = []
        for reason, names in by_reason.items():
            which = ", ".join(names) if len(names) <= 3 else f"{len(names)} accounts"
            lines.append(f"Greyed out ({which}): {reason}")
        if blocked and len(blocked) == len(self._accounts):
            lines.append(NOTHING_UPLOADABLE)
        self.blocked_label.setText("\n".join(lines))
        self.blocked_label.setVisible(bool(lines))

    def _preselect(self, previous: AdAccount | None) -> None:
        """What the user chose before (Back and forward again), else the saved profile's account."""
        chosen = self._session.account or previous
        if chosen is not None and self.select_account(chosen.id):
            return
        profile = self._session.profile
        if profile is not None and profile.account_id is not None:
            if self.select_account(profile.account_id):
                return
            account = self.account_for(profile.account_id)
            if account is not None:
                self.notice.show_messages(
                    (
                        f"The saved profile “{profile.name}” sends to {account.name}, which you cannot send "
                        f"conversions to. {account.upload_blocked_reason}",
                    )
                )
            else:
                self.notice.show_messages(
                    (
                        f"The saved profile “{profile.name}” sends to ad account {profile.account_id}, which this "
                        "LinkedIn member cannot see. Choose another account, or sign in as the member who "
                        "manages it.",
                    )
                )
            return
        uploadable = [a for a in self._accounts if a.can_upload]
        if len(uploadable) == 1:
            self.select_account(uploadable[0].id)

    # -- search and keyboard -----------------------------------------------------------------------

    def _filter(self, text: str) -> None:
        query = text.strip().casefold()
        if query.startswith("urn:"):
            query = query.rsplit(":", 1)[-1]  # a pasted account URN finds its account
        shown = 0
        for item, account in self.rows():
            matches = not query or query in account.name.casefold() or query in str(account.id)
            item.setHidden(not matches)
            shown += matches
        selected = self.tree.selectedItems()
        if selected and selected[0].isHidden():
            self.tree.clearSelection()
        if not self.tree.selectedItems():
            visible = [a for a in self.visible_accounts() if a.can_upload]
            if query and len(visible) == 1:
                self.select_account(visible[0].id)  # one match: Enter in the search box moves on
        if self._accounts:
            self.empty_label.setText("" if shown else f"No ad account matches “{text.strip()}”.")
            self.empty_label.setVisible(not shown)
        self.completeChanged.emit()

    def _enter_list(self) -> None:
        self.tree.setFocus()
        if self.selected_account() is None:
            for item, account in self.rows():
                if not item.isHidden() and account.can_upload:
                    self.tree.setCurrentItem(item)
                    return

    def _go_next(self) -> None:
        wizard = self.wizard()
        if wizard is not None and self.isComplete():
            wizard.next()


def _account_item(account: AdAccount) -> QTreeWidgetItem:
    role = account.role_name if account.can_upload else f"{account.role_name} (view only)"
    item = QTreeWidgetItem([account.name, str(account.id), account.currency, status_name(account.status), role])
    item.setData(0, Qt.ItemDataRole.UserRole, account)
    if account.test:
        item.setData(0, TAG_ROLE, TEST_TAG)
    tip = account.name + (f" ({TEST_TAG.lower()})" if account.test else "")
    if not account.can_upload:
        item.setFlags(item.flags() & ~(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable))
        tip = f"{tip}\n{account.upload_blocked_reason}"
    for column in range(item.columnCount()):
        item.setToolTip(column, tip)
    return item
