"""`GET /v1/live`: the WebSocket that tells a device to pull, and brings it donations and the
Kick events the service relays."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass

from aiohttp import WSCloseCode, WSMsgType, web
from sqlalchemy import func, select, update

from streampai_cloud.api_donations import MAX_CURSOR, donation_json, pending_donations
from streampai_cloud.auth import require_auth
from streampai_cloud.db import accounts, devices
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import ENGINE, HUB
from streampai_cloud.kick import events as kick_events
from streampai_cloud.live import DONATIONS, KICK_EVENTS, LiveClient, donation_message
from streampai_cloud.validation import as_int, loads

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

BACKLOG_LIMIT = 1000
# Kick events waiting for a device (chat, mostly) can be many more than donations: they are sent
# page by page, all of them, before anything live (which waits in the socket's queue meanwhile).
KICK_BACKLOG_PAGE = 500


# What the app sends is tiny (`ack`, `ping`); anything bigger is closed with 1009 by aiohttp.
MAX_MESSAGE_BYTES = 4096
CLOSE_INVALID = WSCloseCode.INVALID_TEXT  # 1007: the frame's content is not a valid message
CLOSE_BINARY = WSCloseCode.UNSUPPORTED_DATA  # 1003: the protocol is JSON text only


@dataclass(frozen=True)
class Refusal:
    """Why a frame ends the connection: the close code and an error in the API's shape."""

    close_code: int
    error: ApiError

    def message(self) -> str:
        error = {"code": self.error.code, "message": self.error.message}
        return json.dumps({"type": "error", "error": error})


@routes.get("/v1/live")
async def live(request: web.Request) -> web.StreamResponse:
    me = await require_auth(request, allow_query=True)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_MESSAGE_BYTES)
    if not ws.can_prepare(request).ok:
        raise ApiError(400, "websocket_required", "Open /v1/live as a WebSocket.")
    try:
        await ws.prepare(request)
    except ConnectionError:
        # The app went away during the handshake (aiohttp raises ClientConnectionResetError,
        # a ConnectionResetError, for the 101 it could not write): nobody is left to answer.
        log.debug("live channel: device %s left during the handshake", me.device_id)
        return ws
    hub = request.app[HUB]
    client = LiveClient(ws, me.account_id, me.device_id)
    # Register before reading the backlog, so nothing committed in between is missed.
    hub.register(client)
    writer: asyncio.Task[None] | None = None
    refusal: Refusal | None = None
    engine = request.app[ENGINE]
    try:
        async with engine.connect() as conn:
            version = (
                await conn.execute(select(accounts.c.version).where(accounts.c.id == me.account_id))
            ).scalar_one()
            backlog = await pending_donations(conn, me.account_id, me.device_id, BACKLOG_LIMIT)
            kick_page = await kick_events.pending_events(
                conn, me.account_id, me.device_id, 0, KICK_BACKLOG_PAGE
            )
        # `hello` carries the version: a device behind it pulls at once.
        await ws.send_str(json.dumps({"type": "hello", "version": version}))
        for row in backlog:
            await client.send_numbered(DONATIONS, row.seq, donation_message(donation_json(row)))
        await _send_kick_backlog(request, client, kick_page)
        writer = asyncio.create_task(client.run_writer(), name="live-writer")
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                refusal = await _on_client_message(request, client, msg.data)
            elif msg.type == WSMsgType.BINARY:
                refusal = Refusal(
                    CLOSE_BINARY,
                    ApiError(400, "invalid_message", "Send JSON text frames, not binary ones."),
                )
            if refusal is not None:
                break
    except ConnectionError:
        pass  # the app went away mid-backlog; it gets the rest on its next connect
    except Exception:
        # The handshake is done: an HTTP 500 now would be written into the WebSocket stream.
        # Close with "internal error" instead; the app reconnects and pulls.
        log.exception("live channel failed for device %s", me.device_id)
        refusal = Refusal(
            WSCloseCode.INTERNAL_ERROR,
            ApiError(500, "internal", "Something went wrong on our side; reconnect."),
        )
    finally:
        hub.unregister(client)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
    if refusal is not None and not ws.closed:
        # The writer is stopped, so this is the last thing on the socket: the error, then close.
        with contextlib.suppress(ConnectionError):
            await ws.send_str(refusal.message())
            await ws.close(code=refusal.close_code, message=refusal.error.code.encode())
    return ws


async def _send_kick_backlog(request: web.Request, client: LiveClient, page: list[object]) -> None:
    """Every Kick event the device has not acknowledged, oldest first, a page at a time."""
    while page:
        for row in page:
            event = kick_events.event_json(row)
            await client.send_numbered(
                KICK_EVENTS, event["id"], kick_events.kick_event_message(event)
            )
        if len(page) < KICK_BACKLOG_PAGE:
            return
        after = client.last_sent[KICK_EVENTS]
        async with request.app[ENGINE].connect() as conn:
            page = await kick_events.pending_events(
                conn, client.account_id, client.device_id, after, KICK_BACKLOG_PAGE
            )


def _bad_ack(kind: str) -> Refusal:
    return Refusal(
        CLOSE_INVALID,
        ApiError(
            400,
            "invalid_message",
            f"{kind}: up_to must be an integer between 0 and {MAX_CURSOR}.",
        ),
    )


async def _on_client_message(request: web.Request, client: LiveClient, data: str) -> Refusal | None:
    """Handle one frame from the app: `{"type": "ack", "up_to": id}` acknowledges donations,
    `{"type": "ack_kick", "up_to": id}` Kick events, `{"type": "ping"}` is answered with a pong,
    unknown types are ignored (a newer app may send them). A frame that is not such a message is
    refused (the connection closes with 1007)."""
    try:
        message = loads(data)
    except ApiError as exc:
        return Refusal(CLOSE_INVALID, exc)
    if not isinstance(message, dict):
        return Refusal(
            CLOSE_INVALID, ApiError(400, "invalid_json", "A message must be a JSON object.")
        )
    kind = message.get("type")
    if kind == "ack":
        up_to = as_int(message.get("up_to"))
        if up_to is None or not 0 <= up_to <= MAX_CURSOR:
            return _bad_ack(kind)
        async with request.app[ENGINE].begin() as conn:
            await conn.execute(
                update(devices)
                .where(devices.c.id == client.device_id, devices.c.account_id == client.account_id)
                .values(donation_cursor=func.greatest(devices.c.donation_cursor, up_to))
            )
    elif kind == "ack_kick":
        up_to = as_int(message.get("up_to"))
        if up_to is None or not 0 <= up_to <= MAX_CURSOR:
            return _bad_ack(kind)
        async with request.app[ENGINE].begin() as conn:
            await kick_events.acknowledge(conn, client.account_id, client.device_id, up_to)
    elif kind == "ping":
        client.offer('{"type":"pong"}')  # through the queue: one writer per socket
    return None
