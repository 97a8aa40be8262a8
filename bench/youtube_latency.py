"""YouTube chat latency through the whole app: fake YouTube's ``liveChat/messages/stream`` → our
stream reader → mapping → dedupe → event log → bus → 10 chat boxes' WebSockets.

The fake YouTube (tests/fakes/youtube.py, in a process of its own) posts text messages into a
live chat; every open stream connection writes them at once as ``LiveChatMessageListResponse``
objects of several items (framed as one JSON array, as Google's streaming endpoints do). Each
message's text carries the time it was posted (the system-wide monotonic clock), so every chat
box measures the latency from the message's arrival on the stream to its own socket. Series
(issue #14; a busy YouTube chat is ~50-200 msg/s):

* ``paced``: 200 msg/s for 10 s, posted every 50 ms (~10 messages a response);
* ``fast``: 2,000 messages as fast as the fake can post them, 20 a post.

Reported per series: delivered, lost and duplicated (per box, by message id; both must be 0),
p50/p95 latency, and the CPU time each process spent per message (app, fake, chat boxes).
Baseline, same run: the same fake streams the same messages to a bare httpx streaming client in
this process, which reads ``liveChat/messages/stream`` and parses each response object once
(``json.JSONDecoder.raw_decode``); the ratio is the app's p95 over the baseline's. Goal: p95 ≤
2x raw.

Run: .venv/bin/python bench/youtube_latency.py [--rate 200] [--seconds 10] [--count 2000]
     [--batch-ms 50] [--batch-items 20] [--boxes 10]
The fake and the chat boxes run in processes of their own (as OBS's browser sources do), so
this process does only the app's work. To see where the app's time goes, run it under
``py-spy record -r 200 -f raw -o yt.txt -- .venv/bin/python bench/youtube_latency.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port, percentile  # noqa: E402

from tests.fakes.youtube import CLIENT_ID, CLIENT_SECRET  # noqa: E402

COLLECT_TIMEOUT_S = 60
SEPARATORS = " \t\r\n,[]"  # between the objects of the streamed JSON array


@dataclass(frozen=True)
class Series:
    tag: str
    count: int = 0  # as fast as the fake can when rate is None
    rate: int | None = None
    seconds: float = 0.0
    batch_ms: float = 50.0  # paced: the fake posts what is due this often
    batch_items: int = 20  # fast: messages per post

    def body(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "count": self.count,
            "rate": self.rate,
            "seconds": self.seconds,
            "batch_ms": self.batch_ms,
            "batch_items": self.batch_items,
        }


@dataclass
class Result:
    sent: int
    per_box: list[list[float | None]]  # latency by message number, per box
    duplicates: int
    # CPU seconds each process spent on the series: the app (or the raw client), the fake, the
    # chat boxes.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def latencies(self) -> list[float]:
        return [x for box in self.per_box for x in box[: self.sent] if x is not None]

    @property
    def lost(self) -> int:
        return sum(1 for box in self.per_box for x in box[: self.sent] if x is None)

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RawClient:
    """The baseline: a bare httpx streaming client; one JSON parse per response object, then
    each item's text read for its send time. Nothing else."""

    def __init__(self) -> None:
        self.latency: dict[str, dict[int, float]] = {}
        self.seen: set[str] = set()
        self.duplicates: dict[str, int] = {}

    async def read(self, http: httpx.AsyncClient, grant: dict[str, Any]) -> None:
        params = {
            "liveChatId": grant["chat_id"],
            "part": "id,snippet,authorDetails",
            "pageToken": grant["page_token"],
        }
        headers = {"Authorization": f"Bearer {grant['access']}"}
        decoder = json.JSONDecoder()
        timeout = httpx.Timeout(15.0, read=None)
        async with http.stream(
            "GET", grant["url"], params=params, headers=headers, timeout=timeout
        ) as response:
            response.raise_for_status()
            buffer = ""
            async for text in response.aiter_text():
                buffer += text
                while buffer := buffer.lstrip(SEPARATORS):
                    try:
                        page, end = decoder.raw_decode(buffer)
                    except json.JSONDecodeError:
                        break  # the rest of this object is still on its way
                    buffer = buffer[end:]
                    now = time.monotonic()
                    for item in page["items"]:
                        self.take(item, now)

    def take(self, item: dict[str, Any], now: float) -> None:
        head, _, sent = item["snippet"]["textMessageDetails"]["messageText"].rpartition(" t=")
        _, tag, number = head.split(" ")
        if item["id"] in self.seen:
            self.duplicates[tag] = self.duplicates.get(tag, 0) + 1
            return
        self.seen.add(item["id"])
        self.latency.setdefault(tag, {})[int(number)] = now - float(sent)

    async def collect(self, tag: str, sent: int) -> Result:
        deadline = time.monotonic() + COLLECT_TIMEOUT_S
        while len(self.latency.get(tag, ())) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a duplicate would come right behind
        got = self.latency.pop(tag, {})
        return Result(sent, [[got.get(i) for i in range(sent)]], self.duplicates.pop(tag, 0))


async def burst(http: aiohttp.ClientSession, control: str, series: Series) -> dict[str, Any]:
    response = await http.post(
        f"{control}/burst",
        json=series.body(),
        timeout=aiohttp.ClientTimeout(total=series.seconds + 120),
    )
    return dict(await response.json())


