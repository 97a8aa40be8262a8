"""`GET /v1/live`: the WebSocket that tells a device to pull, and brings it donations."""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import WSMsgType, web
from sqlalchemy import func, select, update

from streampai_cloud.api_donations import donation_json, pending_donations
from streampai_cloud.auth import require_auth
from streampai_cloud.db import accounts, devices
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import ENGINE, HUB
from streampai_cloud.live import LiveClient, donation_message

routes = web.RouteTableDef()

BACKLOG_LIMIT = 1000


@routes.get("/v1/live")
async def live(request: web.Request) -> web.StreamResponse:
    me = await require_auth(request, allow_query=True)
    ws = web.WebSocketResponse(heartbeat=30)
    if not ws.can_prepare(request).ok:
        raise ApiError(400, "websocket_required", "Open /v1/live as a WebSocket.")
    await ws.prepare(request)
    hub = request.app[HUB]
    client = LiveClient(ws, me.account_id, me.device_id)
    # Register before reading the backlog, so nothing committed in between is missed.
    hub.register(client)
    writer: asyncio.Task[None] | None = None
    engine = request.app[ENGINE]
    try:
        async with engine.connect() as conn:
            version = (
                await conn.execute(select(accounts.c.version).where(accounts.c.id == me.account_id))
            ).scalar_one()
            backlog = await pending_donations(conn, me.account_id, me.device_id, BACKLOG_LIMIT)
        # `hello` carries the version: a device behind it pulls at once.
        await ws.send_str(json.dumps({"type": "hello", "version": version}))
        for row in backlog:
            await client.send_donation(row.id, donation_message(donation_json(row)))
        writer = asyncio.create_task(client.run_writer(), name="live-writer")
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _on_client_message(request, client, msg.data)
    except ConnectionResetError:
        pass  # the app went away mid-backlog; it gets the rest on its next connect
    finally:
        hub.unregister(client)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
    return ws


async def _on_client_message(request: web.Request, client: LiveClient, data: str) -> None:
    """The app may ack donations over the socket: `{"type": "ack", "up_to": id}`."""
    try:
        message = json.loads(data)
    except ValueError:
        return
    if not isinstance(message, dict):
        return
    up_to = message.get("up_to")
    if message.get("type") == "ack" and isinstance(up_to, int) and not isinstance(up_to, bool):
        async with request.app[ENGINE].begin() as conn:
            await conn.execute(
                update(devices)
                .where(devices.c.id == client.device_id, devices.c.account_id == client.account_id)
                .values(donation_cursor=func.greatest(devices.c.donation_cursor, up_to))
            )
    elif message.get("type") == "ping":
        client.offer(None, '{"type":"pong"}')  # through the queue: one writer per socket
