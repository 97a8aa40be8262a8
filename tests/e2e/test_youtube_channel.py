"""A (fake) YouTube channel drives the app and the overlays in Chromium: sign in with Google's
device code, then chat, a Super Chat and a membership gift reach the Chat Box and the Alert Box;
a gifted membership a viewer received shows no alert of its own; a deleted message disappears."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.flows import DeviceCodeStep, SignInStep
from tests.e2e.test_overlays import Stage, poll
from tests.fakes.youtube import CLIENT_ID, CLIENT_SECRET, FakeYouTube, load_payload, text_message

pytestmark = pytest.mark.e2e

SHOWN_ALERTS = """() => [...document.querySelectorAll('[data-testid=alert]')]
  .map((a) => a.getAttribute('data-event-id'))"""
HEADLINE = """(id) => {
  const a = document.querySelector(`[data-testid=alert][data-event-id="${id}"]`);
  const h = a && a.querySelector('[data-testid=alert-headline]');
  return h && h.innerText.replace(/\\s+/g, ' ').trim();
}"""
CHAT_IDS = """() => [...document.querySelectorAll('[data-testid=chat-message]')]
  .map((m) => m.getAttribute('data-event-id'))"""


@pytest.fixture
async def channel(
    tmp_path: Path, free_port: int, browser, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Stage, FakeYouTube]]:
    from tests.conftest import find_free_port

    fake = FakeYouTube(find_free_port())
    await fake.start()
    fake.go_live(title="Cozy stream", viewers=55)
    # The same environment variables a self-hoster or a test uses to point the app elsewhere.
    monkeypatch.setenv("STREAMPAI_YOUTUBE_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_API_URL", fake.api_url)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_CLIENT_SECRET", CLIENT_SECRET)
    app = App(
        AppOptions(data_dir=tmp_path / "data", port=free_port, headless=True, log_to_file=False)
    )
    await app.start()
    stage = Stage(app, browser)
    yield stage, fake
    await stage.http.aclose()
    await app.shutdown()
    await fake.stop()


async def connect_channel(app: App, fake: FakeYouTube) -> None:
    async def show(step: SignInStep) -> None:
        assert isinstance(step, DeviceCodeStep)
        fake.approve_device(step.user_code)  # the streamer approves on google.com/device

    await app.platforms.sign_in("youtube", show)
    for _ in range(200):
        states = list(app.streams.states().values())
        if states and states[0].state is ConnectorState.CONNECTED and "Live." in states[0].reason:
            break
        await asyncio.sleep(0.05)
    assert [s.state for s in app.streams.states().values()] == [ConnectorState.CONNECTED]


async def test_a_youtube_channel_drives_the_overlays(channel, artifacts_dir: Path) -> None:
    stage, fake = channel
    app = stage.app
    await connect_channel(app, fake)
    await stage.fast_alerts()
    config = copy.deepcopy(app.widgets["alert_box"].config)
    config["gap_ms"] = 0
    await app.widgets.save_config("alert_box", config)
    alerts = await stage.open("alert_box")
    chat = await stage.open("chat_box", 480, 600)

    await fake.post(text_message("hello from YouTube", message_id="LCC.hello", author="Ann"))
    await fake.post_recorded("text_message_moderator_member")
    assert await poll(chat, CHAT_IDS, seconds=10) and "LCC.hello" in await poll(
        chat, f"() => ({CHAT_IDS})().includes('LCC.text-mod') && ({CHAT_IDS})()", seconds=10
    )
    badges = await chat.evaluate(
        """() => [...document.querySelectorAll(
          '[data-event-id="LCC.text-mod"] [data-testid=chat-badge]')].map(b => b.dataset.badge)"""
    )
    assert badges == ["moderator", "member"]

    expected = [
        ("super_chat", "LCC.superchat-1", "Big Fan sent a Super Chat: €5.00"),
        # One alert for the gift, in gift words (not "became a member").
        ("membership_gifting", "LCC.gifting-1", "Generous Gifter gifted 5 memberships!"),
    ]
    for payload, event_id, headline in expected:
        await fake.post_recorded(payload)
        shown = await poll(alerts, HEADLINE, event_id, seconds=10)
        assert shown == headline, f"alert for {payload}"
    await alerts.screenshot(path=str(artifacts_dir / "youtube_gift_alert.png"))

    # Each membership a viewer received from that gift is recorded, not alerted.
    await fake.post_recorded("gift_membership_received")
    await asyncio.sleep(1.0)
    assert "LCC.giftrecv-1" not in await alerts.evaluate(SHOWN_ALERTS)
    assert app.alerts.state()["pending"] == 0

    # A moderator deletes Ann's message: it leaves the chat box.
    deleted = load_payload("message_deleted")
    deleted["snippet"]["messageDeletedDetails"]["deletedMessageId"] = "LCC.hello"
    await fake.post(deleted)
    gone = await poll(chat, f"() => !({CHAT_IDS})().includes('LCC.hello')", seconds=10)
    assert gone, "the deleted message is still in the chat box"
    assert "LCC.text-mod" in await chat.evaluate(CHAT_IDS)
    await chat.screenshot(path=str(artifacts_dir / "youtube_chat.png"))
    assert not alerts.errors and not chat.errors
