"""One run of the GUI: start the app (with progress), show the window, wait for quit, stop.

Kept apart from ``run.py`` (which owns the QApplication and the loop) so tests can drive a whole
session inside their own qasync loop.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox

from streampai_desktop.app import App, AppOptions
from streampai_desktop.core.errors import report
from streampai_desktop.server import PortInUseError
from streampai_desktop.ui.dialogs import ask
from streampai_desktop.ui.icon import app_icon
from streampai_desktop.ui.main_window import MainWindow
from streampai_desktop.ui.startup import StartupProgress, ask_port
from streampai_desktop.ui.theme import apply_theme
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

log = logging.getLogger("streampai_desktop.ui")


class GuiSession:
    """Owns the App, its view-model and the main window for one run."""

    def __init__(
        self, options: AppOptions, *, icon: QIcon | None = None, use_tray: bool | None = None
    ) -> None:
        self.options = options
        self.icon = icon or app_icon()
        self.use_tray = use_tray
        self.app: App | None = None
        self.vm: AppViewModel | None = None
        self.window: MainWindow | None = None
        self._quit = asyncio.Event()
        self._progress: StartupProgress | None = None
        self._stopped = False

    async def run(self) -> int:
        """The whole session; returns the process exit code."""
        failed = await self.start()
        if failed is not None:
            return failed
        try:
            await self._quit.wait()
        finally:
            await self.stop()
        return 0

    async def start(self) -> int | None:
        """Start the app and show the window; an exit code when start-up failed, else None."""
        app = App(self.options, on_port_in_use=self._port_in_use)
        self.app = app
        self._progress = StartupProgress(self.icon)
        self._progress.show_later()
        try:
            await app.start()
        except Exception as exc:
            self._end_progress()
            message = report(exc, "starting")
            box = QMessageBox(QMessageBox.Icon.Critical, message.title, message.text)
            box.setWindowIcon(self.icon)
            box.setObjectName("startErrorDialog")
            await ask(box)
            return message.exit_code
        finally:
            self._end_progress()
        apply_theme(app.settings.theme)
        self.vm = AppViewModel(app)
        await self.vm.load()  # before start(): the window must exist when the feed's history lands
        self.vm.start()
        self.window = MainWindow(self.vm, self.icon, use_tray=self.use_tray)
        self.window.quit_requested.connect(self.request_quit)
        self.vm.hotkeys.attach(self.window)  # app-wide shortcuts, where hotkeys can't be global
        self.window.show()
        app.raise_window = self._raise_window
        return None

    def _raise_window(self) -> bool:
        """A second launch asked for this window (through the local API)."""
        if self.window is None:
            return False
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
        return True

    def _end_progress(self) -> None:
        if self._progress is not None:
            self._progress.finish()
            self._progress = None

    async def _port_in_use(self, exc: PortInUseError) -> int | None:
        if self._progress is not None:
            self._progress.hide()  # the question must not sit behind an always-on-top splash
        return await ask_port(exc)

    def request_quit(self) -> None:
        """Tray Quit, Ctrl+Q, closing the window without a tray, Ctrl+C in the terminal."""
        self._quit.set()

    async def stop(self) -> None:
        """Close the window and stop the app; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self.window is not None:
            self.window.prepare_to_quit()
            self.window.close()
        if self.vm is not None:
            await self.vm.shutdown()
        elif self.app is not None:
            await self.app.shutdown()
        # Delete the Qt objects now, on this (the GUI) thread, rather than whenever Python's
        # cyclic GC gets to them — which may be on a worker thread, where Qt cannot stop their
        # timers.
        for obj in (self.window, self.vm):
            if obj is not None:
                obj.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
