"""The YouTube connector against the fake YouTube, with the real httpx client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.platforms.base import (
    AuthFailed,
    ChatNotSent,
    ConnectorDeps,
    ConnectorState,
)
from streampai_desktop.platforms.youtube.auth import TokenSet, TokenStore, YouTubeEndpoints
from streampai_desktop.platforms.youtube.connector import YouTubeConnector, YouTubeOptions
from streampai_desktop.platforms.youtube.quota import QuotaBudget, next_reset
from streampai_desktop.secrets import SecretStore
from tests.fakes.youtube import (
    CHANNEL_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    FakeYouTube,
    text_message,
)
from tests.platforms.conftest import Harness

FAST = YouTubeOptions(
    discovery_interval_s=0.2,
    viewers_interval_s=0.2,
    min_poll_interval_s=0.05,
    stream_retry_s=0.6,
    backoff_base_s=0.1,
    backoff_cap_s=0.5,
)


@pytest.fixture
async def youtube(free_port: int) -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube(free_port) as fake:
        yield fake


@pytest.fixture
def endpoints(youtube: FakeYouTube) -> YouTubeEndpoints:
    return YouTubeEndpoints(youtube.auth_url, youtube.api_url, CLIENT_ID, CLIENT_SECRET)


async def sign_in(youtube: FakeYouTube, secrets: SecretStore, ttl_s: float = 3600) -> TokenSet:
    token = youtube.issue_token(ttl_s=ttl_s)
    tokens = TokenSet(token.access, token.refresh, time.time() + ttl_s)
    await TokenStore(secrets, CHANNEL_ID).save(tokens)
    return tokens


def build(
    endpoints: YouTubeEndpoints,
    secrets: SecretStore,
    budget: QuotaBudget | None = None,
    **options: Any,
) -> Harness:
    holder: list[Harness] = []

    async def submit(event: ev.Event) -> bool:
        holder[0].events.append(event)
        return True

    deps = ConnectorDeps(
        submit=submit,
        on_state=lambda s: holder[0].states.append(s),
        on_stream=lambda s: holder[0].streams.append(s),
    )
    opts = YouTubeOptions(**{**FAST.__dict__, **options}) if options else FAST
    # A budget of its own: the process-wide one per client id would carry over between tests.
    budget = budget or QuotaBudget()
    connector = YouTubeConnector("acc-yt", CHANNEL_ID, deps, endpoints, secrets, opts, budget)
    h = Harness(connector)  # type: ignore[arg-type]
    holder.append(h)
    return h


@pytest.fixture
async def harness(
    youtube: FakeYouTube, endpoints: YouTubeEndpoints, secrets: SecretStore
) -> AsyncIterator[Harness]:
    await sign_in(youtube, secrets)
    h = build(endpoints, secrets)
    yield h
    await h.stop()


def texts(h: Harness) -> list[str]:
    return [e.text for e in h.events if isinstance(e, ev.ChatMessage)]


def connector(h: Harness) -> YouTubeConnector:
    return h.connector  # type: ignore[return-value]


async def go_live_and_wait(youtube: FakeYouTube, h: Harness) -> None:
    """Live, and the chat reader has its first response (a position in the chat), so what the
    test posts next arrives live rather than as the history of a connection not yet made."""
    youtube.go_live(title="Speedrun day", viewers=321)
    await h.wait_for(
        lambda: (
            connector(h).stream.live
            and connector(h).reading != "none"
            and connector(h).page_token is not None
        )
    )


async def test_finds_the_live_stream_reads_chat_and_counts_viewers(
    youtube: FakeYouTube, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    assert harness.connector.status.reason.startswith("Waiting for a live stream. ")
    assert "of 10,000 quota units used today" in harness.connector.status.reason
    await go_live_and_wait(youtube, harness)
    stream = connector(harness).stream
    assert stream.title == "Speedrun day" and stream.started_at is not None
    await harness.wait_for(lambda: connector(harness).stream.viewers == 321)
    await youtube.post_recorded("text_message", "super_chat", "membership_gifting")
    await harness.wait_for(
        lambda: len([e for e in harness.events if e.kind != "viewer_count"]) >= 4
    )
    kinds = [e.kind for e in harness.events if e.kind != "viewer_count"]
    assert kinds == ["stream_online", "chat_message", "super_chat", "membership"]
    assert connector(harness).reading == "stream"
    # Real time: one streaming connection, no list polling.
    assert "GET liveChat/messages" not in youtube.calls
    assert any(isinstance(e, ev.ViewerCount) and e.viewers == 321 for e in harness.events)


@pytest.mark.parametrize("framing", ["concatenated", "ndjson", "array"])
async def test_every_framing_split_into_small_chunks_delivers_in_order(
    youtube: FakeYouTube, harness: Harness, framing: str
) -> None:
    youtube.framing, youtube.chunk_size = framing, 7
    harness.start()
    await go_live_and_wait(youtube, harness)
    for i in range(30):
        await youtube.post(text_message(f"msg {i} {{é🎉}}"))
    await harness.wait_for(lambda: len(texts(harness)) == 30)
    assert texts(harness) == [f"msg {i} {{é🎉}}" for i in range(30)]


async def test_messages_posted_before_the_first_connection_arrive_as_history(
    youtube: FakeYouTube, harness: Harness
) -> None:
    # The chat is busy before the connector's first stream connection (a loaded machine, an app
    # started mid-stream): that connection starts with the recent history, so none is missed.
    youtube.framing, youtube.chunk_size = "array", 7
    youtube.go_live()
    for i in range(30):
        await youtube.post(text_message(f"early {i}"))
    harness.start()
    await harness.wait_for(lambda: len(texts(harness)) == 30)
    assert texts(harness) == [f"early {i}" for i in range(30)]
    assert youtube.stream_connections == [None]


async def test_a_drop_mid_object_resumes_from_the_last_token_without_loss_or_repeat(
    youtube: FakeYouTube, harness: Harness
) -> None:
    youtube.chunk_size = 16
    harness.start()
    await go_live_and_wait(youtube, harness)
    await youtube.post(text_message("before"))
    await harness.wait_for(lambda: texts(harness) == ["before"])
    for round_ in range(3):
        await youtube.drop_streams(mid_object=True)
        await youtube.post(text_message(f"cut {round_}"), text_message(f"also {round_}"))
        await youtube.post(text_message(f"after {round_}"))
        await harness.wait_for(lambda r=round_: f"after {r}" in texts(harness))
    await asyncio.sleep(0.3)
    expected = ["before"] + [t for r in range(3) for t in (f"cut {r}", f"also {r}", f"after {r}")]
    assert texts(harness) == expected
    # Each reconnect carried the last complete response's token.
    assert len(youtube.stream_connections) >= 4
    assert all(token is not None for token in youtube.stream_connections[1:])
    assert connector(harness).reading == "stream"


async def test_without_the_stream_endpoint_it_polls_at_youtubes_pace(
    youtube: FakeYouTube, harness: Harness
) -> None:
    youtube.stream_enabled = False
    youtube.polling_interval_ms = 150
    harness.start()
    await go_live_and_wait(youtube, harness)
    await harness.wait_for(lambda: connector(harness).reading == "polling")
    await youtube.post(text_message("one"), text_message("two"))
    await harness.wait_for(lambda: texts(harness) == ["one", "two"])
    polls = youtube.calls.count("GET liveChat/messages")
    await asyncio.sleep(0.6)
    # pollingIntervalMillis (150 ms) honoured: about four polls in 0.6 s, not a tight loop.
    assert 2 <= youtube.calls.count("GET liveChat/messages") - polls <= 6
    # The stream comes back: the connector returns to it, and nothing repeats on the switch.
    youtube.stream_enabled = True
    await harness.wait_for(lambda: connector(harness).reading == "stream", within=5)
    await youtube.post(text_message("three"))
    await harness.wait_for(lambda: "three" in texts(harness))
    await asyncio.sleep(0.2)
    assert texts(harness) == ["one", "two", "three"]


async def test_chat_ended_takes_the_stream_offline_and_discovery_resumes(
    youtube: FakeYouTube, harness: Harness
) -> None:
    harness.start()
    await go_live_and_wait(youtube, harness)
    await youtube.post(text_message("bye"))
    await youtube.end_stream()
    await harness.wait_for(lambda: not connector(harness).stream.live)
    await harness.wait_for(lambda: "stream_offline" in [e.kind for e in harness.events])
    assert [e.kind for e in harness.events].count("stream_offline") == 1
    assert harness.connector.status.state is ConnectorState.CONNECTED
    # A new broadcast later is found again.
    youtube.go_live(title="Round two")
    await harness.wait_for(lambda: connector(harness).stream.title == "Round two")
    assert [e.kind for e in harness.events].count("stream_online") == 2


async def test_an_expiring_token_is_refreshed_and_saved(
    youtube: FakeYouTube, endpoints: YouTubeEndpoints, secrets: SecretStore
) -> None:
    youtube.token_ttl_s = 3600
    before = await sign_in(youtube, secrets, ttl_s=30)  # inside the refresh margin
    h = build(endpoints, secrets)
    h.start()
    try:
        await h.connected()
        saved = await TokenStore(secrets, CHANNEL_ID).load()
        assert saved is not None and saved.access != before.access
        assert saved.refresh == before.refresh  # Google keeps the refresh token
    finally:
        await h.stop()


async def test_a_401_refreshes_once_and_carries_on(youtube: FakeYouTube, harness: Harness) -> None:
    harness.start()
    await harness.connected()
    youtube.tokens.clear()  # the access token is no longer accepted; the refresh token still is
    youtube.go_live()
    await harness.wait_for(lambda: connector(harness).stream.live)
    assert harness.connector.status.state is ConnectorState.CONNECTED


async def test_revoked_access_means_sign_in_again(youtube: FakeYouTube, harness: Harness) -> None:
    harness.start()
    await harness.connected()
    youtube.revoke_all()
    youtube.go_live()
    await harness.wait_for(lambda: harness.task is not None and harness.task.done())
    with pytest.raises(AuthFailed):
        harness.task.result()  # type: ignore[union-attr]
    status = harness.connector.status
    assert status.state is ConnectorState.NEEDS_SIGN_IN
    assert "revoked" in status.reason


@pytest.mark.allow_logs(r"YouTube quota used up until")
async def test_quota_exceeded_says_until_when_it_is_back(
    youtube: FakeYouTube, harness: Harness
) -> None:
    youtube.quota_exceeded = True
    harness.start()
    await harness.wait_for(lambda: harness.connector.status.state is ConnectorState.ERROR)
    status = harness.connector.status
    assert status.reason.startswith("YouTube quota used up until ")
    assert status.next_attempt_at is not None
    hours = (status.next_attempt_at.timestamp() - time.time()) / 3600
    assert 0 < hours <= 25  # the next Pacific midnight


async def test_send_chat_posts_and_refuses_too_long(youtube: FakeYouTube, harness: Harness) -> None:
    harness.start()
    await go_live_and_wait(youtube, harness)
    await connector(harness).send_chat("thanks for the super chat!")
    assert youtube.inserted[-1]["snippet"]["textMessageDetails"]["messageText"] == (
        "thanks for the super chat!"
    )
    # The sent message comes back through the chat like everyone's.
    await harness.wait_for(lambda: "thanks for the super chat!" in texts(harness))
    with pytest.raises(ChatNotSent, match="200"):
        await connector(harness).send_chat("x" * 201)


def clock_before_midnight(seconds: float) -> Any:
    """A clock that reaches midnight Pacific ``seconds`` of real time from now."""
    now = datetime.now(UTC)
    offset = next_reset(now) - now - timedelta(seconds=seconds)
    return lambda: datetime.now(UTC) + offset


@pytest.mark.allow_logs(r"YouTube quota used up until")
async def test_quota_exceeded_resumes_by_itself_after_the_reset(
    youtube: FakeYouTube, endpoints: YouTubeEndpoints, secrets: SecretStore
) -> None:
    await sign_in(youtube, secrets)
    h = build(endpoints, secrets, budget=QuotaBudget(clock=clock_before_midnight(1.5)))
    youtube.quota_exceeded = True
    h.start()
    try:
        await h.wait_for(lambda: h.connector.status.state is ConnectorState.ERROR)
        youtube.quota_exceeded = False  # the new day at Google too
        youtube.go_live()
        await h.wait_for(lambda: connector(h).stream.live, within=10)
        assert h.connector.status.state is ConnectorState.CONNECTED
    finally:
        await h.stop()


async def test_units_are_counted_as_youtube_counts_them_and_viewers_stop_near_the_limit(
    youtube: FakeYouTube, endpoints: YouTubeEndpoints, secrets: SecretStore
) -> None:
    await sign_in(youtube, secrets)
    budget = QuotaBudget(per_day=1000)
    h = build(endpoints, secrets, budget=budget)
    h.start()
    try:
        await go_live_and_wait(youtube, h)
        await h.wait_for(lambda: youtube.calls.count("GET videos") >= 2)
        # The app's count is Google's count once no call is in flight (the fake counts a call
        # when it arrives, the app when the answer does).
        await h.wait_for(lambda: budget.used == youtube.units)
        await h.wait_for(
            lambda: (
                f"{youtube.units:,} of 1,000 quota units used today" in h.connector.status.reason
            )
        )
        budget.spend_units(905 - budget.used)  # 90.5% of the day's units gone
        videos = youtube.calls.count("GET videos")
        await asyncio.sleep(0.8)  # four viewer intervals
        assert youtube.calls.count("GET videos") <= videos + 1  # at most one already under way
        assert "viewer count paused to save quota" in h.connector.status.reason
        # Chat goes on.
        await youtube.post(text_message("still here"))
        await h.wait_for(lambda: "still here" in texts(h))
    finally:
        await h.stop()
