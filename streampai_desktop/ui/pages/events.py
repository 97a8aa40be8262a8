"""Events: every event of the session (and recent history) in a filterable, newest-first table.

It opens on the alerts (chat would bury them); the Kinds and Platforms menus pick any mix. Each
alert's row says what became of it (shown, skipped, waiting…) and has its own Replay button.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QMouseEvent, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QTableView,
    QWidgetAction,
)

from streampai_desktop.core.events import (
    ALERT_KINDS,
    CHAT_KINDS,
    EVENT_TYPES,
    ChatNotification,
    Event,
    Platform,
    StreamOffline,
    StreamOnline,
    ViewerCount,
)
from streampai_desktop.platforms.registry import PLATFORMS, platform_label
from streampai_desktop.ui.formatting import kind_label
from streampai_desktop.ui.pages.common import Page, StatusLine, label
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.ui.viewmodels.event_table import (
    COL_DETAILS,
    COL_REPLAY,
    COL_TIME,
    DEFAULT_KINDS,
    MAX_ROWS,
    EventFilterProxy,
)

Index = QModelIndex | QPersistentModelIndex
COLUMN_WIDTHS = (140, 80, 110, 120, 300, 70, 84)
ROW_HEIGHT = 30  # room for the row's Replay button
# Chat as the Events page shows it: messages, moderation, and the lines Twitch puts in chat.
CHAT_SECTION: tuple[str, ...] = (*CHAT_KINDS, ChatNotification.kind)
STREAM_SECTION: tuple[str, ...] = (StreamOnline.kind, StreamOffline.kind, ViewerCount.kind)
# The kinds menu, in sections: (title, kinds). Every kind is in exactly one: what is neither an
# alert, chat nor the stream itself is what runs on the channel (polls, hype trains, ad breaks…).
KIND_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Alerts", ALERT_KINDS),
    ("Chat", CHAT_SECTION),
    ("Stream", STREAM_SECTION),
    (
        "Channel",
        tuple(
            k
            for k in EVENT_TYPES
            if k not in ALERT_KINDS and k not in CHAT_SECTION and k not in STREAM_SECTION
        ),
    ),
)


class ChecklistMenu(QMenu):
    """A menu of checkable entries that stays open while they are ticked (a multi-select)."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self.activeAction()
        if action is not None and action.isEnabled() and action.isCheckable():
            action.trigger()  # without closing the menu: the next one can be ticked too
            return
        super().mouseReleaseEvent(event)


class MultiFilter(QPushButton):
    """A button with a menu of checkable values; ``changed`` carries the ticked ones.

    ``presets`` are quick picks at the top of the menu: (menu text, what the button then says,
    the values).
    """

    changed = Signal(object)  # frozenset[str]

    def __init__(
        self,
        name: str,
        sections: Iterable[tuple[str, Iterable[tuple[str, str]]]],
        presets: Iterable[tuple[str, str, frozenset[str]]],
        checked: frozenset[str],
    ) -> None:
        super().__init__()
        self._name = name
        self.setAccessibleName(f"{name} filter")
        self.presets = {summary: values for _text, summary, values in presets}
        menu = ChecklistMenu(self)
        for text, _summary, values in presets:
            action = menu.addAction(text)
            action.triggered.connect(lambda _c=False, v=values: self.set_checked(v))
        self.actions_by_value: dict[str, QAction] = {}
        for title, entries in sections:
            menu.addSeparator()
            if title:  # a label: Fusion draws no section titles, a disabled entry is too faint
                heading = QWidgetAction(menu)
                heading.setDefaultWidget(label(title, "menuHeading"))
                menu.addAction(heading)
            for value, text in entries:
                action = menu.addAction(text)
                action.setCheckable(True)
                action.setData(value)
                action.toggled.connect(self._toggled)
                self.actions_by_value[value] = action
        self.setMenu(menu)
        self._quiet = False
        self.set_checked(checked)

    def checked(self) -> frozenset[str]:
        return frozenset(v for v, a in self.actions_by_value.items() if a.isChecked())

    def set_checked(self, values: frozenset[str]) -> None:
        """Tick exactly ``values`` (one ``changed`` for the lot)."""
        self._quiet = True
        try:
            for value, action in self.actions_by_value.items():
                action.setChecked(value in values)
        finally:
            self._quiet = False
        self._toggled()

    def _toggled(self, _checked: bool = False) -> None:
        if self._quiet:
            return
        checked = self.checked()
        self.setText(f"{self._name}: {self.summary(checked)}")
        self.changed.emit(checked)

    def summary(self, checked: frozenset[str]) -> str:
        for summary, values in self.presets.items():
            if checked == values:
                return summary
        if checked == frozenset(self.actions_by_value):
            return "All"
        if not checked:
            return "None"
        if len(checked) == 1:
            return self.actions_by_value[next(iter(checked))].text()
        return f"{len(checked)} selected"


