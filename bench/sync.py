"""Config sync against the local PostgreSQL, each figure with a same-run raw-SQL baseline:

- initial pull of 10,000 rows (target <= 2 s) vs. fetching the same rows with one asyncpg query;
- live edit latency: device A pushes, device B hears `changed` on /v1/live and pulls the edit
  (target p95 <= 1 s) vs. a bare NOTIFY -> LISTEN round trip;
- the same edit between two real desktop sync engines (each its own SQLite database, sync
  engine and live channel, wired as the app wires them): single edits and bursts of 2-5 edits
  0-100 ms apart, each from the local save on A to B's database holding it (target p95 <=
  300 ms, none lost) vs. the same NOTIFY -> LISTEN baseline;
- a 5 MB alert image picked on A until B has fetched it and applied the config naming it
  (target <= 2 s) vs. the same bytes up and down a bare aiohttp server;
- no-change pull round trip vs. the same two SELECTs over asyncpg;
- push throughput in mutations/s for one service process (target >= 1,000) vs. the equivalent
  writes (row upsert, result, seq, version) as raw SQL in one transaction per batch.

The service runs as a real `streampai-cloud serve` subprocess on a scratch database, created and
dropped here. Run: .venv/bin/python bench/sync.py [--rows 10000] [--pushers 4] [--edits 200]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
ADMIN = os.environ.get("STREAMPAI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def mutation(device: str, seq: int, row_id: str, i: int) -> dict[str, Any]:
    return {
        "device_id": device,
        "seq": seq,
        "entity": "widget_config",
        "row_id": row_id,
        "patch": {
            "widget_type": "alert_box",
            "name": f"Widget {i}",
            "sort_order": i,
            "config": {"duration_ms": 5000, "sound": "chime", "volume": 0.8},
        },
        "base_version": 0,
    }


class Client:
    """One signed-in device over HTTP."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base
        self.headers: dict[str, str] = {}
        self.device = str(uuid.uuid4())
        self.seq = 0
        self.account_id = ""

    async def register(self) -> None:
        email = f"bench-{secrets.token_hex(6)}@example.com"
        async with self.http.post(
            f"{self.base}/v1/auth/register", json={"email": email, "password": "bench password"}
        ) as r:
            body = await r.json()
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.account_id = body["account"]["id"]
        self.email = email

    async def signin(self, email: str) -> None:
        async with self.http.post(
            f"{self.base}/v1/auth/signin", json={"email": email, "password": "bench password"}
        ) as r:
            body = await r.json()
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}

    async def push(self, mutations: list[dict[str, Any]]) -> None:
        async with self.http.post(
            f"{self.base}/v1/sync/push", json={"mutations": mutations}, headers=self.headers
        ) as r:
            assert r.status == 200, await r.text()
            await r.read()

    def next_batch(self, n: int, start: int = 0) -> list[dict[str, Any]]:
        batch = []
        for i in range(n):
            self.seq += 1
            batch.append(mutation(self.device, self.seq, str(uuid.uuid4()), start + i))
        return batch

    async def pull_all(self, since: int = 0) -> tuple[int, int]:
        rows = 0
        while True:
            async with self.http.get(
                f"{self.base}/v1/sync/pull",
                params={"since": since, "limit": 1000},
                headers=self.headers,
            ) as r:
                page = await r.json()
            rows += len(page["changes"])
            since = page["next"]
            if not page["has_more"]:
                return rows, since


async def initial_pull(client: Client, pg: asyncpg.Connection, rows: int) -> None:
    for start in range(0, rows, 500):
        await client.push(client.next_batch(min(500, rows - start), start))
    app_times, raw_times = [], []
    for _ in range(3):
        t = time.perf_counter()
        got, _ = await client.pull_all()
        app_times.append(time.perf_counter() - t)
        assert got == rows, got
        t = time.perf_counter()
        records = await pg.fetch(
            "SELECT entity, row_id, version, deleted, fields, field_versions FROM sync_rows "
            "WHERE account_id = $1 AND version > 0 AND NOT deleted ORDER BY version",
            uuid.UUID(client.account_id),
        )
        _ = [(json.loads(r["fields"]), json.loads(r["field_versions"])) for r in records]
        raw_times.append(time.perf_counter() - t)
    app, raw = min(app_times), min(raw_times)
    print(
        f"initial pull of {rows} rows: {app:.3f} s (target <= 2 s); raw SQL {raw:.3f} s; "
        f"ratio {app / raw:.1f}x"
    )


