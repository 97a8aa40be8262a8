"""Kick chat through the relay: fake Kick's signed ``chat.message.sent`` webhooks → the account
service (signature check, PostgreSQL write + NOTIFY, live channel) → the app's Kick connector →
mapping → dedupe → event log → bus → 10 chat boxes' WebSockets (issue #15's "Latency" line).

Kick delivers events only as webhooks to a public URL, so every Kick event takes this hop
through the service. Each message's content carries its send time (the system-wide monotonic
clock), so every receiver measures the latency from the fake's send to its own socket. Series (a
busy Kick chat is well under 100 msg/s): 100 msg/s for 10 s and 500 msg/s for 5 s; 20 messages
before them warm each path up (Kick's public key fetched, pools filled) and are not reported.

Three paths, same run, same fake, same signed bodies:

* raw (the baseline): the fake sends each body as a text frame straight to a bare aiohttp
  WebSocket client in this process (one JSON parse per message);
* service: webhook → service → ``/v1/live`` read by a bare client in this process, signed in
  as a second device of the same account, acknowledging each event as the app does. This is
  the hop the design adds (Kick → our public URL → the streamer's computer) without the app;
* app: webhook → service → the app (in this process, ``demo=False``, signed in to the account
  and connected to Kick as a streamer does) → 10 chat boxes (in a process of their own).

Reported per series: delivered, lost and duplicated (per box, by message id; both must be 0,
and every webhook must be answered 200), p50/p95 latency, ratio to the raw p95, and the CPU
time each process spent per message: this process (the app or the bare client), the service,
its PostgreSQL backends (``pg_stat_activity`` of the bench's database), the fake (which signs
every body with RSA, as Kick does) and the chat boxes. Exit 1 if anything is lost, duplicated
or not answered 200 (FakeKick's client gives up after 10 s, as a sender would); which lost
messages the service had answered 200 for is printed (those would be the relay's loss).

The fake (bench/_fake_kick_process.py), the service (``streampai-cloud serve``, env config, on a
fresh database created, migrated and dropped here; PostgreSQL from STREAMPAI_TEST_POSTGRES,
default postgresql://postgres@127.0.0.1:5432/test) and the chat boxes each run in a process of
their own. Run:
    .venv/bin/python bench/kick_relay.py [--boxes 10] [--calm-rate 100] [--busy-rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import free_port  # noqa: E402
from sync import ADMIN, wait_ready  # noqa: E402
from twitch_burst import (  # noqa: E402
    COLLECT_TIMEOUT_S,
    ChatBoxes,
    Result,
    boxes_result,
    line,
    peak_rss_mib,
)

from tests.fakes.kick import CLIENT_ID, CLIENT_SECRET  # noqa: E402

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Series:
    tag: str
    rate: int
    seconds: float

    def body(self, target: str) -> dict[str, Any]:
        return {"tag": self.tag, "rate": self.rate, "seconds": self.seconds, "target": target}

    @property
    def name(self) -> str:
        return f"{self.rate:,}/s for {self.seconds:g} s"


WARMUP = Series("warmup", rate=20, seconds=1.0)  # checked for loss, not printed


class Receiver:
    """A bare client's record of the bursts: latency by message number, duplicates by Kick's
    chat message id."""

    def __init__(self) -> None:
        self.latency: dict[str, dict[int, float]] = defaultdict(dict)
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.duplicates: dict[str, int] = defaultdict(int)

    def take(self, payload: dict[str, Any], now: float) -> None:
        head, _, sent = payload["content"].rpartition(" t=")
        _, tag, number = head.split(" ")
        if payload["message_id"] in self.seen[tag]:
            self.duplicates[tag] += 1
            return
        self.seen[tag].add(payload["message_id"])
        self.latency[tag][int(number)] = now - float(sent)

    async def collect(self, tag: str, sent: int) -> Result:
        deadline = time.monotonic() + COLLECT_TIMEOUT_S
        while len(self.latency[tag]) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a duplicate would come right behind
        got = self.latency.pop(tag)
        return Result(sent, [[got.get(i) for i in range(sent)]], self.duplicates.pop(tag, 0))

    async def read_raw(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """The baseline: each frame is a webhook body."""
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                now = time.monotonic()
                self.take(json.loads(msg.data), now)

    async def read_live(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """The service's live channel: each ``kick_event`` frame is read, then acknowledged (as
        the app does, one ack per event) so the service's cursor work is the same."""
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.monotonic()
            frame = json.loads(msg.data)
            if frame.get("type") != "kick_event":
                continue
            event = frame["event"]
            self.take(event["payload"], now)
            await ws.send_str(json.dumps({"type": "ack_kick", "up_to": event["id"]}))


