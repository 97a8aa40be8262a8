"""Fixtures for platform tests: a running fake Twitch, a signed-in account, a connector harness."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from streampai_desktop.core.events import Event
from streampai_desktop.platforms.base import (
    ConnectorDeps,
    ConnectorState,
    ConnectorStatus,
    StreamInfo,
)
from streampai_desktop.platforms.twitch.auth import SCOPES, TokenStore
from streampai_desktop.platforms.twitch.client import TokenPair, TwitchEndpoints
from streampai_desktop.platforms.twitch.connector import TwitchConnector, TwitchOptions
from streampai_desktop.secrets import KeyringBackend, SecretStore
from tests.fakes.twitch import CLIENT_ID, FakeTwitch

FAST = TwitchOptions(keepalive_s=1, poll_interval_s=0.3, backoff_base_s=0.2, backoff_cap_s=1.0)


@pytest.fixture
async def twitch(free_port: int) -> AsyncIterator[FakeTwitch]:
    fake = FakeTwitch(free_port, keepalive_s=1)
    fake.add_user("1337", "cool_streamer", display_name="Cool_Streamer", followers=42)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def endpoints(twitch: FakeTwitch) -> TwitchEndpoints:
    return TwitchEndpoints(twitch.eventsub_url, twitch.api_url, twitch.auth_url, CLIENT_ID)


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore(KeyringBackend("streampai-test"))


@dataclass
class Harness:
    """A connector plus everything it reported, for assertions."""

    connector: TwitchConnector
    events: list[Event] = field(default_factory=list)
    states: list[ConnectorStatus] = field(default_factory=list)
    streams: list[StreamInfo] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.connector.run())

    async def stop(self) -> None:
        await self.connector.stop()
        if self.task is not None:
            await asyncio.wait_for(asyncio.gather(self.task, return_exceptions=True), 10)

    async def wait_for(self, predicate: Callable[[], Any], within: float = 10) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                if self.task is not None and self.task.done():
                    self.task.result()  # surface a crash instead of a timeout
                    if not predicate():
                        raise AssertionError("connector stopped before the condition held")
                await asyncio.sleep(0.02)

    async def connected(self, within: float = 10) -> None:
        await self.wait_for(lambda: self.connector.status.state is ConnectorState.CONNECTED, within)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


@pytest.fixture
async def signed_in(twitch: FakeTwitch, secrets: SecretStore) -> TokenPair:
    # Everything the app asks for at sign-in (an account signed in today).
    token = twitch.issue_token("1337", list(SCOPES))
    pair = TokenPair(token.access, token.refresh)
    await TokenStore(secrets, "1337").save(pair)
    return pair


Submit = Callable[[Event], Awaitable[bool]]


def build_harness(
    endpoints: TwitchEndpoints,
    secrets: SecretStore,
    user_id: str = "1337",
    forward: Submit | None = None,
) -> Harness:
    """A connector for ``user_id`` whose events are kept (and passed to ``forward``, if given:
    the app's ingest, say)."""
    holder: list[Harness] = []

    async def submit(event: Event) -> bool:
        holder[0].events.append(event)
        return await forward(event) if forward is not None else True

    deps = ConnectorDeps(
        submit=submit,
        on_state=lambda s: holder[0].states.append(s),
        on_stream=lambda s: holder[0].streams.append(s),
    )
    h = Harness(TwitchConnector(f"acc-{user_id}", user_id, deps, endpoints, secrets, FAST))
    holder.append(h)
    return h


@pytest.fixture
async def harness(
    endpoints: TwitchEndpoints, secrets: SecretStore, signed_in: TokenPair
) -> AsyncIterator[Harness]:
    h = build_harness(endpoints, secrets)
    yield h
    await h.stop()
