"""The obs-websocket v5 client against the fake OBS (tests/fakes/obs.py): what the streamer sees
when Streampai connects to OBS (with and without a password, the wrong one, OBS not running, its
websocket off, something else on the port), and what the app's OBS features stand on: requests
matched by id, timeouts, OBS's refusals with their code and comment, batches, events of the
subscribed categories only, and the connection ending when OBS quits.

The same client against real OBS Studio: tests/obs/test_real_obs.py.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from streampai_desktop.core.errors import (
    EXIT_SIGN_IN_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    describe,
)
from streampai_desktop.obs.client import (
    EventSubscription,
    ObsClient,
    ObsInfo,
    normalize_url,
)
from streampai_desktop.obs.errors import (
    ObsAuthFailed,
    ObsBadUrl,
    ObsConnectionLost,
    ObsDisabled,
    ObsProtocolError,
    ObsRequestFailed,
    ObsTimeout,
    ObsUnreachable,
)
from tests.fakes.obs import FakeObs

PASSWORD = "hunter2-ÖBS-€"  # non-ASCII on purpose: OBS hashes the UTF-8 bytes


@pytest.fixture
async def obs(free_port: int) -> AsyncIterator[FakeObs]:
    fake = FakeObs(free_port)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def locked_obs(free_port: int) -> AsyncIterator[FakeObs]:
    fake = FakeObs(free_port, password=PASSWORD)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(obs: FakeObs) -> AsyncIterator[ObsClient]:
    async with ObsClient(obs.url) as connected:
        yield connected


class Events:
    """What a client's event handler received, awaitable one at a time."""

    def __init__(self, client: ObsClient) -> None:
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.unsubscribe = client.on_event(lambda kind, data: self.queue.put_nowait((kind, data)))

    async def next(self, within: float = 2.0) -> tuple[str, dict[str, Any]]:
        async with asyncio.timeout(within):
            return await self.queue.get()

    def pending(self) -> list[str]:
        kinds = []
        while not self.queue.empty():
            kinds.append(self.queue.get_nowait()[0])
        return kinds


# --- connecting ---------------------------------------------------------------------------------


async def test_connects_without_a_password_and_reports_the_versions(obs: FakeObs) -> None:
    async with ObsClient(obs.url) as client:
        assert client.connected
        assert client.info == ObsInfo("30.2.3", "5.5.2", 1)
        # obs-websocket 5.5 names only itself in Hello: the OBS version came from GetVersion.
        assert [kind for kind, _ in obs.requests] == ["GetVersion"]
    assert client.closed.is_set()
    assert not client.connected


async def test_connects_with_the_password_without_sending_it(locked_obs: FakeObs) -> None:
    async with ObsClient(locked_obs.url, PASSWORD) as client:
        assert client.info is not None
        assert client.info.obs_version == "30.2.3"
    assert locked_obs.auth_failures == 0
    [identify] = locked_obs.identifies
    assert identify["rpcVersion"] == 1
    assert identify["eventSubscriptions"] == EventSubscription.ALL_LOW_VOLUME
    assert PASSWORD not in repr(identify)


async def test_obs_31_1_names_itself_in_hello(free_port: int) -> None:
    async with FakeObs(free_port, obs_version="31.1.2", websocket_version="5.6.2") as fake:
        async with ObsClient(fake.url) as client:
            assert client.info == ObsInfo("31.1.2", "5.6.2", 1)
        assert fake.requests == []


async def test_obs_28_without_uuids_works(free_port: int) -> None:
    fake = FakeObs(free_port, obs_version="28.1.2", websocket_version="5.0.1")
    async with fake, ObsClient(fake.url) as client:
        assert client.info == ObsInfo("28.1.2", "5.0.1", 1)
        scenes = await client.request("GetSceneList")
        assert scenes["currentProgramSceneName"] == "Scene"
        assert "sceneUuid" not in scenes["scenes"][0]


async def test_wrong_password_says_where_the_password_is_in_obs(locked_obs: FakeObs) -> None:
    client = ObsClient(locked_obs.url, "not-it")
    with pytest.raises(ObsAuthFailed) as caught:
        await client.connect()
    message = str(caught.value)
    assert "refused the password" in message
    assert "Tools → WebSocket Server Settings" in message
    assert "Show Connect Info" in message
    assert describe(caught.value).exit_code == EXIT_SIGN_IN_REFUSED
    # OBS closed with 4009 AuthenticationFailed, as obs-websocket does.
    assert locked_obs.auth_failures == 1
    assert client.close_code == 4009
    assert client.closed.is_set()


