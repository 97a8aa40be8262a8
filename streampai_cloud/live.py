"""The live channel: each process LISTENs on PostgreSQL and fans commits out to its WebSockets.

Writers NOTIFY inside their transaction (live_notify.py), so every process hears of every commit
and a device connected to any process learns at once that it should pull, that a donation came
in, or that it was signed out. Each message is serialised once per account, not per socket, and
each socket has a bounded queue: a socket that cannot keep up is closed (the app reconnects and
pulls) instead of stalling the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from typing import Any

import asyncpg
from aiohttp import WSCloseCode, web
from sqlalchemy.engine import make_url

from streampai_cloud.live_notify import CHANNEL

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
CLOSE_REVOKED = 4001  # the app maps this to "signed out on this device"
CLOSE_TOO_SLOW = 4008


class LiveClient:
    """One WebSocket of one signed-in device."""

    def __init__(self, ws: web.WebSocketResponse, account_id: uuid.UUID, device_id: uuid.UUID):
        self.ws = ws
        self.account_id = account_id
        self.device_id = device_id
        self.queue: asyncio.Queue[tuple[int | None, str]] = asyncio.Queue(QUEUE_SIZE)
        # Highest donation id already sent: a donation that arrives live while the backlog is
        # being read is sent once, not twice.
        self.last_donation = 0
        self.closing: int | None = None

    def offer(self, donation_id: int | None, text: str) -> None:
        try:
            self.queue.put_nowait((donation_id, text))
        except asyncio.QueueFull:
            self.close_soon(CLOSE_TOO_SLOW)

    def close_soon(self, code: int) -> None:
        self.closing = code
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait((None, ""))

    async def send_donation(self, donation_id: int, text: str) -> None:
        if donation_id > self.last_donation:
            self.last_donation = donation_id
            await self.ws.send_str(text)

    async def run_writer(self) -> None:
        """Drain the queue to the socket until told to close or the peer goes away."""
        try:
            while True:
                donation_id, text = await self.queue.get()
                if self.closing is not None:
                    await self.ws.close(code=self.closing)
                    return
                if donation_id is not None:
                    await self.send_donation(donation_id, text)
                else:
                    await self.ws.send_str(text)
        except ConnectionResetError:
            return  # the reader side sees the close and cleans up


def donation_message(donation: dict[str, Any]) -> str:
    return json.dumps({"type": "donation", "donation": donation}, separators=(",", ":"))


class LiveHub:
    """This process's live sockets by account, fed by one LISTEN connection."""

    def __init__(self, database_url: str) -> None:
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

    async def start(self) -> None:
        await self._listen()  # fail start-up loudly if the database is unreachable
        self._supervisor = asyncio.create_task(self._supervise(), name="live-listen")

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
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
                client.offer(None, text)
        elif kind == "donation":
            donation = message["donation"]
            text = donation_message(donation)
            for client in list(clients):
                client.offer(int(donation["id"]), text)
        elif kind == "revoked":
            device_id = uuid.UUID(message["device_id"])
            for client in list(clients):
                if client.device_id == device_id:
                    client.close_soon(CLOSE_REVOKED)
