"""The overlay WebSocket: subscribe, config on connect, topic filtering, live config, slow pages."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from streampai_desktop.core.alerts import AlertPlan, AlertShow, AlertSkip
from streampai_desktop.core.bus import widget_config_topic
from streampai_desktop.core.events import ChatMessage, Follow, Platform
from streampai_desktop.core.notices import OverlayPresence, WidgetConfigChanged, notice_topics
from streampai_desktop.server.app import HUB

from .conftest import RunningServer


async def subscribe(running: RunningServer, widget: str) -> aiohttp.ClientWebSocketResponse:
    ws = await running.http.ws_connect(running.overlay_ws())
    await ws.send_json({"type": "subscribe", "id": "s1", "data": {"widget": widget}})
    return ws


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict:
    return json.loads((await ws.receive(timeout=5)).data)


async def test_page_gets_hello_config_then_only_its_topics(running: RunningServer) -> None:
    alert_box = await subscribe(running, "alert_box")
    hello, config = await receive(alert_box), await receive(alert_box)
    assert hello["type"] == "hello"
    assert hello["data"] == {
        "server_id": "test-server",
        "widget": "alert_box",
        "widget_type": "alert_box",
    }
    assert config == {
        "type": "config",
        "id": config["id"],
        "data": {"widget": "alert_box", "config": {"gap_ms": 1000}},
    }
    chat_box = await subscribe(running, "chat_box")
    await receive(chat_box), await receive(chat_box)
    await running.ingest.submit(ChatMessage(platform=Platform.TWITCH, id="c1", text="hi"))
    follow = Follow(platform=Platform.TWITCH, id="f1")
    plan = AlertPlan(5000, {"alert_box": {"settings": {"duration_ms": 5000}, "variation": None}})
    running.bus.publish("alerts", AlertShow("a1", follow, plan))
    message = await receive(alert_box)
    assert message["type"] == "alert", "the alert box gets the alert, not the chat"
    assert message["data"] == {
        "alert_id": "a1",
        "event": follow.to_json(),
        "settings": {"duration_ms": 5000},
        "variation": None,
    }
    chat = await receive(chat_box)
    assert chat["type"] == "event" and chat["data"]["event"]["id"] == "c1"
    running.bus.publish("alerts", AlertSkip("a1"))
    assert (await receive(alert_box))["type"] == "alert_skip"
    await alert_box.close()
    await chat_box.close()


async def test_each_instance_gets_its_own_config(running: RunningServer) -> None:
    second = await subscribe(running, "chat_box-2")
    hello, config = await receive(second), await receive(second)
    assert hello["data"]["widget_type"] == "chat_box"
    assert config["data"] == {"widget": "chat_box-2", "config": {"max_messages": 5}}
    first = await subscribe(running, "chat_box")
    await receive(first), await receive(first)
    running.bus.publish(
        widget_config_topic("chat_box-2"),
        WidgetConfigChanged("chat_box-2", "chat_box", {"max_messages": 9}),
    )
    assert (await receive(second))["data"]["config"] == {"max_messages": 9}
    await running.ingest.submit(ChatMessage(platform=Platform.TWITCH, id="c9", text="both"))
    assert (await receive(first))["data"]["event"]["id"] == "c9", "no config frame for the first"
    await first.close()
    await second.close()


async def test_visibility_from_obs_is_tracked(running: RunningServer) -> None:
    hub = running.server.app[HUB]
    page = await subscribe(running, "alert_box")
    await receive(page), await receive(page)
    assert hub.showing_pages("alert_box", visible_only=True) == 1
    await page.send_json({"type": "visibility", "id": "v", "data": {"visible": False}})
    for _ in range(100):
        if hub.showing_pages("alert_box", visible_only=True) == 0:
            break
        await asyncio.sleep(0.02)
    assert hub.showing_pages("alert_box", visible_only=True) == 0
    assert hub.showing_pages("alert_box", visible_only=False) == 1
    await page.close()


async def test_config_change_reaches_open_pages(running: RunningServer) -> None:
    chat_box = await subscribe(running, "chat_box")
    await receive(chat_box), await receive(chat_box)
    running.bus.publish(
        widget_config_topic("chat_box"),
        WidgetConfigChanged("chat_box", "chat_box", {"max_messages": 10}),
    )
    message = await receive(chat_box)
    assert message["type"] == "config" and message["data"]["config"] == {"max_messages": 10}
    await chat_box.close()


async def test_presence_is_announced(running: RunningServer) -> None:
    app_topic = running.bus.subscribe(notice_topics(OverlayPresence))
    hub = running.server.app[HUB]
    page = await subscribe(running, "chat_box")
    assert (await asyncio.wait_for(app_topic.get(), 5)).payload.connected["chat_box"] == 1
    assert hub.connected_counts() == {"alert_box": 0, "chat_box": 1}
    await page.close()
    assert (await asyncio.wait_for(app_topic.get(), 5)).payload.connected["chat_box"] == 0


async def test_unknown_widget_or_garbage_is_refused(running: RunningServer) -> None:
    page = await subscribe(running, "../../etc")
    error = await receive(page)
    assert error["type"] == "error" and error["data"]["message"] == "unknown widget"
    assert (await page.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE
    garbage = await running.http.ws_connect(running.overlay_ws())
    await garbage.send_str("<script>alert(1)</script>")
    msg = await garbage.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.TEXT)
    await garbage.close()


COUNT = 20_000  # 1 KB each: far more than a stalled page's buffers hold


@pytest.mark.allow_logs(
    r"overlay chat_box .* is not keeping up", r"subscriber 'alert-queue' is not keeping up"
)
async def test_a_stalled_page_is_dropped_and_others_get_everything(
    running: RunningServer,
) -> None:
    stalled = await subscribe(running, "chat_box")  # never reads again
    healthy = await subscribe(running, "chat_box")
    for _ in range(2):
        await receive(healthy)
    received: list[str] = []

    async def read_all() -> None:
        while len(received) < COUNT:
            msg = await healthy.receive(timeout=10)
            received.append(json.loads(msg.data)["id"])

    reader = asyncio.create_task(read_all())
    filler = "x" * 1000
    for i in range(COUNT):
        await running.ingest.submit(ChatMessage(platform=Platform.TWITCH, id=str(i), text=filler))
        if i % 20 == 0:
            await asyncio.sleep(0)  # let the sockets drain like a real stream would
    await asyncio.wait_for(reader, 30)
    assert received == [str(i) for i in range(COUNT)], "nothing lost for the page that keeps up"
    hub = running.server.app[HUB]
    for _ in range(100):
        if hub.connected_counts()["chat_box"] == 1:
            break
        await asyncio.sleep(0.05)
    assert hub.connected_counts()["chat_box"] == 1, "the stalled page was disconnected"
    await stalled.close()
    await healthy.close()
