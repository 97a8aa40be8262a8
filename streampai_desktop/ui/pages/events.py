"""Events: every event of the session (and recent history) in a filterable, newest-first table."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
)

from streampai_desktop.core.events import EVENT_TYPES, Event, Platform
from streampai_desktop.platforms.registry import PLATFORMS, platform_label
from streampai_desktop.ui.formatting import kind_label
from streampai_desktop.ui.pages.common import Page, StatusLine, label
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.ui.viewmodels.event_table import (
    COL_DETAILS,
    COL_TIME,
    MAX_ROWS,
    EventFilterProxy,
    EventTableModel,
)

COLUMN_WIDTHS = (80, 90, 120, 150, 300, 50)


class EventsPage(Page):
    """The event log, live."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "Events",
            f"Everything that happened on your channels, newest first (the last {MAX_ROWS:,} "
            "are kept here).",
            scroll=False,
        )
        self.model = EventTableModel(parent=self)
        self.proxy = EventFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName("Kind filter")
        self.kind_filter.addItem("All kinds", "")
        for kind in EVENT_TYPES:
            self.kind_filter.addItem(kind_label(kind), kind)
        self.kind_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_kind(self.kind_filter.currentData())
        )
        self.platform_filter = QComboBox()
        self.platform_filter.setAccessibleName("Platform filter")
        self.platform_filter.addItem("All platforms", "")
        for platform in (*PLATFORMS, Platform.STREAMPAI.value):
            self.platform_filter.addItem(platform_label(platform), platform)
        self.platform_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_platform(self.platform_filter.currentData())
        )
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search users and messages")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.count = label("", "muted")
        self.vm = vm
        self.replay_button = QPushButton("Replay alert")
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
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        # Fixed starting widths, not ResizeToContents: that re-measures rows on every insert,
        # which a chat flood turns into a frozen window.
        for column, width in enumerate(COLUMN_WIDTHS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(COL_DETAILS, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_replay)
        self.body.addWidget(self.table, 1)

        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        vm.feed.events_arrived.connect(self.model.add_live)
        vm.feed.history_loaded.connect(self.model.add_history)
        if vm.feed.history:  # loaded before this page was built
            self.model.add_history(vm.feed.history)
        self._update_count()
        self._update_replay()

    # --- replay -----------------------------------------------------------------------------------

    def selected_events(self) -> list[Event]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.row_at(self.proxy.mapToSource(index).row()).event for index in rows]

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
        queued, refused = self.vm.replay(self.selected_events())
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
