"""Preview sessions: a preview page gets the editor's draft and fake events, and nothing else;
the overlay pages (OBS) get nothing of it, and the preview page is not counted as an overlay."""

from __future__ import annotations

import json

import aiohttp

from streampai_desktop.core.alerts import AlertPlan, AlertShow
from streampai_desktop.core.events import ChatMessage, Follow, Platform
from streampai_desktop.server.urls import preview_url
from streampai_desktop.widgets import alert_box

from .conftest import RunningServer


async def connect(
    running: RunningServer, widget: str, preview: str | None = None
) -> aiohttp.ClientWebSocketResponse:
    ws = await running.http.ws_connect(running.overlay_ws())
    data = {"widget": widget} if preview is None else {"widget": widget, "preview": preview}
    await ws.send_json({"type": "subscribe", "id": "s1", "data": data})
    return ws


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict:
    return json.loads((await ws.receive(timeout=5)).data)


async def nothing_for(ws: aiohttp.ClientWebSocketResponse, seconds: float = 0.3) -> None:
    try:
        msg = await ws.receive(timeout=seconds)
    except TimeoutError:
        return
    raise AssertionError(f"expected nothing, got {msg.data!r}")


def draft_with_red_follows() -> dict:
    draft = alert_box.defaults()
    draft["types"]["follow"]["text_color"] = "#ff0000"
    return draft


async def test_the_preview_page_alone_gets_the_draft_and_the_fake_events(
    running: RunningServer,
) -> None:
    previews = running.server.ctx.previews
    obs = await connect(running, "alert_box")
    await receive(obs), await receive(obs)  # hello, saved config
    preview_id = previews.open("alert_box", "alert_box", draft_with_red_follows())
    page = await connect(running, "alert_box", preview_id)
    hello, config = await receive(page), await receive(page)
    assert hello["data"]["preview"] is True
    assert config["data"]["config"]["types"]["follow"]["text_color"] == "#ff0000"
    assert running.server.hub.connected_instances() == {"alert_box": 1}, "previews don't count"
    assert previews.pages(preview_id) == 1

    shown = previews.show(preview_id, Follow(platform=Platform.TWITCH, test=True))
    assert shown.pages == 1
    alert = await receive(page)
    assert alert["type"] == "alert"
    assert alert["data"]["settings"]["text_color"] == "#ff0000"
    previews.set_config(preview_id, {**draft_with_red_follows(), "gap_ms": 0})
    assert (await receive(page))["data"]["config"]["gap_ms"] == 0
    await nothing_for(obs)

    # A real alert goes to the overlay, not to the preview.
    follow = Follow(platform=Platform.TWITCH, id="real")
    plan = AlertPlan(5000, {"alert_box": {"settings": {"duration_ms": 5000}, "variation": None}})
    running.bus.publish("alerts", AlertShow("a1", follow, plan))
    assert (await receive(obs))["data"]["alert_id"] == "a1"
    await nothing_for(page)

    previews.close(preview_id)
    assert (await receive(page))["type"] == "preview_end"
    assert (await page.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE
    await nothing_for(obs)
    await obs.close()


async def test_an_ended_or_unknown_preview_is_refused_with_preview_end(
    running: RunningServer,
) -> None:
    page = await connect(running, "alert_box", "no-such-preview")
    assert (await receive(page))["type"] == "preview_end"
    # A session of one widget does not open another widget's preview.
    preview_id = running.server.ctx.previews.open("chat_box", "chat_box", {})
    other = await connect(running, "chat_box-2", preview_id)
    assert (await receive(other))["type"] == "preview_end"
    assert running.server.hub.connected_instances() == {}


async def test_a_chat_preview_gets_chat_events_and_a_switched_off_alert_type_shows_nothing(
    running: RunningServer,
) -> None:
    previews = running.server.ctx.previews
    chat_id = previews.open("chat_box", "chat_box", {"max_messages": 3})
    chat = await connect(running, "chat_box", chat_id)
    await receive(chat), await receive(chat)
    message = ChatMessage(platform=Platform.TWITCH, text="hello", test=True)
    assert previews.show(chat_id, message).pages == 1
    frame = await receive(chat)
    assert frame["type"] == "event" and frame["data"]["event"]["text"] == "hello"

    draft = alert_box.defaults()
    draft["types"]["follow"]["enabled"] = False
    alerts_id = previews.open("alert_box", "alert_box", draft)
    shown = previews.show(alerts_id, Follow(platform=Platform.TWITCH))
    assert (shown.pages, shown.skipped) == (0, "off")


async def test_a_half_typed_draft_is_shown_with_defaults_standing_in(
    running: RunningServer,
) -> None:
    draft = draft_with_red_follows()
    draft["types"]["follow"]["text_color"] = "#ff00"  # still being typed
    previews = running.server.ctx.previews
    preview_id = previews.open("alert_box", "alert_box", draft)
    page = await connect(running, "alert_box", preview_id)
    await receive(page)
    config = (await receive(page))["data"]["config"]
    assert config["types"]["follow"]["text_color"] == "#ffffff"
    await page.close()


async def test_a_synced_file_not_here_yet_previews_as_the_built_in_image(
    running: RunningServer,
) -> None:
    # Another computer picked this image; its file has not been fetched to this one yet.
    missing = "user/" + "ab" * 32 + ".png"
    draft = draft_with_red_follows()
    draft["types"]["follow"]["image"] = missing
    previews = running.server.ctx.previews
    preview_id = previews.open("alert_box", "alert_box", draft)
    page = await connect(running, "alert_box", preview_id)
    await receive(page)
    follow = (await receive(page))["data"]["config"]["types"]["follow"]
    assert follow["image"] == alert_box.defaults()["types"]["follow"]["image"]
    assert follow["text_color"] == "#ff0000", "the rest of the draft is shown as typed"
    await page.close()


async def test_the_preview_url_is_the_overlay_page_with_its_token_and_preview_id(
    running: RunningServer,
) -> None:
    url = preview_url(running.port, "alert_box", running.tokens.overlay, "p1")
    assert url.endswith(f"/overlay/alert_box?token={running.tokens.overlay}&preview=p1")
    async with running.http.get(url) as resp:
        assert resp.status == 200
    async with running.http.get(url.replace(running.tokens.overlay, "wrong")) as resp:
        assert resp.status == 401
