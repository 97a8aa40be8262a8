"""The fake Twitch in a process of its own, for bench/twitch_burst.py: the sender then has its
own core instead of sharing the app's.

Prints one JSON line with its URLs, then serves a small control API:

* ``POST /approve {user_code}``: approve the app's device-code sign-in.
* ``GET /ready``: whether the app's EventSub session is subscribed.
* ``GET /raw`` (WebSocket): the raw baseline's bare client connects here.
* ``POST /burst {tag, count, rate, seconds, target, reconnect_after}`` → ``{"sent": n, …}``: send
  ``channel.chat.message`` notifications, ``count`` of them as fast as it can (``rate`` null) or
  ``rate`` a second for ``seconds``; to the app's EventSub session (``target`` "eventsub") or the
  same frames to the bare client (``target`` "raw"). ``reconnect_after``: send
  ``session_reconnect`` (as Twitch does before a server moves) that many seconds into the burst;
  the answer says before which message (``reconnect_index``) and when the app had closed the old
  connection (``move_ms`` after it). ``cpu_s``: the CPU time the fake spent sending.

Each message's text is ``burst {tag} {i} t={send time}``: the receivers take the latency from it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port  # noqa: E402

from tests.fakes.twitch import FakeTwitch, load_payload, twitch_time  # noqa: E402

PACE_S = 0.002  # the paced sender's tick: it sends what is due, then sleeps this long


def chat_event(template: dict[str, Any], tag: str, i: int) -> dict[str, Any]:
    event = copy.deepcopy(template)
    # time.monotonic is the system-wide monotonic clock on Linux: comparable across processes.
    text = f"burst {tag} {i} t={time.monotonic():.6f}"
    event["message_id"] = str(uuid.uuid4())
    event["message"] = {
        "text": text,
        "fragments": [
            {"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}
        ],
    }
    return event


def raw_notification(recorded: dict[str, Any], event: dict[str, Any]) -> str:
    """The notification frame as FakeTwitch.push builds it (same shape, same work), for the
    bare client of the baseline, which has no EventSub session."""
    return json.dumps(
        {
            "metadata": {
                "message_id": str(uuid.uuid4()),
                "message_type": "notification",
                "message_timestamp": twitch_time(),
                "subscription_type": "channel.chat.message",
                "subscription_version": "1",
            },
            "payload": {"subscription": dict(recorded["payload"]["subscription"]), "event": event},
        }
    )


async def send_burst(
    send: Callable[[int], Awaitable[None]], *, count: int, rate: float | None, seconds: float
) -> int:
    """``count`` sends back to back (``rate`` None), else ``rate`` a second for ``seconds``."""
    if rate is None:
        for i in range(count):
            await send(i)
        return count
    began = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - began) < seconds:
        due = int(elapsed * rate)
        while sent < due:
            await send(sent)
            sent += 1
        await asyncio.sleep(PACE_S)
    return sent


async def main() -> None:
    fake = FakeTwitch(free_port(), keepalive_s=10)
    fake.add_user("1337", "cool_streamer", display_name="Cool_Streamer", followers=42)
    await fake.start()
    recorded = load_payload("chat_message")
    template = recorded["payload"]["event"]
    raw_clients: list[web.WebSocketResponse] = []

    async def approve(request: web.Request) -> web.Response:
        fake.approve_device((await request.json())["user_code"])
        return web.json_response({"ok": True})

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"ready": bool(fake.active_sessions() and fake.subs)})

    async def raw(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        raw_clients.append(ws)
        async for _ in ws:
            pass
        raw_clients.remove(ws)
        return ws

    async def burst(request: web.Request) -> web.Response:
        body = await request.json()
        tag, target = str(body["tag"]), body.get("target", "eventsub")
        rate = float(body["rate"]) if body.get("rate") else None
        reconnect_after = body.get("reconnect_after")
        moves_before = len(fake.moved)
        reconnect_sent: float | None = None
        reconnect_index: int | None = None

        async def to_eventsub(i: int) -> None:
            nonlocal reconnect_sent, reconnect_index
            now = time.monotonic()
            due = reconnect_after is not None and now - began >= reconnect_after
            if due and reconnect_sent is None:
                reconnect_sent, reconnect_index = now, i
                await fake.trigger_reconnect()
            await fake.push("channel.chat.message", chat_event(template, tag, i))

        async def to_raw(i: int) -> None:
            await raw_clients[0].send_str(raw_notification(recorded, chat_event(template, tag, i)))

        began, cpu = time.monotonic(), time.process_time()
        sent = await send_burst(
            to_eventsub if target == "eventsub" else to_raw,
            count=int(body.get("count") or 0),
            rate=rate,
            seconds=float(body.get("seconds") or 0),
        )
        took, cpu = time.monotonic() - began, time.process_time() - cpu
        move_ms = None
        if reconnect_sent is not None:
            # The old connection closes (by the app) once the new one has its welcome.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (
                len(fake.moved) == moves_before or fake.moved[-1].closed_at is None
            ):
                await asyncio.sleep(0.01)
            closed_at = fake.moved[-1].closed_at if len(fake.moved) > moves_before else None
            move_ms = None if closed_at is None else (closed_at - reconnect_sent) * 1000
        return web.json_response(
            {
                "sent": sent,
                "seconds": took,
                "cpu_s": cpu,
                "reconnect_index": reconnect_index,
                "move_ms": move_ms,
            }
        )

    control = web.Application()
    control.router.add_post("/approve", approve)
    control.router.add_get("/ready", ready)
    control.router.add_get("/raw", raw)
    control.router.add_post("/burst", burst)
    runner = web.AppRunner(control)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(
        json.dumps(
            {
                "control": f"http://127.0.0.1:{port}",
                "raw": f"ws://127.0.0.1:{port}/raw",
                "eventsub": fake.eventsub_url,
                "api": fake.api_url,
                "auth": fake.auth_url,
            }
        ),
        flush=True,
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
