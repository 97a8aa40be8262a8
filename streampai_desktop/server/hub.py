"""The overlay WebSocket hub: bus topics in, JSON envelopes out to every connected overlay page.

One bus subscription feeds every page. Each message is serialised and framed once, not once per
page, and the same bytes are written to each interested page's transport. A page whose unsent
bytes pass a limit (a frozen OBS source, a stalled socket) is disconnected rather than allowed to
stall the others or to grow memory — the page reconnects and re-syncs by itself. (Server frames
are unmasked and we turn per-message compression off on localhost, so one frame fits every page.)

Envelope contract (DESIGN.md §4): ``{"type": ..., "id": ..., "data": ...}``.
The full table is in docs/overlay-protocol.md. Alerts are the exception to "serialise once":
each alert box instance has its own resolved settings, so an ``AlertShow`` becomes one frame per
instance (alerts are rare; chat, the busy topic, is serialised once).

Preview pages (server/preview.py) connect here too, but stay out of the fan-out and the counts:
they get only what their preview session sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from streampai_desktop.core.alerts import AlertShow, AlertSkip
from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.bus import (
    TOPIC_ALERTS,
    EventBus,
    Message,
    widget_config_topic,
)
from streampai_desktop.core.events import Event
from streampai_desktop.core.notices import OverlayPresence, WidgetConfigChanged, publish_notice
from streampai_desktop.core.worker import Worker
from streampai_desktop.server.context import CONTEXT
from streampai_desktop.server.frames import envelope
from streampai_desktop.server.preview import PREVIEW_END
from streampai_desktop.server.security import token_matches, unauthorized
from streampai_desktop.widgets import WIDGETS, get_widget

log = logging.getLogger(__name__)

# Unsent bytes a page may have before it counts as stalled; a healthy page on localhost drains
# this in milliseconds, and 1 MiB holds a few thousand chat messages.
MAX_UNSENT_BYTES = 1024 * 1024
PUMP_BATCH = 500  # bus messages framed before the pages' buffers are written
SUBSCRIBE_TIMEOUT = 10.0
HEARTBEAT_SECONDS = 20.0  # aiohttp pings; browsers answer on their own


def encode_message(message: Message) -> bytes | None:
    """The frame for one bus message shared by every page on its topic, or None when the
    payload is not for pages (or, like alerts, is framed per page)."""
    payload = message.payload
    if isinstance(payload, Event):
        return envelope("event", {"topic": message.topic, "event": payload.to_json()}, payload.id)
    if isinstance(payload, AlertSkip):
        return envelope("alert_skip", {"alert_id": payload.alert_id})
    if isinstance(payload, WidgetConfigChanged):
        return envelope("config", {"widget": payload.widget_id, "config": payload.overlay_config})
    return None


def encode_alert(show: AlertShow, widget_id: str) -> bytes | None:
    """The ``alert`` frame for one alert box instance, or None when it does not show this one."""
    frame = show.plan.frames.get(widget_id)
    if frame is None:
        return None
    data = {"alert_id": show.alert_id, "event": show.event.to_json(), **frame}
    return envelope("alert", data, show.alert_id)


def _parse(text: str) -> dict[str, Any]:
    """A page's frame as a dict; anything malformed becomes {} (pages are not trusted)."""
    try:
        body = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class OverlayClient:
    """One connected overlay page: what it shows, and where its bytes go."""

    def __init__(
        self, ws: web.WebSocketResponse, transport: asyncio.Transport | None, remote: str
    ) -> None:
        self.ws = ws
        self.transport = transport
        self.remote = remote
        self.widget: str | None = None  # the instance id
        self.widget_type: str | None = None
        self.visible: bool | None = None  # from OBS; None when the page is not in OBS
        self.topics: frozenset[str] = frozenset()
        self.preview: str | None = None  # a preview page's session id (server/preview.py)
        self.stalled = False
        self._pending: list[bytes] = []

    def offer(self, frame: bytes) -> None:
        """Queue a frame for the next :meth:`flush`."""
        self._pending.append(frame)

    def flush(self) -> bool:
        """Write what is queued in one call (one syscall for a burst of chat, not one per
        message); False (and stop writing) when the page stopped reading."""
        frames, self._pending = self._pending, []
        transport = self.transport
        if self.stalled or transport is None or transport.is_closing():
            return False
        if transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
            self.stalled = True
            return False
        if frames:
            transport.write(b"".join(frames))
        return True


