"""The Settings page: tokens, port, theme — each change visible where the streamer looks."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
import qasync
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractScrollArea, QScrollArea, QWidget

from streampai_desktop.app import App
from streampai_desktop.secrets import API_TOKEN, OVERLAY_TOKEN
from streampai_desktop.ui.theme import is_dark
from tests.conftest import find_free_port
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until, widgets_page

pytestmark = pytest.mark.gui


def test_regenerating_the_overlay_token_changes_the_urls_and_retires_the_old_one(
    gui: Gui,
) -> None:
    settings = gui.window.pages["settings"]
    card = widgets_page(gui).editor("alert_box")
    old_url = card.url
    old_api_token = gui.app.tokens.api

    async def regenerate() -> None:
        settings.token_buttons[OVERLAY_TOKEN].click()  # type: ignore[attr-defined]
        box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
        assert "OBS stop working" in box.text()
        button(box, "Regenerate").click()
        await until(lambda: card.url != old_url, what="new URL on the Widgets page")
        async with aiohttp.ClientSession() as http:
            async with http.get(old_url) as resp:
                assert resp.status == 401
            async with http.get(card.url) as resp:
                assert resp.status in (200, 503)  # 503 only when the overlay bundle is not built

    gui.run(regenerate())
    assert card.url == gui.app.overlay_urls()["alert_box"]
    assert "copy it into OBS again" in card.feedback.text()
    assert gui.app.tokens.api == old_api_token, "only the overlay token changed"
    assert "New overlay token made" in settings.token_status.text()  # type: ignore[attr-defined]


def test_cancelling_the_confirmation_keeps_the_api_token(gui: Gui) -> None:
    settings = gui.window.pages["settings"]
    before = gui.app.tokens.api

    async def cancel() -> None:
        settings.token_buttons[API_TOKEN].click()  # type: ignore[attr-defined]
        box = await until(lambda: find_dialog("confirmDialog"))
        button(box, "Cancel").click()
        await gui.vm.tasks.wait_idle()

    gui.run(cancel())
    assert gui.app.tokens.api == before
    assert settings.token_buttons[API_TOKEN].isEnabled()  # type: ignore[attr-defined]


def test_a_taken_port_is_refused_inline_and_a_free_one_moves_the_server(gui: Gui) -> None:
    settings = gui.window.pages["settings"]
    gui.window.show_page("settings")
    old_port = gui.app.port
    status_bar = gui.window.status

    async def change_ports() -> None:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", 0))
            squatter.listen()
            taken = squatter.getsockname()[1]
            settings.port_spin.setValue(taken)  # type: ignore[attr-defined]
            settings.port_apply.click()  # type: ignore[attr-defined]
            await gui.vm.tasks.wait_idle()
        line = settings.port_status  # type: ignore[attr-defined]
        assert line.isVisible() and line.objectName() == "inlineError"
        assert f"Port {taken} is already in use" in line.text()
        assert gui.app.port == old_port
        assert settings.port_spin.value() == old_port  # type: ignore[attr-defined]
        assert status_bar.server.text() == f"Overlay server: 127.0.0.1:{old_port}"

        new_port = find_free_port()
        settings.port_spin.setValue(new_port)  # type: ignore[attr-defined]
        settings.port_apply.click()  # type: ignore[attr-defined]
        await gui.vm.tasks.wait_idle()
        assert line.objectName() == "inlineOk" and "into OBS again" in line.text()
        assert gui.app.port == new_port
        assert status_bar.server.text() == f"Overlay server: 127.0.0.1:{new_port}"
        card = widgets_page(gui).editor("chat_box")
        assert card.url.startswith(f"http://127.0.0.1:{new_port}/overlay/chat_box?token=")

    gui.run(change_ports())


def test_theme_applies_live_and_persists(
    qloop: qasync.QEventLoop, gui: Gui, tmp_path: Path, free_port: int
) -> None:
    combo = gui.window.pages["settings"].theme_combo  # type: ignore[attr-defined]
    combo.setCurrentIndex(combo.findData("dark"))
    gui.run(gui.vm.tasks.wait_idle())
    assert is_dark(gui.window.palette())
    assert gui.app.settings.theme == "dark"
    gui.run(gui.session.stop())

    async def restart() -> str:
        app = App(gui_options(tmp_path / "data", free_port, headless=True))
        await app.start()
        try:
            return app.settings.theme
        finally:
            await app.shutdown()

    assert qloop.run_until_complete(restart()) == "dark"


# The window's minimum size, the smallest the issue names, and a large one.
SIZES = [(860, 560), (1024, 640), (1600, 1000)]


def settle(gui: Gui) -> None:
    gui.run(asyncio.sleep(0.05))


def overflowing(area: QScrollArea) -> list[str]:
    """Every visible widget in the page that reaches past the view's right or left edge."""
    viewport = area.viewport()
    found = []
    for part in area.widget().findChildren(QWidget):
        if not part.isVisible() or isinstance(part.parent(), QAbstractScrollArea):
            continue  # the parts of a scroll area (its own bars) are not the page's content
        left = part.mapTo(viewport, QPoint(0, 0)).x()
        right = part.mapTo(viewport, QPoint(part.width(), 0)).x()
        if left < 0 or right > viewport.width():
            text = getattr(part, "text", lambda: "")()
            found.append(f"{type(part).__name__} {text!r}: {left} to {right}")
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_page_never_scrolls_sideways(
    gui: Gui, artifacts_dir: Path, theme: str, width: int, height: int
) -> None:
    gui.run(gui.vm.set_theme(theme))
    gui.window.resize(width, height)
    gui.window.show_page("settings")
    settle(gui)
    assert gui.window.size().width() == width, "the window can be this small"
    page = gui.window.pages["settings"]
    area = page.findChild(QScrollArea, "pageScroll")
    assert area is not None
    where = f"{theme} at {width}x{height}"
    assert not area.horizontalScrollBar().isVisible(), f"{where}: the page scrolls sideways"
    assert area.widget().width() <= area.viewport().width(), where
    assert not overflowing(area), f"{where}: " + "; ".join(overflowing(area))
    # Long texts wrap rather than run off (the check above would catch them at 860 px).
    address = page.endpoint_rows["twitch_emote_url"]  # type: ignore[attr-defined]
    assert address.wordWrap()
    name = f"settings-{theme}-{width}x{height}"
    assert gui.window.grab().save(str(artifacts_dir / f"{name}.png"))
    area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    settle(gui)
    assert gui.window.grab().save(str(artifacts_dir / f"{name}-end.png"))
