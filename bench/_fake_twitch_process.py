"""The fake Twitch in a process of its own, for bench/twitch_burst.py: the sender then has its
own core instead of sharing the app's. Prints one JSON line with its URLs, then serves a small
control API: POST /approve {user_code}, POST /burst {rate, seconds} → {"sent": n}."""

from __future__ import annotations

import asyncio
import copy
import json
import sys
import time
import uuid
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port  # noqa: E402

from tests.fakes.twitch import FakeTwitch, load_payload  # noqa: E402


def chat_event(template: dict, i: int) -> dict:
    event = copy.deepcopy(template)
    # time.monotonic is the system-wide monotonic clock on Linux: comparable across processes.
    text = f"burst {i} t={time.monotonic():.6f}"
    event["message_id"] = str(uuid.uuid4())
    event["message"] = {
        "text": text,
        "fragments": [
            {"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}
        ],
    }
    return event


async def main() -> None:
    fake = FakeTwitch(free_port(), keepalive_s=10)
    fake.add_user("1337", "cool_streamer", display_name="Cool_Streamer", followers=42)
    await fake.start()
    template = load_payload("chat_message")["payload"]["event"]

    async def approve(request: web.Request) -> web.Response:
        fake.approve_device((await request.json())["user_code"])
        return web.json_response({"ok": True})

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"ready": bool(fake.active_sessions() and fake.subs)})

    async def burst(request: web.Request) -> web.Response:
        body = await request.json()
        rate, seconds = int(body["rate"]), float(body["seconds"])
        began = time.monotonic()
        sent = 0
        while (elapsed := time.monotonic() - began) < seconds:
            due = int(elapsed * rate)
            while sent < due:
                await fake.push("channel.chat.message", chat_event(template, sent))
                sent += 1
            await asyncio.sleep(0.002)
        return web.json_response({"sent": sent, "seconds": time.monotonic() - began})

    control = web.Application()
    control.router.add_post("/approve", approve)
    control.router.add_get("/ready", ready)
    control.router.add_post("/burst", burst)
    runner = web.AppRunner(control)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(
        json.dumps(
            {
                "control": f"http://127.0.0.1:{port}",
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
