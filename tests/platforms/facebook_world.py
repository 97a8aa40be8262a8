"""What the Facebook tests stand on: the fake Facebook (Graph API, the SSE host, Login), a Page
token in the keyring as a finished sign-in leaves it, and a Facebook connector whose events,
states and stream are kept for assertions.

Test modules import the fixtures they use from here.
"""

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
from streampai_desktop.platforms.facebook.auth import PageToken, PageTokenStore
from streampai_desktop.platforms.facebook.client import GraphEndpoints
from streampai_desktop.platforms.facebook.connector import FacebookConnector, FacebookOptions
from streampai_desktop.secrets import KeyringBackend, SecretStore
from tests.conftest import find_free_port
from tests.fakes.facebook import PAGE_ID, PAGE_NAME, FakeFacebook

FAST = FacebookOptions(
    discovery_interval_s=0.2,
    viewers_interval_s=0.3,
    tally_interval_s=0.3,
    rate_limit_wait_s=0.5,
    backoff_base_s=0.2,
    backoff_cap_s=1.0,
)


@pytest.fixture
async def fake_facebook() -> AsyncIterator[FakeFacebook]:
    async with FakeFacebook(find_free_port()) as fake:
        yield fake


@pytest.fixture
def fb_secrets() -> SecretStore:
    return SecretStore(KeyringBackend("streampai-facebook-test"))


async def keep_page_token(
    fake: FakeFacebook, secrets: SecretStore, declined: tuple[str, ...] = ()
) -> str:
    """What a finished sign-in leaves: the Page's token (from a long-lived user token)."""
    token = fake.issue_page_token(PAGE_ID).value
    await PageTokenStore(secrets, PAGE_ID).save(PageToken(token, fake.user_id, declined))
    return token


@dataclass
class Harness:
    """A Facebook connector plus everything it reported."""

    connector: FacebookConnector
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

    async def waiting_for_live(self) -> None:
        await self.wait_for(
            lambda: (
                self.connector.status.state is ConnectorState.CONNECTED
                and "Waiting" in self.connector.status.reason
            )
        )

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def build_harness(
    fake: FakeFacebook,
    secrets: SecretStore,
    *,
    forward: Callable[[Event], Awaitable[bool]] | None = None,
    options: FacebookOptions = FAST,
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
    endpoints = GraphEndpoints(api_url=fake.graph_url, streaming_url=fake.streaming_url)
    connector = FacebookConnector(
        f"acc-facebook-{PAGE_ID}",
        PAGE_ID,
        deps,
        secrets=secrets,
        endpoints=endpoints,
        options=options,
        page_name=PAGE_NAME,
    )
    harness = Harness(connector)
    holder.append(harness)
    return harness


@pytest.fixture
async def harness(fake_facebook: FakeFacebook, fb_secrets: SecretStore) -> AsyncIterator[Harness]:
    await keep_page_token(fake_facebook, fb_secrets)
    h = build_harness(fake_facebook, fb_secrets)
    yield h
    await h.stop()


# --- the account service, for the sign-in ------------------------------------------------------


@dataclass
class FacebookService:
    """The account service on a port of its own (also its public URL, so the Login dialog's
    redirect lands on it), configured for the fake Facebook."""

    url: str
    runner: Any


async def start_service(config: Any, fake: FakeFacebook | None) -> FacebookService:
    """``fake`` None: a service without a Facebook app (a self-hoster who set none up)."""
    import dataclasses

    from aiohttp import web

    from streampai_cloud.app import create_app
    from tests.fakes.facebook import APP_ID, APP_SECRET

    port = find_free_port()
    url = f"http://127.0.0.1:{port}"
    config = dataclasses.replace(config, public_url=url)
    if fake is not None:
        config = dataclasses.replace(
            config,
            facebook_app_id=APP_ID,
            facebook_app_secret=APP_SECRET,
            facebook_graph_url=fake.graph_url,
            facebook_dialog_url=fake.dialog_url,
        )
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return FacebookService(url, runner)


def graph_settings(fake: FakeFacebook) -> Any:
    """The app's settings pointed at the fake (what STREAMPAI_FACEBOOK_* do for a run)."""
    from streampai_desktop.settings import Settings

    return Settings(
        {"facebook_api_url": fake.graph_url, "facebook_streaming_url": fake.streaming_url}
    )


@pytest.fixture
async def facebook_service(
    cloud_config: Any, fake_facebook: FakeFacebook
) -> AsyncIterator[FacebookService]:
    """The account service configured for the fake Facebook (needs ``cloud_config`` from
    ``tests.cloud.conftest`` imported into the test module)."""
    running = await start_service(cloud_config, fake_facebook)
    yield running
    await running.runner.cleanup()