async def run_baseline(control: str, series: list[Series]) -> dict[str, Result]:
    client = RawClient()
    results: dict[str, Result] = {}
    async with aiohttp.ClientSession() as http, httpx.AsyncClient() as stream_http:
        grant = await (await http.post(f"{control}/raw")).json()
        reader = asyncio.create_task(client.read(stream_http, grant))
        await asyncio.sleep(0.3)  # the stream is open and its first (empty) response read
        for s in series:
            cpu = time.process_time()
            answer = await burst(http, control, s)
            results[s.tag] = await client.collect(s.tag, answer["sent"])
            results[s.tag].cpu = {"raw client": time.process_time() - cpu, "fake": answer["cpu_s"]}
            await asyncio.sleep(0.5)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return results


async def run_app(
    urls: dict[str, str], boxes: int, series: list[Series], loop: asyncio.AbstractEventLoop
) -> dict[str, Result]:
    from streampai_desktop.core.lifecycle import pause_gc_for_startup

    pause_gc_for_startup()  # as the entry point does (cli.py): the app resumes it when ready
    from streampai_desktop.app import App, AppOptions
    from streampai_desktop.platforms.flows import DeviceCodeStep, SignInStep

    os.environ.update(
        STREAMPAI_YOUTUBE_AUTH_URL=urls["auth"],
        STREAMPAI_YOUTUBE_API_URL=urls["api"],
        STREAMPAI_YOUTUBE_CLIENT_ID=CLIENT_ID,
        STREAMPAI_YOUTUBE_CLIENT_SECRET=CLIENT_SECRET,
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
            # A broadcast of its own: the app's first connection starts with the recent history,
            # which must not hold the baseline's messages.
            await http.post(f"{control}/live")

            async def approve(step: SignInStep) -> None:
                assert isinstance(step, DeviceCodeStep)
                await http.post(f"{control}/approve", json={"user_code": step.user_code})

            await app.platforms.sign_in("youtube", approve)
            deadline = time.monotonic() + 30
            while not (await (await http.get(f"{control}/ready")).json())["ready"]:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the app never opened the chat stream: {app.streams.states()}"
                    )
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            url = app.overlay_urls()["chat_box"].replace("/overlay/chat_box", "/overlay/ws")
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "_chat_boxes_process.py"), url, str(boxes)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert proc.stdin is not None and proc.stdout is not None
            assert (await loop.run_in_executor(None, proc.stdout.readline)).strip() == "ready"
            for s in series:
                cpu = time.process_time()
                answer = await burst(http, control, s)
                proc.stdin.write(f"collect {s.tag} {answer['sent']} {COLLECT_TIMEOUT_S}\n")
                proc.stdin.flush()
                answered = await loop.run_in_executor(None, proc.stdout.readline)
                cpu = time.process_time() - cpu  # not counting the parse of the answer
                report = json.loads(answered)
                results[s.tag] = Result(
                    answer["sent"],
                    [box["latency"] for box in report["boxes"]],
                    sum(box["duplicates"] for box in report["boxes"]),
                    {"app": cpu, "fake": answer["cpu_s"], "chat boxes": report["cpu_s"]},
                )
                await asyncio.sleep(0.5)  # the event log catches up between series
            proc.stdin.write("quit\n")
            proc.stdin.close()
            await loop.run_in_executor(None, proc.wait, 30)
            proc.stdout.close()
        await app.shutdown()
    return results


def line(name: str, r: Result, boxes: int, base: Result | None = None) -> str:
    delivered = (r.sent * boxes - r.lost) / boxes
    text = (
        f"  {name:<30} sent {r.sent:6,}  delivered {delivered:8,.0f}/box  lost {r.lost}"
        f"  duplicates {r.duplicates}  p50 {r.p(50):7.1f} ms  p95 {r.p(95):7.1f} ms"
    )
    if base is not None:
        text += f"  ({r.p(95) / base.p(95):.2f}x raw p95)"
    cpu = ", ".join(f"{who} {s / r.sent * 1e6:.0f}" for who, s in r.cpu.items())
    return f"{text}\n      CPU µs per message: {cpu}"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--batch-ms", type=float, default=50.0)
    parser.add_argument("--batch-items", type=int, default=20)
    parser.add_argument("--boxes", type=int, default=10)
    args = parser.parse_args()
    paced = Series("paced", rate=args.rate, seconds=args.seconds, batch_ms=args.batch_ms)
    fast = Series("fast", count=args.count, batch_items=args.batch_items)
    series = [paced, fast]
    loop = asyncio.get_running_loop()
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_fake_youtube_process.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    try:
        urls = json.loads(fake.stdout.readline())
        base = await run_baseline(urls["control"], series)
        app = await run_app(urls, args.boxes, series, loop)
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        fake.stdout.close()

    print(f"youtube chat latency, fake YouTube stream → app → {args.boxes} chat boxes")
    names = {
        "paced": f"{args.rate:,}/s for {args.seconds:g} s",
        "fast": f"{args.count:,} as fast as possible",
    }
    for s in series:
        print(line(f"raw, {names[s.tag]}", base[s.tag], 1))
        print(line(f"app, {names[s.tag]}", app[s.tag], args.boxes, base[s.tag]))
    ratios = {s.tag: app[s.tag].p(95) / base[s.tag].p(95) for s in series}
    cost = {
        s.tag: (app[s.tag].cpu["app"] / app[s.tag].sent)
        / (base[s.tag].cpu["raw client"] / base[s.tag].sent)
        for s in series
    }
    clean = all(r.lost == 0 and r.duplicates == 0 for r in (*app.values(), *base.values()))
    print(
        f"  p95 ratio to raw: paced {ratios['paced']:.2f}x, fast {ratios['fast']:.2f}x "
        f"(target ≤ 2x); CPU per message, app ÷ raw client: {cost['paced']:.1f}x, "
        f"{cost['fast']:.1f}x; peak RSS {peak_rss_mib():.0f} MiB; "
        f"lost/duplicated must be 0: {'ok' if clean else 'FAILED'}"
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
