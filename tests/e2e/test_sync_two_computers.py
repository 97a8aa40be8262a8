"""Two computers, one account: a setting changed on one reaches the other's overlay page in
Chromium, through the real account service on the real PostgreSQL; a viewer's donation reaches
both as an alert event."""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.app import App, AppOptions
from streampai_desktop.cloud.engine import ChoiceRequired
from streampai_desktop.core.events import Donation
from tests.cloud.conftest import cloud_config, database_url  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.e2e.test_overlays import Stage, poll

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def service(cloud_config: CloudConfig) -> AsyncIterator[str]:  # noqa: F811
    runner = web.AppRunner(create_app(cloud_config))
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def start_app(data_dir: Path, service: str, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("STREAMPAI_CLOUD_URL", service)
    app = App(
        AppOptions(
            data_dir=data_dir, port=find_free_port(), headless=True, demo=False, log_to_file=False
        )
    )
    await app.start()
    return app


async def wait_until(predicate, seconds: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_a_setting_reaches_the_other_computers_overlay(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser
) -> None:
    email = f"{secrets.token_hex(6)}@example.com"
    first = await start_app(tmp_path / "first", service, monkeypatch)
    second = await start_app(tmp_path / "second", service, monkeypatch)
    try:
        config = copy.deepcopy(first.widgets["chat_box"].config)
        config["font_size"] = 31
        await first.widgets.save_config("chat_box", config)  # before signing in: offline edit
        handle = f"streamer_{secrets.token_hex(4)}"
        await first.account.sign_in(email, PASSWORD, register=True, handle=handle)

        with pytest.raises(ChoiceRequired):  # both sides have a config: the user must choose
            await second.account.sign_in(email, PASSWORD)
        assert second.widgets["chat_box"].config["font_size"] == 20, "nothing changed yet"
        await second.account.sign_in(email, PASSWORD, keep="account")
        assert second.widgets["chat_box"].config["font_size"] == 31

        stage = Stage(second, browser)
        page = await stage.open("chat_box")
        config["text_color"] = "#00ff00"
        await first.widgets.save_config("chat_box", config)
        # The live channel tells the second computer; it pulls and pushes the config to OBS.
        assert await wait_until(
            lambda: second.widgets["chat_box"].config["text_color"] == "#00ff00", 10
        ), "the edit reached the second computer"
        event_id = await stage.post({"kind": "chat_message", "text": "synced"})
        text = page.locator(f'[data-event-id="{event_id}"]').get_by_test_id("chat-text")
        await text.wait_for(timeout=5000)
        assert await poll(
            page,
            "el => getComputedStyle(el).color === 'rgb(0, 255, 0)'",
            await text.element_handle(),
        ), "the open overlay re-rendered with the other computer's setting, without a reload"
        await stage.http.aclose()

        # A viewer donates on the streamer's public page: both desktops get the alert event.
        seen: dict[int, list[Donation]] = {id(app): [] for app in (first, second)}
        subs = {id(app): app.bus.subscribe("events") for app in (first, second)}
        async with httpx.AsyncClient(base_url=service) as http:
            response = await http.post(
                f"/v1/donate/{handle}",
                json={
                    "name": "Generous",
                    "amount": 500,
                    "currency": "USD",
                    "message": "gg",
                    "payment_token": "tok_visa",
                },
            )
            assert response.status_code in (200, 201, 202), response.text

        async def collect(app: App) -> None:
            while not seen[id(app)]:
                message = await subs[id(app)].get()
                if isinstance(message.payload, Donation):
                    seen[id(app)].append(message.payload)

        await asyncio.wait_for(asyncio.gather(collect(first), collect(second)), 10)
        for donations in seen.values():
            assert donations[0].amount.minor == 500 and donations[0].message == "gg"
    finally:
        await first.shutdown()
        await second.shutdown()
