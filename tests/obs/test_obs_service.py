"""The app's OBS service against the fake OBS: what the Dashboard line and Settings → OBS show
while OBS is closed, asks for a password, streams and records, and what the controls do.

Backoff is 50 ms → 200 ms and the status poll 50 ms instead of 1 s, so the tests take seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.notices import ObsStatusChanged, notice_topics
from streampai_desktop.obs.errors import ObsBadUrl
from streampai_desktop.obs.service import PASSWORD_SECRET, ObsNotPossible, ObsService, ObsStatus
from streampai_desktop.secrets import KeyringBackend, SecretStore
from streampai_desktop.settings import Settings
from tests.fakes.obs import FakeObs

PASSWORD = "correct horse"


class Saved:
    """The app's preferences as far as the service uses them (``Preferences.save``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.saved: dict[str, Any] = {}

    async def save(self, key: str, value: Any) -> Any:
        self.saved[key] = value
        return self.settings.set_stored(key, value)


def make_service(
    url: str, *, bus: EventBus | None = None, environ: dict[str, str] | None = None
) -> tuple[ObsService, Saved, SecretStore]:
    settings = Settings({"obs_websocket_url": url}, environ=environ or {})
    saved = Saved(settings)
    secrets = SecretStore(KeyringBackend("streampai-obs-service-test"))
    service = ObsService(
        settings,
        secrets,
        saved.save,
        bus=bus,
        connection_options={
            "backoff": Backoff(base=0.05, cap=0.2),
            "request_timeout": 2.0,
            "connect_timeout": 2.0,
            "obs_running": lambda: False,
        },
        poll_interval=0.05,
    )
    return service, saved, secrets


async def until(
    service: ObsService, condition: Callable[[ObsStatus], bool], within: float = 5.0
) -> ObsStatus:
    """The status once ``condition`` holds (checked at every change the service publishes)."""
    changed = asyncio.Event()
    unsubscribe = service.on_change(lambda _status: changed.set())
    try:
        async with asyncio.timeout(within):
            while not condition(service.status):
                changed.clear()
                await changed.wait()
    finally:
        unsubscribe()
    return service.status


@pytest.fixture
async def obs(free_port: int) -> AsyncIterator[FakeObs]:
    fake = FakeObs(free_port, password=PASSWORD, output_delay=0.05)
    await fake.start()
    await fake.add_scene("Starting")
    await fake.add_scene("Live")
    yield fake
    await fake.stop()


@pytest.fixture
async def services() -> AsyncIterator[list[ObsService]]:
    made: list[ObsService] = []
    yield made
    for service in made:
        await service.stop()


async def test_streaming_in_obs_shows_time_kbps_and_dropped_frames(
    obs: FakeObs, services: list[ObsService]
) -> None:
    bus = EventBus()
    notices = bus.subscribe(notice_topics(ObsStatusChanged), name="test")
    service, _, secrets = make_service(obs.url, bus=bus)
    services.append(service)
    await secrets.set(PASSWORD_SECRET, PASSWORD)
    await service.start()
    status = await service.wait_connected(5)
    assert status.connected and status.obs_version == "30.2.3"
    assert status.websocket_version == "5.5.2"
    assert status.scenes == ("Scene", "Starting", "Live"), "in OBS's own list order"
    assert status.scene == "Scene"
    assert service.status.line() == "OBS: not streaming · scene “Scene”"

    obs.stream_kbps = 6000
    obs.fps, obs.skipped_frames = 60, 0
    await obs.start_stream()  # the streamer clicks Start Streaming in OBS
    status = await until(service, lambda s: s.streaming.kbps is not None)
    assert status.streaming.state == "started"
    assert status.streaming.kbps == pytest.approx(6000, rel=0.02)
    assert status.streaming.timecode.startswith("00:00:0")
    obs.skipped_frames = 1  # one frame dropped out of 60 per second of stream so far
    status = await until(service, lambda s: (s.streaming.dropped_frames_percent or 0) > 0)
    line = status.line()
    assert line.startswith("OBS: streaming 00:00:0"), line
    assert "6,000 kbps" in line and "dropped frames" in line

    await obs.switch_scene("Live")
    await until(service, lambda s: s.scene == "Live")
    await obs.stop_stream()
    status = await until(service, lambda s: s.streaming.state == "stopped")
    assert status.line() == "OBS: not streaming · scene “Live”"
    assert status.streaming.kbps is None, "the last stream's figures are gone"

    seen = []
    while notices.qsize():
        seen.append((await notices.get()).payload.status)
    assert any(s.streaming.state == "starting" for s in seen), "told before the platforms"
    notices.close()


