"""A (fake) Facebook Page drives the app and the Chat Box in Chromium through the real account
service: the streamer signs in to Streampai, connects Facebook (the Login goes through the
service; the streamer's two Pages are listed and one is picked), the Page goes live, and its
viewers' comments reach the Chat Box as they come — the Page's own reply marked as the
streamer's, after it went out from the local API. A reaction burst becomes the Page's running
totals, where the Dashboard reads them."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.core.errors import EXIT_USAGE
from streampai_desktop.core.events import ReactionCount
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.flows import BrowserStep, ChoiceStep, SignInStep
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.e2e.test_overlays import Stage, poll
from tests.fakes.facebook import PAGE_ID, PAGE_NAME, FakeFacebook
from tests.platforms.facebook_world import (  # noqa: F401  (fixtures)
    FacebookService,
    facebook_service,
    fake_facebook,
)
from tests.platforms.kick_world import PASSWORD, Browser, wait_until

pytestmark = pytest.mark.e2e

CHAT_LINES = """() => [...document.querySelectorAll('[data-testid=chat-message]')]
  .map((m) => m.innerText.replace(/\\s+/g, ' ').trim())"""
BADGES_OF = """(text) => {
  const m = [...document.querySelectorAll('[data-testid=chat-message]')]
    .find((row) => row.innerText.includes(text));
  return m ? [...m.querySelectorAll('[data-testid=chat-badge]')].map((b) => b.dataset.badge) : null;
}"""


@pytest.fixture
async def facebook_stage(
    tmp_path: Path,
    free_port: int,
    browser,
    facebook_service: FacebookService,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Stage]:
    # The same environment variables a self-hoster (or a test) points the app with.
    monkeypatch.setenv("STREAMPAI_CLOUD_URL", facebook_service.url)
    monkeypatch.setenv("STREAMPAI_FACEBOOK_API_URL", fake_facebook.graph_url)
    monkeypatch.setenv("STREAMPAI_FACEBOOK_STREAMING_URL", fake_facebook.streaming_url)
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


async def connect_facebook(app: App, pick: str) -> None:
    await app.account.sign_in(f"{secrets.token_hex(6)}@example.com", PASSWORD, register=True)
    steps: list[SignInStep] = []

    async def show(step: SignInStep) -> None:
        steps.append(step)
        if isinstance(step, ChoiceStep):  # the Platforms page's list: the streamer clicks one
            step.choose(next(c for c in step.choices if c.label == pick))

    app.platforms.open_browser = Browser().open  # the streamer's browser, sent to Facebook
    await app.platforms.sign_in("facebook", show)
    assert isinstance(steps[0], BrowserStep) and isinstance(steps[1], ChoiceStep)

    def connected() -> bool:
        states = list(app.streams.states().values())
        return bool(states) and states[0].state is ConnectorState.CONNECTED

    await wait_until(connected, 15)


async def test_a_facebook_page_drives_the_chat_box(
    facebook_stage: Stage,
    fake_facebook: FakeFacebook,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    app, fake = facebook_stage.app, fake_facebook
    fake.add_page("Cooking Side Channel")
    # Live before connecting: the app looks for a live video at once, then once a minute.
    fake.go_live("Friday build stream", live_views=31)
    await connect_facebook(app, PAGE_NAME)
    (account,) = await app.platforms.accounts()
    assert (account.platform, account.platform_user_id) == ("facebook", PAGE_ID)
    chat = await facebook_stage.open("chat_box", 480, 600)
    await fake.wait_for_streams(2)
    await wait_until(lambda: app.streams.combined().live, 10)
    fake.push_comment("Dana Viewer", "555", "hello from Facebook!")
    fake.push_comment("Eli", "556", "what are you building?")
    lines = await poll(chat, f"() => ({CHAT_LINES})().length >= 2 && ({CHAT_LINES})()", seconds=10)
    assert lines and "hello from Facebook!" in lines[0] and "Dana Viewer" in lines[0], lines
    assert "what are you building?" in lines[1]

    # The streamer answers from the local API (a stream deck, the terminal) as the Page.
    sent = await facebook_stage.http.post(
        "/api/v1/chat", json={"platform": "facebook", "text": "A chat overlay!"}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"platform": "facebook", "account": PAGE_NAME}
    assert [p["message"] for p in fake.posted] == ["A chat overlay!"]
    badges = await poll(chat, BADGES_OF, "A chat overlay!", seconds=10)
    assert badges == ["broadcaster"], badges
    await chat.screenshot(path=str(artifacts_dir / "facebook_chat.png"))

    # A burst of reactions: the Page's running totals, for the Dashboard and widgets.
    fake.push_reaction("LIKE", 40)
    fake.push_reaction("LOVE", 12)
    fake.push_reaction("WOW", 3)

    def totals() -> tuple[ReactionCount, ...]:
        reactions = app.streams.channel_activity().get(account.id)
        return reactions.reactions.totals if reactions and reactions.reactions else ()

    await wait_until(lambda: sum(c.count for c in totals()) == 55, 10)
    assert totals() == (
        ReactionCount("LIKE", 40),
        ReactionCount("LOVE", 12),
        ReactionCount("WOW", 3),
    )
    assert not chat.errors


async def test_the_local_api_connects_the_page_it_is_told(
    facebook_stage: Stage,
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    """What ``connect facebook [--page]`` does while the app runs: nobody can click a list, so
    without a Page named the sign-in ends with the Pages and how to name one."""
    app, http, fake = facebook_stage.app, facebook_stage.http, fake_facebook
    side = fake.add_page("Cooking Side Channel")
    await app.account.sign_in(f"{secrets.token_hex(6)}@example.com", PASSWORD, register=True)
    app.platforms.open_browser = Browser().open  # the streamer approves on Facebook at once

    async def finished(body: dict) -> dict:
        attempt = (await http.post("/api/v1/platforms/facebook/connect", json=body)).json()
        for _ in range(300):
            if attempt["state"] not in ("starting", "waiting"):
                return attempt
            await asyncio.sleep(0.05)
            attempt = (await http.get(f"/api/v1/sign-ins/{attempt['id']}")).json()
        raise AssertionError(f"the sign-in did not end: {attempt}")

    unnamed = await finished({})
    assert unnamed["state"] == "failed" and unnamed["error"]["exit_code"] == EXIT_USAGE
    assert f"Cooking Side Channel (id {side.id})" in unnamed["error"]["message"]
    assert "--page NAME" in unnamed["error"]["message"]
    assert await app.platforms.accounts() == []

    named = await finished({"choice": side.id})
    assert named["state"] == "done", named
    assert named["account"]["login"] == "Cooking Side Channel"
    refused = await http.post("/api/v1/platforms/facebook/connect", json={"choice": 7})
    assert refused.status_code == 422 and "choice" in refused.json()["error"]
