"""The Widgets page: instances and their URLs, Copy, live connected-page counts, test buttons,
preview."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from PySide6.QtGui import QGuiApplication

from streampai_desktop.core.bus import TOPIC_EVENTS
from streampai_desktop.core.events import Event
from streampai_desktop.ui.pages import widget_editor
from streampai_desktop.widgets.alert_box import KIND_TITLES
from tests.gui.conftest import Gui, button, find_dialog, until, widgets_page

pytestmark = pytest.mark.gui


def test_shows_the_real_url_and_copy_puts_it_on_the_clipboard(gui: Gui) -> None:
    page = widgets_page(gui)
    urls = gui.app.overlay_urls()
    card = page.editor("alert_box")
    token = gui.app.tokens.overlay
    assert token not in card.url_field.text(), "hidden until asked: the window may be on stream"
    card.show_button.click()
    assert card.url_field.text() == urls["alert_box"]
    assert (
        card.url_field.text() == f"http://127.0.0.1:{gui.app.port}/overlay/alert_box?token={token}"
    )
    QGuiApplication.clipboard().clear()
    page.editor("chat_box").copy_button.click()
    assert QGuiApplication.clipboard().text() == urls["chat_box"]


def test_status_bar_and_page_count_connected_overlays(gui: Gui) -> None:
    status = gui.window.status
    card = widgets_page(gui).editor("alert_box")
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


def test_another_chat_box_gets_its_own_url_and_can_be_renamed_and_deleted(gui: Gui) -> None:
    page = widgets_page(gui)
    gui.window.show_page("widgets")
    page.add_buttons["chat_box"].click()
    gui.run(gui.vm.tasks.wait_idle())
    (new_id,) = set(gui.app.widgets) - {"alert_box", "chat_box"}
    assert gui.app.widgets[new_id].name == "Chat Box 2"
    editor = page.editors[new_id]
    assert page.selected_id() == new_id and page.stack.currentWidget() is editor
    assert editor.url == gui.app.overlay_urls()[new_id]
    assert f"/overlay/{new_id}?token=" in editor.url
    assert editor.delete_button.isEnabled()
    assert not page.editor("chat_box").delete_button.isEnabled(), "the first one stays"

    editor.name_edit.setText("Just chatting")
    editor.name_edit.editingFinished.emit()
    gui.run(gui.vm.tasks.wait_idle())
    assert gui.app.widgets[new_id].name == "Just chatting"
    item = page.tree.currentItem()
    assert item is not None and item.text(0) == "Just chatting"

    async def fetch(url: str) -> int:
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            return resp.status

    url = editor.url
    assert gui.run(fetch(url)) == 200

    async def delete() -> None:
        editor.delete_button.click()
        box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
        assert "URL stops working" in box.text()
        button(box, "Delete").click()
        await gui.vm.tasks.wait_idle()

    gui.run(delete())
    assert new_id not in gui.app.widgets
    assert new_id not in page.editors
    assert page.selected_id() in ("alert_box", "chat_box")
    assert gui.run(fetch(url)) == 404


def test_test_buttons_post_through_the_local_api(gui: Gui) -> None:
    events = gui.app.bus.subscribe([TOPIC_EVENTS], name="test-events")
    page = widgets_page(gui)
    gui.window.show_page("widgets")
    alerts = page.select("alert_box")
    assert set(alerts.test_buttons) == set(KIND_TITLES)

    async def next_event() -> Event:
        message = await asyncio.wait_for(events.get(), 5)
        assert isinstance(message.payload, Event)
        return message.payload

    for kind in ("cheer", "super_chat", "membership"):
        alerts.test_buttons[kind].click()
        event = gui.run(next_event())
        assert (event.kind, event.test) == (kind, True)
        gui.run(gui.vm.tasks.wait_idle())
    assert "Sent a test Membership alert" in alerts.test_status.text()

    assert alerts.types is not None
    raid = alerts.types.select("raid")
    raid.test_button.click()
    event = gui.run(next_event())
    assert (event.kind, event.test) == ("raid", True)
    gui.run(gui.vm.tasks.wait_idle())
    assert raid.test_status.text().startswith("Sent a test Raid alert")

    chat = page.select("chat_box")
    chat.test_buttons["chat_message"].click()
    event = gui.run(next_event())
    assert (event.kind, event.test) == ("chat_message", True)
    events.close()


def test_preview_opens_the_overlay_page_and_sends_fake_events(
    gui: Gui, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def open_url(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(widget_editor, "open_url", open_url)
    events = gui.app.bus.subscribe([TOPIC_EVENTS], name="test-events")
    gui.window.show_page("widgets")
    chat = widgets_page(gui).select("chat_box")

    chat.preview_button.click()
    assert opened == [gui.app.overlay_urls()["chat_box"]]
    assert chat.preview.running and chat.preview_button.text() == "Stop preview"
    message = gui.run(asyncio.wait_for(events.get(), 5))
    assert message.payload.kind == "chat_message" and message.payload.test

    chat.preview_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert not chat.preview.running
    assert chat.preview_button.text() == "Preview" and not chat.preview_button.isChecked()
    events.close()
