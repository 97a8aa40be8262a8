"""The overlay WebSocket hub: bus topics in, JSON envelopes out to every connected overlay page.

One bus subscription feeds every page. Each message is serialised once per topic, not once per
page, and handed to each interested page's bounded outbox; a page whose outbox is full (a frozen
OBS source, a stalled socket) is disconnected rather than allowed to stall the others or to grow
memory — the page reconnects and re-syncs by itself.

Envelope contract (DESIGN.md §4): ``{"type": ..., "id": ..., "data": ...}``.
  page → server: ``subscribe`` {"widget": "alert_box"}
  server → page: ``hello`` {"server_id", "widget"}, ``config`` {"widget", "config"},
                 ``event`` {"topic", "event"}, ``error`` {"message"}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import Counter
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from streampai_desktop.core.bus import TOPIC_APP, EventBus, Message, widget_config_topic
from streampai_desktop.core.events import Event
from streampai_desktop.server.context import CONTEXT
from streampai_desktop.server.security import token_matches, unauthorized
from streampai_desktop.widgets import WIDGETS, get_widget

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 512  # frames; a healthy page drains these in milliseconds
SUBSCRIBE_TIMEOUT = 10.0
HEARTBEAT_SECONDS = 20.0  # aiohttp pings; browsers answer on their own


def envelope(kind: str, data: Any, msg_id: str | None = None) -> str:
    return json.dumps(
        {"type": kind, "id": msg_id or uuid.uuid4().hex, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def encode_message(message: Message) -> str | None:
    """The frame for one bus message, or None when pages do not receive that kind of payload."""
    payload = message.payload
    if isinstance(payload, Event):
        return envelope("event", {"topic": message.topic, "event": payload.to_json()}, payload.id)
    if message.topic.startswith("widget_config:") and isinstance(payload, dict):
        return envelope("config", payload)
    return None


class OverlayClient:
    """One connected overlay page and its bounded outbox."""

    def __init__(self, ws: web.WebSocketResponse, remote: str) -> None:
        self.ws = ws
        self.remote = remote
        self.widget: str | None = None
        self.topics: frozenset[str] = frozenset()
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_LIMIT)
        self.overflowed = False

    def offer(self, frame: str) -> bool:
        """Queue a frame; False (and mark for disconnect) when the page is not keeping up."""
        if self.overflowed:
            return False
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True


class OverlayHub:
    """Tracks connected overlay pages and fans bus messages out to them."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.clients: set[OverlayClient] = set()
        self._pump_task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()  # keep references until they finish
        topics = {t for spec in WIDGETS.values() for t in spec.topics}
        topics |= {widget_config_topic(w) for w in WIDGETS}
        self._subscription = bus.subscribe(topics, maxsize=50_000, name="overlay-hub")

    def start(self) -> None:
        if self._pump_task is None:
            self._pump_task = asyncio.create_task(self._pump(), name="overlay-hub-pump")

    async def close(self) -> None:
        """Disconnect every page (they will reconnect to the next server) and stop pumping."""
        self._subscription.close()
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
            self._pump_task = None
        await self.disconnect_all(WSCloseCode.GOING_AWAY, "server shutting down")

    async def disconnect_all(self, code: int, reason: str) -> None:
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                await client.ws.close(code=code, message=reason.encode())

    def connected_counts(self) -> dict[str, int]:
        """How many pages of each widget type are connected (for the status bar)."""
        counts = Counter(c.widget for c in self.clients if c.widget)
        return {w: counts.get(w, 0) for w in WIDGETS}

    def _announce_presence(self) -> None:
        self.bus.publish(TOPIC_APP, {"type": "overlays", "connected": self.connected_counts()})

    async def _pump(self) -> None:
        async for message in self._subscription:
            frame = encode_message(message)
            if frame is None:
                continue
            for client in list(self.clients):
                if message.topic in client.topics and not client.offer(frame):
                    self._drop_slow(client)

    def _drop_slow(self, client: OverlayClient) -> None:
        """Disconnect a page that stopped reading; it reconnects and re-syncs when it recovers."""
        self.clients.discard(client)
        self._announce_presence()
        log.warning(
            "overlay %s (%s) is not keeping up; disconnecting it so it re-syncs",
            client.widget,
            client.remote,
        )
        task = asyncio.create_task(
            client.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow")
        )
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /overlay/ws?token=… — upgrade, wait for ``subscribe``, then stream."""
        ctx = request.app[CONTEXT]
        if not token_matches(request.query.get("token"), ctx.tokens.overlay):
            return unauthorized(json_body=False)
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024)
        await ws.prepare(request)
        client = OverlayClient(ws, request.remote or "?")
        writer = asyncio.create_task(self._write(client), name="overlay-writer")
        try:
            if await self._await_subscribe(request, client):
                self.clients.add(client)
                self._announce_presence()
                log.info("overlay connected: %s", client.widget)
                await self._read_until_closed(client)
        finally:
            if client in self.clients:
                self.clients.discard(client)
                self._announce_presence()
                log.info("overlay disconnected: %s", client.widget)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            if not ws.closed:
                await ws.close()
        return ws

    async def _await_subscribe(self, request: web.Request, client: OverlayClient) -> bool:
        ctx = request.app[CONTEXT]
        try:
            msg = await client.ws.receive(timeout=SUBSCRIBE_TIMEOUT)
        except TimeoutError:
            await client.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"subscribe first")
            return False
        if msg.type != WSMsgType.TEXT:
            return False
        try:
            body = json.loads(msg.data)
            widget = body["data"]["widget"] if body.get("type") == "subscribe" else None
        except (ValueError, TypeError, KeyError, AttributeError):
            widget = None
        spec = get_widget(widget) if isinstance(widget, str) else None
        if spec is None:
            await client.ws.send_str(envelope("error", {"message": "unknown widget"}))
            await client.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"unknown widget")
            return False
        client.widget = spec.type
        client.topics = frozenset((*spec.topics, widget_config_topic(spec.type)))
        # hello and the current config go first, ahead of anything the pump queues later.
        client.offer(envelope("hello", {"server_id": ctx.server_id, "widget": spec.type}))
        config = await ctx.widget_config(spec.type)
        client.offer(envelope("config", {"widget": spec.type, "config": config}))
        return True

    async def _read_until_closed(self, client: OverlayClient) -> None:
        # Pages have nothing more to say yet; reading keeps the close handshake and pings working.
        async for msg in client.ws:
            if msg.type == WSMsgType.ERROR:
                break

    async def _write(self, client: OverlayClient) -> None:
        while True:
            frame = await client.outbox.get()
            if client.ws.closed:
                return
            try:
                await client.ws.send_str(frame)
            except (ConnectionError, RuntimeError):  # the page went away mid-send
                return