async def test_controls_switch_scene_stream_and_record(
    obs: FakeObs, services: list[ObsService]
) -> None:
    service, _, secrets = make_service(obs.url)
    services.append(service)
    await secrets.set(PASSWORD_SECRET, PASSWORD)
    await service.start()
    await service.wait_connected(5)

    await service.set_scene("Starting")
    assert obs.current_scene == "Starting"
    with pytest.raises(ObsNotPossible, match=r"OBS has no scene “Nope”.*“Live”"):
        await service.set_scene("Nope")

    await service.start_stream()
    await until(service, lambda s: s.streaming.state == "started")
    assert obs.stream.active
    with pytest.raises(ObsNotPossible, match="OBS is already streaming"):
        await service.start_stream()
    await service.start_record()
    status = await until(service, lambda s: s.recording.state == "started")
    await until(service, lambda s: s.recording.duration_ms > 0)
    assert "recording 00:00:0" in service.status.line()
    await service.stop_record()
    await service.stop_stream()
    status = await until(
        service, lambda s: s.streaming.state == "stopped" and s.recording.state == "stopped"
    )
    assert not obs.stream.active and not obs.record.active
    with pytest.raises(ObsNotPossible, match="OBS is not recording"):
        await service.stop_record()
    assert status.line() == "OBS: not streaming · scene “Starting”"


async def test_a_missing_password_then_a_saved_one(
    obs: FakeObs, services: list[ObsService], memory_keyring: Any
) -> None:
    service, _, _ = make_service(obs.url)
    services.append(service)
    await service.start()
    status = await until(service, lambda s: s.state == "auth_failed")
    assert status.line() == "OBS: needs the WebSocket password (Settings → OBS)"
    assert status.error is not None and "Show Connect Info" in status.error

    await service.configure(password=PASSWORD)
    status = await until(service, lambda s: s.connected and bool(s.scenes))
    assert status.error is None
    assert PASSWORD in memory_keyring.entries.values(), "the password is kept in the keyring"


async def test_obs_closed_then_started_later(free_port: int, services: list[ObsService]) -> None:
    service, _, _ = make_service(f"ws://127.0.0.1:{free_port}")
    services.append(service)
    await service.start()
    status = await until(service, lambda s: s.state == "unreachable")
    assert status.line() == "OBS: not running"
    assert status.to_json()["connected"] is False

    async with FakeObs(free_port) as obs:  # OBS starts, no password set
        status = await until(service, lambda s: s.connected and s.scene is not None, within=5)
        assert status.line() == "OBS: not streaming · scene “Scene”"
        await obs.start_stream()
        await until(service, lambda s: s.streaming.active)
        # OBS quits while streaming: no stale "streaming" line is left behind.
    status = await until(service, lambda s: s.state == "unreachable")
    assert not status.streaming.active and status.line() == "OBS: not running"


async def test_an_address_is_checked_before_it_is_saved(
    obs: FakeObs, services: list[ObsService]
) -> None:
    service, saved, _ = make_service("ws://127.0.0.1:4455")
    services.append(service)
    with pytest.raises(ObsBadUrl):
        await service.configure(url="http://example.com/obs")
    assert saved.saved == {}
    await service.configure(url=f"127.0.0.1:{obs.port}", password=PASSWORD)
    assert saved.saved == {"obs_websocket_url": obs.url}
    status = await service.wait_connected(5)
    assert status.connected and status.url == obs.url


async def test_the_environment_address_wins(obs: FakeObs, services: list[ObsService]) -> None:
    service, _, secrets = make_service("ws://127.0.0.1:1", environ={"STREAMPAI_OBS_URL": obs.url})
    services.append(service)
    await secrets.set(PASSWORD_SECRET, PASSWORD)
    await service.start()
    assert (await service.wait_connected(5)).url == obs.url
    assert service.url_source == "environment"
