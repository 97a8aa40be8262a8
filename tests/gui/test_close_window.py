"""Closing the window (issue #11, point 11). Where there is no system tray (as here, offscreen),
closing asks: quit (the overlays in OBS stop), or keep running in the background — and starting
Streampai Desktop again brings the window back. With a tray, the window hides to the tray."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import keyring
import pytest
import qasync
from keyring.backends import fail
from PySide6.QtWidgets import QMessageBox

from streampai_desktop.instance import running_instance
from streampai_desktop.ui.close_dialog import KEEP_RUNNING, QUESTION
from streampai_desktop.ui.session import GuiSession
from tests.e2e.conftest import APP, app_env
from tests.gui.composite import grab_with, save
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until

pytestmark = pytest.mark.gui

SIZES = ((1024, 640), (1600, 1000))


async def close_and_get_the_question(gui: Gui) -> QMessageBox:
    gui.window.close()
    box: QMessageBox = await until(lambda: find_dialog("closeDialog"), what="the question")
    return box


def test_the_question_says_the_overlays_stop_and_how_to_come_back(gui: Gui) -> None:
    async def scenario() -> None:
        box = await close_and_get_the_question(gui)
        assert QUESTION in box.text()
        explanation = box.informativeText()
        assert "overlays in OBS stop" in explanation
        assert "start Streampai Desktop again" in explanation  # the way back
        assert {b.text() for b in box.buttons()} == {"Quit", KEEP_RUNNING, "Cancel"}
        assert box.defaultButton() is button(box, KEEP_RUNNING), "Enter keeps them on air"
        button(box, "Cancel").click()
        await until(lambda: find_dialog("closeDialog") is None, what="the question gone")

    gui.run(scenario())
    assert gui.window.isVisible(), "Cancel: nothing changes"
    assert running_instance(gui.app.data_dir) is not None


@pytest.fixture
def file_secrets(memory_keyring: object) -> Iterator[None]:
    """Secrets in the data folder's file, as a second process (a second launch) can read them."""
    keyring.set_keyring(fail.Keyring())
    yield


@pytest.fixture
def gui_with_file_secrets(
    file_secrets: None, qloop: qasync.QEventLoop, tmp_path: Path, free_port: int
) -> Iterator[Gui]:
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    yield Gui(session, qloop)
    qloop.run_until_complete(session.stop())


def launch_again(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``streampai-desktop`` started again, as from the applications menu."""
    return subprocess.run(
        [str(APP), "--data-dir", str(data_dir)],
        env=app_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.allow_logs(r"No working system keyring")
def test_keep_running_hides_the_window_keeps_the_overlays_and_a_second_launch_brings_it_back(
    gui_with_file_secrets: Gui,
) -> None:
    gui = gui_with_file_secrets
    quits: list[bool] = []
    gui.window.quit_requested.connect(lambda: quits.append(True))
    ws_url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"

    async def scenario() -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
            await ws.send_str(json.dumps(subscribe))
            await until(lambda: gui.vm.presence.total == 1, what="an overlay on air")

            box = await close_and_get_the_question(gui)
            button(box, KEEP_RUNNING).click()
            await until(lambda: not gui.window.isVisible(), what="the window hidden")
            assert not quits

            # Still on air: the overlay page stays connected and the server answers.
            await asyncio.sleep(0.3)
            assert not ws.closed and gui.vm.presence.total == 1
            async with http.get(f"http://127.0.0.1:{gui.app.port}/healthz") as response:
                assert response.status == 200

            # The way back: start the app again; the running one shows its window.
            done = await asyncio.to_thread(launch_again, gui.app.data_dir)
            assert done.returncode == 0, done.stderr
            assert "brought to the front" in done.stderr
            await until(gui.window.isVisible, what="the window back")

    gui.run(scenario())
    assert not quits


def test_quit_from_the_question_asks_the_app_to_quit(gui: Gui) -> None:
    quits: list[bool] = []
    gui.window.quit_requested.connect(lambda: quits.append(True))

    async def scenario() -> None:
        box = await close_and_get_the_question(gui)
        button(box, "Quit").click()
        await until(lambda: quits, what="quit requested")

    gui.run(scenario())


def test_with_a_tray_closing_hides_to_the_tray_without_asking(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int
) -> None:
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=True)
    gui = Gui(session, qloop)
    assert gui.run(session.start()) is None
    try:
        assert gui.window.tray is not None
        gui.window.close()
        assert not gui.window.isVisible()
        assert find_dialog("closeDialog") is None
        gui.window.tray.show_window()
        assert gui.window.isVisible()
    finally:
        gui.run(session.stop())


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshots_of_the_question(gui: Gui, theme: str, artifacts_dir: Path) -> None:
    """test-artifacts/close-dialog-{theme}-{size}.png: the question over the window."""
    window = gui.window
    gui.run(gui.vm.set_theme(theme))
    for width, height in SIZES:
        window.resize(width, height)

        async def shoot(width: int = width, height: int = height) -> None:
            box = await close_and_get_the_question(gui)
            await asyncio.sleep(0.05)
            image = grab_with(window, box, center=True)
            save(image, artifacts_dir, f"close-dialog-{theme}-{width}x{height}.png")
            button(box, "Cancel").click()
            await until(lambda: find_dialog("closeDialog") is None)

        gui.run(shoot())
