"""One EventSub WebSocket session (aiohttp), following Twitch's documented protocol.

What Twitch's "Getting Events Using WebSockets" page says, and what this module does about it:

* The first message is ``session_welcome``; its ``keepalive_timeout_seconds`` is the longest
  silence to expect. "If your client doesn't receive an event or keepalive message for longer
  than keepalive_timeout_seconds, you should assume the connection is lost": we wait that long
  plus :data:`KEEPALIVE_JITTER_S` (timer jitter only, never more than a second), then raise
  :class:`NotReady` so the connector reconnects and resubscribes at once. WebSocket pings do not
  count (aiohttp answers them inside ``receive``, so they never reset the timer).
* ``session_reconnect`` names a new URL. "You should not close the old connection until you
  receive a Welcome message on the new connection", and "the old connection receives events up
  until you connect to the new URL and receive the welcome message". So while the new connection
  opens, notifications on the old one are delivered as they arrive; once the new welcome is in,
  *we* close the old connection (Twitch closes it with 4004 only when a client never does, after
  30 s) and deliver everything it still holds, up to Twitch's answering close frame, before the
  first message of the new one: what was sent there was sent first, and in a burst much of it
  may not have been read yet. Subscriptions move with the session, so nothing is re-subscribed,
  and nothing waits on a timer.
* Twitch delivers at least once (a resend keeps its ``message_id``), and a move can overlap:
  notifications are de-duplicated by ``message_id`` over a bounded window.
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
import orjson

from streampai_desktop.platforms.base import NotReady

log = logging.getLogger(__name__)

DEDUPE_WINDOW = 2000
WELCOME_TIMEOUT_S = 10.0
MOVE_CLOSE_TIMEOUT_S = 2.0
"""After a move, how long the old connection may stay silent before Twitch's answer to our close
frame (which comes after everything it sent there) is given up on."""
KEEPALIVE_JITTER_S = 1.0
"""Past ``keepalive_timeout_seconds`` of silence the connection is gone; this much more absorbs
timer jitter (ours and Twitch's), nothing else."""

_CLOSED_TYPES = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)

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


