"""Kick in the real (headless) app, through the real account service: connected from the
Platforms flow, its events on the app's event topic, chat sent through the local API, and after
a restart (the connectors start before the account service) the events Kick sent meanwhile."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from streampai_desktop.app import App
from streampai_desktop.core.events import Event, Follow, KicksGift
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.flows import SignInStep
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.fakes.kick import FakeKick
from tests.platforms.kick_world import (  # noqa: F401  (fixtures)
    PASSWORD,
    Browser,
    KickService,
    fake_kick,
    kick_service,
    wait_until,
)
from tests.platforms.youtube_app import running_app


@pytest.fixture
def pointed(
    kick_service: KickService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The environment variables a self-hoster (or a test) points the app with."""
    monkeypatch.setenv("STREAMPAI_CLOUD_URL", kick_service.url)
    monkeypatch.setenv("STREAMPAI_KICK_API_URL", fake_kick.api_url)
    monkeypatch.setenv("STREAMPAI_KICK_AUTH_URL", fake_kick.auth_url)


def kick_state(app: App) -> ConnectorState | None:
    status = next(iter(app.streams.states().values()), None)
    return status.state if status is not None else None


class Topic:
    """What the app published on its event topic."""

    def __init__(self, app: App) -> None:
        self.events: list[Event] = []
        self._queue = app.bus.subscribe("events")
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self._queue.get()
            if isinstance(message.payload, Event):
                self.events.append(message.payload)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def send_chat(app: App, text: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {app.tokens.api}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{app.port}/api/v1/chat",
            json={"platform": "kick", "text": text},
            headers=headers,
        ) as response,
    ):
        return response.status, await response.json()


async def test_kick_in_the_app_across_a_restart(
    pointed: None,
    fake_kick: FakeKick,  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    async with running_app(data_dir, find_free_port()) as app:
        await app.account.sign_in(f"{secrets.token_hex(6)}@example.com", PASSWORD, register=True)
        browser = Browser()
        app.platforms.open_browser = browser.open
        steps: list[SignInStep] = []

        async def show(step: SignInStep) -> None:
            steps.append(step)

        account = await app.platforms.sign_in("kick", show)
        assert account.login == fake_kick.user.name and steps
        await wait_until(lambda: kick_state(app) is ConnectorState.CONNECTED)
        topic = Topic(app)
        try:
            assert await fake_kick.emit("channel.followed") == 200
            await wait_until(lambda: topic.of(Follow))
        finally:
            await topic.close()
        status, body = await send_chat(app, "welcome in!")
        assert (status, body) == (200, {"platform": "kick", "account": fake_kick.user.name})
        assert fake_kick.sent_chat[-1]["content"] == "welcome in!"
        status, body = await send_chat(app, "z" * 501)
        assert status == 422 and "at most 500 characters" in str(body)

    # While the app is closed, a viewer sends Kicks: the service keeps it for this computer.
    assert await fake_kick.emit("kicks.gifted") == 200
    async with running_app(data_dir, find_free_port()) as app:
        topic = Topic(app)
        try:
            await wait_until(lambda: topic.of(KicksGift), 15)
            # (the kept event can come in while the connector still checks the stream)
            await wait_until(lambda: kick_state(app) is ConnectorState.CONNECTED)
            assert topic.of(Follow) == []  # acknowledged before the restart: not again
        finally:
            await topic.close()
