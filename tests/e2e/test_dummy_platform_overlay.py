"""A platform declared in the tests only (tests/fakes/dummy_platform.py): once signed in through
the generic browser + PKCE flow, its connector's chat reaches the Chat Box in Chromium and its
stream state reaches the local API — nothing in the app names it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.platforms.flows import BrowserStep, SignInStep
from tests.fakes.dummy_platform import (
    API_URL_ENV,
    GREETING,
    PLATFORM_ID,
    DummyWorld,
    consenting_browser,
    dummy_platform,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
async def app_with_dummy(
    tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[App, DummyWorld]]:
    monkeypatch.setenv(API_URL_ENV, "http://127.0.0.1:9/dummy-api")
    with dummy_platform() as world:
        app = App(
            AppOptions(
                data_dir=tmp_path / "data",
                port=free_port,
                headless=True,
                demo=False,
                log_to_file=False,
            )
        )
        await app.start()
        try:
            yield app, world
        finally:
            await app.shutdown()


async def test_the_dummy_platforms_chat_reaches_the_chat_box(
    app_with_dummy: tuple[App, DummyWorld], browser, artifacts_dir: Path
) -> None:
    app, world = app_with_dummy
    page = await browser.new_page(viewport={"width": 480, "height": 400})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(app.overlay_urls()["chat_box"])
    for _ in range(250):  # the page is subscribed before the channel connects
        if app.overlays.hub.connected_instances().get("chat_box"):
            break
        await asyncio.sleep(0.02)

    steps: list[SignInStep] = []

    async def show(step: SignInStep) -> None:
        steps.append(step)

    app.platforms.open_browser = consenting_browser
    account = await app.platforms.sign_in(PLATFORM_ID, show)
    assert account.login == "dummy_streamer"
    [step] = steps
    assert isinstance(step, BrowserStep) and step.opened

    message = page.locator('[data-event-id="dummy-chat-1"]')
    await message.wait_for(timeout=10_000)
    assert GREETING in await message.inner_text()
    await page.screenshot(path=str(artifacts_dir / "dummy_platform_chat.png"))
    assert not errors

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{app.port}",
        headers={"Authorization": f"Bearer {app.tokens.api}"},
    ) as http:
        status = (await http.get("/api/v1/status")).json()
    assert status["platforms"][account.id]["state"] == "connected"
    assert status["stream"]["live"] and status["stream"]["viewers"] == 7
    assert world.sent_chat == []
    await app.platforms.send_chat(account.id, "thanks!")
    assert world.sent_chat == ["thanks!"]
