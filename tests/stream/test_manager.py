"""StreamManager: supervision, visible states on the bus, stream state, metrics, ingest path."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from streampai_desktop.core.bus import TOPIC_CHAT, EventBus
from streampai_desktop.core.events import ChatMessage
from streampai_desktop.core.notices import PlatformStateChanged, StreamStateChanged, notice_topics
from streampai_desktop.platforms.base import (
    AuthFailed,
    ConnectorDeps,
    ConnectorState,
    ConnectorStatus,
    StreamInfo,
)
from streampai_desktop.platforms.twitch.client import TwitchEndpoints
from streampai_desktop.platforms.twitch.connector import create_connector
from streampai_desktop.secrets import SecretStore
from streampai_desktop.store.records import Account, MetricSample
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.stream.manager import StreamManager, combine
from tests.fakes.twitch import FakeTwitch, chat_event
from tests.platforms.conftest import FAST

NOW = datetime(2024, 5, 4, 18, 0, tzinfo=UTC)


def account(id: str = "acc-1", platform: str = "twitch", enabled: bool = True) -> Account:
    return Account(id, platform, "1337", "cool_streamer", "Cool_Streamer", enabled, NOW, NOW)


class Crashy:
    """A connector whose run() fails unexpectedly ``fails`` times, then runs until stopped."""

    platform = "twitch"

    def __init__(self, deps: ConnectorDeps, fails: int = 2, auth: bool = False) -> None:
        self.deps, self.fails, self.auth, self.runs = deps, fails, auth, 0
        self.stopped = asyncio.Event()
        self.signed_out = False

    async def run(self) -> None:
        self.runs += 1
        if self.auth:
            raise AuthFailed("Access to Twitch was revoked; sign in again.")
        if self.runs <= self.fails:
            raise RuntimeError("boom")
        self.deps.on_state(ConnectorStatus(ConnectorState.CONNECTED))
        await self.stopped.wait()

    async def stop(self) -> None:
        self.stopped.set()

    async def sign_out(self) -> None:
        self.signed_out = True

    async def send_chat(self, text: str) -> None:
        pass


async def until(condition: Callable[[], bool], within: float = 10) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - polling state the code under test owns
            await asyncio.sleep(0.02)


def notices(sub) -> list:  # type: ignore[no-untyped-def]
    out = []
    while (m := sub.get_nowait()) is not None:
        out.append(m.payload)
    return out


@pytest.mark.allow_logs(r"twitch connector for cool_streamer failed \(boom\)")
async def test_failed_connector_restarts_with_backoff_and_states_are_published() -> None:
    bus = EventBus()
    sub = bus.subscribe(notice_topics(PlatformStateChanged))
    made: list[Crashy] = []

    def factory(acc: Account, deps: ConnectorDeps) -> Crashy:
        made.append(Crashy(deps))
        return made[-1]

    manager = StreamManager(
        bus, lambda e: asyncio.sleep(0, True), factory=factory, restart_backoff=(0.2, 1.0)
    )
    await manager.start([account(), account("acc-2", enabled=False)])
    await until(lambda: manager.states()["acc-1"].state is ConnectorState.CONNECTED)
    assert made[0].runs == 3 and "acc-2" not in manager.states()
    states = [n.status.state.value for n in notices(sub)]
    assert states == ["error", "error", "connected"]
    await manager.stop()
    assert manager.states() == {}
    assert notices(sub)[-1].status.state is ConnectorState.STOPPED


async def test_auth_failure_waits_for_sign_in_without_retrying() -> None:
    bus = EventBus()
    made: list[Crashy] = []

    def factory(acc: Account, deps: ConnectorDeps) -> Crashy:
        made.append(Crashy(deps, auth=True))
        return made[-1]

    manager = StreamManager(
        bus, lambda e: asyncio.sleep(0, True), factory=factory, restart_backoff=(0.05, 0.1)
    )
    await manager.start([account()])
    await asyncio.sleep(0.5)
    status = manager.states()["acc-1"]
    assert status.state is ConnectorState.NEEDS_SIGN_IN and "sign in again" in status.reason
    assert made[0].runs == 1  # no retry loop against a revoked token
    await manager.sign_out("acc-1")
    assert made[0].signed_out and manager.states() == {}


def test_combined_stream_state() -> None:
    twitch = StreamInfo(live=True, title="Speedrun", started_at=NOW, viewers=10, followers=100)
    kick = StreamInfo(
        live=True,
        title="Speedrun (Kick)",
        started_at=NOW + timedelta(minutes=2),
        viewers=5,
        followers=7,
    )
    yt = StreamInfo(live=False, followers=None)
    both = combine([twitch, kick, yt])
    assert (both.live, both.viewers, both.followers, both.started_at) == (True, 15, 107, NOW)
    assert both.uptime(NOW + timedelta(hours=1)) == timedelta(hours=1)
    assert combine([yt]).live is False and combine([]).viewers is None


async def test_real_twitch_through_ingest_bus_and_metrics(
    twitch: FakeTwitch, endpoints: TwitchEndpoints, secrets: SecretStore, signed_in: object
) -> None:
    bus = EventBus()
    chat = bus.subscribe(TOPIC_CHAT)
    stream_notices = bus.subscribe(notice_topics(StreamStateChanged))
    ingest = EventIngest(bus)
    samples: list[MetricSample] = []

    async def sink(batch: Sequence[MetricSample]) -> None:
        samples.extend(batch)

    manager = StreamManager(
        bus,
        ingest.submit,
        metric_sink=sink,
        factory=lambda acc, deps: create_connector(
            acc, deps, secrets=secrets, endpoints=endpoints, options=FAST
        ),
    )
    await manager.start([account()])
    await until(lambda: manager.states()["acc-1"].state is ConnectorState.CONNECTED)
    # The same chat message twice (a platform redelivery): the chat box gets it once.
    await twitch.push("channel.chat.message", chat_event("hi", message_id="m1"))
    await twitch.push("channel.chat.message", chat_event("hi", message_id="m1"))
    twitch.go_live(viewers=33)
    await twitch.push_recorded("stream_online")
    await until(lambda: any(s.metric == "viewers" for s in samples))
    got = [m.payload for m in iter(chat.get_nowait, None)]
    assert [e.text for e in got if isinstance(e, ChatMessage)] == ["hi"]
    assert ingest.duplicates == 1
    combined = manager.combined()
    assert combined.live and combined.viewers == 33 and combined.followers == 42
    assert any(s.metric == "followers" and s.value == 42 for s in samples)
    assert any(n.combined.live for n in notices(stream_notices))
    await manager.send_chat("acc-1", "thanks for the raid!")
    assert twitch.sent_chat[-1]["message"] == "thanks for the raid!"
    await manager.stop()
    assert not manager.combined().live
