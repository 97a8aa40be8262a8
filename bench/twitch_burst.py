"""A Twitch chat burst through the whole app: fake Twitch EventSub → our EventSub client →
mapping → dedupe → event log → bus → 10 chat boxes' WebSockets.

The fake Twitch (tests/fakes/twitch.py, in a process of its own) sends ``channel.chat.message``
notifications at the target rate for the given time; each message's text carries its send time
(the system-wide monotonic clock), so every chat box measures the latency from the fake's send to
its own socket. Reported: delivered rate per chat box, loss
(must be 0), p50/p95 latency, peak RSS. Baseline, same run: the same notification frames at the
same pace from a bare aiohttp WebSocket server to one bare client (the raw socket's capacity).

Run: .venv/bin/python bench/twitch_burst.py [--rate 5000] [--seconds 10] [--boxes 10]
The fake Twitch and the chat boxes run in processes of their own (as OBS's browser sources do),
so the app's process does only the app's work.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port, percentile  # noqa: E402
from _fake_twitch_process import chat_event  # noqa: E402

from tests.fakes.twitch import CLIENT_ID, load_payload  # noqa: E402


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Box:
    """One chat box: counts messages and records latency from the text's send time."""

    def __init__(self) -> None:
        self.latencies: list[float] = []

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT or "burst " not in msg.data:
                continue
            now = time.monotonic()
            # The send time is the text's last word; a full JSON parse per box would make the
            # ten clients, which share the app's process, the bottleneck being measured.
            start = msg.data.index(" t=") + 3
            self.latencies.append(now - float(msg.data[start : msg.data.index('"', start)]))


async def paced(seconds: float, rate: int, send) -> int:
    began = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - began) < seconds:
        due = int(elapsed * rate)
        while sent < due:
            await send(sent)
            sent += 1
        await asyncio.sleep(0.005)
    return sent


async def run_app(rate: int, seconds: float, boxes: int) -> dict:
    from streampai_desktop.app import App, AppOptions

    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_fake_twitch_process.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    urls = json.loads(fake.stdout.readline())
    os.environ.update(
        STREAMPAI_TWITCH_EVENTSUB_URL=urls["eventsub"],
        STREAMPAI_TWITCH_API_URL=urls["api"],
        STREAMPAI_TWITCH_AUTH_URL=urls["auth"],
        STREAMPAI_TWITCH_CLIENT_ID=CLIENT_ID,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    try:
        with tempfile.TemporaryDirectory() as data:
            app = App(
                AppOptions(
                    data_dir=Path(data),
                    port=free_port(),
                    headless=True,
                    demo=False,
                    log_to_file=False,
                )
            )
            await app.start()
            async with aiohttp.ClientSession() as http:

                async def approve(code) -> None:
                    await http.post(
                        f"{urls['control']}/approve", json={"user_code": code.user_code}
                    )

                await app.platforms.sign_in("twitch", approve)
                while not (await (await http.get(f"{urls['control']}/ready")).json())["ready"]:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.5)
                url = app.overlay_urls()["chat_box"].replace("/overlay/chat_box", "/overlay/ws")
                boxes_proc = subprocess.Popen(
                    [
                        sys.executable,
                        str(ROOT / "bench" / "_chat_boxes_process.py"),
                        url,
                        str(boxes),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert boxes_proc.stdin is not None and boxes_proc.stdout is not None
                loop = asyncio.get_running_loop()
                assert (
                    await loop.run_in_executor(None, boxes_proc.stdout.readline)
                ).strip() == "ready"
                response = await http.post(
                    f"{urls['control']}/burst",
                    json={"rate": rate, "seconds": seconds},
                    timeout=aiohttp.ClientTimeout(total=seconds + 60),
                )
                sent = (await response.json())["sent"]
                boxes_proc.stdin.write(f"{sent} 30\n")
                boxes_proc.stdin.flush()
                per_box = json.loads(await loop.run_in_executor(None, boxes_proc.stdout.readline))
                boxes_proc.wait(timeout=30)
                boxes_proc.stdin.close()
                boxes_proc.stdout.close()
            await app.shutdown()
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        fake.stdout.close()
    latencies = [x for box in per_box for x in box]
    return {
        "sent": sent,
        "rate": sent / seconds,
        "lost": sum(max(0, sent - len(box)) for box in per_box),
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
    }


async def run_baseline(rate: int, seconds: float) -> dict:
    sockets: list[web.WebSocketResponse] = []

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.append(ws)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    template = load_payload("chat_message")
    box = Box()
    async with aiohttp.ClientSession() as http:
        client = await http.ws_connect(f"http://127.0.0.1:{port}/ws", max_msg_size=0)
        while not sockets:
            await asyncio.sleep(0.01)

        async def send(i: int) -> None:
            frame = copy.deepcopy(template)
            frame["payload"]["event"] = chat_event(template["payload"]["event"], i)
            # The bare client reads the same "t=" marker from the notification itself.
            await sockets[0].send_str(json.dumps(frame))

        async def read() -> None:
            async for msg in client:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    text = json.loads(msg.data)["payload"]["event"]["message"]["text"]
                    box.latencies.append(time.monotonic() - float(text.rsplit("t=", 1)[1]))

        reader = asyncio.create_task(read())
        sent = await paced(seconds, rate, send)
        deadline = time.monotonic() + 30
        while len(box.latencies) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await client.close()
        reader.cancel()
    await runner.cleanup()
    return {
        "sent": sent,
        "rate": sent / seconds,
        "lost": sent - len(box.latencies),
        "p50_ms": statistics.median(box.latencies) * 1000,
        "p95_ms": percentile(box.latencies, 95) * 1000,
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--boxes", type=int, default=10)
    args = parser.parse_args()
    base = await run_baseline(args.rate, args.seconds)
    app = await run_app(args.rate, args.seconds, args.boxes)
    print(f"twitch chat burst: {args.rate:,} msg/s offered for {args.seconds:.0f} s")
    print(
        f"  baseline: raw WebSocket, 1 client  {base['rate']:8,.0f} msg/s  lost {base['lost']}"
        f"  p50 {base['p50_ms']:7.1f} ms  p95 {base['p95_ms']:7.1f} ms"
    )
    print(
        f"  app → {args.boxes} chat boxes          {app['rate']:8,.0f} msg/s  lost {app['lost']}"
        f"  p50 {app['p50_ms']:7.1f} ms  p95 {app['p95_ms']:7.1f} ms"
    )
    print(
        f"  peak RSS {peak_rss_mib():.0f} MiB; app p95 {app['p95_ms'] / base['p95_ms']:.1f}x "
        f"baseline; loss must be 0: {'ok' if app['lost'] == 0 else 'LOST'}"
    )
    return 0 if app["lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
