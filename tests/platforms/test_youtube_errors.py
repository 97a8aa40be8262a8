"""The YouTube connector when Google fails: 5xx back off and recover with nothing lost or shown
twice, a 404 on the stream endpoint falls back to polling, a 401 refreshes the token, a revoked
grant asks for a sign-in — on every path the chat reads (stream and list), against the fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.platforms.base import AuthFailed, ConnectorState
from streampai_desktop.platforms.youtube.auth import TokenStore, YouTubeEndpoints
from streampai_desktop.secrets import SecretStore
from tests.fakes.youtube import CHANNEL_ID, CLIENT_ID, CLIENT_SECRET, FakeYouTube, text_message
from tests.platforms.conftest import Harness
from tests.platforms.test_youtube_connector import (
    build,
    connector,
    go_live_and_wait,
    sign_in,
    texts,
)

BACKEND_ERROR = 503, "backendError"


@pytest.fixture
async def youtube(free_port: int) -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube(free_port) as fake:
        yield fake


@pytest.fixture
async def harness(youtube: FakeYouTube, secrets: SecretStore) -> AsyncIterator[Harness]:
    await sign_in(youtube, secrets)
    endpoints = YouTubeEndpoints(youtube.auth_url, youtube.api_url, CLIENT_ID, CLIENT_SECRET)
    h = build(endpoints, secrets)
    yield h
    await h.stop()


def states(h: Harness) -> list[ConnectorState]:
    return [s.state for s in h.states]


async def test_a_5xx_while_finding_the_stream_backs_off_then_connects(
    youtube: FakeYouTube, harness: Harness
) -> None:
    youtube.fail_next = [("liveBroadcasts", *BACKEND_ERROR)] * 2
    harness.start()
    await harness.connected()
    reconnecting = [s for s in harness.states if s.state is ConnectorState.RECONNECTING]
    assert len(reconnecting) == 2
    assert all("HTTP 503 (backendError)" in s.reason for s in reconnecting)
    assert all(s.next_attempt_at is not None for s in reconnecting)
    youtube.go_live()
    await harness.wait_for(lambda: connector(harness).stream.live)


async def test_5xx_on_the_chat_stream_resumes_without_loss_or_repeat(
    youtube: FakeYouTube, harness: Harness
) -> None:
    harness.start()
    await go_live_and_wait(youtube, harness)
    await youtube.post(text_message("before"))
    await harness.wait_for(lambda: texts(harness) == ["before"])
    # The connection drops, and the next two attempts to reopen it meet a YouTube outage.
    youtube.fail_next = [("liveChat/messages/stream", *BACKEND_ERROR)] * 2
    await youtube.drop_streams(mid_object=False)
    await youtube.post(text_message("during 1"), text_message("during 2"))
    await harness.wait_for(lambda: not youtube.fail_next)
    await youtube.post(text_message("after"))
    await harness.wait_for(lambda: "after" in texts(harness))
    await asyncio.sleep(0.3)
    assert texts(harness) == ["before", "during 1", "during 2", "after"]
    assert connector(harness).reading == "stream"
    assert harness.connector.status.state is ConnectorState.CONNECTED


async def test_5xx_while_polling_reconnects_without_loss_or_repeat(
    youtube: FakeYouTube, harness: Harness
) -> None:
    youtube.stream_enabled = False
    harness.start()
    await go_live_and_wait(youtube, harness)
    await harness.wait_for(lambda: connector(harness).reading == "polling")
    await youtube.post(text_message("one"))
    await harness.wait_for(lambda: texts(harness) == ["one"])
    youtube.fail_next = [("liveChat/messages", 500, "backendError")]
    await harness.wait_for(lambda: not youtube.fail_next)
    await youtube.post(text_message("two"), text_message("three"))
    await harness.wait_for(lambda: "three" in texts(harness))
    await asyncio.sleep(0.3)
    assert texts(harness) == ["one", "two", "three"]
    assert ConnectorState.RECONNECTING in states(harness)
    assert harness.connector.status.state is ConnectorState.CONNECTED
    # The same stream, still live: no second "stream started".
    assert [e.kind for e in harness.events].count("stream_online") == 1


async def test_googles_404_on_the_stream_endpoint_falls_back_to_polling_and_back(
    youtube: FakeYouTube, harness: Harness
) -> None:
    # Google's JSON 404 (the endpoint not enabled for this project yet), then it is there.
    youtube.fail_next = [("liveChat/messages/stream", 404, "notFound")]
    youtube.go_live()
    harness.start()
    await harness.wait_for(lambda: connector(harness).reading == "polling")
    await youtube.post(text_message("polled"))
    await harness.wait_for(lambda: texts(harness) == ["polled"])
    assert "GET liveChat/messages" in youtube.calls
    # stream_retry_s later the stream is tried again, and now it answers.
    await harness.wait_for(lambda: connector(harness).reading == "stream", within=5)
    await youtube.post(text_message("streamed"))
    await harness.wait_for(lambda: "streamed" in texts(harness))
    await asyncio.sleep(0.2)
    assert texts(harness) == ["polled", "streamed"]
    # A 404 is not YouTube serving the stream: it cost no units, and the count agrees.
    await harness.wait_for(lambda: connector(harness).budget.used == youtube.units)


async def test_a_401_on_the_chat_stream_refreshes_the_token_and_resumes(
    youtube: FakeYouTube, harness: Harness, secrets: SecretStore
) -> None:
    harness.start()
    await go_live_and_wait(youtube, harness)
    await youtube.post(text_message("before"))
    await harness.wait_for(lambda: texts(harness) == ["before"])
    before = await TokenStore(secrets, CHANNEL_ID).load()
    youtube.tokens.clear()  # the access token stops working early; the refresh token still does
    await youtube.drop_streams(mid_object=False)
    await youtube.post(text_message("after"))
    await harness.wait_for(lambda: "after" in texts(harness))
    await asyncio.sleep(0.2)
    assert texts(harness) == ["before", "after"]
    saved = await TokenStore(secrets, CHANNEL_ID).load()
    assert before is not None and saved is not None
    assert saved.access != before.access and saved.access in youtube.tokens
    assert harness.connector.status.state is ConnectorState.CONNECTED


async def test_a_grant_revoked_while_live_asks_for_a_new_sign_in(
    youtube: FakeYouTube, harness: Harness
) -> None:
    harness.start()
    await go_live_and_wait(youtube, harness)
    youtube.revoke_all()  # removed in the Google account's security settings
    await youtube.drop_streams(mid_object=False)
    await harness.wait_for(lambda: harness.task is not None and harness.task.done())
    with pytest.raises(AuthFailed):
        harness.task.result()  # type: ignore[union-attr]
    status = harness.connector.status
    assert status.state is ConnectorState.NEEDS_SIGN_IN
    assert "revoked or has expired; sign in again" in status.reason
    assert not any(isinstance(e, ev.StreamOffline) for e in harness.events)