async def no_change_pull(client: Client, pg: asyncpg.Connection) -> None:
    _, cursor = await client.pull_all()
    account = uuid.UUID(client.account_id)
    app, raw = [], []
    for _ in range(200):
        t = time.perf_counter()
        async with client.http.get(
            f"{client.base}/v1/sync/pull", params={"since": cursor}, headers=client.headers
        ) as r:
            await r.read()
        app.append(time.perf_counter() - t)
        t = time.perf_counter()
        async with pg.transaction(isolation="repeatable_read"):
            await pg.fetchval("SELECT version FROM accounts WHERE id = $1", account)
            await pg.fetch(
                "SELECT * FROM sync_rows WHERE account_id = $1 AND version > $2 "
                "ORDER BY version LIMIT 501",
                account,
                cursor,
            )
        raw.append(time.perf_counter() - t)
    a, b = statistics.median(app) * 1000, statistics.median(raw) * 1000
    print(
        f"no-change pull: median {a:.2f} ms round trip (incl. auth check); raw SQL "
        f"{b:.2f} ms; ratio {a / b:.1f}x"
    )


async def live_latency(http: aiohttp.ClientSession, base: str, dsn: str) -> None:
    a = Client(http, base)
    await a.register()
    b = Client(http, base)
    await b.signin(a.email)
    ws = await http.ws_connect(f"{base}/v1/live", headers=b.headers)
    hello = json.loads((await ws.receive(timeout=5)).data)
    cursor = hello["version"]
    samples = []
    for i in range(50):
        t = time.perf_counter()
        await a.push(a.next_batch(1, i))
        while True:
            msg = json.loads((await ws.receive(timeout=5)).data)
            if msg["type"] == "changed":
                break
        got, cursor = await b.pull_all(cursor)
        assert got == 1
        samples.append(time.perf_counter() - t)
    await ws.close()

    raw = await notify_round_trips(dsn)
    p95, raw95 = percentile(samples, 95) * 1000, percentile(raw, 95) * 1000
    print(
        f"live edit on a second device (push -> changed -> pull): p95 {p95:.1f} ms "
        f"(target <= 1000 ms); raw NOTIFY->LISTEN p95 {raw95:.2f} ms; ratio {p95 / raw95:.0f}x"
    )


async def notify_round_trips(dsn: str, count: int = 50) -> list[float]:
    """The baseline of the live figures: a bare NOTIFY -> LISTEN round trip, in seconds."""
    listener, sender = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener("bench", lambda *args: heard.put_nowait(args[3]))
    raw = []
    for i in range(count):
        t = time.perf_counter()
        await sender.execute(f"NOTIFY bench, '{i}'")
        await heard.get()
        raw.append(time.perf_counter() - t)
    await listener.close()
    await sender.close()
    return raw


class Desktop:
    """One computer's sync as the app runs it: its own SQLite database (on its own database
    thread), the account service with its sync engine and live channel (cloud/service.py)."""

    def __init__(
        self, folder: Path, base: str, on_applied: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        from streampai_desktop.cloud.service import AccountService
        from streampai_desktop.core.bus import EventBus
        from streampai_desktop.secrets import open_secret_store
        from streampai_desktop.store import open_database
        from streampai_desktop.widgets.instances import load_widgets

        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="db")
        self.db = self.executor.submit(lambda: open_database(folder).db).result()
        self.executor.submit(load_widgets, self.db).result()

        async def reload() -> None:  # where the app's owners re-read after a pull applied
            if on_applied is not None:
                await on_applied()

        async def keep(_: object) -> bool:
            return False

        self.account = AccountService(
            EventBus(),
            self.db,
            self.run_db,
            service_url=base,
            secrets=open_secret_store(folder),
            submit=keep,
            reloads=[reload],
        )

    async def run_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def chat_config(self) -> dict[str, Any]:
        from streampai_desktop.store import reads

        rows = await self.run_db(lambda: reads.widget_configs(self.db.read()))
        return next(w.config for w in rows if w.id == "chat_box")

    async def save(self, key: str, value: int) -> None:
        """A local edit, as the widget service saves one: the row and its outbox entry in one
        transaction, then the engine is poked (no poll timer)."""
        from streampai_desktop.store import operations

        config = {**await self.chat_config(), key: value}
        await self.run_db(operations.save_widget_config, self.db, "chat_box", config)
        self.account.local_edit()

    async def widget_config(self, widget_id: str) -> dict[str, Any]:
        from streampai_desktop.store import reads

        rows = await self.run_db(lambda: reads.widget_configs(self.db.read()))
        return next(w.config for w in rows if w.id == widget_id)

    async def save_widget(self, widget_id: str, config: dict[str, Any]) -> None:
        from streampai_desktop.store import operations

        await self.run_db(operations.save_widget_config, self.db, widget_id, config)
        self.account.local_edit()

    async def close(self) -> None:
        await self.account.stop()
        await self.run_db(self.db.close)
        self.executor.shutdown(wait=True)


