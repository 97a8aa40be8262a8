"""An app that resets its connection to the live channel — during the WebSocket handshake or
mid-stream — is an everyday event (a laptop lid closes, Wi-Fi drops): the service logs no ERROR
for it and keeps serving. The service runs as `streampai-cloud serve` runs it (an AppRunner, so
a handler is not cancelled when its client goes away) on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import secrets
import socket
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_cloud.keys import HUB
from tests.cloud.conftest import PASSWORD
from tests.conftest import find_free_port


@dataclass
class Served:
    base: str
    port: int
    app: web.Application
    dsn: str  # plain postgresql:// for asyncpg


@pytest.fixture
async def served(cloud_config: CloudConfig) -> AsyncIterator[Served]:
    app = create_app(cloud_config)
    runner = web.AppRunner(app)
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    dsn = make_url(cloud_config.database_url).set(drivername="postgresql")
    yield Served(f"http://127.0.0.1:{port}", port, app, dsn.render_as_string(False))
    await runner.cleanup()


async def register(served: Served) -> tuple[str, str]:
    """(access token, device id) of a new account's first device."""
    email = f"reset-{secrets.token_hex(5)}@example.com"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{served.base}/v1/auth/register", json={"email": email, "password": PASSWORD}
        ) as resp,
    ):
        body = await resp.json()
    return body["access_token"], body["device_id"]


async def open_handshake(served: Served, token: str) -> tuple[asyncio.StreamReader, Any]:
    """A raw socket that has sent a WebSocket upgrade for /v1/live."""
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /v1/live?access_token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    return reader, writer


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, as a dropped connection or a killed app does."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def served_live_request(caplog: pytest.LogCaptureFixture, before: int) -> bool:
    """Whether the service finished a /v1/live request (its access-log line) since ``before``."""
    for _ in range(100):
        if any("GET /v1/live" in r.getMessage() for r in caplog.records[before:]):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_reset_during_the_handshake_logs_no_error(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token, _ = await register(served)
    # Hold the sign-in check up with a table lock, so the reset lands before the service
    # answers the upgrade (a slow database or a busy process does the same).
    admin = await asyncpg.connect(served.dsn)
    try:
        lock = admin.transaction()
        await lock.start()
        await admin.execute("LOCK TABLE devices IN ACCESS EXCLUSIVE MODE")
        before = len(caplog.records)
        _, writer = await open_handshake(served, token)
        await asyncio.sleep(0.3)  # the handler is waiting on the lock now
        reset(writer)
        await asyncio.sleep(0.1)
        await lock.commit()
    finally:
        await admin.close()
    assert await served_live_request(caplog, before), "the handler ran to its end"
    assert errors(caplog) == []

    # The service carries on: the same device connects and gets its hello.
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{served.base}/v1/live", params={"access_token": token}) as ws,
    ):
        assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"


async def test_a_reset_mid_stream_logs_no_error_and_frees_the_socket(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token, device = await register(served)
    reader, writer = await open_handshake(served, token)
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    await reader.readexactly(2)  # the hello frame's header: it is on its way
    hub = served.app[HUB]
    reset(writer)
    # A change for this account while the service still thinks the socket is open: its
    # writer meets the reset connection.
    async with aiohttp.ClientSession() as http:
        push = {
            "mutations": [
                {
                    "device_id": device,
                    "seq": 1,
                    "entity": "preference",
                    "row_id": str(uuid.uuid4()),
                    "patch": {"key": "theme", "value": "dark"},
                }
            ]
        }
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{served.base}/v1/sync/push", json=push, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
    for _ in range(100):
        if not hub._clients:
            break
        await asyncio.sleep(0.05)
    assert not hub._clients, "the reset socket was let go"
    assert errors(caplog) == []
