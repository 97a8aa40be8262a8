"""One EventSub WebSocket session (aiohttp), following Twitch's documented protocol.

* The first message is ``session_welcome``: its ``keepalive_timeout_seconds`` says how much silence
  to expect; silence beyond that (plus a grace) means the connection is dead → :class:`NotReady`.
* ``session_reconnect`` names a new URL: we connect there and keep reading the old connection until
  the new one has welcomed us, then drain and drop the old one. Subscriptions move with the
  session, so nothing is re-subscribed; whatever arrived on the old socket is delivered first.
* Twitch delivers at least once (the same ``message_id`` on a resend) and may overlap during a
  move: notifications are de-duplicated by ``message_id`` over a bounded window.
* A close frame from Twitch ends the session with :class:`NotReady` naming the close code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from streampai_desktop.platforms.base import NotReady

log = logging.getLogger(__name__)

DEDUPE_WINDOW = 2000
WELCOME_TIMEOUT_S = 10.0
DRAIN_TIMEOUT_S = 2.0

CLOSE_REASONS = {
    4000: "internal server error",
    4001: "client sent inbound traffic",
    4002: "client failed ping-pong",
    4003: "connection unused",
    4004: "reconnect grace time expired",
    4005: "network timeout",
    4006: "network error",
    4007: "invalid reconnect",
}


def keepalive_grace(keepalive_s: float) -> float:
    """How long past the promised keepalive we wait before calling the connection dead."""
    return keepalive_s + max(2.0, keepalive_s * 0.5)


class EventSubSocket:
    """Connect with :meth:`connect`, then iterate :meth:`messages` for notifications/revocations."""

    def __init__(self, url: str, keepalive_s: int = 10) -> None:
        sep = "&" if "?" in url else "?"
        self._url = f"{url}{sep}keepalive_timeout_seconds={keepalive_s}"
        self._session = aiohttp.ClientSession()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.session_id = ""
        self.keepalive_s: float = keepalive_s
        self.reconnects = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._closed = False

    async def __aenter__(self) -> EventSubSocket:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        await self._session.close()

    async def connect(self) -> str:
        """Open the socket and wait for the welcome; returns the session id."""
        self._ws, welcome = await self._open(self._url)
        self._on_welcome(welcome)
        return self.session_id

    async def _open(self, url: str) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
        try:
            ws = await self._session.ws_connect(url, heartbeat=None, autoping=True)
        except (aiohttp.ClientError, OSError) as exc:
            raise NotReady(f"cannot reach Twitch EventSub ({type(exc).__name__})") from exc
        try:
            async with asyncio.timeout(WELCOME_TIMEOUT_S):
                msg = await ws.receive()
        except TimeoutError:
            await ws.close()
            raise NotReady("Twitch EventSub sent no welcome") from None
        data = self._parse(ws, msg)
        if data is None or data["metadata"]["message_type"] != "session_welcome":
            await ws.close()
            raise NotReady("Twitch EventSub did not start with a welcome")
        return ws, data

    def _on_welcome(self, welcome: dict[str, Any]) -> None:
        session = welcome["payload"]["session"]
        self.session_id = session["id"]
        if session.get("keepalive_timeout_seconds"):
            self.keepalive_s = float(session["keepalive_timeout_seconds"])

    def _parse(self, ws: aiohttp.ClientWebSocketResponse, msg: aiohttp.WSMessage) -> Any:
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
        ):
            code = ws.close_code
            reason = CLOSE_REASONS.get(code or 0, "connection closed")
            raise NotReady(f"Twitch closed the EventSub connection: {reason} ({code})")
        if msg.type is aiohttp.WSMsgType.ERROR:
            raise NotReady(f"EventSub connection failed ({ws.exception()})")
        if msg.type is not aiohttp.WSMsgType.TEXT:
            return None
        try:
            return json.loads(msg.data)
        except ValueError:
            log.warning("EventSub sent a message that is not JSON; ignored")
            return None

    def _is_new(self, data: dict[str, Any]) -> bool:
        message_id = data["metadata"].get("message_id", "")
        if message_id in self._seen:
            log.debug("EventSub message %s delivered again; dropped", message_id)
            return False
        self._seen[message_id] = None
        if len(self._seen) > DEDUPE_WINDOW:
            self._seen.popitem(last=False)
        return True

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Notifications and revocations, in order, each once; raises NotReady when it drops."""
        assert self._ws is not None, "connect first"
        while not self._closed:
            try:
                async with asyncio.timeout(keepalive_grace(self.keepalive_s)):
                    msg = await self._ws.receive()
            except TimeoutError:
                raise NotReady(
                    f"no keepalive from Twitch for {keepalive_grace(self.keepalive_s):.0f} s"
                ) from None
            data = self._parse(self._ws, msg)
            if data is None:
                continue
            kind = data["metadata"]["message_type"]
            if kind in ("notification", "revocation"):
                if self._is_new(data):
                    yield data
            elif kind == "session_reconnect":
                async for moved in self._move(data["payload"]["session"]["reconnect_url"]):
                    yield moved

    async def _move(self, url: str) -> AsyncIterator[dict[str, Any]]:
        """Follow a session_reconnect: welcome on ``url`` first, then drain the old socket."""
        old = self._ws
        assert old is not None
        log.info("Twitch asked EventSub to move to a new connection")
        new, welcome = await self._open(url)
        self._on_welcome(welcome)
        self._ws = new
        self.reconnects += 1
        # Twitch closes the old socket once the new one is welcomed; what it sent before that is
        # still buffered on the old socket and comes first.
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                while True:
                    msg = await old.receive()
                    try:
                        data = self._parse(old, msg)
                    except NotReady:
                        break
                    kind = data["metadata"]["message_type"] if data else ""
                    if kind in ("notification", "revocation") and self._is_new(data):
                        yield data
        except TimeoutError:
            pass
        finally:
            with contextlib.suppress(Exception):
                await old.close()
