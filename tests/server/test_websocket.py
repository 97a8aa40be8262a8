"""The overlay WebSocket: subscribe, config on connect, topic filtering, live config, slow pages."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from streampai_desktop.core.bus import widget_config_topic
from streampai_desktop.core.events import ChatMessage, Follow, Platform
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
    assert hello["type"] == "hello" and hello["data"] == {
        "server_id": "test-server",
        "widget": "alert_box",
    }
    assert config == {
        "type": "config",
        "id": config["id"],
        "data": {"widget": "alert_box", "config": {"duration_ms": 5000}},
    }
    await running.ingest.submit(ChatMessage(platform=Platform.TWITCH, text="not for alerts"))
    follow = Follow(platform=Platform.TWITCH, id="f1")
    await running.ingest.submit(follow)
    message = await receive(alert_box)
    assert message["type"] == "event" and message["id"] == "f1"
    assert message["data"] == {"topic": "alerts", "event": follow.to_json()}
    await alert_box.close()


async def test_config_change_reaches_open_pages(running: RunningServer) -> None:
    chat_box = await subscribe(running, "chat_box")
    await receive(chat_box), await receive(chat_box)
    running.bus.publish(
        widget_config_topic("chat_box"), {"widget": "chat_box", "config": {"max_messages": 10}}
    )
    message = await receive(chat_box)
    assert message["type"] == "config" and message["data"]["config"] == {"max_messages": 10}
    await chat_box.close()


async def test_presence_is_announced(running: RunningServer) -> None:
    app_topic = running.bus.subscribe("app")
    hub = running.server.app[HUB]
    page = await subscribe(running, "chat_box")
    assert (await asyncio.wait_for(app_topic.get(), 5)).payload["connected"]["chat_box"] == 1
    assert hub.connected_counts() == {"alert_box": 0, "chat_box": 1}
    await page.close()
    assert (await asyncio.wait_for(app_topic.get(), 5)).payload["connected"]["chat_box"] == 0


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


async def test_a_stalled_page_is_dropped_and_others_get_everything(
    running: RunningServer,
) -> None:
    stalled = await subscribe(running, "chat_box")  # never reads again
    healthy = await subscribe(running, "chat_box")
    for _ in range(2):
        await receive(healthy)
    received: list[str] = []

    async def read_all() -> None:
        while len(received) < 3000:
            msg = await healthy.receive(timeout=10)
            received.append(json.loads(msg.data)["id"])

    reader = asyncio.create_task(read_all())
    filler = "x" * 4000
    for i in range(3000):
        await running.ingest.submit(ChatMessage(platform=Platform.TWITCH, id=str(i), text=filler))
        if i % 100 == 0:
            await asyncio.sleep(0)  # let the sockets drain like a real stream would
    await asyncio.wait_for(reader, 30)
    assert received == [str(i) for i in range(3000)], "nothing lost for the page that keeps up"
    hub = running.server.app[HUB]
    for _ in range(100):
        if hub.connected_counts()["chat_box"] == 1:
            break
        await asyncio.sleep(0.05)
    assert hub.connected_counts()["chat_box"] == 1, "the stalled page was disconnected"
    await stalled.close()
    await healthy.close()
