"""The tray icon: show or hide the window, and quit (the app keeps serving overlays when hidden)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget


class Tray(QObject):
    """Wraps QSystemTrayIcon; emits :attr:`quit_requested` from its Quit item."""

    quit_requested = Signal()
    about_requested = Signal()

    def __init__(self, window: QWidget, icon: QIcon) -> None:
        super().__init__(window)
        self._window = window
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Streampai Desktop")
        self.menu = QMenu()
        self.toggle_action = QAction("Hide window", self.menu)
        self.toggle_action.triggered.connect(self.toggle_window)
        self.about_action = QAction("About Streampai Desktop", self.menu)
        self.about_action.triggered.connect(self.about_requested.emit)
        quit_action = QAction("Quit Streampai Desktop", self.menu)
        quit_action.triggered.connect(self.quit_requested.emit)
        self.menu.addAction(self.toggle_action)
        self.menu.addAction(self.about_action)
        self.menu.addSeparator()
        self.menu.addAction(quit_action)
        self.menu.aboutToShow.connect(self._update_label)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self._told_about_tray = False

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def _update_label(self) -> None:
        self.toggle_action.setText("Hide window" if self._window.isVisible() else "Show window")

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    def toggle_window(self) -> None:
        if self._window.isVisible() and not self._window.isMinimized():
            self._window.hide()
        else:
            self.show_window()

    def show_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()

    def tell_still_running(self) -> None:
        """Once per session: closing the window does not stop the overlays."""
        if self._told_about_tray or not self.icon.supportsMessages():
            return
        self._told_about_tray = True
        self.icon.showMessage(
            "Streampai Desktop is still running",
            "Your overlays keep working. Use the tray icon to open the window or quit.",
            QSystemTrayIcon.MessageIcon.Information,
            5000,
        )
