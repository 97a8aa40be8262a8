"""A Twitch chat burst through the whole app: fake Twitch EventSub → our EventSub client →
mapping → dedupe → event log → bus → 10 chat boxes' WebSockets.

The fake Twitch (tests/fakes/twitch.py, in a process of its own) sends ``channel.chat.message``
notifications; each message's text carries its send time (the system-wide monotonic clock), so
every chat box measures the latency from the fake's send to its own socket. Series:

* ``fast``: 2,000 messages as fast as the fake can send them;
* ``paced``: 5,000 msg/s for 10 s;
* ``reconnect``: 5,000 msg/s for 4 s with Twitch's ``session_reconnect`` half-way, as Twitch
  sends it before a server moves; the messages sent in the half second after it are compared
  with the same positions of ``paced`` (the worst latency a message gained);
* ``steady`` and ``moving``: the same at 1,000 msg/s (``--reconnect-rate``) without and with a
  reconnect. Where the app keeps up, what a message gains is the reconnect's doing alone; where
  it does not, every latency is mostly the backlog, and so is the difference.

Reported per series: delivered, lost and duplicated (per box, by message id; both must be 0),
p50/p95 latency, and the CPU time each process spent per message (app, fake, chat boxes: on two
cores their sum says whether the machine could keep up at all). Baseline, same run: the same fake
sends the same notification frames straight to a bare aiohttp WebSocket client in this process
(one JSON parse per message); the ratio is the app's p95 over the baseline's.

Run: .venv/bin/python bench/twitch_burst.py [--count 2000] [--rate 5000] [--seconds 10]
     [--reconnect-rate N] [--boxes 10]
The fake Twitch and the chat boxes run in processes of their own (as OBS's browser sources do),
so this process does only the app's work. To see where the app's time goes, run it under
``py-spy record -r 100 -f raw -o burst.txt -- .venv/bin/python bench/twitch_burst.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port, percentile  # noqa: E402

from tests.fakes.twitch import CLIENT_ID  # noqa: E402

RECONNECT_WINDOW_S = 0.5  # messages sent this long after session_reconnect count as "around" it
COLLECT_TIMEOUT_S = 60


@dataclass(frozen=True)
class Series:
    tag: str
    count: int = 0  # back to back when rate is None
    rate: int | None = None
    seconds: float = 0.0
    reconnect_after: float | None = None  # seconds into the burst

    def body(self, target: str) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "count": self.count,
            "rate": self.rate,
            "seconds": self.seconds,
            "target": target,
            "reconnect_after": self.reconnect_after,
        }


@dataclass
class Result:
    sent: int
    per_box: list[list[float | None]]  # latency by message number, per box
    duplicates: int
    reconnect_index: int | None = None  # session_reconnect went out before this message
    move_ms: float | None = None  # from session_reconnect until the app closed the old socket
    # CPU seconds each process spent on the series: the app (or the raw client), the fake, the
    # chat boxes. Over 2 cores, their sum per second of burst says whether the machine kept up.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def latencies(self) -> list[float]:
        return [x for box in self.per_box for x in box[: self.sent] if x is not None]

    @property
    def lost(self) -> int:
        return sum(1 for box in self.per_box for x in box[: self.sent] if x is None)

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000

    def worst_by_position(self, start: int, stop: int) -> list[float]:
        """Per message number, the latest any box got it (ms)."""
        return [
            max((box[i] or 0.0) for box in self.per_box) * 1000
            for i in range(start, min(stop, self.sent))
        ]


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RawClient:
    """The baseline's bare WebSocket client: one JSON parse per message, nothing else."""

    def __init__(self) -> None:
        self.latency: dict[str, dict[int, float]] = defaultdict(dict)
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.duplicates: dict[str, int] = defaultdict(int)

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.monotonic()
            event = json.loads(msg.data)["payload"]["event"]
            head, _, sent = event["message"]["text"].rpartition(" t=")
            _, tag, number = head.split(" ")
            if event["message_id"] in self.seen[tag]:
                self.duplicates[tag] += 1
                continue
            self.seen[tag].add(event["message_id"])
            self.latency[tag][int(number)] = now - float(sent)

    async def collect(self, tag: str, sent: int) -> Result:
        deadline = time.monotonic() + COLLECT_TIMEOUT_S
        while len(self.latency[tag]) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        got = self.latency.pop(tag)
        return Result(sent, [[got.get(i) for i in range(sent)]], self.duplicates.pop(tag, 0))


