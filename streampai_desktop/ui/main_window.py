"""The main window: sidebar on the left, the chosen page on the right, status bar below.

Tab walks the window as it reads (:mod:`streampai_desktop.ui.focus_order`): the sidebar, then
the page on screen, then the status bar's alert-queue pill. Ctrl+1…7 open the pages (the
sidebar's tooltips say which). Closing the window keeps the overlays on air: it hides to the tray,
or where there is no tray it asks (:mod:`streampai_desktop.ui.close_dialog`).

Only the dashboard (shown first) is built with the window; every other page, and its module,
the first time it is shown or looked up in :attr:`MainWindow.pages`, so the window shows
sooner (the events page's table model lives in the view-model and collects from the start).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.ui.close_dialog import CloseChoice, ask_before_closing
from streampai_desktop.ui.focus_order import next_stop, reading_order
from streampai_desktop.ui.pages.dashboard import DashboardPage
from streampai_desktop.ui.status_bar import AppStatusBar
from streampai_desktop.ui.style import window_sheet
from streampai_desktop.ui.theme import apply_theme, control_colors
from streampai_desktop.ui.tray import Tray
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

if TYPE_CHECKING:
    from streampai_desktop.ui.about import AboutDialog

log = logging.getLogger("streampai_desktop.ui")

# Sidebar order: (key, label). Keys are what pages use to link to each other.
PAGES = (
    ("dashboard", "Dashboard"),
    ("widgets", "Widgets"),
    ("platforms", "Platforms"),
    ("events", "Events"),
    ("multistream", "Multistream"),
    ("account", "Account & Sync"),
    ("settings", "Settings"),
)
PAGE_KEYS = tuple(key for key, _label in PAGES)


def page_shortcut(key: str) -> QKeySequence:
    """Ctrl+1 for the first page, Ctrl+2 for the second, …"""
    return QKeySequence(f"Ctrl+{PAGE_KEYS.index(key) + 1}")


def page_tooltip(key: str, text: str) -> str:
    """ "Dashboard (Ctrl+1)", in the platform's own notation (⌘1 on a Mac)."""
    native = page_shortcut(key).toString(QKeySequence.SequenceFormat.NativeText)
    return f"{text} ({native})"


class Pages(Mapping[str, QWidget]):
    """The pages by key; one not built yet is built when it is first looked up."""

    def __init__(self, build: Callable[[str], QWidget], built: dict[str, QWidget]) -> None:
        self._build = build
        self._built = built

    def __getitem__(self, key: str) -> QWidget:
        page = self._built.get(key)
        if page is None:
            if key not in PAGE_KEYS:
                raise KeyError(key)
            page = self._built[key] = self._build(key)
        return page

    def __iter__(self) -> Iterator[str]:
        return iter(PAGE_KEYS)

    def __len__(self) -> int:
        return len(PAGE_KEYS)

    def built(self, key: str) -> QWidget | None:
        """The page if it has been built, else None (without building it)."""
        return self._built.get(key)


