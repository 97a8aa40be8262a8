"""The live channel: a commit on any process reaches the account's other sockets at once."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import WSCloseCode, WSMsgType
from sqlalchemy.engine import make_url

from streampai_cloud.config import CloudConfig
from streampai_cloud.keys import HUB
from tests.cloud.conftest import Api, MakeApi, Session


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next JSON message; a generous timeout so a missing message fails instead of hanging."""
    msg = await ws.receive(timeout=5)
    assert msg.type == WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def open_live(api: Api, session: Session) -> aiohttp.ClientWebSocketResponse:
    ws = await api.client.ws_connect("/v1/live", headers=session.headers)
    hello = await receive(ws)
    assert hello["type"] == "hello"
    return ws


def patch_one(seq: int, device: str) -> dict[str, Any]:
    return {
        "device_id": device,
        "seq": seq,
        "entity": "preference",
        "row_id": str(uuid.uuid4()),
        "patch": {"key": "k", "value": seq},
    }


async def test_a_push_on_one_process_notifies_a_socket_on_another(make_api: MakeApi) -> None:
    one, two = await make_api(), await make_api()
    laptop = await one.register()
    studio = await two.signin(laptop.account["email"])
    stranger = await two.register()

    ws = await open_live(two, studio)
    stranger_ws = await open_live(two, stranger)
    status, _ = await one.push(laptop, patch_one(1, str(uuid.uuid4())))
    assert status == 200
    assert await receive(ws) == {"type": "changed", "version": 1}
    # Other accounts hear nothing.
    try:
        msg = await stranger_ws.receive(timeout=0.3)
        raise AssertionError(f"stranger got {msg}")
    except TimeoutError:
        pass
    await ws.close()
    await stranger_ws.close()


async def test_hello_carries_the_version_so_a_reconnecting_device_pulls(api: Api) -> None:
    s = await api.register()
    await api.push(s, patch_one(1, str(uuid.uuid4())))
    async with api.client.ws_connect("/v1/live", headers=s.headers) as ws:
        assert await receive(ws) == {"type": "hello", "version": 1}
        await ws.send_json({"type": "ping"})
        assert await receive(ws) == {"type": "pong"}


async def test_the_token_may_come_in_the_query_and_bad_tokens_are_refused(api: Api) -> None:
    s = await api.register()
    async with api.client.ws_connect(f"/v1/live?access_token={s.access_token}") as ws:
        assert (await receive(ws))["type"] == "hello"
    async with api.client.get("/v1/live") as resp:
        assert resp.status == 401
    async with api.client.get("/v1/live", headers=s.headers) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "websocket_required"


async def test_revoking_a_device_closes_its_socket(make_api: MakeApi) -> None:
    one, two = await make_api(), await make_api()
    laptop = await one.register()
    studio = await one.signin(laptop.account["email"])
    ws = await open_live(two, laptop)
    status, _ = await one.call("DELETE", f"/v1/devices/{laptop.device_id}", session=studio)
    assert status == 204
    msg = await ws.receive(timeout=5)
    assert msg.type == WSMsgType.CLOSE and msg.data == 4001
    await asyncio.sleep(0)


@pytest.mark.allow_logs(r"LISTEN connection lost")
async def test_a_lost_listen_connection_reconnects_and_sockets_resync(
    api: Api, cloud_config: CloudConfig
) -> None:
    assert api.client.app is not None
    hub = api.client.app[HUB]
    s = await api.register()
    ws = await open_live(api, s)
    old_pid = hub.listener_pid
    admin = await asyncpg.connect(
        make_url(cloud_config.database_url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", old_pid)
    finally:
        await admin.close()
    # Notifications may have been missed: the socket is closed so the app reconnects and pulls.
    msg = await ws.receive(timeout=5)
    assert msg.type == WSMsgType.CLOSE and msg.data == WSCloseCode.SERVICE_RESTART
    for _ in range(100):
        if hub.listening.is_set() and hub.listener_pid != old_pid:
            break
        await asyncio.sleep(0.05)
    ws = await open_live(api, s)
    await api.push(s, patch_one(1, str(uuid.uuid4())))
    assert await receive(ws) == {"type": "changed", "version": 1}
    await ws.close()