class CpuMeter:
    """CPU seconds of the service process and of the PostgreSQL backends serving the bench's
    database, from /proc (both are on this machine)."""

    def __init__(self, service_pid: int, admin: asyncpg.Connection, database: str) -> None:
        self.service_pid = service_pid
        self.admin = admin
        self.database = database
        self._start: dict[int, float] = {}

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return 0.0
        fields = stat.rsplit(")", 1)[1].split()  # after the name, which may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    async def _backends(self) -> list[int]:
        rows = await self.admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
        )
        return [int(row["pid"]) for row in rows]

    async def start(self) -> None:
        pids = [self.service_pid, *await self._backends()]
        self._start = {pid: self._cpu(pid) for pid in pids}

    async def stop(self) -> dict[str, float]:
        """CPU seconds since :meth:`start`. A backend opened meanwhile counts whole; one closed
        meanwhile is missed (the service's pool keeps its connections)."""
        backends = await self._backends()
        postgres = sum(self._cpu(pid) - self._start.get(pid, 0.0) for pid in backends)
        service = self._cpu(self.service_pid) - self._start.get(self.service_pid, 0.0)
        return {"service": service, "postgres": postgres}


def loss_note(r: Result, unaccepted: set[int]) -> str | None:
    """Which lost messages had been accepted by the service (answered 200): those are the
    relay's to lose; the others never reached it, or the sender gave up waiting."""
    lost = {i for box in r.per_box for i, x in enumerate(box[: r.sent]) if x is None}
    if not lost and not unaccepted:
        return None
    return (
        f"      webhooks not answered 200: {len(unaccepted):,}; messages lost: {len(lost):,}, "
        f"{len(lost - unaccepted):,} of them answered 200"
    )


async def burst(http: aiohttp.ClientSession, control: str, series: Series, target: str) -> dict:
    response = await http.post(
        f"{control}/burst",
        json=series.body(target),
        timeout=aiohttp.ClientTimeout(total=series.seconds + 120),
    )
    response.raise_for_status()
    answer = dict(await response.json())
    refused = {k: v for k, v in answer["statuses"].items() if k != "200"}
    if refused:
        print(f"  {series.tag}: webhooks not accepted (status: count): {refused}", file=sys.stderr)
    return answer


async def run_baseline(control: str, raw_url: str, series: list[Series]) -> dict[str, Result]:
    client = Receiver()
    results: dict[str, Result] = {}
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(raw_url, max_msg_size=0)
        reader = asyncio.create_task(client.read_raw(ws))
        await asyncio.sleep(0.2)  # the fake has registered the socket
        for s in series:
            cpu = time.process_time()
            answer = await burst(http, control, s, "raw")
            results[s.tag] = await client.collect(s.tag, answer["sent"])
            results[s.tag].cpu = {"raw client": time.process_time() - cpu, "fake": answer["cpu_s"]}
        await ws.close()
        reader.cancel()
    return results


async def run_service_hop(
    control: str, service_url: str, email: str, meter: CpuMeter, series: list[Series]
) -> tuple[dict[str, Result], dict[str, set[int]]]:
    """Webhook → service → ``/v1/live`` of a bare client signed in as another device. Also
    returns, per series, the numbers of the messages whose webhook was not answered 200."""
    client = Receiver()
    results: dict[str, Result] = {}
    unaccepted: dict[str, set[int]] = {}
    async with aiohttp.ClientSession() as http:
        signin = await http.post(
            f"{service_url}/v1/auth/signin", json={"email": email, "password": PASSWORD}
        )
        signin.raise_for_status()
        token = (await signin.json())["access_token"]
        ws = await http.ws_connect(
            f"{service_url.replace('http', 'ws', 1)}/v1/live",
            headers={"Authorization": f"Bearer {token}"},
        )
        reader = asyncio.create_task(client.read_live(ws))
        await asyncio.sleep(0.2)  # hello read; the service has registered the socket
        for s in series:
            cpu = time.process_time()
            await meter.start()
            answer = await burst(http, control, s, "service")
            results[s.tag] = await client.collect(s.tag, answer["sent"])
            used = {"live client": time.process_time() - cpu, **await meter.stop()}
            results[s.tag].cpu = {**used, "fake": answer["cpu_s"]}
            unaccepted[s.tag] = set(answer["unaccepted"])
        await ws.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return results, unaccepted


