"""The fake OBS itself: it must hold clients to obs-websocket's rules and answer as OBS does, or
the OBS tests built on it prove nothing. The protocol's close codes for clients that break the
handshake rules (raw websocket here, since the app's client never breaks them), and the OBS behind
it: browser sources made by CreateInput, the errors for unknown or clashing names and input kinds,
outputs and their figures, stream service settings, and the shapes of OBS 28 (no UUIDs).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from streampai_desktop.obs.client import ObsClient, auth_string
from streampai_desktop.obs.errors import ObsRequestFailed
from tests.fakes.obs import FakeObs

OVERLAY = "http://127.0.0.1:7470/o/TOKEN/alert_box"


@pytest.fixture
async def obs(free_port: int) -> AsyncIterator[FakeObs]:
    async with FakeObs(free_port, password="secret") as fake:
        yield fake


@pytest.fixture
async def client(obs: FakeObs) -> AsyncIterator[ObsClient]:
    async with ObsClient(obs.url, "secret") as connected:
        yield connected


async def raw_session(
    obs: FakeObs, send: list[Any], *, identify: bool = False
) -> tuple[list[dict[str, Any]], int | None]:
    """Send ``send`` (after a correct Identify when ``identify``); what came back until OBS
    closed the socket, and the close code (``None``, right after Hello, when nothing is sent)."""
    received: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(obs.url) as ws:
        hello = json.loads((await ws.receive()).data)
        received.append(hello)
        if identify:
            auth = hello["d"]["authentication"]
            answer = auth_string("secret", auth["salt"], auth["challenge"])
            await ws.send_json({"op": 1, "d": {"rpcVersion": 1, "authentication": answer}})
            received.append(json.loads((await ws.receive()).data))
        if not send:
            return received, None
        for message in send:
            if isinstance(message, bytes):
                await ws.send_bytes(message)
            elif isinstance(message, str):
                await ws.send_str(message)
            else:
                await ws.send_json(message)
        async with asyncio.timeout(3):
            async for msg in ws:
                received.append(json.loads(msg.data))
        return received, ws.close_code


# --- the protocol's rules -----------------------------------------------------------------------


async def test_hello_comes_first_with_a_fresh_challenge_each_time(obs: FakeObs) -> None:
    first, _ = await raw_session(obs, [])
    second, _ = await raw_session(obs, [])
    hello = first[0]
    assert hello["op"] == 0
    assert hello["d"]["rpcVersion"] == 1
    assert hello["d"]["obsWebSocketVersion"] == "5.5.2"
    assert "obsStudioVersion" not in hello["d"]  # only from obs-websocket 5.6
    assert hello["d"]["authentication"]["salt"] == second[0]["d"]["authentication"]["salt"]
    challenges = {first[0]["d"]["authentication"]["challenge"]}
    challenges.add(second[0]["d"]["authentication"]["challenge"])
    assert len(challenges) == 2


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([{"op": 6, "d": {"requestType": "GetVersion", "requestId": "1"}}], 4007),
        ([{"op": 1, "d": {"rpcVersion": 1}}], 4009),
        ([{"op": 1, "d": {"rpcVersion": 1, "authentication": "bm9wZQ=="}}], 4009),
        ([b"\x00binary"], 4002),
        (["{not json"], 4002),
    ],
)
async def test_handshake_rules_close_with_obs_codes(
    obs: FakeObs, messages: list[Any], code: int
) -> None:
    _, close_code = await raw_session(obs, messages)
    assert close_code == code


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([{"op": 6, "d": {"requestType": "GetVersion"}}], 4003),  # no requestId
        ([{"op": 1, "d": {"rpcVersion": 1}}], 4008),  # Identify again
        ([{"op": 4, "d": {}}], 4006),  # no such op
        ([{"op": 8, "d": {"requestId": "b", "requests": {}}}], 4004),
    ],
)
async def test_identified_session_rules_close_with_obs_codes(
    obs: FakeObs, messages: list[Any], code: int
) -> None:
    received, close_code = await raw_session(obs, messages, identify=True)
    assert received[1] == {"op": 2, "d": {"negotiatedRpcVersion": 1}}
    assert close_code == code


async def test_another_rpc_version_is_refused(free_port: int) -> None:
    async with FakeObs(free_port) as fake:
        _, close_code = await raw_session(fake, [{"op": 1, "d": {"rpcVersion": 2}}])
    assert close_code == 4010


async def test_responses_echo_type_and_id(obs: FakeObs) -> None:
    request = {"op": 6, "d": {"requestType": "GetCurrentProgramScene", "requestId": "abc-1"}}
    received, _ = await raw_session(obs, [request, {"op": 4, "d": {}}], identify=True)
    response = received[2]
    assert response["op"] == 7
    assert response["d"]["requestType"] == "GetCurrentProgramScene"
    assert response["d"]["requestId"] == "abc-1"
    assert response["d"]["requestStatus"] == {"result": True, "code": 100}


async def test_a_plain_http_request_is_told_to_upgrade(obs: FakeObs) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{obs.port}/") as r:
        assert r.status == 426


# --- the OBS behind it --------------------------------------------------------------------------


async def test_create_input_makes_a_browser_source_in_the_scene(
    obs: FakeObs, client: ObsClient
) -> None:
    events: list[str] = []
    client.on_event(lambda kind, data: events.append(kind))
    created = await client.request(
        "CreateInput",
        {
            "sceneName": "Scene",
            "inputName": "Alert Box",
            "inputKind": "browser_source",
            "inputSettings": {"url": OVERLAY, "width": 1920, "height": 1080, "shutdown": False},
        },
    )
    assert created["sceneItemId"] == 1
    items = (await client.request("GetSceneItemList", {"sceneName": "Scene"}))["sceneItems"]
    assert [(i["sourceName"], i["inputKind"], i["sceneItemEnabled"]) for i in items] == [
        ("Alert Box", "browser_source", True)
    ]
    assert items[0]["sceneItemTransform"]["sourceWidth"] == 1920
    settings = await client.request("GetInputSettings", {"inputName": "Alert Box"})
    assert settings == {
        "inputKind": "browser_source",
        "inputSettings": {"url": OVERLAY, "width": 1920, "height": 1080, "shutdown": False},
    }
    new_url = OVERLAY.replace("7470", "7480")
    await client.request(
        "SetInputSettings", {"inputName": "Alert Box", "inputSettings": {"url": new_url}}
    )
    assert obs.input("Alert Box").settings["url"] == new_url
    assert obs.input("Alert Box").settings["width"] == 1920  # overlay: the rest stays
    await client.request("GetVersion")
    assert events == ["InputCreated", "SceneItemCreated", "InputSettingsChanged"]


@pytest.mark.parametrize(
    ("request_type", "data", "code", "comment"),
    [
        (
            "GetSceneItemList",
            {"sceneName": "Nope"},
            600,
            "No source was found by the name of `Nope`.",
        ),
        ("GetInputSettings", {"inputName": "Scene"}, 602, "The specified source is not an input."),
        ("GetSceneItemList", {"sceneName": "Mic/Aux"}, 602, "The specified source is not a scene."),
        (
            "CreateInput",
            {"sceneName": "Scene", "inputName": "Mic/Aux", "inputKind": "browser_source"},
            601,
            "A source already exists by that input name.",
        ),
        ("GetInputSettings", None, 301, "Your request data is missing or invalid (non-object)"),
        ("SetCurrentProgramScene", {"sceneName": ""}, 403, None),
        ("SetCurrentProgramScene", {"sceneName": 3}, 401, None),
        ("CreateScene", {}, 300, "Your request is missing the `sceneName` field."),
    ],
)
async def test_errors_carry_obs_codes(
    client: ObsClient,
    request_type: str,
    data: dict[str, Any] | None,
    code: int,
    comment: str | None,
) -> None:
    with pytest.raises(ObsRequestFailed) as caught:
        await client.request(request_type, data)
    assert caught.value.code == code
    if comment is not None:
        assert caught.value.comment == comment


async def test_debian_obs_has_no_browser_source(free_port: int) -> None:
    fake = FakeObs(free_port, browser_source=False)
    async with fake, ObsClient(fake.url) as client:
        kinds = (await client.request("GetInputKindList"))["inputKinds"]
        assert "browser_source" not in kinds
        with pytest.raises(ObsRequestFailed) as caught:
            await client.request(
                "CreateInput",
                {"sceneName": "Scene", "inputName": "Chat", "inputKind": "browser_source"},
            )
        assert caught.value.code == 605


async def test_stream_figures_grow_while_streaming(obs: FakeObs, client: ObsClient) -> None:
    await client.request("StartStream")
    assert (await client.request("GetStreamStatus"))["outputActive"] is False  # still STARTING
    await obs.start_stream()  # already starting: returns when STARTED
    obs.skipped_frames = 3
    await asyncio.sleep(0.2)
    status = await client.request("GetStreamStatus")
    assert status["outputActive"] is True
    assert status["outputDuration"] >= 200
    assert status["outputTimecode"].startswith("00:00:00.")
    assert status["outputBytes"] == 6000 * 125 * status["outputDuration"] // 1000
    assert status["outputSkippedFrames"] == 3
    assert status["outputTotalFrames"] >= 12
    with pytest.raises(ObsRequestFailed, match="while streaming"):
        await client.request(
            "SetStreamServiceSettings",
            {"streamServiceType": "rtmp_custom", "streamServiceSettings": {"server": "x"}},
        )
    await client.request("StopStream")
    await obs.stop_stream()
    assert (await client.request("GetStreamStatus"))["outputActive"] is False


async def test_recording_names_its_file(obs: FakeObs, client: ObsClient) -> None:
    await client.request("StartRecord")
    await obs.start_record()
    stopped = await client.request("StopRecord")
    assert stopped["outputPath"].endswith(".mkv")
    await obs.stop_record()
    last = [d for kind, d in obs.events if kind == "RecordStateChanged"][-1]
    assert last == {
        "outputActive": False,
        "outputState": "OBS_WEBSOCKET_OUTPUT_STOPPED",
        "outputPath": stopped["outputPath"],
    }


async def test_stream_service_settings_round_trip(client: ObsClient) -> None:
    before = await client.request("GetStreamServiceSettings")
    assert before["streamServiceType"] == "rtmp_common"
    custom = {"server": "rtmp://127.0.0.1:1935/live", "key": "stream-key"}
    await client.request(
        "SetStreamServiceSettings",
        {"streamServiceType": "rtmp_custom", "streamServiceSettings": custom},
    )
    after = await client.request("GetStreamServiceSettings")
    assert after == {"streamServiceType": "rtmp_custom", "streamServiceSettings": custom}
    with pytest.raises(ObsRequestFailed) as caught:
        await client.request(
            "SetStreamServiceSettings",
            {"streamServiceType": "srt_magic", "streamServiceSettings": custom},
        )
    assert caught.value.code == 700


async def test_obs_28_answers_have_names_only(free_port: int) -> None:
    fake = FakeObs(free_port, obs_version="28.1.2", websocket_version="5.0.1")
    async with fake, ObsClient(fake.url) as client:
        await fake.add_browser_source("Scene", "Chat Box", OVERLAY, 400, 600)
        everything = json.dumps(
            [
                await client.request("GetSceneList"),
                await client.request("GetInputList"),
                await client.request("GetSceneItemList", {"sceneName": "Scene"}),
                await client.request("GetCurrentProgramScene"),
            ]
        )
        assert "Uuid" not in everything
        current = await client.request("GetCurrentProgramScene")
        assert current == {"currentProgramSceneName": "Scene"}