async def burst(http: aiohttp.ClientSession, control: str, series: Series, target: str) -> dict:
    response = await http.post(
        f"{control}/burst",
        json=series.body(target),
        timeout=aiohttp.ClientTimeout(total=series.seconds + 120),
    )
    return dict(await response.json())


async def run_baseline(control: str, raw_url: str, series: list[Series]) -> dict[str, Result]:
    client = RawClient()
    results: dict[str, Result] = {}
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(raw_url, max_msg_size=0)
        reader = asyncio.create_task(client.read(ws))
        await asyncio.sleep(0.2)  # the fake has registered the socket
        for s in series:
            cpu = time.process_time()
            answer = await burst(http, control, s, "raw")
            results[s.tag] = await client.collect(s.tag, answer["sent"])
            results[s.tag].cpu = {"raw client": time.process_time() - cpu, "fake": answer["cpu_s"]}
        await ws.close()
        reader.cancel()
    return results


class ChatBoxes:
    """The chat boxes' process (bench/_chat_boxes_process.py), connected to ``url``."""

    def __init__(self, url: str, boxes: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "_chat_boxes_process.py"), url, str(boxes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.loop = asyncio.get_running_loop()

    async def _line(self) -> str:
        assert self.proc.stdout is not None
        return str(await self.loop.run_in_executor(None, self.proc.stdout.readline))

    async def ready(self) -> None:
        assert (await self._line()).strip() == "ready"

    async def collect(self, tag: str, sent: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"collect {tag} {sent} {COLLECT_TIMEOUT_S}\n")
        self.proc.stdin.flush()
        return dict(json.loads(await self._line()))

    async def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        await self.loop.run_in_executor(None, self.proc.wait, 30)
        self.proc.stdout.close()


def boxes_result(answer: dict[str, Any], report: dict[str, Any], cpu: dict[str, float]) -> Result:
    return Result(
        answer["sent"],
        [box["latency"] for box in report["boxes"]],
        sum(box["duplicates"] for box in report["boxes"]),
        answer.get("reconnect_index"),
        answer.get("move_ms"),
        cpu,
    )


async def run_relay(
    control: str, raw_url: str, boxes: int, series: list[Series]
) -> dict[str, Result]:
    """The floor for any app on this path: a bare relay that parses each notification, builds
    one overlay frame from it and writes that frame to every box (as the app's hub does), and
    nothing else — no mapping, dedupe, event log or alerts. It has the app's hops (fake → relay
    → boxes), so it shows what two hops and ten boxes cost on this machine by themselves."""
    from streampai_desktop.server.frames import envelope

    sockets: list[web.WebSocketResponse] = []

    async def overlay_socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        await ws.receive()  # the box's subscribe
        sockets.append(ws)
        async for _ in ws:
            pass
        return ws

    async def relay(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            event = orjson.loads(msg.data)["payload"]["event"]
            text = event["message"]["text"]
            chat = {"kind": "chat_message", "id": event["message_id"], "text": text}
            frame = envelope("event", {"topic": "chat", "event": chat}, event["message_id"])
            for box in sockets:
                box._writer.transport.write(frame)  # type: ignore[union-attr]

    app = web.Application()
    app.router.add_get("/relay", overlay_socket)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    results: dict[str, Result] = {}
    chat_boxes = ChatBoxes(f"ws://127.0.0.1:{port}/relay", boxes)
    try:
        await chat_boxes.ready()
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(raw_url, max_msg_size=0)
            reader = asyncio.create_task(relay(ws))
            await asyncio.sleep(0.2)  # the fake has registered the socket
            for s in series:
                cpu = time.process_time()
                answer = await burst(http, control, s, "raw")
                report = await chat_boxes.collect(s.tag, answer["sent"])
                used = {"relay": time.process_time() - cpu, "fake": answer["cpu_s"]}
                results[s.tag] = boxes_result(
                    answer, report, {**used, "chat boxes": report["cpu_s"]}
                )
            await ws.close()
            reader.cancel()
    finally:
        await chat_boxes.close()
        await runner.cleanup()
    return results


async def run_app(
    urls: dict[str, str], boxes: int, series: list[Series], loop: asyncio.AbstractEventLoop
) -> dict[str, Result]:
    from streampai_desktop.core.lifecycle import pause_gc_for_startup

    pause_gc_for_startup()  # as the entry point does (cli.py): the app resumes it when ready
    from streampai_desktop.app import App, AppOptions

    os.environ.update(
        STREAMPAI_TWITCH_EVENTSUB_URL=urls["eventsub"],
        STREAMPAI_TWITCH_API_URL=urls["api"],
        STREAMPAI_TWITCH_AUTH_URL=urls["auth"],
        STREAMPAI_TWITCH_CLIENT_ID=CLIENT_ID,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    control = urls["control"]
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as data:
        app = App(
            AppOptions(
                data_dir=Path(data), port=free_port(), headless=True, demo=False, log_to_file=False
            )
        )
        await app.start()
        async with aiohttp.ClientSession() as http:

            async def approve(code) -> None:
                await http.post(f"{control}/approve", json={"user_code": code.user_code})

            await app.platforms.sign_in("twitch", approve)
            while not (await (await http.get(f"{control}/ready")).json())["ready"]:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            url = app.overlay_urls()["chat_box"].replace("/overlay/chat_box", "/overlay/ws")
            chat_boxes = ChatBoxes(url, boxes)
            await chat_boxes.ready()
            for s in series:
                cpu = time.process_time()
                answer = await burst(http, control, s, "eventsub")
                report = await chat_boxes.collect(s.tag, answer["sent"])
                used = {"app": time.process_time() - cpu, "fake": answer["cpu_s"]}
                results[s.tag] = boxes_result(
                    answer, report, {**used, "chat boxes": report["cpu_s"]}
                )
                await asyncio.sleep(0.5)  # the event log catches up between series
            await chat_boxes.close()
        await app.shutdown()
    return results


def line(name: str, r: Result, boxes: int, base: Result | None = None) -> str:
    delivered = (r.sent * boxes - r.lost) / boxes
    text = (
        f"  {name:<26} sent {r.sent:6,}  delivered {delivered:9,.0f}/box  lost {r.lost}"
        f"  duplicates {r.duplicates}  p50 {r.p(50):7.1f} ms  p95 {r.p(95):7.1f} ms"
    )
    if base is not None:
        text += f"  ({r.p(95) / base.p(95):.2f}x raw p95)"
    cpu = ", ".join(f"{who} {s / r.sent * 1e6:.0f}" for who, s in r.cpu.items())
    return f"{text}\n      CPU µs per message: {cpu}"


def reconnect_report(moved: Result, without_move: Result, seconds: float) -> str:
    """The worst latency a message sent in the half second after ``session_reconnect`` gained,
    against the same positions of a series without a reconnect."""
    at = moved.reconnect_index
    if at is None:
        return "  the series never sent session_reconnect"
    # At the rate the fake achieved: on a busy machine it falls behind its target.
    window_end = min(
        at + int(moved.sent / seconds * RECONNECT_WINDOW_S), moved.sent, without_move.sent
    )
    with_move = moved.worst_by_position(at, window_end)
    without = without_move.worst_by_position(at, window_end)
    added = max(a - b for a, b in zip(with_move, without, strict=True))
    return (
        f"      session_reconnect before #{at:,}; the app closed the old socket "
        f"{moved.move_ms or float('nan'):.0f} ms later. The {len(with_move):,} messages sent in "
        f"the {RECONNECT_WINDOW_S:g} s after it: worst {max(with_move):.1f} ms vs "
        f"{max(without):.1f} ms without a reconnect; worst added to one message {added:+.1f} ms"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--reconnect-seconds", type=float, default=4.0)
    parser.add_argument(
        "--reconnect-rate",
        type=int,
        default=1000,
        help="also measure a reconnect at this rate, against a series at the same rate without "
        "one (0: don't)",
    )
    parser.add_argument("--boxes", type=int, default=10)
    args = parser.parse_args()
    fast = Series("fast", count=args.count)
    paced = Series("paced", rate=args.rate, seconds=args.seconds)
    during = {"seconds": args.reconnect_seconds, "reconnect_after": args.reconnect_seconds / 2}
    # (series with a reconnect, series with the same positions without one)
    moves = [(Series("reconnect", rate=args.rate, **during), paced)]
    if args.reconnect_rate:
        steady = Series("steady", rate=args.reconnect_rate, seconds=args.reconnect_seconds)
        moves.append((Series("moving", rate=args.reconnect_rate, **during), steady))
    loop = asyncio.get_running_loop()
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_fake_twitch_process.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    try:
        urls = json.loads(fake.stdout.readline())
        base = await run_baseline(urls["control"], urls["raw"], [fast, paced])
        floor = await run_relay(urls["control"], urls["raw"], args.boxes, [fast, paced])
        series = [fast, paced] + [s for pair in moves for s in (pair[1], pair[0]) if s is not paced]
        app = await run_app(urls, args.boxes, series, loop)
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        fake.stdout.close()

    print(f"twitch chat burst, fake Twitch → app → {args.boxes} chat boxes")
    print(line(f"raw, {args.count:,} back to back", base["fast"], 1))
    print(line(f"relay, {args.count:,} back to back", floor["fast"], args.boxes, base["fast"]))
    print(line(f"app, {args.count:,} back to back", app["fast"], args.boxes, base["fast"]))
    paced_name = f"{args.rate:,}/s for {args.seconds:g} s"
    print(line(f"raw, {paced_name}", base["paced"], 1))
    print(line(f"relay, {paced_name}", floor["paced"], args.boxes, base["paced"]))
    print(line(f"app, {paced_name}", app["paced"], args.boxes, base["paced"]))
    for moving, steady in moves:
        name = f"{moving.rate:,}/s for {moving.seconds:g} s"
        if steady is not paced:
            print(line(f"app, {name}", app[steady.tag], args.boxes))
        print(line(f"app, {name}, reconnect", app[moving.tag], args.boxes))
        print(reconnect_report(app[moving.tag], app[steady.tag], args.reconnect_seconds))
    ratios = [app[s].p(95) / base[s].p(95) for s in ("fast", "paced")]
    to_floor = [app[s].p(95) / floor[s].p(95) for s in ("fast", "paced")]
    floor_ratios = [floor[s].p(95) / base[s].p(95) for s in ("fast", "paced")]
    cost = [
        (app[s].cpu["app"] / app[s].sent) / (base[s].cpu["raw client"] / base[s].sent)
        for s in ("fast", "paced")
    ]
    clean = all(r.lost == 0 and r.duplicates == 0 for r in app.values())
    print(
        f"  the bare relay's p95 is already {floor_ratios[0]:.0f}x / {floor_ratios[1]:.0f}x the "
        f"raw client's (two hops and {args.boxes} boxes on this machine); the app's p95 is "
        f"{to_floor[0]:.2f}x / {to_floor[1]:.2f}x the relay's"
    )
    print(
        f"  p95 ratio to raw: fast {ratios[0]:.2f}x, paced {ratios[1]:.2f}x (target ≤ 2x); CPU "
        f"per message, app ÷ raw client: {cost[0]:.1f}x, {cost[1]:.1f}x; peak RSS "
        f"{peak_rss_mib():.0f} MiB; lost/duplicated must be 0: {'ok' if clean else 'FAILED'}"
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
