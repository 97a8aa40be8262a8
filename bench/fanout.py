"""Chat fan-out: events/s delivered to 20 connected chat boxes with nothing lost, and the
process's memory while the bus takes a 10k msg/s burst for 10 s.

App path: EventIngest → EventBus → overlay hub → 20 WebSocket clients (aiohttp), the real server
on 127.0.0.1. Baseline, same run, same clients: a bare aiohttp server that serialises each message
once and send_str()s it to every socket. Clients run in this process too, so both sides share the
same two cores the same way.

Run: .venv/bin/python bench/fanout.py [--messages 20000] [--clients 20] [--burst-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import ChatMessage, Platform, User
from streampai_desktop.server import OverlayServer, ServerContext
from streampai_desktop.server.context import Tokens
from streampai_desktop.server.emotes import EmoteCache
from streampai_desktop.stream.ingest import EventIngest

USER = User("1", "viewer", "Viewer", "#1e90ff")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def chat(i: int) -> ChatMessage:
    return ChatMessage(platform=Platform.TWITCH, id=f"m{i}", user=USER, text=f"message {i} hi")


class Clients:
    """N WebSocket clients counting the chat events they receive."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.received = [0] * count
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.session = aiohttp.ClientSession()

    async def connect(self, url: str, subscribe: dict | None) -> None:
        for i in range(self.count):
            ws = await self.session.ws_connect(url, max_msg_size=0)
            if subscribe:
                await ws.send_json(subscribe)
            self.sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._read(i, ws)))

    async def _read(self, i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT and '"chat_message"' in msg.data:
                self.received[i] += 1

    async def wait_for(self, total: int, timeout: float) -> float:
        began = time.perf_counter()
        while min(self.received) < total:
            if time.perf_counter() - began > timeout:
                break
            await asyncio.sleep(0.005)
        return time.perf_counter() - began

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.session.close()


async def start_app_server(tmp: Path) -> tuple[OverlayServer, EventIngest, EmoteCache, str]:
    bus = EventBus()
    ingest = EventIngest(bus)
    tokens = Tokens(overlay="bench-token-0123456789", api="bench-api-0123456789")
    emotes = EmoteCache(tmp / "emotes", {})
    port = free_port()
    ctx = ServerContext(
        bus=bus,
        port=port,
        tokens=tokens,
        overlay_dist=tmp,
        data_dir=tmp,
        emotes=emotes,
        submit_event=ingest.submit,
        widget_lookup=lambda w: ("chat_box", {}) if w == "chat_box" else None,
    )
    server = OverlayServer(ctx)
    await server.start()
    return server, ingest, emotes, f"http://127.0.0.1:{port}/overlay/ws?token={tokens.overlay}"


async def start_baseline() -> tuple[web.AppRunner, set[web.WebSocketResponse], str]:
    sockets: set[web.WebSocketResponse] = set()

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        sockets.add(sock)
        async for _ in sock:
            pass
        sockets.discard(sock)
        return sock

    app = web.Application()
    app.router.add_get("/ws", ws)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, sockets, f"http://127.0.0.1:{port}/ws"


async def baseline_broadcast(sockets, event: ChatMessage) -> None:
    frame = json.dumps(
        {"type": "event", "id": event.id, "data": {"topic": "chat", "event": event.to_json()}}
    )
    for sock in list(sockets):
        await sock.send_str(frame)


async def throughput(messages: int, clients: int) -> tuple[float, float, int, int]:
    """(app rate, baseline rate, app lost, baseline lost) in events delivered per second."""
    with tempfile.TemporaryDirectory() as tmp:
        server, ingest, emotes, url = await start_app_server(Path(tmp))
        app_clients = Clients(clients)
        await app_clients.connect(
            url, {"type": "subscribe", "id": "1", "data": {"widget": "chat_box"}}
        )
        await asyncio.sleep(0.3)
        began = time.perf_counter()
        for i in range(messages):
            ingest.submit_nowait(chat(i))
            if i % 200 == 0:
                await asyncio.sleep(0)  # a connector yields between socket reads
        await app_clients.wait_for(messages, 120)
        app_elapsed = time.perf_counter() - began
        app_lost = clients * messages - sum(app_clients.received)
        await app_clients.close()
        await server.stop()
        await emotes.close()

    runner, sockets, url = await start_baseline()
    base_clients = Clients(clients)
    await base_clients.connect(url, None)
    await asyncio.sleep(0.3)
    began = time.perf_counter()
    for i in range(messages):
        await baseline_broadcast(sockets, chat(i))
    await base_clients.wait_for(messages, 120)
    base_elapsed = time.perf_counter() - began
    base_lost = clients * messages - sum(base_clients.received)
    await base_clients.close()
    await runner.cleanup()
    return (
        clients * messages / app_elapsed,
        clients * messages / base_elapsed,
        app_lost,
        base_lost,
    )


async def burst_memory(clients: int, seconds: float, rate: int) -> tuple[float, float, float]:
    """Peak RSS growth (MiB) of the app path and of the baseline during a paced burst, and the
    share of the burst each app client received."""

    async def paced(send) -> float:
        start_rss = peak = rss_mib()
        began = time.perf_counter()
        sent = 0
        while (elapsed := time.perf_counter() - began) < seconds:
            due = int(elapsed * rate)
            while sent < due:
                await send(chat(sent))
                sent += 1
            peak = max(peak, rss_mib())
            await asyncio.sleep(0.01)
        return peak - start_rss

    with tempfile.TemporaryDirectory() as tmp:
        server, ingest, emotes, url = await start_app_server(Path(tmp))
        app_clients = Clients(clients)
        await app_clients.connect(
            url, {"type": "subscribe", "id": "1", "data": {"widget": "chat_box"}}
        )
        await asyncio.sleep(0.3)

        async def submit(event: ChatMessage) -> None:
            ingest.submit_nowait(event)

        app_growth = await paced(submit)
        await app_clients.wait_for(int(seconds * rate), 10)
        delivered = sum(app_clients.received) / (clients * int(seconds * rate))
        await app_clients.close()
        await server.stop()
        await emotes.close()

    runner, sockets, url = await start_baseline()
    base_clients = Clients(clients)
    await base_clients.connect(url, None)
    await asyncio.sleep(0.3)
    base_growth = await paced(lambda event: baseline_broadcast(sockets, event))
    await base_clients.close()
    await runner.cleanup()
    return app_growth, base_growth, delivered


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--burst-rate", type=int, default=10_000)
    args = parser.parse_args()
    app_rate, base_rate, app_lost, base_lost = await throughput(args.messages, args.clients)
    print(f"fan-out: {args.messages} chat events to {args.clients} chat boxes")
    print(f"  baseline: bare aiohttp broadcast   {base_rate:10,.0f} deliveries/s  lost {base_lost}")
    print(f"  app: ingest → bus → hub            {app_rate:10,.0f} deliveries/s  lost {app_lost}")
    print(f"  ratio {app_rate / base_rate:.2f} (target >= 0.70), app lost {app_lost} (must be 0)")
    app_growth, base_growth, delivered = await burst_memory(
        args.clients, args.burst_seconds, args.burst_rate
    )
    print(
        f"burst: {args.burst_rate:,} msg/s for {args.burst_seconds:.0f} s: peak RSS growth "
        f"app {app_growth:.1f} MiB (delivered {delivered:.1%}), baseline {base_growth:.1f} MiB "
        "(the baseline awaits each send, so it slows its sender instead of buffering)"
    )
    return 0 if app_lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
