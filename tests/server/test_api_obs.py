"""The local API's OBS routes as a stream deck uses them: the real overlay server, the app's OBS
service and the fake OBS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from streampai_desktop.obs.service import PASSWORD_SECRET, ObsService
from tests.fakes.obs import FakeObs
from tests.obs.test_obs_service import PASSWORD, make_service, until
from tests.server.conftest import RunningServer


@pytest.fixture
async def obs() -> AsyncIterator[FakeObs]:
    fake = FakeObs(password=PASSWORD)
    await fake.start()
    await fake.add_scene("Live")
    yield fake
    await fake.stop()


@pytest.fixture
async def service(running: RunningServer, obs: FakeObs) -> AsyncIterator[ObsService]:
    made, _, secrets = make_service(obs.url)
    await secrets.set(PASSWORD_SECRET, PASSWORD)
    await made.start()
    await made.wait_connected(5)
    running.server.ctx.obs = made
    yield made
    await made.stop()


async def call(
    running: RunningServer, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    async with running.http.request(
        method, f"{running.base}/api/v1{path}", json=body, headers=running.api_headers(token)
    ) as response:
        return response.status, await response.json()


async def test_status_scene_and_stream_controls(
    running: RunningServer, obs: FakeObs, service: ObsService
) -> None:
    status, body = await call(running, "GET", "/obs")
    assert status == 200
    assert body["connected"] is True and body["obs_version"] == "30.2.3"
    assert body["scene"] == "Scene" and body["scenes"] == ["Scene", "Live"]
    assert body["streaming"]["active"] is False
    assert body["line"] == "OBS: not streaming · scene “Scene”"

    status, body = await call(running, "POST", "/obs/scene", {"scene": "Live"})
    assert status == 200 and body["scene"] == "Live"
    assert obs.current_scene == "Live"

    status, body = await call(running, "POST", "/obs/stream/start")
    assert status == 200
    await until(service, lambda s: s.streaming.kbps is not None)
    status, body = await call(running, "GET", "/obs")
    assert body["streaming"]["active"] is True and body["streaming"]["kbps"] > 0
    assert body["line"].startswith("OBS: streaming 00:00:0")

    status, body = await call(running, "POST", "/obs/stream/start")
    assert status == 409 and body["error"] == "OBS is already streaming."
    status, body = await call(running, "POST", "/obs/record/start")
    assert status == 200
    await until(service, lambda s: s.recording.active)
    assert obs.record.active
    for path in ("/obs/record/stop", "/obs/stream/stop"):
        status, _ = await call(running, "POST", path)
        assert status == 200
    await until(service, lambda s: not s.streaming.active and not s.recording.active)
    assert not obs.stream.active and not obs.record.active


async def test_bad_requests_and_the_token(
    running: RunningServer, obs: FakeObs, service: ObsService
) -> None:
    status, body = await call(running, "POST", "/obs/scene", {"scene": "Nope"})
    assert status == 409 and "OBS has no scene “Nope”" in body["error"]
    assert obs.current_scene == "Scene"
    status, body = await call(running, "POST", "/obs/scene", {"name": "Live"})
    assert status == 422 and body["exit_code"] == 2
    status, _ = await call(running, "POST", "/obs/stream/start", token="not-the-token")
    assert status == 401
    assert not obs.stream.active
    # GET changes nothing: a GET to a POST route is refused.
    async with running.http.get(
        f"{running.base}/api/v1/obs/stream/start", headers=running.api_headers()
    ) as response:
        assert response.status == 405
    assert not obs.stream.active


async def test_while_obs_is_closed_the_reason_comes_back(
    running: RunningServer, obs: FakeObs, service: ObsService
) -> None:
    await obs.stop()
    await until(service, lambda s: s.state == "unreachable")
    status, body = await call(running, "GET", "/obs")
    assert status == 200 and body["connected"] is False and body["line"] == "OBS: not running"
    assert "Start OBS" in body["error"]
    status, body = await call(running, "POST", "/obs/stream/start")
    assert status == 503 and body["exit_code"] == 7
    assert "Not connected to OBS" in body["error"]


async def test_connect_saves_the_password_and_connects(
    running: RunningServer, obs: FakeObs, service: ObsService
) -> None:
    obs.password = "a new one"  # the streamer changed it in OBS
    await obs.kick_all()
    await asyncio.sleep(0)
    status, body = await call(running, "POST", "/obs/connect", {"password": "a new one"})
    assert status == 200, body
    assert body["connected"] is True
    status, body = await call(running, "POST", "/obs/connect", {"url": "http://nope"})
    assert status == 422 and "WebSocket address" in body["error"]
