"""Pointing OBS's stream at an RTMP server and key, and back to the streamer's own settings:
against the fake OBS (asks first, remembers the first settings across two switches, the key never
in SQLite, refused while streaming), and against real OBS streaming to a local RTMP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.obs.client import ObsClient
from streampai_desktop.obs.stream_settings import StreamSettings, StreamSettingsError
from streampai_desktop.preferences import Preferences
from streampai_desktop.secrets import SecretStore, open_secret_store
from streampai_desktop.settings import Settings
from streampai_desktop.store import Database, open_database
from streampai_desktop.store import operations as ops
from tests.fakes.obs import FakeObs
from tests.obs.real_obs import RealObs, RtmpReceiver

OWN_KEY = "live_123456_OwnTwitchKey"
RELAY = "rtmp://127.0.0.1:1935/live"
RELAY_KEY = "relay-key-42"


class Answers:
    """A streamer answering the confirmation; remembers what they were asked."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.questions: list[str] = []

    async def __call__(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path).db
    yield database
    database.close()


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return open_secret_store(tmp_path)


def preferences(db: Database) -> Preferences:
    async def run_db(fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    return Preferences(Settings(ops.load_preferences(db), environ={}), db, run_db)


@pytest.fixture
async def obs(free_port: int) -> AsyncIterator[FakeObs]:
    async with FakeObs(free_port, output_delay=0.01) as fake:
        fake.stream_service_settings = {"service": "Twitch", "server": "auto", "key": OWN_KEY}
        yield fake


async def test_switches_after_a_yes_and_back_to_the_streamers_own(
    obs: FakeObs, db: Database, secrets: SecretStore, tmp_path: Path
) -> None:
    async with ObsClient(obs.url) as client:
        switcher = StreamSettings(client, preferences(db), secrets)
        no = Answers(False)
        assert not await switcher.switch_to(RELAY, RELAY_KEY, no)
        assert no.questions == [
            f"OBS streams to Twitch now. Stream to {RELAY} instead? You can switch back to "
            "your own settings later."
        ]
        assert obs.stream_service_settings["key"] == OWN_KEY
        assert await switcher.previous() is None

        assert await switcher.switch_to(RELAY, RELAY_KEY, Answers())
        assert obs.stream_service_type == "rtmp_custom"
        assert obs.stream_service_settings == {
            "server": RELAY,
            "key": RELAY_KEY,
            "use_auth": False,
        }
        # A second switch (another relay address) still goes back to Twitch, not to the relay.
        other = "rtmp://127.0.0.1:1936/live"
        yes = Answers()
        assert await switcher.switch_to(other, RELAY_KEY, yes)
        assert RELAY in yes.questions[0]

    # The memory outlives the app: a new run (new preferences from SQLite) switches back.
    async with ObsClient(obs.url) as client:
        again = StreamSettings(client, preferences(db), secrets)
        restored = await again.restore()
        assert restored.describe() == "Twitch"
        assert obs.stream_service_type == "rtmp_common"
        assert obs.stream_service_settings == {
            "service": "Twitch",
            "server": "auto",
            "key": OWN_KEY,
        }
        assert await again.previous() is None
        with pytest.raises(StreamSettingsError, match="nothing to switch back to"):
            await again.restore()
    # The stream keys were in the keyring only, never in the database file.
    database = (tmp_path / "streampai.db").read_bytes()
    assert OWN_KEY.encode() not in database and RELAY_KEY.encode() not in database


async def test_bad_targets_and_a_running_stream_are_refused_with_what_to_do(
    obs: FakeObs, db: Database, secrets: SecretStore
) -> None:
    async with ObsClient(obs.url) as client:
        switcher = StreamSettings(client, preferences(db), secrets)
        with pytest.raises(StreamSettingsError, match="not an RTMP server"):
            await switcher.switch_to("http://example.com/live", RELAY_KEY, Answers())
        with pytest.raises(StreamSettingsError, match="key is empty"):
            await switcher.switch_to(RELAY, "  ", Answers())
        await obs.start_stream()
        with pytest.raises(StreamSettingsError, match="Stop the stream in OBS"):
            await switcher.switch_to(RELAY, RELAY_KEY, Answers())
        assert obs.stream_service_settings["key"] == OWN_KEY


async def test_real_obs_streams_to_the_rtmp_server_and_switches_back(
    real_obs: RealObs, rtmp_server: RtmpReceiver, db: Database, secrets: SecretStore
) -> None:
    async with ObsClient(real_obs.url, real_obs.password) as client:
        # The streamer's own settings: Twitch with their key.
        await client.request(
            "SetStreamServiceSettings",
            {
                "streamServiceType": "rtmp_common",
                "streamServiceSettings": {"service": "Twitch", "server": "auto", "key": OWN_KEY},
            },
        )
        original = await client.request("GetStreamServiceSettings")
        switcher = StreamSettings(client, preferences(db), secrets)
        assert await switcher.switch_to(rtmp_server.server, rtmp_server.key, Answers())
        await client.request("StartStream")
        try:
            assert rtmp_server.wait_for_frames(30) >= 30, rtmp_server.log()[-2000:]
        finally:
            await client.request("StopStream")
        assert rtmp_server.unexpected_key() is None
        # OBS refuses to change the service until the output really stopped.
        for _ in range(100):
            if not (await client.request("GetStreamStatus"))["outputActive"]:
                break
            await asyncio.sleep(0.1)
        for _ in range(50):
            try:
                await switcher.restore()
                break
            except StreamSettingsError:
                await asyncio.sleep(0.2)
        assert await client.request("GetStreamServiceSettings") == original
        assert original["streamServiceSettings"]["key"] == OWN_KEY


async def test_a_fresh_obs_without_stream_settings_gets_nothing_set_back(
    free_port: int, db: Database, secrets: SecretStore
) -> None:
    async with FakeObs(free_port) as obs, ObsClient(obs.url) as client:
        obs.stream_service_settings = {}  # a new OBS profile: nothing set up yet
        switcher = StreamSettings(client, preferences(db), secrets)
        assert await switcher.switch_to(RELAY, RELAY_KEY, Answers())
        restored = await switcher.restore()
        assert (obs.stream_service_type, obs.stream_service_settings) == (
            "rtmp_common",
            {"key": ""},
        )
        assert restored.describe() == "no service set up yet"
