"""The live channel: each process LISTENs on PostgreSQL and fans commits out to its WebSockets.

Writers NOTIFY inside their transaction (live_notify.py), so every process hears of every commit
and a device connected to any process learns at once that it should pull, that a donation or a
Kick event came in, or that it was signed out. Each message is serialised once per account, not
per socket, and each socket has a bounded queue: a socket that cannot keep up is closed (the app
reconnects and pulls) instead of stalling the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp import WSCloseCode, web
from sqlalchemy.engine import make_url

from streampai_cloud.kick.events import kick_event_message
from streampai_cloud.live_notify import CHANNEL

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
CLOSE_REVOKED = 4001  # the app maps this to "signed out on this device"
CLOSE_TOO_SLOW = 4008

# Numbered streams a device acknowledges: each message of one carries the account's number for it.
DONATIONS = "donation"
KICK_EVENTS = "kick"

# Reads the live frame of a Kick event that was notified by reference (account id, seq).
KickEventLoader = Callable[[uuid.UUID, int], Awaitable[str | None]]


class LiveClient:
    """One WebSocket of one signed-in device."""

    def __init__(self, ws: web.WebSocketResponse, account_id: uuid.UUID, device_id: uuid.UUID):
        self.ws = ws
        self.account_id = account_id
        self.device_id = device_id
        # (stream, number, text); stream and number are None for unnumbered messages.
        self.queue: asyncio.Queue[tuple[str | None, int, str]] = asyncio.Queue(QUEUE_SIZE)
        # Highest number already sent per numbered stream: a donation or Kick event that
        # arrives live while the backlog is being read is sent once, not twice.
        self.last_sent: dict[str, int] = {}
        self.closing: int | None = None

    def offer(self, text: str, stream: str | None = None, number: int = 0) -> None:
        try:
            self.queue.put_nowait((stream, number, text))
        except asyncio.QueueFull:
            self.close_soon(CLOSE_TOO_SLOW)

    def close_soon(self, code: int) -> None:
        self.closing = code
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait((None, 0, ""))

    async def send_numbered(self, stream: str, number: int, text: str) -> None:
        if number > self.last_sent.get(stream, 0):
            self.last_sent[stream] = number
            await self.ws.send_str(text)

    async def run_writer(self) -> None:
        """Drain the queue to the socket until told to close or the peer goes away."""
        try:
            while True:
                stream, number, text = await self.queue.get()
                if self.closing is not None:
                    await self.ws.close(code=self.closing)
                    return
                if stream is not None:
                    await self.send_numbered(stream, number, text)
                else:
                    await self.ws.send_str(text)
        except ConnectionResetError:
            return  # the reader side sees the close and cleans up


def donation_message(donation: dict[str, Any]) -> str:
    return json.dumps({"type": "donation", "donation": donation}, separators=(",", ":"))


class LiveHub:
    """This process's live sockets by account, fed by one LISTEN connection."""

    def __init__(self, database_url: str, load_kick_event: KickEventLoader | None = None) -> None:
        self._dsn = (
            make_url(database_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        self._clients: dict[uuid.UUID, set[LiveClient]] = defaultdict(set)
        self._conn: asyncpg.Connection | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.listening = asyncio.Event()
        # Kick events go through one queue, in the order they were notified: one notified by
        # reference is read from the database before any later one is offered, so a device never
        # gets (and acks) a later event before an earlier one.
        self._load_kick_event = load_kick_event
        self._kick_notes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._kick_relay: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._listen()  # fail start-up loudly if the database is unreachable
        self._supervisor = asyncio.create_task(self._supervise(), name="live-listen")
        self._kick_relay = asyncio.create_task(self._relay_kick_events(), name="live-kick")

    async def stop(self) -> None:
        for task in (self._supervisor, self._kick_relay):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._supervisor = self._kick_relay = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        await self.close_all(WSCloseCode.GOING_AWAY)

    async def close_all(self, code: int) -> None:
        """Close every socket of this process now (shutdown); the apps reconnect elsewhere."""
        for clients in list(self._clients.values()):
            for client in list(clients):
                await client.ws.close(code=code)

    async def _listen(self) -> None:
        self._lost.clear()
        self._conn = await asyncpg.connect(self._dsn)
        self._conn.add_termination_listener(lambda _conn: self._lost.set())
        await self._conn.add_listener(CHANNEL, self._on_notify)
        self.listening.set()

    async def _supervise(self) -> None:
        """Re-LISTEN after the connection drops. Notifications sent meanwhile are lost, so every
        socket is closed: the apps reconnect, get `hello` with the version and their donation
        backlog, and pull — nothing is missed, only delayed."""
        delay = 0.5
        while True:
            await self._lost.wait()
            self.listening.clear()
            log.warning("live channel: LISTEN connection lost; reconnecting")
            for clients in list(self._clients.values()):
                for client in list(clients):
                    client.close_soon(WSCloseCode.SERVICE_RESTART)
            while True:
                try:
                    await self._listen()
                    delay = 0.5
                    break
                except (OSError, asyncpg.PostgresError):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30)

    @property
    def listener_pid(self) -> int | None:
        """The PostgreSQL backend of the LISTEN connection (for operators and tests)."""
        return self._conn.get_server_pid() if self._conn is not None else None

    def register(self, client: LiveClient) -> None:
        self._clients[client.account_id].add(client)

    def unregister(self, client: LiveClient) -> None:
        clients = self._clients.get(client.account_id)
        if clients is not None:
            clients.discard(client)
            if not clients:
                del self._clients[client.account_id]

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            account_id = uuid.UUID(message["account_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("live channel: ignoring malformed notification %r", payload[:200])
            return
        clients = self._clients.get(account_id)
        if not clients:
            return
        kind = message.get("kind")
        if kind == "changed":
            text = json.dumps({"type": "changed", "version": message["version"]})
            for client in list(clients):
                client.offer(text)
        elif kind == "donation":
            donation = message["donation"]
            text = donation_message(donation)
            for client in list(clients):
                client.offer(text, DONATIONS, int(donation["id"]))
        elif kind == "kick_event":
            self._kick_notes.put_nowait(message)
        elif kind == "platform_authorized":
            # A sign-in through the service ended (platform_signin.py): kick_authorized, ...
            poke = {"type": f"{message['platform']}_authorized", "state": message["state"]}
            text = json.dumps(poke)
            for client in list(clients):
                client.offer(text)
        elif kind == "revoked":
            device_id = uuid.UUID(message["device_id"])
            for client in list(clients):
                if client.device_id == device_id:
                    client.close_soon(CLOSE_REVOKED)

    async def _relay_kick_events(self) -> None:
        """Offer notified Kick events to this process's sockets of their account, in order."""
        while True:
            message = await self._kick_notes.get()
            try:
                await self._relay_kick_event(message)
            except Exception:
                # The sockets miss this one live; it is sent again on their next connect.
                log.exception("live channel: a Kick event could not be relayed")

    async def _relay_kick_event(self, message: dict[str, Any]) -> None:
        account_id = uuid.UUID(message["account_id"])
        if not self._clients.get(account_id):
            return
        event = message.get("event")
        if event is not None:
            number = int(event["id"])
            text = kick_event_message(event)
        elif self._load_kick_event is not None:
            number = int(message["seq"])
            loaded = await self._load_kick_event(account_id, number)
            if loaded is None:
                return  # pruned meanwhile
            text = loaded
        else:
            return
        for client in list(self._clients.get(account_id, ())):
            client.offer(text, KICK_EVENTS, number)