def silence_limit(keepalive_s: float) -> float:
    """How long without any message (notification, keepalive, …) before the connection is dead."""
    return keepalive_s + KEEPALIVE_JITTER_S


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
        ws: aiohttp.ClientWebSocketResponse | None = None
        try:
            async with asyncio.timeout(WELCOME_TIMEOUT_S):
                ws = await self._session.ws_connect(url, heartbeat=None, autoping=True)
                msg = await ws.receive()
        except TimeoutError:
            if ws is not None:
                await ws.close()
            raise NotReady("Twitch EventSub sent no welcome") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise NotReady(f"cannot reach Twitch EventSub ({type(exc).__name__})") from exc
        except BaseException:
            if ws is not None:  # cancelled (the app stops) mid-handshake: leave nothing open
                await ws.close()
            raise
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
        if msg.type in _CLOSED_TYPES:
            code = ws.close_code
            reason = CLOSE_REASONS.get(code or 0, "connection closed")
            raise NotReady(f"Twitch closed the EventSub connection: {reason} ({code})")
        if msg.type is aiohttp.WSMsgType.ERROR:
            raise NotReady(f"EventSub connection failed ({ws.exception()})")
        if msg.type is not aiohttp.WSMsgType.TEXT:
            return None
        try:
            # orjson: every chat message is parsed here, and it takes half the time json does.
            return orjson.loads(msg.data)
        except ValueError:
            pass
        try:
            # What orjson refuses and the standard parser takes (a lone surrogate escape, say).
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

    def _deliverable(self, data: Any) -> bool:
        kind = data["metadata"]["message_type"] if data else ""
        return kind in ("notification", "revocation") and self._is_new(data)

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Notifications and revocations, in order, each once; raises NotReady when it drops."""
        assert self._ws is not None, "connect first"
        silence = _SilenceWatch()
        try:
            while not self._closed:
                msg = await silence.receive(self._ws, silence_limit(self.keepalive_s))
                data = self._parse(self._ws, msg)
                if data is None:
                    continue
                if self._deliverable(data):
                    yield data
                elif data["metadata"]["message_type"] == "session_reconnect":
                    async for moved in self._move(data["payload"]["session"]["reconnect_url"]):
                        yield moved
        finally:
            silence.stop()

    async def _move(self, url: str) -> AsyncIterator[dict[str, Any]]:
        """Follow a session_reconnect: read the old socket until ``url`` welcomes us, deliver what
        the old socket already holds, close it ourselves, carry on with the new one."""
        old = self._ws
        assert old is not None
        log.info("Twitch asked EventSub to move to a new connection")
        opening = asyncio.create_task(self._open(url), name="twitch-eventsub-move")
        try:
            old_open = True
            while old_open and not opening.done():
                receiving = asyncio.ensure_future(old.receive())
                await asyncio.wait({receiving, opening}, return_when=asyncio.FIRST_COMPLETED)
                if not receiving.done():
                    receiving.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await receiving
                    break
                data, old_open = self._read_old(old, receiving.result())
                if data is not None:
                    yield data
            new, welcome = await opening  # NotReady when the new connection failed
        except BaseException:
            await _discard(opening)
            raise
        self._ws = new
        self._on_welcome(welcome)
        self.reconnects += 1
        if old_open:
            async for data in self._drain_and_close(old):
                yield data
        # The client closes the old connection (Twitch only steps in, with 4004, when it doesn't).
        with contextlib.suppress(Exception):
            await old.close()
        log.info("EventSub moved to the new connection; the old one is closed")

    async def _drain_and_close(
        self, old: aiohttp.ClientWebSocketResponse
    ) -> AsyncIterator[dict[str, Any]]:
        """Everything Twitch sent on ``old``, in order, then ``old`` closed by us.

        The welcome is in, so Twitch sends nothing more there; but in a burst, what it sent
        before may not have been read yet (it waits in the sockets' buffers while the app
        catches up). Our close frame gets Twitch's answering close frame, which arrives after
        everything sent before it: read up to that, and nothing sent on the old socket is left
        behind. (aiohttp's ``close()`` would discard those messages while it waits.)
        """
        try:
            await old.send_frame(aiohttp.WSCloseCode.OK.to_bytes(2, "big"), aiohttp.WSMsgType.CLOSE)
        except Exception as exc:  # the old socket is already gone: nothing more to read
            log.info("old EventSub connection closed during the move (%s)", exc)
            return
        while True:
            try:
                msg = await old.receive(timeout=MOVE_CLOSE_TIMEOUT_S)
            except TimeoutError:
                log.warning(
                    "Twitch did not answer the close of the old EventSub connection within %g s",
                    MOVE_CLOSE_TIMEOUT_S,
                )
                return
            if msg.type in _CLOSED_TYPES:
                return
            data, old_open = self._read_old(old, msg)
            if data is not None:
                yield data
            if not old_open:
                return

    def _read_old(
        self, old: aiohttp.ClientWebSocketResponse, msg: aiohttp.WSMessage
    ) -> tuple[dict[str, Any] | None, bool]:
        """(a deliverable message or None, whether the old socket is still open)."""
        try:
            data = self._parse(old, msg)
        except NotReady as exc:
            # Twitch closed the old socket before the move finished: the new one carries on.
            log.info("old EventSub connection closed during the move: %s", exc)
            return None, False
        return (data if self._deliverable(data) else None), True


class _SilenceWatch:
    """``receive`` that raises :class:`NotReady` after ``limit`` seconds without a message.

    What ``asyncio.timeout`` around each receive does, with one timer that is moved on lazily
    instead of a timer made and cancelled per message: in a chat burst, that per-message timer
    cost the app about as much as parsing the message (bench/twitch_burst.py under py-spy).
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        # The handle only cancels: qasync's loop (the window's) returns a plain Handle from
        # call_at, without when(), so the time the timer fires is kept here.
        self._timer: asyncio.Handle | None = None
        self._timer_at = 0.0
        self._deadline = 0.0
        self._waiting: asyncio.Task[Any] | None = None  # the task inside receive, if any
        self._cancelling = 0
        self._expired = False

    async def receive(self, ws: aiohttp.ClientWebSocketResponse, limit: float) -> aiohttp.WSMessage:
        self._deadline = self._loop.time() + limit
        if self._timer is None or self._timer_at > self._deadline:
            self.stop()
            self._set_timer()
        task = self._waiting = asyncio.current_task()
        assert task is not None
        self._cancelling = task.cancelling()
        try:
            return await ws.receive()
        except asyncio.CancelledError:
            if self._expired and task.uncancel() <= self._cancelling:
                raise NotReady(f"no message or keepalive from Twitch for {limit:g} s") from None
            raise
        finally:
            self._waiting = None
            self._expired = False

    def _check(self) -> None:
        self._timer = None
        if self._waiting is None:
            return  # not waiting for a message: the next receive sets the timer again
        if self._loop.time() < self._deadline:  # a message came since: wait for the new limit
            self._set_timer()
            return
        self._expired = True
        self._waiting.cancel()

    def _set_timer(self) -> None:
        self._timer_at = self._deadline
        self._timer = self._loop.call_at(self._deadline, self._check)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


async def _discard(opening: asyncio.Task[tuple[aiohttp.ClientWebSocketResponse, Any]]) -> None:
    """Stop a move that will not be adopted, closing the new socket if it had opened."""
    if not opening.done():
        opening.cancel()
    with contextlib.suppress(BaseException):
        new, _ = await opening
        await new.close()
