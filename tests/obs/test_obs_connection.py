"""ObsConnection against the fake OBS: what the streamer sees in Settings → OBS while OBS starts
later, quits and comes back, refuses the password until it is fixed, or disconnects Streampai
from its session list; and that the app's event handlers keep working across reconnects.

Backoff here is 50 ms → 200 ms instead of the app's 1 s → 30 s, so the tests take a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.obs.connection import ObsConnection, ObsState
from streampai_desktop.obs.errors import (
    ObsAuthFailed,
    ObsSessionKicked,
    ObsUnreachable,
)
from tests.conftest import find_free_port
from tests.fakes.obs import FakeObs

PASSWORD = "correct horse"


class Settings:
    """The app's OBS settings as ObsConnection reads them before each attempt."""

    def __init__(self, url: str, password: str | None = None) -> None:
        self.url = url
        self.password = password


class Watch:
    """An ObsConnection plus every state it reported."""

    def __init__(self, settings: Settings, backoff: Backoff | None = None) -> None:
        self.states: list[ObsState] = []
        self._changed = asyncio.Event()
        self.connection = ObsConnection(
            lambda: settings.url,
            lambda: settings.password,
            backoff=backoff or Backoff(base=0.05, cap=0.2),
            request_timeout=2.0,
            connect_timeout=2.0,
            on_state=self._on_state,
            obs_running=lambda: False,  # this computer's own OBS, if any, is not the one tested
        )

    def _on_state(self, state: ObsState) -> None:
        self.states.append(state)
        self._changed.set()

    async def until(self, state: ObsState, within: float = 3.0) -> None:
        await self.until_true(lambda: self.connection.state == state, within)

    async def until_true(self, condition: Callable[[], bool], within: float = 3.0) -> None:
        async with asyncio.timeout(within):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def obs(free_port: int) -> AsyncIterator[FakeObs]:
    fake = FakeObs(free_port, password=PASSWORD)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def make_watch() -> AsyncIterator[Callable[..., Watch]]:
    watches: list[Watch] = []

    def make(settings: Settings, backoff: Backoff | None = None) -> Watch:
        watch = Watch(settings, backoff)
        watches.append(watch)
        return watch

    yield make
    for watch in watches:
        await watch.connection.stop()


async def test_connects_when_obs_starts_later(
    free_port: int, make_watch: Callable[..., Watch]
) -> None:
    fake = FakeObs(free_port, password=PASSWORD)
    watch = make_watch(Settings(fake.url, PASSWORD))
    watch.connection.start()
    await watch.until("unreachable")
    assert isinstance(watch.connection.error, ObsUnreachable)
    assert "Start OBS" in str(watch.connection.error)
    assert watch.connection.next_attempt_at is not None
    assert watch.connection.client is None
    with pytest.raises(ObsUnreachable, match=r"Not connected to OBS.*Start OBS"):
        await watch.connection.request("GetSceneList")

    async with fake:
        client = await watch.connection.wait_connected(within=3)
        assert watch.connection.state == "connected"
        assert watch.connection.error is None
        assert watch.connection.info is not None
        assert watch.connection.info.obs_version == "30.2.3"
        scenes = await watch.connection.request("GetSceneList")
        assert scenes["currentProgramSceneName"] == "Scene"
        assert client is watch.connection.client
    assert watch.states[:2] == ["connecting", "unreachable"]
    assert watch.states[-2:] == ["connecting", "connected"]


async def test_reconnects_after_obs_restarts_and_events_keep_coming(
    obs: FakeObs, make_watch: Callable[..., Watch]
) -> None:
    watch = make_watch(Settings(obs.url, PASSWORD))
    scenes: list[str] = []
    watch.connection.on_event(
        lambda kind, data: (
            scenes.append(data["sceneName"]) if kind == "CurrentProgramSceneChanged" else None
        )
    )
    watch.connection.start()
    first = await watch.connection.wait_connected(within=3)
    await obs.add_scene("Live")
    await obs.switch_scene("Live")

    await obs.restart(down_for=0.3)
    await watch.until("connected")
    second = watch.connection.client
    assert second is not None and second is not first
    assert first.closed.is_set()
    assert "unreachable" in watch.states[watch.states.index("connected") :]

    await obs.switch_scene("Scene")
    await watch.connection.request("GetVersion")  # the event before this answer has arrived
    assert scenes == ["Live", "Scene"]
    assert len(obs.identified_sessions) == 1


