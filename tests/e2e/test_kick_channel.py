"""A (fake) Kick channel drives the overlays in Chromium through the real account service: the
streamer signs in to Streampai, connects Kick (the browser sign-in goes through the service),
then Kick's webhooks — signed, sent to the service, relayed over the live channel — bring a
follow, a gift of 20 subs and chat to the Alert Box and the Chat Box. The gift is one alert (its
20 recipients' subs are recorded, not alerted); a ban takes the viewer's messages out of chat."""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.core.events import Subscription
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.flows import BrowserStep, SignInStep
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.e2e.test_overlays import Stage, poll
from tests.fakes.kick import FakeKick, viewer
from tests.platforms.kick_world import (  # noqa: F401  (fixtures)
    PASSWORD,
    Browser,
    KickService,
    fake_kick,
    kick_service,
    wait_until,
)

pytestmark = pytest.mark.e2e

HEADLINES = """() => [...document.querySelectorAll('[data-testid=alert-headline]')]
  .map((h) => h.innerText.replace(/\\s+/g, ' ').trim())"""
CHAT_LINES = """() => [...document.querySelectorAll('[data-testid=chat-message]')]
  .map((m) => m.innerText.replace(/\\s+/g, ' ').trim())"""


@pytest.fixture
async def kick_stage(
    tmp_path: Path,
    free_port: int,
    browser,
    kick_service: KickService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Stage]:
    # The same environment variables a self-hoster (or a test) points the app with.
    monkeypatch.setenv("STREAMPAI_CLOUD_URL", kick_service.url)
    monkeypatch.setenv("STREAMPAI_KICK_API_URL", fake_kick.api_url)
    monkeypatch.setenv("STREAMPAI_KICK_AUTH_URL", fake_kick.auth_url)
    app = App(
        AppOptions(
            data_dir=tmp_path / "data", port=free_port, headless=True, demo=False, log_to_file=False
        )
    )
    await app.start()
    stage = Stage(app, browser)
    yield stage
    await stage.http.aclose()
    await app.shutdown()


async def connect_kick(app: App) -> None:
    await app.account.sign_in(f"{secrets.token_hex(6)}@example.com", PASSWORD, register=True)
    steps: list[SignInStep] = []

    async def show(step: SignInStep) -> None:
        steps.append(step)

    app.platforms.open_browser = Browser().open  # the streamer's browser, sent to Kick
    await app.platforms.sign_in("kick", show)
    assert steps and isinstance(steps[0], BrowserStep)

    def connected() -> bool:
        states = list(app.streams.states().values())
        return bool(states) and states[0].state is ConnectorState.CONNECTED

    await wait_until(connected, 15)


async def test_a_kick_channel_drives_the_overlays(
    kick_stage: Stage,
    fake_kick: FakeKick,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    app = kick_stage.app
    await connect_kick(app)
    await kick_stage.fast_alerts()
    config = copy.deepcopy(app.widgets["alert_box"].config)
    config["gap_ms"] = 0
    await app.widgets.save_config("alert_box", config)
    alerts = await kick_stage.open("alert_box")
    chat = await kick_stage.open("chat_box", 480, 600)
    logged: list[Subscription] = []
    events = app.bus.subscribe("events")

    async def record() -> None:
        while True:
            message = await events.get()
            if isinstance(message.payload, Subscription):
                logged.append(message.payload)

    recorder = asyncio.create_task(record())
    try:
        assert await fake_kick.emit("channel.followed", follower=viewer(11, "NewFan")) == 200
        follow = await poll(alerts, f"() => ({HEADLINES})().find((h) => h.includes('NewFan'))")
        assert follow, "no follow alert"

        giftees = [viewer(1000 + i, f"Lucky{i}") for i in range(20)]
        gift = fake_kick.payload_for(
            "channel.subscription.gifts", gifter=viewer(12, "BigGifter"), giftees=giftees
        )
        assert await fake_kick.emit("channel.subscription.gifts", gift) == 200
        gifted = await poll(alerts, f"() => ({HEADLINES})().find((h) => h.includes('BigGifter'))")
        assert gifted and "20" in gifted, gifted
        await alerts.screenshot(path=str(artifacts_dir / "kick_gift_alert.png"))
        await wait_until(lambda: len(logged) >= 20, 10)  # each recipient's sub is recorded
        assert all(sub.is_gift for sub in logged) and len(logged) == 20
        await asyncio.sleep(1.0)  # a recipient's alert would be queued by now
        headlines = await alerts.evaluate(HEADLINES)
        assert not [h for h in headlines if "Lucky" in h], "a recipient's sub was alerted"
        assert app.alerts.state()["pending"] == 0

        hello = fake_kick.payload_for(
            "chat.message.sent", sender=viewer(13, "Chatter"), content="hello from Kick"
        )
        assert await fake_kick.emit("chat.message.sent", hello) == 200
        other = fake_kick.payload_for(
            "chat.message.sent", sender=viewer(14, "Regular"), content="hi all"
        )
        assert await fake_kick.emit("chat.message.sent", other) == 200
        lines = await poll(chat, f"() => ({CHAT_LINES})().length >= 2 && ({CHAT_LINES})()")
        assert any("Chatter" in line and "hello from Kick" in line for line in lines), lines
        await chat.screenshot(path=str(artifacts_dir / "kick_chat.png"))

        # A moderator bans Chatter: their message leaves the chat box, Regular's stays.
        ban = fake_kick.payload_for("moderation.banned", banned_user=viewer(13, "Chatter"))
        assert await fake_kick.emit("moderation.banned", ban) == 200
        gone = await poll(
            chat, f"() => !({CHAT_LINES})().some((l) => l.includes('Chatter')) && ({CHAT_LINES})()"
        )
        assert gone and any("hi all" in line for line in gone), gone
        assert not alerts.errors and not chat.errors
    finally:
        recorder.cancel()
        events.close()
