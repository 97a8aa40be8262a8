"""The main window: sidebar on the left, the chosen page on the right, status bar below."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.ui.about import AboutDialog
from streampai_desktop.ui.pages.account import AccountPage
from streampai_desktop.ui.pages.dashboard import DashboardPage
from streampai_desktop.ui.pages.events import EventsPage
from streampai_desktop.ui.pages.multistream import multistream_page
from streampai_desktop.ui.pages.platforms import PlatformsPage
from streampai_desktop.ui.pages.settings import SettingsPage
from streampai_desktop.ui.pages.widgets import WidgetsPage
from streampai_desktop.ui.status_bar import AppStatusBar
from streampai_desktop.ui.style import STYLE_SHEET
from streampai_desktop.ui.theme import apply_theme
from streampai_desktop.ui.tray import Tray
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

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
        self.setStyleSheet(STYLE_SHEET)
        self._shown_once = False
        self._quitting = False

        self.dashboard = DashboardPage(vm)
        self.dashboard.navigate.connect(self.show_page)
        self._icon = icon
        self.about: AboutDialog | None = None
        settings = SettingsPage(vm)
        settings.about_requested.connect(self.show_about)
        self.pages: dict[str, QWidget] = {
            "dashboard": self.dashboard,
            "widgets": WidgetsPage(vm),
            "platforms": PlatformsPage(vm),
            "events": EventsPage(vm),
            "multistream": multistream_page(),
            "account": AccountPage(vm),
            "settings": settings,
        }
        self.stack = QStackedWidget()
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for key, text in PAGES:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(0, 38))
            self.sidebar.addItem(item)
            self.stack.addWidget(self.pages[key])
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
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
        for number, (key, _text) in enumerate(PAGES, start=1):
            QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda k=key: self.show_page(k))
        vm.theme_changed.connect(self.apply_theme)

    def show_page(self, key: str) -> None:
        """Switch to the page called ``key`` (see :data:`PAGES`)."""
        keys = [k for k, _ in PAGES]
        self.sidebar.setCurrentRow(keys.index(key))

    def show_about(self) -> AboutDialog:
        """Open the About dialog (or bring the open one forward); the window shows first."""
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
        # Style sheets resolve palette() when polished: set it again to pick up the new colors.
        self.setStyleSheet(STYLE_SHEET)

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
        elif self.tray is not None:
            # The overlays live in this process: closing the window must not take them off air.
            event.ignore()
            self.hide()
            self.tray.tell_still_running()
        else:
            event.accept()
            self.quit_requested.emit()