async def test_a_wrong_password_waits_for_the_fixed_one(
    obs: FakeObs, make_watch: Callable[..., Watch]
) -> None:
    settings = Settings(obs.url, "wrong")
    watch = make_watch(settings)
    watch.connection.start()
    await watch.until("auth_failed")
    assert isinstance(watch.connection.error, ObsAuthFailed)
    assert "Tools → WebSocket Server Settings" in str(watch.connection.error)
    with pytest.raises(ObsAuthFailed):
        await watch.connection.wait_connected(within=3)  # at once: waiting cannot help

    # Several backoff caps later OBS was asked only once: no "authentication failed" pop-ups.
    await asyncio.sleep(0.6)
    assert obs.auth_failures == 1
    assert watch.connection.state == "auth_failed"

    settings.password = PASSWORD  # the streamer fixes it in Settings → OBS
    await watch.connection.wait_connected(within=3)
    assert obs.auth_failures == 1


async def test_obs_password_changed_then_app_updated(
    obs: FakeObs, make_watch: Callable[..., Watch]
) -> None:
    settings = Settings(obs.url, PASSWORD)
    # A long cap: the settings are looked at again only every 10 s on their own.
    watch = make_watch(settings, Backoff(base=0.05, cap=10.0))
    watch.connection.start()
    await watch.connection.wait_connected(within=3)

    obs.password = "new password"  # the streamer changes it in OBS, which restarts the server
    await obs.restart()
    await watch.until("auth_failed")

    settings.password = "new password"
    watch.connection.reconnect_now()  # what saving Settings → OBS does
    await watch.until("connected", within=3)  # at once, not at the next check in 10 s


async def test_new_settings_apply_to_a_live_connection(
    obs: FakeObs, make_watch: Callable[..., Watch]
) -> None:
    settings = Settings(obs.url, PASSWORD)
    watch = make_watch(settings)
    watch.connection.start()
    first = await watch.connection.wait_connected(within=3)

    async with FakeObs(find_free_port(), obs_version="31.1.2", websocket_version="5.6.2") as other:
        settings.url, settings.password = other.url, None
        watch.connection.reconnect_now()
        await watch.until_true(lambda: watch.connection.client not in (None, first))
        assert watch.connection.state == "connected"
        assert watch.states[-3:] == ["connected", "connecting", "connected"]
        assert first.closed.is_set()
        assert watch.connection.info is not None
        assert watch.connection.info.obs_version == "31.1.2"
        assert obs.identified_sessions == []
        assert len(other.identified_sessions) == 1


async def test_kicked_in_obs_stays_disconnected_until_asked(
    obs: FakeObs, make_watch: Callable[..., Watch]
) -> None:
    watch = make_watch(Settings(obs.url, PASSWORD))
    watch.connection.start()
    await watch.connection.wait_connected(within=3)

    await obs.kick_all()
    await watch.until("disconnected")
    assert isinstance(watch.connection.error, ObsSessionKicked)
    assert "Connected Sessions" in str(watch.connection.error)
    await asyncio.sleep(0.5)
    assert obs.connections == 1  # no reconnect on our own, as the protocol asks

    watch.connection.reconnect_now()
    await watch.connection.wait_connected(within=3)
    assert obs.connections == 2


async def test_stop_disconnects(obs: FakeObs, make_watch: Callable[..., Watch]) -> None:
    watch = make_watch(Settings(obs.url, PASSWORD))
    watch.connection.start()
    client = await watch.connection.wait_connected(within=3)
    await watch.connection.stop()
    assert watch.connection.state == "disconnected"
    assert watch.connection.client is None
    assert client.closed.is_set()
    await asyncio.sleep(0.3)
    assert obs.connections == 1
    assert obs.identified_sessions == []


@pytest.mark.allow_logs(r"OBS event handler failed on CurrentProgramSceneChanged")
async def test_a_failing_handler_does_not_stop_the_others(
    obs: FakeObs, make_watch: Callable[..., Watch]
) -> None:
    watch = make_watch(Settings(obs.url, PASSWORD))
    received: list[dict[str, Any]] = []

    def broken(kind: str, data: dict[str, Any]) -> None:
        if kind == "CurrentProgramSceneChanged":
            raise RuntimeError("bug in a handler")

    watch.connection.on_event(broken)
    watch.connection.on_event(lambda kind, data: received.append(data))
    watch.connection.start()
    await watch.connection.wait_connected(within=3)
    await obs.add_scene("Live")
    await obs.switch_scene("Live")
    await watch.connection.request("GetVersion")
    assert received[-1] == {"sceneName": "Live", "sceneUuid": obs.scene("Live").uuid}
    assert watch.connection.state == "connected"