class OverlayHub:
    """Tracks connected overlay pages and fans bus messages out to them."""

    def __init__(self, bus: EventBus, on_presence: Callable[[], None] = lambda: None) -> None:
        self.bus = bus
        self._on_presence = on_presence
        self.clients: set[OverlayClient] = set()
        self.preview_pages: set[OverlayClient] = set()  # connected, but not overlays
        # A bug while framing one message must not end every overlay's feed: restart the pump.
        self._pump = Worker(
            "overlay hub pump", self._pump_messages, restart=Backoff(0.1, 5.0), grace=0
        )
        self._closing: set[asyncio.Task[bool]] = set()  # keep references until they finish
        topics = {t for spec in WIDGETS.values() for t in spec.topics}
        # About a second and a half of the busiest chat: beyond that, late chat is worse than
        # dropped chat (drops are counted and logged by the bus).
        self._subscription = bus.subscribe(topics, maxsize=10_000, name="overlay-hub")

    def start(self) -> None:
        self._pump.start()

    async def close(self) -> None:
        """Disconnect every page (they will reconnect to the next server) and stop pumping."""
        self._subscription.close()
        await self._pump.stop()
        await self.disconnect_all(WSCloseCode.GOING_AWAY, "server shutting down")

    async def disconnect_all(self, code: int, reason: str) -> None:
        for client in [*self.clients, *self.preview_pages]:
            with contextlib.suppress(Exception):
                await client.ws.close(code=code, message=reason.encode())

    def connected_counts(self) -> dict[str, int]:
        """How many pages of each widget type are connected (for the status bar)."""
        counts = Counter(c.widget_type for c in self.clients if c.widget_type)
        return {w: counts.get(w, 0) for w in WIDGETS}

    def connected_instances(self) -> dict[str, int]:
        """How many pages of each widget instance are connected (for the Widgets page)."""
        return dict(Counter(c.widget for c in self.clients if c.widget))

    def showing_pages(self, widget_type: str, *, visible_only: bool) -> int:
        """Connected pages of a type that can show something now (hidden OBS sources excluded
        when ``visible_only``)."""
        return sum(
            1
            for c in self.clients
            if c.widget_type == widget_type and not (visible_only and c.visible is False)
        )

    def _announce_presence(self) -> None:
        publish_notice(
            self.bus, OverlayPresence(self.connected_counts(), self.connected_instances())
        )
        self._on_presence()

    async def _pump_messages(self) -> None:
        while True:
            try:
                message = await self._subscription.get()
            except StopAsyncIteration:
                return
            # Take everything already waiting, frame it, then write once per page.
            batch = [message]
            while len(batch) < PUMP_BATCH and (more := self._subscription.get_nowait()):
                batch.append(more)
            for item in batch:
                self._fan_out(item)
            for client in list(self.clients):
                if not client.flush():
                    self._drop_slow(client)

    def _fan_out(self, message: Message) -> None:
        if isinstance(message.payload, AlertShow):
            self._send_alert(message.payload)
            return
        frame = encode_message(message)
        if frame is None:
            return
        for client in self.clients:
            if message.topic in client.topics:
                client.offer(frame)

    def _send_alert(self, show: AlertShow) -> None:
        frames: dict[str, bytes | None] = {}
        for client in self.clients:
            if TOPIC_ALERTS not in client.topics or client.widget is None:
                continue
            if client.widget not in frames:
                frames[client.widget] = encode_alert(show, client.widget)
            frame = frames[client.widget]
            if frame is not None:
                client.offer(frame)

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
        # compress=False: frames are built once for every page (see the module docstring).
        ws = web.WebSocketResponse(
            heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024, compress=False
        )
        await ws.prepare(request)
        client = OverlayClient(ws, request.transport, request.remote or "?")
        try:
            if await self._await_subscribe(request, client):
                if client.preview is None:
                    self.clients.add(client)
                    self._announce_presence()
                    log.info("overlay connected: %s", client.widget)
                else:  # a preview page: not an overlay, not counted, not in the fan-out
                    self.preview_pages.add(client)
                    log.info("preview page connected: %s", client.widget)
                await self._read_until_closed(client)
        finally:
            if client in self.clients:
                self.clients.discard(client)
                self._announce_presence()
                log.info("overlay disconnected: %s", client.widget)
            if client.preview is not None:
                self.preview_pages.discard(client)
                ctx.previews.detach(client.preview, client)
            if not ws.closed:
                await ws.close()
        return ws

    async def _refuse(self, client: OverlayClient, kind: str, message: str) -> bool:
        client.offer(envelope(kind, {"message": message}))
        client.flush()
        await client.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=message.encode())
        return False

    async def _await_subscribe(self, request: web.Request, client: OverlayClient) -> bool:
        ctx = request.app[CONTEXT]
        try:
            msg = await client.ws.receive(timeout=SUBSCRIBE_TIMEOUT)
        except TimeoutError:
            await client.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"subscribe first")
            return False
        if msg.type != WSMsgType.TEXT:
            return False
        body = _parse(msg.data)
        data = body.get("data") if body.get("type") == "subscribe" else None
        widget = data.get("widget") if isinstance(data, dict) else None
        found = ctx.widget(widget) if isinstance(widget, str) else None
        spec = get_widget(found.type) if found else None
        if found is None or spec is None or not isinstance(widget, str):
            return await self._refuse(client, "error", "unknown widget")
        hello = {"server_id": ctx.server_id, "widget": widget, "widget_type": spec.type}
        preview_id = data.get("preview") if isinstance(data, dict) else None
        if preview_id is not None:
            # A preview page gets its session's draft and fake events, and nothing else.
            session = (
                ctx.previews.attach(preview_id, widget, client)
                if isinstance(preview_id, str)
                else None
            )
            if session is None:
                return await self._refuse(client, PREVIEW_END, "this preview has ended")
            client.widget, client.widget_type, client.preview = widget, spec.type, preview_id
            client.offer(envelope("hello", {**hello, "preview": True}))
            client.offer(session.config_frame())
            client.flush()
            return True
        config_topic = widget_config_topic(widget)
        self._subscription.add_topics(config_topic)
        client.widget, client.widget_type = widget, spec.type
        client.topics = frozenset((*spec.topics, config_topic))
        # hello and the current config go first, ahead of anything the pump queues later.
        client.offer(envelope("hello", hello))
        client.offer(envelope("config", {"widget": widget, "config": found.overlay_config}))
        client.flush()
        return True

    async def _read_until_closed(self, client: OverlayClient) -> None:
        async for msg in client.ws:
            if msg.type == WSMsgType.ERROR:
                break
            if msg.type != WSMsgType.TEXT or client.preview is not None:
                continue  # a preview page is never in OBS: nothing it says counts
            body = _parse(msg.data)
            data = body.get("data")
            if body.get("type") == "visibility" and isinstance(data, dict):
                visible = data.get("visible")
                if isinstance(visible, bool) and visible != client.visible:
                    client.visible = visible
                    log.info(
                        "overlay %s is now %s in OBS",
                        client.widget,
                        "visible" if visible else "hidden",
                    )
                    self._announce_presence()