async def test_a_missing_password_is_asked_for_without_a_failed_attempt(
    locked_obs: FakeObs,
) -> None:
    with pytest.raises(ObsAuthFailed) as caught:
        await ObsClient(locked_obs.url).connect()
    assert "OBS asks for a password" in str(caught.value)
    assert "Tools → WebSocket Server Settings" in str(caught.value)
    # No Identify without an answer: OBS shows no "authentication failed" notification.
    assert locked_obs.auth_failures == 0


async def test_obs_not_running_says_start_obs(free_port: int) -> None:
    # This computer may have a real OBS open (or the real-OBS tests' one): which OBS runs is
    # what ObsDisabled is about (next test); here OBS is not running.
    client = ObsClient(f"ws://127.0.0.1:{free_port}", obs_running=lambda: False)
    with pytest.raises(ObsUnreachable) as caught:
        await client.connect()
    assert type(caught.value) is ObsUnreachable
    message = str(caught.value)
    assert "Start OBS" in message
    assert "Enable WebSocket server" in message
    assert str(free_port) in message
    assert describe(caught.value).exit_code == EXIT_UNREACHABLE
    assert client.closed.is_set()


@pytest.fixture
def obs_process(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real process named ``obs`` (``sleep`` under OBS's executable name), as a running OBS
    looks in the process list."""
    sleep = shutil.which("sleep")
    assert sleep, "coreutils' sleep is needed for this test"
    fake_obs = tmp_path / "obs"
    fake_obs.symlink_to(sleep)
    process = subprocess.Popen([str(fake_obs), "60"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


async def test_obs_running_with_websocket_off_says_how_to_switch_it_on(
    free_port: int, obs_process: subprocess.Popen[bytes]
) -> None:
    with pytest.raises(ObsDisabled) as caught:
        await ObsClient(f"ws://localhost:{free_port}").connect()
    message = str(caught.value)
    assert "OBS is running" in message
    assert "Tools → WebSocket Server Settings" in message
    assert "Enable WebSocket server" in message
    assert f"Server Port is {free_port}" in message


async def test_another_program_on_the_port_is_not_taken_for_obs(free_port: int) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="a web page")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", free_port).start()
    try:
        with pytest.raises(ObsProtocolError) as caught:
            await ObsClient(f"ws://127.0.0.1:{free_port}").connect()
    finally:
        await runner.cleanup()
    assert "not OBS's WebSocket server" in str(caught.value)


# The test's own server: it knows no obs-websocket subprotocol, as obs-websocket 4.x did not.
@pytest.mark.allow_logs(r"aiohttp.websocket: .*Client protocols .*obswebsocket.json")
async def test_a_websocket_that_never_says_hello_is_old_obs(free_port: int) -> None:
    """obs-websocket 4.x (OBS 27 and older) waits for the client to speak first."""

    async def silent(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/", silent)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.2)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", free_port).start()
    try:
        with pytest.raises(ObsProtocolError) as caught:
            await ObsClient(f"ws://127.0.0.1:{free_port}", connect_timeout=0.3).connect()
    finally:
        await runner.cleanup()
    assert "OBS 28 or later" in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("ws://127.0.0.1:4455", "ws://127.0.0.1:4455"),
        ("127.0.0.1:4455", "ws://127.0.0.1:4455"),
        ("  localhost ", "ws://localhost:4455"),
        ("ws://192.168.1.20", "ws://192.168.1.20:4455"),
        ("wss://obs.example:443/", "wss://obs.example"),
    ],
)
def test_addresses_as_streamers_type_them(typed: str, url: str) -> None:
    assert normalize_url(typed) == url


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "empty"),
        ("http://127.0.0.1:4455", "not a WebSocket address"),
        ("ws://:4455", "not a valid OBS address"),
        ("ws://user:secret@127.0.0.1:4455", "password goes in its own field"),
        ("ws://127.0.0.1:99999", "not a valid OBS address"),
    ],
)
def test_a_bad_address_is_refused_before_connecting(typed: str, says: str) -> None:
    with pytest.raises(ObsBadUrl) as caught:
        ObsClient(typed)
    assert says in str(caught.value)
    assert describe(caught.value).exit_code == EXIT_USAGE


async def test_a_client_connects_once(obs: FakeObs) -> None:
    client = ObsClient(obs.url)
    await client.connect()
    try:
        with pytest.raises(RuntimeError, match="connects once"):
            await client.connect()
    finally:
        await client.close()


# --- requests -----------------------------------------------------------------------------------


async def test_answers_go_to_their_own_requests(obs: FakeObs, client: ObsClient) -> None:
    await obs.add_scene("Live")
    await obs.add_browser_source("Live", "Alert Box", "http://127.0.0.1:7470/o/x/alert_box")
    scenes, items, settings, stream = await asyncio.gather(
        client.request("GetSceneList"),
        client.request("GetSceneItemList", {"sceneName": "Live"}),
        client.request("GetInputSettings", {"inputName": "Alert Box"}),
        client.request("GetStreamStatus"),
    )
    assert [s["sceneName"] for s in scenes["scenes"]] == ["Live", "Scene"]
    assert [i["sourceName"] for i in items["sceneItems"]] == ["Alert Box"]
    assert items["sceneItems"][0]["inputKind"] == "browser_source"
    assert settings["inputSettings"]["url"] == "http://127.0.0.1:7470/o/x/alert_box"
    assert stream["outputActive"] is False


async def test_a_request_without_answer_times_out_and_others_go_on(obs: FakeObs) -> None:
    obs.stall("GetStats")
    async with ObsClient(obs.url, request_timeout=0.3) as client:
        stalled = asyncio.create_task(client.request("GetStats"))
        scene = await client.request("GetCurrentProgramScene")
        assert scene["currentProgramSceneName"] == "Scene"
        with pytest.raises(ObsTimeout) as caught:
            await stalled
        assert "did not answer GetStats within 0.3 s" in str(caught.value)
        assert client.connected
        assert (await client.request("GetCurrentProgramScene"))["sceneName"] == "Scene"


async def test_a_refused_request_carries_obs_code_and_comment(client: ObsClient) -> None:
    with pytest.raises(ObsRequestFailed) as caught:
        await client.request("SetCurrentProgramScene", {"sceneName": "Nope"})
    assert caught.value.code == 600
    assert caught.value.comment == "No source was found by the name of `Nope`."
    assert str(caught.value) == (
        "OBS refused SetCurrentProgramScene: No source was found by the name of `Nope`. (code 600)."
    )


async def test_a_refusal_without_comment_is_explained(obs: FakeObs, client: ObsClient) -> None:
    await client.request("StartStream")
    with pytest.raises(ObsRequestFailed) as caught:
        await client.request("StartStream")
    assert (caught.value.code, caught.value.comment) == (500, None)
    assert "the output is already running" in str(caught.value)
    obs.fail_next("GetSceneList", 207)
    with pytest.raises(ObsRequestFailed, match="OBS is not ready"):
        await client.request("GetSceneList")
    assert (await client.request("GetSceneList"))["currentProgramSceneName"] == "Scene"


async def test_an_unknown_request_is_code_204(client: ObsClient) -> None:
    with pytest.raises(ObsRequestFailed) as caught:
        await client.request("MakeCoffee")
    assert caught.value.code == 204


async def test_requests_need_a_type_and_a_dict(client: ObsClient) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        await client.request("")
    with pytest.raises(TypeError, match="must be a dict"):
        await client.request("SetCurrentProgramScene", ["Live"])  # type: ignore[arg-type]


async def test_no_request_without_a_connection(obs: FakeObs) -> None:
    client = ObsClient(obs.url)
    with pytest.raises(ObsUnreachable, match="Not connected to OBS"):
        await client.request("GetSceneList")
    assert obs.requests == []


# --- batches ------------------------------------------------------------------------------------


async def test_a_batch_runs_in_order_with_one_result_each(obs: FakeObs, client: ObsClient) -> None:
    await obs.add_scene("Live")
    results = await client.batch(
        [
            ("GetCurrentProgramScene", None),
            ("SetCurrentProgramScene", {"sceneName": "Live"}),
            ("GetCurrentProgramScene", None),
        ]
    )
    assert [r.request_type for r in results] == [
        "GetCurrentProgramScene",
        "SetCurrentProgramScene",
        "GetCurrentProgramScene",
    ]
    assert all(r.ok and r.code == 100 for r in results)
    assert results[0].data["sceneName"] == "Scene"
    assert results[2].unwrap()["sceneName"] == "Live"
    assert obs.current_scene == "Live"


async def test_a_batch_reports_failures_per_request(obs: FakeObs, client: ObsClient) -> None:
    requests: list[tuple[str, dict[str, Any] | None]] = [
        ("CreateScene", {"sceneName": "Intro"}),
        ("SetCurrentProgramScene", {"sceneName": "Nope"}),
        ("SetCurrentProgramScene", {"sceneName": "Intro"}),
    ]
    results = await client.batch(requests)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].code == 600
    with pytest.raises(ObsRequestFailed, match="No source was found by the name of `Nope`"):
        results[1].unwrap()
    assert obs.current_scene == "Intro"

    halted = await client.batch(
        [
            ("SetCurrentProgramScene", {"sceneName": "Scene"}),
            ("SetCurrentProgramScene", {"sceneName": "Nope"}),
            ("SetCurrentProgramScene", {"sceneName": "Intro"}),
        ],
        halt_on_failure=True,
    )
    assert [r.ok for r in halted] == [True, False]
    assert obs.current_scene == "Scene"
    assert await client.batch([]) == []


# --- events -------------------------------------------------------------------------------------


async def test_events_arrive_as_the_streamer_acts_in_obs(obs: FakeObs, client: ObsClient) -> None:
    events = Events(client)
    await obs.add_scene("Live")
    await obs.switch_scene("Live")
    await obs.start_stream()
    seen = [await events.next() for _ in range(5)]
    assert [kind for kind, _ in seen] == [
        "SceneCreated",
        "SceneListChanged",
        "CurrentProgramSceneChanged",
        "StreamStateChanged",
        "StreamStateChanged",
    ]
    assert seen[2][1]["sceneName"] == "Live"
    assert [(d["outputActive"], d["outputState"]) for _, d in seen[3:]] == [
        (False, "OBS_WEBSOCKET_OUTPUT_STARTING"),
        (True, "OBS_WEBSOCKET_OUTPUT_STARTED"),
    ]

    events.unsubscribe()
    await obs.stop_stream()
    await client.request("GetStreamStatus")  # events sent before this answer have arrived
    assert events.pending() == []


async def test_only_subscribed_categories_arrive(obs: FakeObs) -> None:
    async with ObsClient(obs.url, events=EventSubscription.SCENES) as client:
        events = Events(client)
        await obs.start_stream()
        await obs.add_scene("Live")
        await obs.switch_scene("Live")
        await client.request("GetVersion")
        assert events.pending() == [
            "SceneCreated",
            "SceneListChanged",
            "CurrentProgramSceneChanged",
        ]


@pytest.mark.allow_logs(r"OBS event handler failed on \w+")
async def test_a_failing_handler_does_not_stop_the_others(obs: FakeObs, client: ObsClient) -> None:
    def broken(kind: str, data: dict[str, Any]) -> None:
        raise RuntimeError("bug in a handler")

    client.on_event(broken)
    events = Events(client)
    await obs.add_scene("Live")
    await obs.switch_scene("Live")
    kinds = [(await events.next())[0] for _ in range(3)]
    assert kinds[-1] == "CurrentProgramSceneChanged"
    assert client.connected


# --- the connection ending ----------------------------------------------------------------------


async def test_obs_quitting_sets_closed_and_fails_waiting_requests(obs: FakeObs) -> None:
    obs.stall("GetStats")
    async with ObsClient(obs.url, events=EventSubscription.GENERAL) as client:
        events = Events(client)
        waiting = asyncio.create_task(client.request("GetStats"))
        await asyncio.sleep(0.05)
        await obs.restart()
        async with asyncio.timeout(2):
            await client.closed.wait()
        assert not client.connected
        assert (await events.next())[0] == "ExitStarted"
        assert client.close_code == 1001
        with pytest.raises(ObsConnectionLost, match="ended before it answered GetStats"):
            await waiting
        with pytest.raises(ObsUnreachable):
            await client.request("GetSceneList")
    # OBS is back: a new client connects.
    async with ObsClient(obs.url) as again:
        assert again.connected


async def test_obs_crashing_sets_closed(obs: FakeObs, client: ObsClient) -> None:
    await obs.crash()
    async with asyncio.timeout(2):
        await client.closed.wait()
    assert not client.connected