async def desktop_edit_latency(base: str, dsn: str, edits: int) -> None:
    """Edit on A visible on B with two real desktop sync engines: half the edits one at a time,
    half in bursts of 2-5 edits 0-100 ms apart; each edit changes its own setting, so its
    arrival is seen on its own. Times run from the local save on A to B's database holding
    it (B's engine has applied the page: what the app's owners re-read from)."""
    # Never the developer's keyring: each computer keeps its sign-in in its folder's file (the
    # app says so with a warning, which is no news here).
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    logging.getLogger("streampai_desktop.secrets").setLevel(logging.ERROR)
    sent: dict[str, float] = {}  # setting -> when A's save began
    arrived: dict[str, float] = {}  # setting -> when B's engine had applied it
    news = asyncio.Event()

    async def b_applied() -> None:
        # B's engine has just committed a pulled page: what its database holds now.
        now = time.perf_counter()
        held = await b.chat_config()
        for key in sent.keys() - arrived.keys():
            if key in held:
                arrived[key] = now
        news.set()

    async def settle(keys: list[str], timeout: float = 10.0) -> None:
        deadline = time.perf_counter() + timeout
        while any(k not in arrived for k in keys):
            news.clear()
            try:
                await asyncio.wait_for(news.wait(), deadline - time.perf_counter())
            except TimeoutError:
                return  # counted as never arrived

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="streampai-bench-") as tmp:
        a = Desktop(Path(tmp) / "a", base)
        b = Desktop(Path(tmp) / "b", base, b_applied)
        try:
            email = f"bench-{secrets.token_hex(6)}@example.com"
            await a.account.sign_in(email, "bench password", register=True)
            await b.account.sign_in(email, "bench password", keep="account")
            for _ in range(100):  # both live channels open before the first edit
                if a.account.live.connected and b.account.live.connected:
                    break
                await asyncio.sleep(0.05)
            singles, burst_edits, n = [], [], 0
            while n < edits // 2:
                key = f"bench_{n}"
                sent[key] = time.perf_counter()
                await a.save(key, n)
                await settle([key])
                singles.append(key)
                n += 1
                await asyncio.sleep(0.05)
            while n < edits:
                keys = []
                for i in range(min(rng.randint(2, 5), edits - n)):
                    if i:
                        await asyncio.sleep(rng.uniform(0, 0.1))
                    key = f"bench_{n}"
                    sent[key] = time.perf_counter()
                    await a.save(key, n)
                    keys.append(key)
                    n += 1
                await settle(keys)
                burst_edits += keys
                await asyncio.sleep(0.05)
        finally:
            await a.close()
            await b.close()
    raw = await notify_round_trips(dsn)
    raw95 = percentile(raw, 95) * 1000
    for label, keys in (("single edits", singles), ("bursts 0-100 ms apart", burst_edits)):
        times = [(arrived[k] - sent[k]) * 1000 for k in keys if k in arrived]
        lost = len(keys) - len(times)
        p50 = statistics.median(times) if times else float("nan")
        p95 = percentile(times, 95) if times else float("nan")
        worst = max(times) if times else float("nan")
        print(
            f"edit on A in B's database, two desktop sync engines, {label} ({len(keys)}): "
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, worst {worst:.0f} ms (target p95 <= 300 ms); "
            f"never arrived {lost}; raw NOTIFY->LISTEN p95 {raw95:.2f} ms; ratio "
            f"{p95 / raw95:.0f}x"
        )