async def run_app(
    urls: dict[str, str],
    service_url: str,
    email: str,
    boxes: int,
    meter: CpuMeter,
    series: list[Series],
) -> tuple[dict[str, Result], dict[str, set[int]]]:
    from streampai_desktop.core.lifecycle import pause_gc_for_startup

    pause_gc_for_startup()  # as the entry point does (cli.py): the app resumes it when ready
    from streampai_desktop.app import App, AppOptions
    from streampai_desktop.platforms.base import ConnectorState
    from streampai_desktop.platforms.flows import SignInStep
    from tests.platforms.kick_world import Browser

    os.environ.update(
        STREAMPAI_CLOUD_URL=service_url,
        STREAMPAI_KICK_API_URL=urls["api"],
        STREAMPAI_KICK_AUTH_URL=urls["auth"],
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    control = urls["control"]
    results: dict[str, Result] = {}
    unaccepted: dict[str, set[int]] = {}
    with tempfile.TemporaryDirectory() as data:
        app = App(
            AppOptions(
                data_dir=Path(data), port=free_port(), headless=True, demo=False, log_to_file=False
            )
        )
        await app.start()
        try:
            await app.account.sign_in(email, PASSWORD, register=True)

            async def show(step: SignInStep) -> None:
                pass  # Kick's authorize approves at once; the browser follows it to the service

            app.platforms.open_browser = Browser().open
            await app.platforms.sign_in("kick", show)
            async with aiohttp.ClientSession() as http:
                deadline = time.monotonic() + 30
                while True:
                    states = list(app.streams.states().values())
                    connected = bool(states) and states[0].state is ConnectorState.CONNECTED
                    ready = (await (await http.get(f"{control}/ready")).json())["ready"]
                    if connected and ready:
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"Kick never connected: {states}, subscribed {ready}")
                    await asyncio.sleep(0.05)
                url = app.overlay_urls()["chat_box"].replace("/overlay/chat_box", "/overlay/ws")
                chat_boxes = ChatBoxes(url, boxes)
                await chat_boxes.ready()
                for s in series:
                    cpu = time.process_time()
                    await meter.start()
                    answer = await burst(http, control, s, "service")
                    report = await chat_boxes.collect(s.tag, answer["sent"])
                    used = {"app": time.process_time() - cpu, **await meter.stop()}
                    results[s.tag] = boxes_result(
                        answer,
                        report,
                        {**used, "fake": answer["cpu_s"], "chat boxes": report["cpu_s"]},
                    )
                    unaccepted[s.tag] = set(answer["unaccepted"])
                    await asyncio.sleep(0.5)  # the event log catches up between series
                await chat_boxes.close()
        finally:
            await app.shutdown()
    return results, unaccepted