class MainWindow(QMainWindow):
    """Sidebar navigation over a page stack; closing hides to the tray when there is one."""

    quit_requested = Signal()

    def __init__(self, vm: AppViewModel, icon: QIcon, *, use_tray: bool | None = None) -> None:
        super().__init__()
        self.vm = vm
        self.setWindowTitle("Streampai Desktop")
        self.setWindowIcon(icon)
        self.resize(1180, 760)
        self.setMinimumSize(QSize(860, 560))
        self._restyle()
        self._shown_once = False
        self._quitting = False
        self._asking_to_close: asyncio.Task[CloseChoice] | None = None

        self.dashboard = DashboardPage(vm)
        self.dashboard.navigate.connect(self.show_page)
        self._icon = icon
        self.about: AboutDialog | None = None
        self.pages = Pages(self._build_page, {"dashboard": self.dashboard})
        self.stack = QStackedWidget()
        self._stand_ins: dict[str, QWidget] = {}
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for key, text in PAGES:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(page_tooltip(key, text))
            item.setSizeHint(QSize(0, 38))
            self.sidebar.addItem(item)
            page = self.pages.built(key)
            if page is None:  # an empty stand-in until the page is built (see _build_page)
                page = self._stand_ins[key] = QWidget()
            _prepare_for_keyboard(page)
            self.stack.addWidget(page)
        self.sidebar.currentRowChanged.connect(self._show_row)
        self.sidebar.setCurrentRow(0)

        side = QWidget()
        side.setObjectName("side")
        # Without this a plain QWidget ignores its style sheet background.
        side.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        side.setFixedWidth(210)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        brand = QLabel("Streampai Desktop")
        brand.setObjectName("brand")
        side_layout.addWidget(brand)
        side_layout.addWidget(self.sidebar, 1)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(side)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = AppStatusBar(vm)
        self.status.navigate.connect(self.show_page)
        self.setStatusBar(self.status)

        if use_tray is None:
            use_tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: Tray | None = None
        if use_tray:
            self.tray = Tray(self, icon)
            self.tray.quit_requested.connect(self.quit_requested.emit)
            self.tray.about_requested.connect(self.show_about)
            self.tray.show()

        QShortcut(QKeySequence.StandardKey.Quit, self, self.quit_requested.emit)
        for key, _text in PAGES:
            QShortcut(page_shortcut(key), self, lambda k=key: self.show_page(k))
        vm.theme_changed.connect(self.apply_theme)

    def _new_page(self, key: str) -> QWidget:
        if key == "events":
            from streampai_desktop.ui.pages.events import EventsPage

            return EventsPage(self.vm)
        if key == "widgets":
            from streampai_desktop.ui.pages.widgets import WidgetsPage

            return WidgetsPage(self.vm)
        if key == "platforms":
            from streampai_desktop.ui.pages.platforms import PlatformsPage

            return PlatformsPage(self.vm)
        if key == "multistream":
            from streampai_desktop.ui.pages.multistream import multistream_page

            return multistream_page()
        if key == "account":
            from streampai_desktop.ui.pages.account import AccountPage

            return AccountPage(self.vm)
        if key == "settings":
            from streampai_desktop.ui.pages.settings import SettingsPage

            settings = SettingsPage(self.vm)
            settings.about_requested.connect(self.show_about)
            return settings
        raise KeyError(key)  # the dashboard and the events page are built with the window

    def _build_page(self, key: str) -> QWidget:
        """Build the page ``key`` and put it in its stand-in's place in the stack."""
        page = self._new_page(key)
        _prepare_for_keyboard(page)
        stand_in = self._stand_ins.pop(key)
        current = self.stack.currentWidget()
        self.stack.insertWidget(PAGE_KEYS.index(key), page)
        self.stack.removeWidget(stand_in)
        stand_in.deleteLater()
        current = page if current is stand_in else current
        if current is not None:
            self.stack.setCurrentWidget(current)  # the page on screen stays on screen
        return page

    def _show_row(self, row: int) -> None:
        self.stack.setCurrentWidget(self.pages[PAGE_KEYS[row]])  # built on first show

    def show_page(self, key: str) -> None:
        """Switch to the page called ``key`` (see :data:`PAGES`)."""
        self.sidebar.setCurrentRow(PAGE_KEYS.index(key))

    def show_about(self) -> AboutDialog:
        """Open the About dialog (or bring the open one forward); the window shows first."""
        from streampai_desktop.ui.about import AboutDialog

        if not self.isVisible():
            self.showNormal()
        if self.about is None:
            self.about = AboutDialog(self.vm, self._icon, self)
            self.about.finished.connect(self._about_closed)
            self.about.open()
        self.about.raise_()
        self.about.activateWindow()
        return self.about

    def _about_closed(self, _result: int = 0) -> None:
        if self.about is not None:
            self.about.deleteLater()
            self.about = None

    def current_page(self) -> str:
        return PAGES[self.stack.currentIndex()][0]

    def apply_theme(self, theme: str) -> None:
        apply_theme(theme)
        self._restyle()
        self.status.queue.restyle()

    def _restyle(self) -> None:
        # Style sheets resolve palette() when polished, and the focus ring's color comes from
        # the palette: set the sheet again after every palette change.
        self.setStyleSheet(window_sheet(control_colors(QApplication.palette())))

    def focus_order(self) -> list[QWidget]:
        """Where Tab stops, in order: the sidebar, the page on screen, the status bar."""
        return [
            self.sidebar,
            *reading_order(self.stack),
            *reading_order(self.status),
        ]

    def focusNextPrevChild(self, forward: bool) -> bool:
        # Tab and Shift+Tab from any control in the window end up here (Qt asks each parent in
        # turn); the order is worked out now, so rows and pages added since are in it.
        target = next_stop(self.focus_order(), QApplication.focusWidget(), forward)
        if target is None:
            return super().focusNextPrevChild(forward)
        reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
        self.focus_stop(target, reason)
        return True

    def focus_stop(self, target: QWidget, reason: Qt.FocusReason) -> None:
        """Focus ``target`` and scroll it into view (below the fold, or in a scrolled pane)."""
        target.setFocus(reason)
        parent = target.parentWidget()
        while parent is not None:  # the innermost scroll area first, then the ones around it
            inner = parent.widget() if isinstance(parent, QScrollArea) else None
            if isinstance(parent, QScrollArea) and inner is not None:
                # The whole control, ring and all; ensureWidgetVisible would show only a list's
                # current row (its "cursor").
                center = target.mapTo(inner, target.rect().center())
                margin_x, margin_y = target.width() // 2 + 8, target.height() // 2 + 8
                parent.ensureVisible(center.x(), center.y(), margin_x, margin_y)
            parent = parent.parentWidget()

    def prepare_to_quit(self) -> None:
        """The app is stopping: let the window close for real and remove the tray icon."""
        self._quitting = True
        if self.tray is not None:
            self.tray.hide()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            log.info("main window shown")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting:
            event.accept()
            return
        # The overlays live in this process: closing the window must not take them off air.
        event.ignore()
        if self.tray is not None:
            self.hide()
            self.tray.tell_still_running()
        elif self._asking_to_close is None:
            # No tray to come back through: ask, and say how to get the window back.
            self._asking_to_close = self.vm.spawn(self._ask_before_closing(), "ask before quit")

    async def _ask_before_closing(self) -> CloseChoice:
        try:
            choice = await ask_before_closing(self)
        finally:
            self._asking_to_close = None
        log.info("window closed without a tray: %s", choice.value)
        if choice is CloseChoice.QUIT:
            self.quit_requested.emit()
        elif choice is CloseChoice.BACKGROUND:
            self.hide()
        return choice


def _prepare_for_keyboard(page: QWidget) -> None:
    """The window's keyboard rules on a page: its scroll areas are containers, not controls (the
    controls in them take the focus; a scroll area that took it would show no ring and do
    nothing), and Tab leaves a table or list instead of walking its cells (arrows do that)."""
    for area in page.findChildren(QAbstractScrollArea):
        if type(area) is QScrollArea:
            area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        elif isinstance(area, QAbstractItemView):
            area.setTabKeyNavigation(False)
