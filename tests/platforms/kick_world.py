"""What the Kick tests stand on: the fake Kick, the real account service (on the real PostgreSQL,
on a real port that is also its public URL, so the browser's redirect lands on it), a desktop
signed in to a Streampai account (its real account service: session, live channel, relay), and
a Kick connector whose events are kept for assertions.

Test modules import the fixtures they use from here and from ``tests.cloud.conftest``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.cloud.service import AccountService
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event
from streampai_desktop.platforms.base import (
    ConnectorDeps,
    ConnectorState,
    ConnectorStatus,
    StreamInfo,
)
from streampai_desktop.platforms.flows import BrowserStep, SignedInAccount, SignInStep, sign_in
from streampai_desktop.platforms.kick.auth import KickEndpoints
from streampai_desktop.platforms.kick.connector import KickConnector, KickOptions
from streampai_desktop.platforms.kick.spec import SPEC
from streampai_desktop.secrets import KeyringBackend, SecretStore
from streampai_desktop.store import open_database
from tests.conftest import find_free_port
from tests.fakes.kick import CLIENT_ID, CLIENT_SECRET, FakeKick, KickUser

PASSWORD = "correct horse battery"
FAST = KickOptions(tick_s=0.3, offline_poll_s=0.3, backoff_base_s=0.2, backoff_cap_s=1.0)


async def run_db(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


@dataclass
class KickService:
    """The account service on a port of its own, configured for the fake Kick."""

    url: str
    config: CloudConfig
    runner: web.AppRunner


async def start_service(config: CloudConfig, fake: FakeKick | None) -> KickService:
    port = find_free_port()
    url = f"http://127.0.0.1:{port}"
    if fake is not None:
        config = dataclasses.replace(
            config,
            kick_client_id=CLIENT_ID,
            kick_client_secret=CLIENT_SECRET,
            kick_auth_url=fake.auth_url,
            kick_api_url=fake.api_url,
            public_url=url,
        )
        fake.webhook_url = f"{url}/v1/webhooks/kick"  # the app's webhook URL, in Kick's settings
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return KickService(url, config, runner)


@pytest.fixture
async def fake_kick() -> AsyncIterator[FakeKick]:
    # A channel of its own per test: the service's database is shared by the session's tests.
    user_id = 10**9 + secrets.randbelow(10**9)
    async with FakeKick(find_free_port(), user=KickUser(user_id, f"Streamer{user_id}")) as fake:
        yield fake


@pytest.fixture
async def kick_service(
    cloud_config: CloudConfig, fake_kick: FakeKick
) -> AsyncIterator[KickService]:
    service = await start_service(cloud_config, fake_kick)
    yield service
    await service.runner.cleanup()


@pytest.fixture
def secrets_store() -> SecretStore:
    return SecretStore(KeyringBackend("streampai-kick-test"))


def open_account(tmp_path: Path, service_url: str, secrets: SecretStore) -> AccountService:
    """This computer's account service (not signed in yet)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    opened = open_database(tmp_path)

    async def keep(_: Event) -> bool:
        return True

    return AccountService(
        EventBus(),
        opened.db,
        run_db,
        service_url=service_url,
        secrets=secrets,
        submit=keep,
        reloads=[],
    )


async def wait_until(predicate: Callable[[], Any], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.02)


@pytest.fixture
async def account(
    tmp_path: Path, kick_service: KickService, secrets_store: SecretStore
) -> AsyncIterator[AccountService]:
    """This computer, signed in to a fresh Streampai account, its live channel open."""
    service = open_account(tmp_path / "desktop", kick_service.url, secrets_store)
    await service.sign_in(f"{secrets.token_hex(6)}@example.com", PASSWORD, register=True)
    await wait_until(lambda: service.live.connected)
    yield service
    await service.stop()


class Browser:
    """The streamer's browser: opens what the app asks, follows Kick's redirect to the
    service's callback, and keeps the page it ended on."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, str]] = []

    def open(self, url: str) -> bool:  # called in a worker thread, like webbrowser.open
        response = httpx.get(url, follow_redirects=True, timeout=10)
        self.pages.append((response.status_code, response.text))
        return True


async def connect_kick(secrets: SecretStore, browser: Browser | None = None) -> SignedInAccount:
    """Kick's sign-in as the Platforms page runs it (through the service)."""
    steps: list[SignInStep] = []

    async def show(step: SignInStep) -> None:
        steps.append(step)

    who = await sign_in(
        SPEC, show, settings=None, secrets=secrets, open_browser=(browser or Browser()).open
    )
    assert steps and isinstance(steps[0], BrowserStep) and steps[0].opened
    return who


@dataclass
class Harness:
    """A Kick connector plus everything it reported."""

    connector: KickConnector
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
                    self.task.result()  # surface a crash or AuthFailed instead of a timeout
                    if not predicate():
                        raise AssertionError("connector stopped before the condition held")
                await asyncio.sleep(0.02)

    async def connected(self, within: float = 10) -> None:
        await self.wait_for(lambda: self.connector.status.state is ConnectorState.CONNECTED, within)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


Submit = Callable[[Event], Awaitable[bool]]


def build_harness(
    fake: FakeKick,
    secrets: SecretStore,
    user_id: str,
    *,
    forward: Submit | None = None,
    options: KickOptions = FAST,
) -> Harness:
    holder: list[Harness] = []

    async def submit(event: Event) -> bool:
        holder[0].events.append(event)
        return await forward(event) if forward is not None else True

    deps = ConnectorDeps(
        submit=submit,
        on_state=lambda s: holder[0].states.append(s),
        on_stream=lambda s: holder[0].streams.append(s),
    )
    endpoints = KickEndpoints(api_url=fake.api_url, auth_url=fake.auth_url)
    connector = KickConnector(
        f"acc-kick-{user_id}", user_id, deps, secrets=secrets, endpoints=endpoints, options=options
    )
    harness = Harness(connector)
    holder.append(harness)
    return harness