class ReplayButtons(QStyledItemDelegate):
    """Paints a Replay button in each alert's row of the Replay column; a click on it emits
    ``clicked`` with the row (in the view's model).

    A delegate rather than a widget per row: the table holds thousands of rows. The button is
    painted by the style for a hidden real QPushButton, so the style sheets' button rules (the
    theme's borders and colors) apply to it as to every other button.
    """

    clicked = Signal(int)  # the row, in the view's (proxy) model

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._button = QPushButton(view)
        self._button.setObjectName("rowButton")
        # A row is lower than a button's usual padding allows.
        self._button.setStyleSheet("QPushButton#rowButton { padding: 0 8px; }")
        self._button.hide()
        self._pressed: QPersistentModelIndex | None = None

    @staticmethod
    def button_rect(cell: QRect) -> QRect:
        return cell.adjusted(6, 3, -6, -3)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        text, item.text = item.text, ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
        if not text:
            return
        button = QStyleOptionButton()
        button.initFrom(self._button)
        button.rect = self.button_rect(option.rect)
        button.text = text
        state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Raised
        if self._pressed is not None and self._pressed == index:
            state |= QStyle.StateFlag.State_Sunken
        elif option.state & QStyle.StateFlag.State_MouseOver:
            state |= QStyle.StateFlag.State_MouseOver
        button.state = state
        self._button.style().drawControl(
            QStyle.ControlElement.CE_PushButton, button, painter, self._button
        )

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        if not index.data() or not isinstance(event, QMouseEvent):
            return False
        on_button = self.button_rect(option.rect).contains(event.position().toPoint())
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if event.type() == QEvent.Type.MouseButtonPress and on_button:
            self._pressed = QPersistentModelIndex(index)
        elif event.type() == QEvent.Type.MouseButtonRelease:
            pressed, self._pressed = self._pressed, None
            if on_button and pressed is not None and pressed == index:
                self.clicked.emit(index.row())
                return True
        return False


class EventsPage(Page):
    """The event log, live."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "Events",
            f"What happened on your channels, newest first (the last {MAX_ROWS:,} are kept "
            "here). Alerts to start with: pick chat and more under Kinds.",
            scroll=False,
        )
        self.vm = vm
        self.model = vm.event_table  # collecting since the app started
        self.proxy = EventFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        all_kinds = frozenset(EVENT_TYPES)
        self.kind_filter = MultiFilter(
            "Kinds",
            (
                (title, [(kind, kind_label(kind)) for kind in kinds])
                for title, kinds in KIND_SECTIONS
            ),
            presets=(
                ("Alerts only", "Alerts", DEFAULT_KINDS),
                ("Chat only", "Chat", frozenset(CHAT_SECTION)),
                ("Everything", "All", all_kinds),
            ),
            checked=DEFAULT_KINDS,
        )
        self.kind_filter.changed.connect(
            lambda kinds: self.proxy.set_kinds(None if kinds == all_kinds else kinds)
        )
        platforms = (*PLATFORMS, Platform.STREAMPAI.value)
        all_platforms = frozenset(platforms)
        self.platform_filter = MultiFilter(
            "Platforms",
            [("", [(p, platform_label(p)) for p in platforms])],
            presets=(("Every platform", "All", all_platforms),),
            checked=all_platforms,
        )
        self.platform_filter.changed.connect(
            # Ticking every platform means every one, including a platform added later.
            lambda chosen: self.proxy.set_platforms(None if chosen == all_platforms else chosen)
        )
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search users and messages")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.count = label("", "muted")
        self.replay_button = QPushButton("Replay selected")
        self.replay_button.setToolTip(
            "Show the selected follows, subs, cheers… on the alert box again (they queue)."
        )
        self.replay_button.clicked.connect(self.replay_selected)
        self.replay_action = QAction("Replay alert", self)
        self.replay_action.triggered.connect(self.replay_selected)

        filters = QHBoxLayout()
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.platform_filter)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count)
        filters.addWidget(self.replay_button)
        self.body.addLayout(filters)
        self.replay_status = StatusLine()
        self.body.addWidget(self.replay_status)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_TIME, Qt.SortOrder.DescendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setMouseTracking(True)  # the row buttons' hover
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = self.table.horizontalHeader()
        # Fixed starting widths, not ResizeToContents: that re-measures rows on every insert,
        # which a chat flood turns into a frozen window.
        for column, width in enumerate(COLUMN_WIDTHS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(COL_DETAILS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_REPLAY, QHeaderView.ResizeMode.Fixed)
        self.row_buttons = ReplayButtons(self.table)
        self.row_buttons.clicked.connect(self._replay_row)
        self.table.setItemDelegateForColumn(COL_REPLAY, self.row_buttons)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_replay)
        self.body.addWidget(self.table, 1)

        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self._update_count()
        self._update_replay()

    # --- replay -----------------------------------------------------------------------------------

    def event_at(self, index: QModelIndex) -> Event:
        """The event of a row of the table (a proxy index)."""
        return self.model.row_at(self.proxy.mapToSource(index).row()).event

    def selected_events(self) -> list[Event]:
        return [self.event_at(index) for index in self.table.selectionModel().selectedRows()]

    def _update_replay(self, *_args: object) -> None:
        enabled = any(e.alertable for e in self.selected_events())
        self.replay_button.setEnabled(enabled)
        self.replay_action.setEnabled(enabled)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row()):
            self.table.selectRow(index.row())
        self._update_replay()
        menu = QMenu(self)
        menu.addAction(self.replay_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def replay_selected(self) -> None:
        """Queue the selected alertable events again (oldest first)."""
        self.replay(self.selected_events())

    def _replay_row(self, row: int) -> None:
        self.replay([self.event_at(self.proxy.index(row, 0))])

    def replay(self, events: list[Event]) -> None:
        """Queue ``events`` again and say how that went."""
        queued, refused = self.vm.replay(events)
        if queued and not refused:
            self.replay_status.ok(f"{queued} alert(s) queued again.")
        elif queued:
            self.replay_status.ok(
                f"{queued} alert(s) queued again; {refused} not, because their alert type is "
                "off or below its minimum."
            )
        elif refused:
            self.replay_status.error(
                "Not queued: that alert type is off or below its minimum in the Alert Box settings."
            )

    def _update_count(self, *_args: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(
            f"{shown:,} shown" if shown == total else f"{shown:,} of {total:,} shown"
        )
