"""The dashboard: demo toggle, counters, warnings, the alert queue."""

from __future__ import annotations

import json

import aiohttp
import pytest

from streampai_desktop.core.events import Cheer, Follow, Platform, User
from tests.gui.conftest import Gui, button, find_dialog, until

pytestmark = pytest.mark.gui


def test_demo_events_can_be_started_and_stopped(gui: Gui) -> None:
    dashboard = gui.window.dashboard
    demo_button = dashboard.demo_banner.button
    assert demo_button is not None
    assert not gui.app.demo.on
    assert demo_button.text() == "Start demo events"
    assert gui.window.status.demo.isHidden()

    demo_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert gui.app.demo.on
    assert demo_button.text() == "Stop demo events"
    assert not gui.window.status.demo.isHidden()

    demo_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert not gui.app.demo.on
    assert gui.window.status.demo.isHidden()


def test_counters_count_this_sessions_events(gui: Gui) -> None:
    dashboard = gui.window.dashboard

    async def follow() -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH))
        await until(lambda: dashboard.events_stat.value.text() == "1", what="counter")

    gui.run(follow())
    assert dashboard.alerts_stat.value.text() == "1"
    assert dashboard.chat_stat.value.text() == "0"
    assert "followed" in dashboard.activity.item(0).text()


def test_the_alert_queue_panel_follows_the_queue_and_its_buttons_call_through(gui: Gui) -> None:
    card = gui.window.dashboard.queue_card
    assert card.now.text() == "Nothing on screen"
    assert card.counts.text() == "0 waiting · 0 missed"
    assert not card.skip_button.isEnabled() and not card.clear_button.isEnabled()
    ws_url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"
    viewer = User(id="7", login="pixelpaladin", display_name="PixelPaladin")

    async def with_an_alert_box_open() -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
            await ws.send_str(json.dumps(subscribe))
            await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=viewer))
            await until(lambda: card.now.text() == "Now showing: Follow from PixelPaladin")
            assert card.skip_button.isEnabled()

            card.pause_button.click()
            assert gui.app.alerts.paused
            await until(lambda: card.pause_button.text() == "Resume", what="paused")
            assert card.counts.text().startswith("Paused")
            await gui.app.ingest.submit(Cheer(platform=Platform.TWITCH, user=viewer, bits=100))
            await until(lambda: "1 waiting" in card.counts.text(), what="a waiting alert")

            card.skip_button.click()
            await until(lambda: card.now.text() == "Nothing on screen", what="skipped")
            assert gui.app.alerts.state()["pending"] == 1, "paused: the next one waits"
            assert card.hint.text() == "Resume to show the waiting alerts."

            card.clear_button.click()
            box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
            button(box, "Clear").click()
            await until(lambda: card.counts.text() == "Paused · 0 waiting · 0 missed")
            assert gui.app.alerts.state()["pending"] == 0

            card.pause_button.click()
            assert not gui.app.alerts.paused
            await until(lambda: card.pause_button.text() == "Pause", what="resumed")

    gui.run(with_an_alert_box_open())