async def raw_transfer_seconds(data: bytes) -> float:
    """The same bytes up and down over loopback HTTP with nothing else: a bare aiohttp server
    that writes the upload to a file and serves it back (the floor for moving a file)."""
    from aiohttp import web

    with tempfile.TemporaryDirectory(prefix="streampai-bench-raw-") as tmp:
        path = Path(tmp) / "file"

        async def put(request: web.Request) -> web.Response:
            with path.open("wb") as fh:
                async for chunk in request.content.iter_chunked(1 << 20):
                    fh.write(chunk)
            return web.Response(status=201)

        async def get(request: web.Request) -> web.StreamResponse:
            return web.FileResponse(path)

        app = web.Application(client_max_size=len(data) + 1024)
        app.router.add_put("/f", put)
        app.router.add_get("/f", get)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as http:
                started = time.perf_counter()
                async with http.put(f"http://127.0.0.1:{port}/f", data=data) as response:
                    assert response.status == 201
                async with http.get(f"http://127.0.0.1:{port}/f") as response:
                    body = await response.read()
                elapsed = time.perf_counter() - started
        finally:
            await runner.cleanup()
    assert body == data
    return elapsed


async def media_follows(base: str, runs: int = 5, megabytes: int = 5) -> None:
    """A picked file of ``megabytes`` MB for the follow alert on A, until B has the file and
    its config names it: A uploads it before pushing the setting, B fetches it before applying
    the pulled page (the app's order). Baseline: the same bytes up and down a bare server."""
    from streampai_desktop.widgets.media import import_media, media_dir

    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    logging.getLogger("streampai_desktop.secrets").setLevel(logging.ERROR)
    waiting: dict[str, float] = {}  # media ref -> when A's save began
    arrived: dict[str, float] = {}
    news = asyncio.Event()

    async def b_applied() -> None:
        now = time.perf_counter()
        follow = (await b.widget_config("alert_box"))["types"]["follow"]
        ref = follow.get("image", "")
        if ref in waiting and ref not in arrived:
            assert (media_dir(b_folder) / ref.split("/", 1)[1]).is_file(), "fetched first"
            arrived[ref] = now
        news.set()

    times, raws = [], []
    with tempfile.TemporaryDirectory(prefix="streampai-bench-media-") as tmp:
        a_folder, b_folder = Path(tmp) / "a", Path(tmp) / "b"
        a = Desktop(a_folder, base)
        b = Desktop(b_folder, base, b_applied)
        try:
            email = f"bench-{secrets.token_hex(6)}@example.com"
            await a.account.sign_in(email, "bench password", register=True)
            await b.account.sign_in(email, "bench password", keep="account")
            for _ in range(100):
                if a.account.live.connected and b.account.live.connected:
                    break
                await asyncio.sleep(0.05)
            for _ in range(runs):
                data = b"\x89PNG\r\n\x1a\n" + os.urandom(megabytes * 1024 * 1024 - 8)
                picked = Path(tmp) / "picked.png"
                picked.write_bytes(data)
                ref = await asyncio.to_thread(import_media, a_folder, picked, ("image",))
                config = await a.widget_config("alert_box")
                config["types"]["follow"]["image"] = ref
                waiting[ref] = time.perf_counter()
                await a.save_widget("alert_box", config)
                deadline = time.perf_counter() + 30
                while ref not in arrived and time.perf_counter() < deadline:
                    news.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(news.wait(), deadline - time.perf_counter())
                if ref in arrived:
                    times.append(arrived[ref] - waiting[ref])
                raws.append(await raw_transfer_seconds(data))
        finally:
            await a.close()
            await b.close()
    lost = runs - len(times)
    median = statistics.median(times) if times else float("nan")
    raw = statistics.median(raws)
    print(
        f"a {megabytes} MB alert image picked on A, on B (file fetched, config applied), "
        f"{runs} runs: median {median:.2f} s, worst {max(times, default=float('nan')):.2f} s "
        f"(target <= 2 s); never arrived {lost}; bare upload + download of the same bytes "
        f"{raw:.2f} s; ratio {median / raw:.1f}x"
    )


