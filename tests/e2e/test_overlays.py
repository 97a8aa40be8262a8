"""The Alert Box and Chat Box in Chromium against the real server and alert queue.

The app runs in-process here (the same App the CLI starts) so each test can change widget
settings directly; test_headless_app.py covers the app as a separate process.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.core.events import Follow, Platform, User

pytestmark = pytest.mark.e2e

DAVE = {"id": "9", "login": "dave", "display_name": "Dave", "color": "#1e90ff"}

# One injected event per alert type, and the headline the default template gives it.
ALERTS = [
    ({"kind": "follow"}, "Dave just followed!"),
    ({"kind": "subscription", "months": 3, "tier": "2000"}, "Dave subscribed for 3 months!"),
    ({"kind": "gift_subscription", "count": 5}, "Dave gifted 5 subs!"),
    ({"kind": "cheer", "bits": 500, "message": "Cheer500 hype"}, "Dave cheered 500 bits!"),
    ({"kind": "raid", "viewers": 42}, "Dave is raiding with 42 viewers!"),
    (
        {"kind": "donation", "amount": {"minor": 2500, "currency": "USD"}, "message": "gg"},
        "Dave donated $25.00!",
    ),
    (
        {
            "kind": "channel_point_redemption",
            "reward_id": "h",
            "reward_title": "Hydrate",
            "cost": 100,
        },
        "Dave redeemed Hydrate",
    ),
    (
        {"kind": "super_chat", "platform": "youtube", "amount": {"minor": 1000, "currency": "EUR"}},
        "Dave sent a Super Chat: €10.00",
    ),
    ({"kind": "membership", "platform": "youtube"}, "Dave became a member!"),
    (
        {"kind": "membership", "platform": "youtube", "gifted_count": 5},
        "Dave gifted 5 memberships!",
    ),
]


class Stage:
    """A running app plus helpers to post events and open its overlays in Chromium."""

    def __init__(self, app: App, browser) -> None:
        self.app = app
        self.browser = browser
        self.http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{app.port}",
            headers={"Authorization": f"Bearer {app.tokens.api}"},
        )

    async def post(self, event: dict) -> str:
        body = {"platform": "twitch", "user": DAVE, **event}
        response = await self.http.post("/api/v1/events", json=body)
        assert response.status_code == 202, response.text
        return response.json()["id"]

    async def open(self, widget: str, width: int = 800, height: int = 600):
        page = await self.browser.new_page(viewport={"width": width, "height": height})
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("dialog", lambda dialog: page.errors.append(f"dialog: {dialog.message}"))
        await page.goto(self.app.overlay_urls()[widget])
        for _ in range(200):
            if self.app.overlays.server.hub.connected_instances().get(widget):
                break
            await asyncio.sleep(0.02)
        return page

    async def fast_alerts(self, **type_settings) -> None:
        config = copy.deepcopy(self.app.widgets["alert_box"].config)
        config["gap_ms"] = 0
        for settings in config["types"].values():
            settings.update(
                {
                    "duration_ms": 1000,
                    "show_animation": "none",
                    "hide_animation": "none",
                    **type_settings,
                }
            )
        await self.app.widgets.save_config("alert_box", config)


async def poll(page, function: str, arg=None, seconds: float = 5.0):
    """Wait until ``function`` is truthy in the page. (Playwright's wait_for_function evaluates a
    string with eval, which the overlays' CSP rightly forbids; evaluate() calls a function.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        result = await page.evaluate(function, arg)
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(0.02)


@pytest.fixture
async def stage(tmp_path: Path, free_port: int, browser) -> AsyncIterator[Stage]:
    app = App(
        AppOptions(
            data_dir=tmp_path / "data", port=free_port, headless=True, demo=False, log_to_file=False
        )
    )
    await app.start()
    staged = Stage(app, browser)
    yield staged
    await staged.http.aclose()
    await app.shutdown()


async def test_every_alert_type_shows_its_text_and_media_then_hides(
    stage: Stage, artifacts_dir: Path
) -> None:
    await stage.fast_alerts()
    page = await stage.open("alert_box")
    for event, headline in ALERTS:
        event_id = await stage.post(event)
        alert = page.locator(f'[data-testid="alert"][data-event-id="{event_id}"]')
        await alert.wait_for(timeout=5000)
        assert (
            " ".join((await alert.get_by_test_id("alert-headline").inner_text()).split())
            == headline
        )
        image = alert.get_by_test_id("alert-image")
        src = await image.get_attribute("src")
        assert src.startswith("/overlay/media/builtin/") and "token=" in src
        assert await poll(
            page, "img => img.complete && img.naturalWidth > 0", await image.element_handle()
        ), event["kind"]
        # Loaded is not enough: a picture without a size of its own used to be drawn 0x0.
        box = await image.bounding_box()
        assert box is not None and box["width"] >= 64 and box["height"] >= 64, (event, box)
        assert box["x"] + box["width"] <= 800 and box["y"] + box["height"] <= 600, (event, box)
        sound = stage.app.widgets["alert_box"].config["types"][event["kind"]]["sound"]
        fetched = await poll(
            page,
            "name => performance.getEntriesByType('resource').some(e => e.name.includes(name))",
            f"/overlay/media/{sound}?",
        )
        assert fetched, f"the {event['kind']} sound was loaded"
        if event["kind"] == "donation":
            assert await alert.get_by_test_id("alert-message").inner_text() == "gg"
            await page.screenshot(path=str(artifacts_dir / "alert_box_donation.png"))
        await alert.wait_for(state="detached", timeout=5000)
    assert page.errors == []


# The default templates read right for one of anything.
SINGULAR = [
    ({"kind": "subscription", "months": 1}, "Dave subscribed for 1 month!"),
    ({"kind": "gift_subscription", "count": 1}, "Dave gifted 1 sub!"),
    ({"kind": "cheer", "bits": 1}, "Dave cheered 1 bit!"),
    ({"kind": "raid", "viewers": 1}, "Dave is raiding with 1 viewer!"),
]


async def test_default_templates_say_one_sub_not_one_subs(stage: Stage) -> None:
    await stage.fast_alerts(duration_ms=30000)
    page = await stage.open("alert_box")
    for event, headline in SINGULAR:
        event_id = await stage.post(event)
        alert = page.locator(f'[data-testid="alert"][data-event-id="{event_id}"]')
        await alert.wait_for(timeout=5000)
        text = await alert.get_by_test_id("alert-headline").inner_text()
        assert " ".join(text.split()) == headline
        await stage.http.post("/api/v1/alerts/skip")
        await alert.wait_for(state="detached", timeout=5000)
    assert page.errors == []


async def test_queue_keeps_order_and_spacing(stage: Stage) -> None:
    await stage.fast_alerts()
    config = copy.deepcopy(stage.app.widgets["alert_box"].config)
    config["gap_ms"] = 500
    await stage.app.widgets.save_config("alert_box", config)
    page = await stage.open("alert_box")
    await page.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => {
            const el = document.querySelector('[data-testid="alert"]');
            const id = el && el.dataset.eventId;
            if (id && (window.seen.length === 0 || window.seen.at(-1).id !== id))
                window.seen.push({id, t: performance.now()});
        }).observe(document.body, {subtree: true, childList: true, attributes: true});
    }""")
    ids = [await stage.post({"kind": "follow", "id": f"order-{i}"}) for i in range(3)]
    seen = await poll(page, "() => window.seen.length >= 3 && window.seen", seconds=10)
    assert [s["id"] for s in seen[:3]] == ids
    gaps = [b["t"] - a["t"] for a, b in itertools.pairwise(seen[:3])]
    assert all(gap >= 1400 for gap in gaps), f"1 s on screen + 0.5 s gap each: {gaps}"


async def test_variation_and_live_config_change(stage: Stage) -> None:
    await stage.fast_alerts()
    config = copy.deepcopy(stage.app.widgets["alert_box"].config)
    config["types"]["cheer"]["variations"] = [
        {
            "name": "Big cheer",
            "conditions": [{"field": "amount", "op": ">=", "value": 1000}],
            "weight": 0,
            "overrides": {"template": "MEGA {amount} from {name}", "image": "builtin/raid.svg"},
        }
    ]
    await stage.app.widgets.save_config("alert_box", config)
    page = await stage.open("alert_box")
    small = await stage.post({"kind": "cheer", "bits": 100})
    big = await stage.post({"kind": "cheer", "bits": 5000})
    first = page.locator(f'[data-event-id="{small}"]')
    await first.wait_for(timeout=5000)
    assert await first.get_attribute("data-variation") in (None, "")
    second = page.locator(f'[data-event-id="{big}"]')
    await second.wait_for(timeout=5000)
    assert await second.get_attribute("data-variation") == "Big cheer"
    assert "MEGA 5,000 bits from Dave" in " ".join((await second.inner_text()).split())
    assert "raid.svg" in await second.get_by_test_id("alert-image").get_attribute("src")
    # A new text colour reaches the open page without a reload.
    await second.wait_for(state="detached", timeout=5000)
    await page.evaluate("window.marker = 'same page'")
    config["types"]["follow"]["text_color"] = "#ff0000"
    await stage.app.widgets.save_config("alert_box", config)
    follow = await stage.post({"kind": "follow"})
    headline = page.locator(f'[data-event-id="{follow}"]').get_by_test_id("alert-headline")
    await headline.wait_for(timeout=5000)
    color = await headline.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(255, 0, 0)"
    assert await page.evaluate("window.marker") == "same page"


async def test_chat_box_badges_emotes_filters_and_deletion(
    stage: Stage, artifacts_dir: Path, aiohttp_server
) -> None:
    from aiohttp import web

    png = (Path(__file__).parent / "emote.png").read_bytes()

    async def cdn(request: web.Request) -> web.Response:
        return web.Response(body=png, content_type="image/png")

    fake_cdn = web.Application()
    fake_cdn.router.add_get("/emoticons/{id}", cdn)
    server = await aiohttp_server(fake_cdn, host="127.0.0.1")
    stage.app.emotes.url_templates["twitch"] = f"http://127.0.0.1:{server.port}/emoticons/{{id}}"
    config = copy.deepcopy(stage.app.widgets["chat_box"].config)
    config.update({"muted_users": ["Troll"], "hide_commands": True})
    await stage.app.widgets.save_config("chat_box", config)
    page = await stage.open("chat_box", 480, 600)
    mod = {**DAVE, "id": "10", "badges": [{"set_id": "moderator", "id": "1", "info": ""}]}
    kept = await stage.post(
        {
            "kind": "chat_message",
            "user": mod,
            "text": "hi Kappa",
            "fragments": [
                {"type": "text", "text": "hi "},
                {"type": "emote", "text": "Kappa", "emote_id": "25"},
            ],
        }
    )
    await stage.post({"kind": "chat_message", "text": "!uptime"})
    troll = {"id": "66", "login": "troll", "display_name": "Troll"}
    await stage.post({"kind": "chat_message", "user": troll, "text": "muted words"})
    doomed = await stage.post({"kind": "chat_message", "text": "delete me"})
    last = await stage.post({"kind": "chat_message", "text": "still here"})
    await page.locator(f'[data-event-id="{last}"]').wait_for(timeout=5000)
    texts = await page.get_by_test_id("chat-text").all_inner_texts()
    assert [" ".join(t.split()) for t in texts] == ["hi", "delete me", "still here"]
    message = page.locator(f'[data-event-id="{kept}"]')
    assert await message.get_by_test_id("chat-badge").count() == 1
    emote = message.get_by_test_id("chat-emote")
    assert await poll(
        page, "img => img.complete && img.naturalWidth > 0", await emote.element_handle()
    )
    assert "/overlay/emotes/twitch/25" in await emote.get_attribute("src")
    await page.screenshot(path=str(artifacts_dir / "chat_box.png"))
    await stage.post({"kind": "chat_message_deleted", "message_id": doomed})
    await page.locator(f'[data-event-id="{doomed}"]').wait_for(state="detached", timeout=5000)
    await stage.post({"kind": "chat_user_banned", "user": mod})
    await message.wait_for(state="detached", timeout=5000)
    assert await page.locator(f'[data-event-id="{last}"]').count() == 1
    await server.close()


async def test_chat_lifetime_fades_messages_out(stage: Stage) -> None:
    config = copy.deepcopy(stage.app.widgets["chat_box"].config)
    config["lifetime_s"] = 1
    await stage.app.widgets.save_config("chat_box", config)
    page = await stage.open("chat_box")
    gone = await stage.post({"kind": "chat_message", "text": "brief"})
    await page.locator(f'[data-event-id="{gone}"]').wait_for(timeout=5000)
    await page.locator(f'[data-event-id="{gone}"]').wait_for(state="detached", timeout=5000)


HOSTILE = [
    "<script>window.pwned=1</script>",
    '<img src=x onerror="window.pwned=1">',
    '<a href="javascript:window.pwned=1">click</a>',
    "<b>unclosed <i>broken</div>",
    '"><svg onload=window.pwned=1>',
]


async def test_hostile_chat_and_alerts_are_shown_as_text(stage: Stage) -> None:
    await stage.fast_alerts()
    chat = await stage.open("chat_box", 480, 600)
    alerts = await stage.open("alert_box")
    for i, payload in enumerate(HOSTILE):
        user = {"id": f"h{i}", "login": "hax", "display_name": payload, "color": "red;x:url(y)"}
        await stage.post(
            {
                "kind": "chat_message",
                "user": user,
                "text": payload,
                "fragments": [
                    {"type": "text", "text": payload},
                    {"type": "emote", "text": "x", "emote_id": "../../x"},
                ],
            }
        )
    donation = await stage.post(
        {
            "kind": "donation",
            "user": {**DAVE, "display_name": HOSTILE[1]},
            "amount": {"minor": 500, "currency": "USD"},
            "message": HOSTILE[0],
        }
    )
    await chat.get_by_test_id("chat-message").nth(len(HOSTILE) - 1).wait_for(timeout=5000)
    texts = [" ".join(t.split()) for t in await chat.get_by_test_id("chat-text").all_inner_texts()]
    # The invalid emote id is shown as its text ("x") instead of an image.
    assert texts == [" ".join(p.split()) + "x" for p in HOSTILE]
    alert = alerts.locator(f'[data-event-id="{donation}"]')
    await alert.wait_for(timeout=5000)
    assert HOSTILE[0] in await alert.get_by_test_id("alert-message").inner_text()
    for page in (chat, alerts):
        assert await page.evaluate("window.pwned") is None
        assert (
            await page.locator("script:not([src]), svg[onload], img[onerror], a[href]").count() == 0
        )
        assert page.errors == []


async def test_pages_survive_an_app_restart(stage: Stage, tmp_path: Path, free_port: int) -> None:
    page = await stage.open("chat_box")
    first = await stage.post({"kind": "chat_message", "text": "before restart"})
    await page.locator(f'[data-event-id="{first}"]').wait_for(timeout=5000)
    await stage.app.shutdown()
    await asyncio.sleep(1.0)  # OBS keeps the page open while the app is down
    restarted = App(
        AppOptions(
            data_dir=stage.app.data_dir,
            port=free_port,
            headless=True,
            demo=False,
            log_to_file=False,
        )
    )
    await restarted.start()
    try:
        for _ in range(300):
            if restarted.overlays.hub.connected_instances().get("chat_box"):
                break
            await asyncio.sleep(0.05)
        assert restarted.overlays.hub.connected_instances().get("chat_box") == 1, "reconnected"
        config = copy.deepcopy(restarted.widgets["chat_box"].config)
        config["text_color"] = "#00ff00"
        await restarted.widgets.save_config("chat_box", config)
        stage.app = restarted
        second = await stage.post({"kind": "chat_message", "text": "after restart"})
        text = page.locator(f'[data-event-id="{second}"]').get_by_test_id("chat-text")
        await text.wait_for(timeout=5000)
        assert await poll(
            page,
            "el => getComputedStyle(el).color === 'rgb(0, 255, 0)'",
            await text.element_handle(),
        )
    finally:
        await restarted.shutdown()


async def test_the_preview_page_shows_the_draft_and_the_obs_page_nothing(
    stage: Stage, artifacts_dir: Path
) -> None:
    """The settings editor's preview: the unsaved draft and a fake event reach the preview page
    in the browser only — an Alert Box open as in OBS shows nothing of it."""
    await stage.fast_alerts(duration_ms=30000)
    obs = await stage.open("alert_box")
    draft = copy.deepcopy(stage.app.widgets["alert_box"].config)
    draft["types"]["follow"].update(text_color="#ff0000", template="PREVIEW for {name}!")
    previews = stage.app.overlays.previews
    preview_id = previews.open("alert_box", "alert_box", draft)
    page = await stage.browser.new_page(viewport={"width": 800, "height": 600})
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    await page.goto(stage.app.overlays.preview_url("alert_box", preview_id))
    for _ in range(200):
        if previews.pages(preview_id):
            break
        await asyncio.sleep(0.02)
    assert previews.pages(preview_id) == 1
    assert stage.app.overlays.server.hub.connected_instances() == {"alert_box": 1}, "OBS only"
    badge = page.get_by_test_id("preview-badge")
    assert "OBS does not show this" in await badge.inner_text()

    dave = User(DAVE["id"], DAVE["login"], DAVE["display_name"], DAVE["color"])
    shown = previews.show(preview_id, Follow(platform=Platform.TWITCH, user=dave, test=True))
    assert shown.pages == 1
    headline = page.get_by_test_id("alert-headline")
    await headline.wait_for(timeout=5000)
    assert " ".join((await headline.inner_text()).split()) == "PREVIEW for Dave!"
    assert await headline.evaluate("el => getComputedStyle(el).color") == "rgb(255, 0, 0)"
    await page.screenshot(path=str(artifacts_dir / "alert_box_preview.png"))
    await asyncio.sleep(0.5)
    assert await obs.locator('[data-testid="alert"]').count() == 0, "nothing on stream"
    assert await obs.get_by_test_id("preview-badge").count() == 0

    previews.close(preview_id)
    ended = await poll(
        page,
        "() => (document.querySelector('[data-testid=\"preview-badge\"]')?.textContent || '')"
        ".includes('This preview has ended')",
    )
    assert ended, "the page says the preview ended (and stops reconnecting)"
    await page.screenshot(path=str(artifacts_dir / "alert_box_preview_ended.png"))
    assert page.errors == [] and obs.errors == []
