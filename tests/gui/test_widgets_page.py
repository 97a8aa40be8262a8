"""The Widgets page: real overlay URLs, Copy, and live connected-page counts."""

from __future__ import annotations

import json

import aiohttp
import pytest
from PySide6.QtGui import QGuiApplication

from tests.gui.conftest import Gui, until

pytestmark = pytest.mark.gui


def test_shows_the_real_url_and_copy_puts_it_on_the_clipboard(gui: Gui) -> None:
    page = gui.window.pages["widgets"]
    urls = gui.app.overlay_urls()
    card = page.cards["alert_box"]  # type: ignore[attr-defined]
    token = gui.app.tokens.overlay
    assert token not in card.url_field.text(), "hidden until asked: the window may be on stream"
    card.show_button.click()
    assert card.url_field.text() == urls["alert_box"]
    assert (
        card.url_field.text() == f"http://127.0.0.1:{gui.app.port}/overlay/alert_box?token={token}"
    )
    QGuiApplication.clipboard().clear()
    page.cards["chat_box"].copy_button.click()  # type: ignore[attr-defined]
    assert QGuiApplication.clipboard().text() == urls["chat_box"]


def test_status_bar_and_page_count_connected_overlays(gui: Gui) -> None:
    status = gui.window.status
    card = gui.window.pages["widgets"].cards["alert_box"]  # type: ignore[attr-defined]
    assert status.overlays.text() == "No overlays connected"
    ws_url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"

    async def connect_an_overlay() -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
            await ws.send_str(json.dumps(subscribe))
            await until(lambda: status.overlays.text() == "1 overlay connected", what="count")
            assert card.connected.text() == "1 page(s) connected"
            assert gui.window.dashboard.overlays_stat.value.text() == "1"
        await until(lambda: status.overlays.text() == "No overlays connected", what="drop")

    gui.run(connect_an_overlay())
