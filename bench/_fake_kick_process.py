"""The fake Kick in a process of its own, for bench/kick_relay.py: the webhook sender then has
its own core instead of sharing the service's or the app's.

Run with the account service's webhook URL (Kick's app settings) as the one argument. Prints one
JSON line with its URLs (``control``, ``raw``, ``api``, ``auth``), then serves a small control API
(Kick's authorize approves at once, so there is nothing to approve):

* ``GET /ready``: whether the service holds Kick's ``chat.message.sent`` subscription for the
  fake's channel (the app's connector asked for it), so a webhook would be delivered.
* ``GET /raw`` (WebSocket): the raw baseline's bare client connects here.
* ``POST /burst {tag, count, rate, seconds, target}`` → ``{"sent", "cpu_s", "seconds",
  "statuses", "unaccepted"}``: send ``chat.message.sent`` webhooks, ``count`` back to back
  (``rate`` null) or ``rate`` a second for ``seconds``, each signed as Kick signs it; to the
  service's webhook URL (``target`` "service", as :meth:`FakeKick.emit` delivers: concurrent
  requests, as Kick's are) or the same signed body as a text frame to the bare client
  (``target`` "raw").
  ``statuses``: how many deliveries the service answered with each HTTP status (all 200 when
  every one was accepted; an exception's name when there was no answer, e.g. FakeKick's 10 s
  client timeout, as a sender gives up), ``unaccepted``: the numbers of the messages not
  answered 200. ``cpu_s``: the CPU time this process spent sending.

Each message's content is ``burst {tag} {i} t={send time}``: the receivers take the latency
from it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port  # noqa: E402
from _fake_twitch_process import send_burst  # noqa: E402

from tests.fakes import kick_keys  # noqa: E402
from tests.fakes.kick import FakeKick, new_ulid, rfc3339, viewer  # noqa: E402

EVENT = "chat.message.sent"


def chat_payload(template: dict[str, Any], tag: str, i: int) -> dict[str, Any]:
    payload = copy.deepcopy(template)
    # time.monotonic is the system-wide monotonic clock on Linux: comparable across processes.
    payload["content"] = f"burst {tag} {i} t={time.monotonic():.6f}"
    payload["message_id"] = str(uuid.uuid4())
    payload["created_at"] = rfc3339()
    return payload


def signed_body(fake: FakeKick, payload: dict[str, Any]) -> str:
    """The body and signature work of :meth:`FakeKick.send_webhook`, for the bare client of the
    baseline, which takes the body as a text frame (the signature goes nowhere)."""
    message_id, timestamp = new_ulid(), rfc3339()
    body = json.dumps(payload, separators=(",", ":"))
    kick_keys.sign(f"{message_id}.{timestamp}.{body}".encode(), fake.private_key)
    return body


async def main(webhook_url: str) -> None:
    fake = FakeKick(free_port())
    fake.webhook_url = webhook_url
    await fake.start()
    # A plain chat line (not a reply, no emotes) from a viewer with a badge, as most are.
    badges = [{"text": "Subscriber", "type": "subscriber", "count": 3}]
    template = fake.payload_for(
        EVENT, sender=viewer(987654321, "sender_name", badges=badges), replies_to=None, emotes=[]
    )
    raw_clients: list[web.WebSocketResponse] = []

    async def ready(request: web.Request) -> web.Response:
        subscribed = fake.subscription_for(EVENT, fake.user.user_id) is not None
        return web.json_response({"ready": subscribed})

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
        tag, target = str(body["tag"]), body.get("target", "service")
        if target not in ("service", "raw"):
            raise web.HTTPBadRequest(text=f"target must be service or raw, not {target!r}")
        rate = float(body["rate"]) if body.get("rate") else None
        deliveries: list[asyncio.Task[int | None]] = []

        async def to_service(i: int) -> None:
            # Kick does not wait for one delivery before the next.
            deliveries.append(asyncio.create_task(fake.emit(EVENT, chat_payload(template, tag, i))))

        async def to_raw(i: int) -> None:
            await raw_clients[0].send_str(signed_body(fake, chat_payload(template, tag, i)))

        began, cpu = time.monotonic(), time.process_time()
        sent = await send_burst(
            to_service if target == "service" else to_raw,
            count=int(body.get("count") or 0),
            rate=rate,
            seconds=float(body.get("seconds") or 0),
        )
        answers = await asyncio.gather(*deliveries, return_exceptions=True)
        took, cpu = time.monotonic() - began, time.process_time() - cpu
        # None: no subscription (nothing sent); an exception: no answer from the service.
        statuses = Counter(a if isinstance(a, int) else repr(a)[:80] for a in answers)
        unaccepted = [i for i, answer in enumerate(answers) if answer != 200]
        return web.json_response(
            {
                "sent": sent,
                "seconds": took,
                "cpu_s": cpu,
                "statuses": {str(k): v for k, v in statuses.items()},
                "unaccepted": unaccepted,
            }
        )

    control = web.Application()
    control.router.add_get("/ready", ready)
    control.router.add_get("/raw", raw)
    control.router.add_post("/burst", burst)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(
        json.dumps(
            {
                "control": f"http://127.0.0.1:{port}",
                "raw": f"ws://127.0.0.1:{port}/raw",
                "api": fake.api_url,
                "auth": fake.auth_url,
            }
        ),
        flush=True,
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
