"""Starting, navigating and quitting the whole GUI session."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from streampai_desktop.app import App
from streampai_desktop.core.errors import EXIT_ALREADY_RUNNING
from streampai_desktop.instance import running_instance
from streampai_desktop.ui.main_window import PAGE_KEYS, PAGES
from streampai_desktop.ui.session import GuiSession
from tests.conftest import find_free_port
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until

pytestmark = pytest.mark.gui


def test_sidebar_click_switches_pages(gui: Gui) -> None:
    window = gui.window
    assert gui.window.isVisible()
    assert window.current_page() == "dashboard"
    for row, (key, text) in enumerate(PAGES):
        item = window.sidebar.item(row)
        assert item.text() == text
        rect = window.sidebar.visualItemRect(item)
        QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.current_page() == key
        assert window.stack.currentWidget() is window.pages[key]
    # Links between pages: the dashboard's "Get the overlay URLs" goes to Widgets.
    window.show_page("dashboard")
    window.dashboard.navigate.emit("widgets")
    assert window.current_page() == "widgets"


def test_pages_are_built_when_first_looked_up_or_shown(gui: Gui) -> None:
    """The window is built with the dashboard and the events page only (it shows sooner); any
    other page is built once, in its own place in the stack, when first looked up or shown."""
    window = gui.window
    assert window.pages.built("settings") is None
    settings = window.pages["settings"]
    assert window.pages.built("settings") is settings is window.pages["settings"]
    assert window.stack.indexOf(settings) == PAGE_KEYS.index("settings")
    assert window.stack.count() == len(PAGES)
    assert window.current_page() == "dashboard"  # building a page does not show it
    window.show_page("account")
    assert window.stack.currentWidget() is window.pages["account"]
    assert window.current_page() == "account"
    widgets = window.pages["widgets"]  # before the page on screen in the stack
    assert window.stack.indexOf(widgets) == PAGE_KEYS.index("widgets")
    assert window.current_page() == "account"
    assert list(window.pages) == list(PAGE_KEYS)


def test_closing_the_window_without_a_tray_and_choosing_quit_quits_cleanly(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="streampai_desktop.ui")
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)

    async def scenario() -> int:
        running = asyncio.ensure_future(session.run())
        window = await until(
            lambda: session.window and session.window.isVisible() and session.window
        )
        assert any(r.getMessage() == "main window shown" for r in caplog.records)
        assert running_instance(tmp_path / "data") is not None
        window.close()  # asks first (tests/gui/test_close_window.py has the other answers)
        box = await until(lambda: find_dialog("closeDialog"), what="the question")
        button(box, "Quit").click()
        return await asyncio.wait_for(running, 10)

    assert qloop.run_until_complete(scenario()) == 0
    assert running_instance(tmp_path / "data") is None, "the instance lock was released"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port))  # the overlay port is free again
    qloop.run_until_complete(session.stop())  # a second stop is harmless


def test_port_in_use_at_start_offers_a_free_port(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int
) -> None:
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)

    async def scenario() -> None:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", free_port))
            squatter.listen()
            starting = asyncio.ensure_future(session.start())
            box = await until(lambda: find_dialog("portInUseDialog"), what="port dialog")
            assert f"Port {free_port} is already in use" in box.text()
            offer = next(b for b in box.buttons() if b.text().startswith("Use port "))
            suggested = int(offer.text().removeprefix("Use port "))
            offer.click()
            assert await starting is None
        assert session.app is not None and session.app.port == suggested
        assert session.window is not None
        assert f"127.0.0.1:{suggested}" in session.window.status.server.text()
        await session.stop()

    qloop.run_until_complete(scenario())


@pytest.mark.allow_logs(r"Overlay port in use while starting")
def test_quit_at_the_port_question_ends_with_the_port_exit_code(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int
) -> None:
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)

    async def scenario() -> int | None:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", free_port))
            squatter.listen()
            starting = asyncio.ensure_future(session.start())
            box = await until(lambda: find_dialog("portInUseDialog"))
            button(box, "Quit").click()
            error = await until(lambda: find_dialog("startErrorDialog"))
            assert "already in use" in error.text()
            error.accept()
            return await starting

    assert qloop.run_until_complete(scenario()) == 3
    assert session.window is None


@pytest.mark.allow_logs(r"Already running while starting")
def test_second_instance_shows_why_and_returns_its_exit_code(
    qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    first = App(gui_options(tmp_path / "data", find_free_port(), headless=True))
    session = GuiSession(gui_options(tmp_path / "data", find_free_port()), use_tray=False)

    async def scenario() -> int | None:
        await first.start()
        try:
            starting = asyncio.ensure_future(session.start())
            box = await until(lambda: find_dialog("startErrorDialog"), what="error dialog")
            assert box.text()
            box.accept()
            return await starting
        finally:
            await first.shutdown()

    assert qloop.run_until_complete(scenario()) == EXIT_ALREADY_RUNNING