@contextlib.asynccontextmanager
async def scratch_database() -> Any:
    """A fresh database on the local PostgreSQL, dropped afterwards: (admin connection, name,
    its postgresql:// DSN)."""
    name = f"streampai_cloud_bench_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise SystemExit(f"bench/kick_relay.py needs PostgreSQL at {ADMIN}: {exc!r}") from None
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin, name, ADMIN.rsplit("/", 1)[0] + f"/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--calm-rate", type=int, default=100, help="msg/s for 10 s")
    parser.add_argument("--busy-rate", type=int, default=500, help="msg/s for 5 s")
    args = parser.parse_args()
    calm = Series("calm", rate=args.calm_rate, seconds=10.0)
    busy = Series("busy", rate=args.busy_rate, seconds=5.0)
    series = [WARMUP, calm, busy]
    email = f"kick-bench-{secrets.token_hex(4)}@example.com"
    service_port = free_port()
    service_url = f"http://127.0.0.1:{service_port}"
    cli = [sys.executable, "-m", "streampai_cloud.cli"]

    async with scratch_database() as (admin, database, dsn):
        fake = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "_fake_kick_process.py"),
                f"{service_url}/v1/webhooks/kick",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert fake.stdout is not None
        service: subprocess.Popen[bytes] | None = None
        with (
            tempfile.TemporaryDirectory(prefix="streampai-bench-media-") as media,
            tempfile.TemporaryFile() as service_log,
        ):
            try:
                urls = json.loads(fake.stdout.readline())
                env = {
                    **os.environ,
                    "DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
                    "STREAMPAI_CLOUD_SECRET": secrets.token_hex(32),
                    "STREAMPAI_CLOUD_MEDIA_STORE": Path(media).as_uri(),
                    "STREAMPAI_CLOUD_PUBLIC_URL": service_url,
                    "STREAMPAI_CLOUD_KICK_CLIENT_ID": CLIENT_ID,
                    "STREAMPAI_CLOUD_KICK_CLIENT_SECRET": CLIENT_SECRET,
                    "STREAMPAI_CLOUD_KICK_AUTH_URL": urls["auth"],
                    "STREAMPAI_CLOUD_KICK_API_URL": urls["api"],
                }
                migrated = await asyncio.to_thread(
                    subprocess.run, [*cli, "migrate"], env=env, cwd=ROOT, capture_output=True
                )
                if migrated.returncode != 0:
                    raise SystemExit(f"streampai-cloud migrate failed: {migrated.stderr!r}")
                # Its log (one access line per webhook, as in production) goes to a file.
                service = subprocess.Popen(
                    [*cli, "serve", "--port", str(service_port)],
                    env=env,
                    cwd=ROOT,
                    stdout=service_log,
                    stderr=service_log,
                )
                await wait_ready(service_url, service)
                meter = CpuMeter(service.pid, admin, database)
                base = await run_baseline(urls["control"], urls["raw"], series)
                app, app_unaccepted = await run_app(
                    urls, service_url, email, args.boxes, meter, series
                )
                hop, hop_unaccepted = await run_service_hop(
                    urls["control"], service_url, email, meter, series
                )
            except Exception:
                service_log.seek(0)
                tail = service_log.read().decode(errors="replace").splitlines()[-40:]
                print("the service's last log lines:", *tail, sep="\n  ", file=sys.stderr)
                raise
            finally:
                if service is not None:
                    service.terminate()
                    service.wait(timeout=20)
                fake.terminate()
                fake.wait(timeout=10)
                fake.stdout.close()
            service_log.seek(0)
            problems = [
                text
                for text in service_log.read().decode(errors="replace").splitlines()
                if " ERROR " in text or " WARNING " in text
            ]

    print(f"kick relay latency, fake Kick webhook → service → app → {args.boxes} chat boxes")
    for s in (calm, busy):
        print(line(f"raw, {s.name}", base[s.tag], 1))
        print(line(f"service, {s.name}", hop[s.tag], 1, base[s.tag]))
        if note := loss_note(hop[s.tag], hop_unaccepted[s.tag]):
            print(note)
        print(line(f"app, {s.name}", app[s.tag], args.boxes, base[s.tag]))
        if note := loss_note(app[s.tag], app_unaccepted[s.tag]):
            print(note)
    for text in problems[:20]:
        print(f"  service log: {text}")
    ratios = {s.tag: app[s.tag].p(95) / base[s.tag].p(95) for s in (calm, busy)}
    # What the app's own hop adds on top of the service's, in the middle of the distribution.
    added = {s.tag: app[s.tag].p(50) - hop[s.tag].p(50) for s in (calm, busy)}
    # The service's CPU per webhook (including its acknowledgement) caps one process's rate.
    ceiling = busy.seconds * busy.rate / app["busy"].cpu["service"]
    clean = all(
        r.lost == 0 and r.duplicates == 0 for r in (*app.values(), *hop.values(), *base.values())
    ) and not any((*app_unaccepted.values(), *hop_unaccepted.values()))
    refused = sum(len(numbers) for numbers in (*app_unaccepted.values(), *hop_unaccepted.values()))
    print(
        f"  app p95 ÷ raw p95: {calm.rate}/s {ratios['calm']:.1f}x, {busy.rate}/s "
        f"{ratios['busy']:.0f}x; app p50 - service p50 (the app's own hop): "
        f"{added['calm']:+.1f} ms / {added['busy']:+.1f} ms; one service process has CPU for "
        f"~{ceiling:,.0f} webhooks/s on one core here"
    )
    print(
        f"  peak RSS (app) {peak_rss_mib():.0f} MiB; webhooks not answered 200: "
        f"{refused}; lost/duplicated must be 0: {'ok' if clean else 'FAILED'}"
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