async def push_throughput(http: aiohttp.ClientSession, base: str, dsn: str, pushers: int) -> None:
    batches, size = 20, 100
    clients = [Client(http, base) for _ in range(pushers)]
    for c in clients:
        await c.register()

    async def run(c: Client) -> None:
        for b in range(batches):
            await c.push(c.next_batch(size, b * size))

    t = time.perf_counter()
    await asyncio.gather(*(run(c) for c in clients))
    app = pushers * batches * size / (time.perf_counter() - t)

    # Baseline: the same writes per batch as raw SQL, same concurrency, no HTTP and no Python
    # rule engine: lock the account, upsert rows, store results, bump seq and version.
    conns = [await asyncpg.connect(dsn) for _ in range(pushers)]

    async def raw_run(conn: asyncpg.Connection, c: Client) -> None:
        account = uuid.UUID(c.account_id)
        device = uuid.uuid4()
        seq = 0
        for b in range(batches):
            async with conn.transaction():
                version = await conn.fetchval(
                    "SELECT version FROM accounts WHERE id = $1 FOR UPDATE", account
                )
                rows, results = [], []
                for i in range(size):
                    seq += 1
                    version += 1
                    m = mutation(str(device), seq, str(uuid.uuid4()), b * size + i)
                    fv = {k: version for k in m["patch"]}
                    rows.append(
                        (
                            account,
                            "widget_config",
                            uuid.UUID(m["row_id"]),
                            json.dumps(m["patch"]),
                            json.dumps(fv),
                            version,
                        )
                    )
                    results.append((account, device, seq, json.dumps({"status": "applied"})))
                await conn.executemany(
                    "INSERT INTO sync_rows (account_id, entity, row_id, fields, field_versions, "
                    "version, deleted) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, false) "
                    "ON CONFLICT (account_id, entity, row_id) DO UPDATE SET fields = "
                    "excluded.fields, field_versions = excluded.field_versions, "
                    "version = excluded.version",
                    rows,
                )
                await conn.executemany(
                    "INSERT INTO sync_results (account_id, device_id, seq, result) "
                    "VALUES ($1, $2, $3, $4::jsonb)",
                    results,
                )
                await conn.execute(
                    "INSERT INTO sync_devices VALUES ($1, $2, $3) ON CONFLICT (account_id, "
                    "device_id) DO UPDATE SET last_seq = excluded.last_seq",
                    account,
                    device,
                    seq,
                )
                await conn.execute(
                    "UPDATE accounts SET version = $2 WHERE id = $1", account, version
                )

    t = time.perf_counter()
    await asyncio.gather(*(raw_run(conn, c) for conn, c in zip(conns, clients, strict=True)))
    raw = pushers * batches * size / (time.perf_counter() - t)
    for conn in conns:
        await conn.close()
    print(
        f"push throughput ({pushers} devices, batches of {size}): {app:,.0f} mutations/s "
        f"per service process (target >= 1,000); raw SQL {raw:,.0f}/s; ratio {raw / app:.1f}x "
        f"slower"
    )


async def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            if proc.poll() is not None:
                raise SystemExit("streampai-cloud serve exited; see its output above")
            try:
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise SystemExit("streampai-cloud serve did not become ready")


async def main_async(args: argparse.Namespace, dsn: str, base: str) -> None:
    async with aiohttp.ClientSession() as http:
        pg = await asyncpg.connect(dsn)
        client = Client(http, base)
        await client.register()
        await initial_pull(client, pg, args.rows)
        await no_change_pull(client, pg)
        await pg.close()
        await live_latency(http, base, dsn)
        await desktop_edit_latency(base, dsn, args.edits)
        await media_follows(base)
        await push_throughput(http, base, dsn, args.pushers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pushers", type=int, default=4)
    parser.add_argument("--edits", type=int, default=200, help="desktop edits to time")
    args = parser.parse_args()

    name = f"streampai_cloud_bench_{secrets.token_hex(4)}"
    admin_dsn = ADMIN

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        raise SystemExit(f"bench/sync.py needs PostgreSQL at {ADMIN}: {exc}") from None
    dsn = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    media_root = tempfile.TemporaryDirectory(prefix="streampai-bench-store-")
    env = {
        **os.environ,
        "DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
        "STREAMPAI_CLOUD_SECRET": secrets.token_hex(32),
        # Registration is part of the setup, not the figure; keep argon2 from dominating it.
        "STREAMPAI_CLOUD_SIGNIN_LIMIT_PER_IP": "100000",
        # The service's media store: a scratch folder, not the default under the home folder.
        "STREAMPAI_CLOUD_MEDIA_STORE": Path(media_root.name).as_uri(),
    }
    cli = [sys.executable, "-m", "streampai_cloud.cli"]
    port = free_port()
    proc = None
    try:
        subprocess.run([*cli, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        proc = subprocess.Popen(
            [*cli, "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_ready(base, proc))
        asyncio.run(main_async(args, dsn, base))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        media_root.cleanup()


if __name__ == "__main__":
    main()
