"""The fake YouTube in a process of its own, for bench/youtube_latency.py: the sender then has
its own core instead of sharing the app's.

Prints one JSON line with its URLs, then serves a small control API:

* ``POST /approve {user_code}``: approve the app's device-code sign-in.
* ``POST /raw``: an access token, the live chat's id and the page token of its end, for the raw
  baseline's bare client (it reads the same ``liveChat/messages/stream`` the app reads).
* ``POST /live``: a new broadcast with a chat of its own, so the app's first stream connection
  (without a page token, which starts with the recent history) gets none of the baseline's.
* ``GET /ready``: whether a stream connection was opened since the last ``/live``.
* ``POST /burst {tag, count, rate, seconds, batch_ms, batch_items}`` → ``{"sent": n, "cpu_s": …}``:
  post text messages into the live chat, ``count`` of them as fast as the fake can (``rate``
  null; ``batch_items`` per post) or ``rate`` a second for ``seconds``, posting what is due every
  ``batch_ms``. Each post wakes the open stream connections at once, and each writes the new
  messages as one ``LiveChatMessageListResponse`` with several items, as YouTube batches them.

Each message's text is ``burst {tag} {i} t={time}``, the time (the system-wide monotonic clock)
taken as the message is posted, i.e. as it enters the stream: the receivers take the latency
from it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port  # noqa: E402

from tests.fakes.youtube import FakeYouTube, load_payload, rfc3339  # noqa: E402

AUTHORS = 500  # distinct chatters the messages come from, as in a busy chat


def chat_item(template: dict[str, Any], tag: str, i: int) -> dict[str, Any]:
    """A ``textMessageEvent`` like the recorded one (fake.post copies it, so shallow is fine)."""
    # time.monotonic is the system-wide monotonic clock on Linux: comparable across processes.
    text = f"burst {tag} {i} t={time.monotonic():.6f}"
    channel = f"UCbench{i % AUTHORS:017d}"
    snippet = dict(template["snippet"])
    snippet.update(
        authorChannelId=channel,
        publishedAt=rfc3339(),
        displayMessage=text,
        textMessageDetails={"messageText": text},
    )
    details = dict(template["authorDetails"])
    details.update(
        channelId=channel,
        channelUrl=f"http://www.youtube.com/channel/{channel}",
        displayName=f"Viewer {i % AUTHORS}",
        profileImageUrl=f"https://yt3.ggpht.com/{channel}=s88",
        isChatSponsor=i % 7 == 0,  # some members, some moderators: badges to map
        isChatModerator=i % 50 == 0,
    )
    message_id = f"LCC.{secrets.token_urlsafe(27)}"  # YouTube's ids are that long
    return {
        **template,
        "etag": secrets.token_urlsafe(20),
        "id": message_id,
        "snippet": snippet,
        "authorDetails": details,
    }


async def main() -> None:
    fake = FakeYouTube(free_port())
    fake.framing = "array"  # what Google's streaming endpoints send
    fake.polling_interval_ms = 5000
    await fake.start()
    fake.go_live(title="Bench stream")
    template = load_payload("text_message")
    streams_at_live = 0

    async def approve(request: web.Request) -> web.Response:
        fake.approve_device((await request.json())["user_code"])
        return web.json_response({"ok": True})

    async def raw(request: web.Request) -> web.Response:
        token = fake.issue_token(ttl_s=3600)
        chat = fake.chat
        return web.json_response(
            {
                "url": f"{fake.api_url}/liveChat/messages/stream",
                "access": token.access,
                "chat_id": chat.id,
                "page_token": f"p{len(chat.messages)}",
            }
        )

    async def live(request: web.Request) -> web.Response:
        nonlocal streams_at_live
        fake.go_live(title="Bench stream")
        streams_at_live = len(fake.stream_connections)
        return web.json_response({"chat_id": fake.chat.id})

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"ready": len(fake.stream_connections) > streams_at_live})

    async def burst(request: web.Request) -> web.Response:
        body = await request.json()
        tag = str(body["tag"])
        rate = float(body["rate"]) if body.get("rate") else None
        batch_s = float(body.get("batch_ms") or 50) / 1000
        batch_items = int(body.get("batch_items") or 20)
        began, cpu = time.monotonic(), time.process_time()
        sent = 0
        if rate is None:
            count = int(body.get("count") or 0)
            while sent < count:
                upto = min(count, sent + batch_items)
                await fake.post(*(chat_item(template, tag, i) for i in range(sent, upto)))
                sent = upto
                await asyncio.sleep(0)  # the stream connections write it
        else:
            seconds = float(body.get("seconds") or 0)
            while (elapsed := time.monotonic() - began) < seconds:
                due = int(elapsed * rate)
                if due > sent:
                    await fake.post(*(chat_item(template, tag, i) for i in range(sent, due)))
                    sent = due
                await asyncio.sleep(batch_s)
        took, cpu = time.monotonic() - began, time.process_time() - cpu
        return web.json_response({"sent": sent, "seconds": took, "cpu_s": cpu})

    control = web.Application()
    control.router.add_post("/approve", approve)
    control.router.add_post("/raw", raw)
    control.router.add_post("/live", live)
    control.router.add_get("/ready", ready)
    control.router.add_post("/burst", burst)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(
        json.dumps(
            {"control": f"http://127.0.0.1:{port}", "api": fake.api_url, "auth": fake.auth_url}
        ),
        flush=True,
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
