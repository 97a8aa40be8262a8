"""``run_gui(options)``: the QApplication, the qasync loop, the error hooks, then one session.

Order matters: the QApplication exists before any widget; the loop is installed before the App
starts (the App's server, executor and tasks live on it); the error hooks are in place before the
first slot or task can fail; and the window is only built once the App has started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from streampai_desktop.app import AppOptions
from streampai_desktop.ui.errors import ErrorReporter
from streampai_desktop.ui.icon import app_icon
from streampai_desktop.ui.session import GuiSession

log = logging.getLogger("streampai_desktop.ui")

APP_NAME = "Streampai Desktop"
ORG_NAME = "Streampai"


def make_qapplication() -> QApplication:
    """The process's QApplication, named and iconed, quitting only when we say so."""
    existing = QApplication.instance()
    qt_app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    qt_app.setApplicationName(APP_NAME)
    qt_app.setApplicationDisplayName(APP_NAME)
    qt_app.setOrganizationName(ORG_NAME)
    qt_app.setOrganizationDomain("streampai.com")
    qt_app.setDesktopFileName("streampai-desktop")
    qt_app.setWindowIcon(app_icon())
    # Closing the start-up splash or hiding to the tray must not end the loop under us: the
    # session decides when the app quits (after the App has shut down cleanly).
    qt_app.setQuitOnLastWindowClosed(False)
    return qt_app


def _install_quit_signals(loop: asyncio.AbstractEventLoop, session: GuiSession) -> QTimer | None:
    """Ctrl+C / SIGTERM quit cleanly (the App shuts down, the port is released)."""
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, session.request_quit)
        return None
    except (NotImplementedError, RuntimeError, ValueError):
        pass

    def handler(_signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(session.request_quit)

    signal.signal(signal.SIGINT, handler)
    # Without a wakeup fd (Windows), Python only runs signal handlers when it gets control back
    # from Qt: a cheap periodic timer gives it that chance.
    timer = QTimer()
    timer.timeout.connect(lambda: None)
    timer.start(300)
    return timer


def run_gui(options: AppOptions) -> int:
    """Run the desktop app until the streamer quits; returns the process exit code."""
    qt_app = make_qapplication()
    loop = qasync.QEventLoop(qt_app)
    asyncio.set_event_loop(loop)
    session = GuiSession(options, icon=qt_app.windowIcon())
    reporter = ErrorReporter(parent=lambda: session.window)
    reporter.install(loop)
    timer = _install_quit_signals(loop, session)
    try:
        return int(loop.run_until_complete(session.run()))
    except KeyboardInterrupt:
        loop.run_until_complete(session.stop())
        return 130
    finally:
        if timer is not None:
            timer.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        reporter.uninstall(loop)
        loop.close()
        asyncio.set_event_loop(None)
