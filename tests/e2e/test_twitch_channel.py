"""A (fake) Twitch channel drives the app and the overlays: sign in with the device code, then a
follow, a sub, a raid and chat sent by Twitch appear in the alert box and chat box in Chromium."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.core.events import GiftSubscription, Subscription
from streampai_desktop.platforms.base import ConnectorState
from tests.e2e.test_overlays import Stage, poll
from tests.fakes.twitch import CLIENT_ID, FakeTwitch, load_payload

pytestmark = pytest.mark.e2e


@pytest.fixture
async def channel(
    tmp_path: Path, free_port: int, browser, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Stage, FakeTwitch]]:
    from tests.conftest import find_free_port

    fake = FakeTwitch(find_free_port(), keepalive_s=2)
    fake.add_user("1337", "cool_streamer", display_name="Cool_Streamer", followers=42)
    await fake.start()
    # The same environment variables a self-hoster or a test uses to point the app elsewhere.
    monkeypatch.setenv("STREAMPAI_TWITCH_EVENTSUB_URL", fake.eventsub_url)
    monkeypatch.setenv("STREAMPAI_TWITCH_API_URL", fake.api_url)
    monkeypatch.setenv("STREAMPAI_TWITCH_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("STREAMPAI_TWITCH_CLIENT_ID", CLIENT_ID)
    app = App(
        AppOptions(data_dir=tmp_path / "data", port=free_port, headless=True, log_to_file=False)
    )
    await app.start()
    stage = Stage(app, browser)
    yield stage, fake
    await stage.http.aclose()
    await app.shutdown()
    await fake.stop()


async def connect_channel(app: App, fake: FakeTwitch) -> None:
    """Sign in to the fake Twitch with the device code, as the streamer would; wait until live."""
    assert app.demo.on, "demo mode until an account is connected"
    shown_codes: list[str] = []

    async def show_code(code) -> None:
        # What the Platforms page shows the streamer; here the "streamer" approves at once.
        shown_codes.append(code.user_code)
        fake.approve_device(code.user_code)

    await app.platforms.sign_in("twitch", show_code)
    assert shown_codes and not app.demo.on, "a real channel replaces the demo"
    for _ in range(200):
        states = app.streams.states()
        if any(s.state is ConnectorState.CONNECTED for s in states.values()):
            break
        await asyncio.sleep(0.05)
    assert [s.state for s in app.streams.states().values()] == [ConnectorState.CONNECTED]


async def test_a_twitch_channel_drives_the_overlays(channel, artifacts_dir: Path) -> None:
    stage, fake = channel
    app = stage.app
    await connect_channel(app, fake)

    await stage.fast_alerts()
    config = copy.deepcopy(app.widgets["alert_box"].config)
    config["gap_ms"] = 0
    await app.widgets.save_config("alert_box", config)
    alerts = await stage.open("alert_box")
    chat = await stage.open("chat_box", 480, 600)

    await fake.push_recorded("chat_message")
    message = chat.get_by_test_id("chat-message").first
    await message.wait_for(timeout=10_000)
    assert "Viewer32" in await message.get_by_test_id("chat-name").inner_text()

    expected = [
        ("follow", "Cool_User just followed!"),
        ("subscribe", "Cool_User subscribed for 1 month!"),
        ("raid", "Cool_User is raiding with 9,001 viewers!"),
    ]
    for payload, headline in expected:
        await fake.push_recorded(payload)
        text = await poll(
            alerts,
            "() => { const h = document.querySelector('[data-testid=alert-headline]');"
            " return h && h.innerText.replace(/\\s+/g, ' ').trim(); }",
            seconds=10,
        )
        deadline = asyncio.get_running_loop().time() + 10
        while text != headline and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            text = await alerts.evaluate(
                "() => { const h = document.querySelector('[data-testid=alert-headline]');"
                " return h && h.innerText.replace(/\\s+/g, ' ').trim(); }"
            )
        assert text == headline
        if payload == "raid":
            await alerts.screenshot(path=str(artifacts_dir / "twitch_raid_alert.png"))
    await chat.screenshot(path=str(artifacts_dir / "twitch_chat.png"))
    # A replayed notification (Twitch delivers at least once) shows no second alert.
    before = app.alerts.state()["shown"] + app.alerts.state()["pending"]
    await fake.push_recorded("follow", message_id="dup-1")
    await fake.push_recorded("follow", message_id="dup-1")
    await asyncio.sleep(1.0)
    after = app.alerts.state()["shown"] + app.alerts.state()["pending"]
    assert after - before <= 1


# Every alert the page puts on screen, by event id, however briefly it stays.
RECORD_ALERTS = """() => {
  window.__alerts = [];
  const seen = (el) => {
    const id = el.getAttribute('data-event-id');
    if (id && !window.__alerts.includes(id)) window.__alerts.push(id);
  };
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    if (node.matches('[data-testid=alert]')) seen(node);
    node.querySelectorAll('[data-testid=alert]').forEach(seen);
  };
  scan(document.body);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') scan(r.target);
      r.addedNodes.forEach(scan);
    }
  }).observe(document.body, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['data-event-id'],
  });
}"""
HEADLINE = """(id) => {
  const a = document.querySelector(`[data-testid=alert][data-event-id="${id}"]`);
  const h = a && a.querySelector('[data-testid=alert-headline]');
  return h && h.innerText.replace(/\\s+/g, ' ').trim();
}"""


async def test_a_gift_bomb_of_20_shows_one_alert(channel, artifacts_dir: Path) -> None:
    """Twitch sends one channel.subscription.gift (total 20) and a channel.subscribe with
    is_gift for each of the 20 recipients, in no promised order. The Alert Box shows one alert,
    the gifter's; the 20 gifted subs are in the event log."""
    stage, fake = channel
    app = stage.app
    await connect_channel(app, fake)
    await stage.fast_alerts()  # 1 s alerts, no gap
    app.alerts.clear()  # whatever the demo left waiting before the channel was connected
    page = await stage.open("alert_box")
    await page.evaluate(RECORD_ALERTS)

    gift = {**load_payload("subscription_gift")["payload"]["event"], "total": 20}
    recipient = load_payload("subscribe_gifted")["payload"]["event"]

    async def gifted_sub(i: int) -> None:
        await fake.push(
            "channel.subscribe",
            {
                **recipient,
                "user_id": f"90{i:02d}",
                "user_login": f"lucky_{i}",
                "user_name": f"Lucky_{i}",
            },
        )

    for i in range(8):
        await gifted_sub(i)
    gift_id = await fake.push("channel.subscription.gift", gift)
    for i in range(8, 20):
        await gifted_sub(i)
    assert gift_id is not None
    headline = await poll(page, HEADLINE, gift_id, seconds=10)
    assert headline == "Cool_User gifted 20 subs!"
    await page.screenshot(path=str(artifacts_dir / "twitch_gift_bomb_alert.png"))
    # A later alert: once it is on screen, everything before it has had its turn.
    follow_id = await fake.push_recorded("follow")
    assert await poll(page, "(id) => window.__alerts.includes(id)", follow_id, seconds=15)
    assert await page.evaluate("() => window.__alerts") == [gift_id, follow_id]
    assert page.errors == []

    for _ in range(100):  # the event log is written in batches, within a quarter second
        logged = await app.recent_events(100)
        gifted = [e for e in logged if isinstance(e, Subscription) and e.is_gift]
        if len(gifted) == 20:
            break
        await asyncio.sleep(0.05)
    assert sorted(e.actor_name for e in gifted) == sorted(f"Lucky_{i}" for i in range(20))
    assert [e.count for e in logged if isinstance(e, GiftSubscription)] == [20]
