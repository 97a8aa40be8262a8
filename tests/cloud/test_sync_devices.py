"""2 to 5 devices, each a real SQLite store and sync engine, editing one account through a transport
that drops requests, drops answers after the service committed (or answers 502 then), duplicates
requests, delivers old requests late (after newer ones), slows down, answers 429 with
Retry-After and times out — and devices that crash between any two steps (their
SQLite file is closed and opened again). Once the faults stop and every device syncs, every
device equals the service, no acknowledged edit is lost and no delete comes back.

Per setting: each chat box setting ends, on every device, with the value of its edit with the
greatest stamp (the documented rule, streampai_cloud/README.md), so edits to different settings
of the widget always all survive. Liveness: with the network healthy, an edit is on every device
once its computer and then each other one have synced once."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.cloud.engine import (
    OutcomeUnknown,
    PullPage,
    PushResult,
    RetryLater,
    SyncEngine,
    SyncError,
)
from streampai_desktop.cloud.transport import (
    AccountSession,
    HttpTransport,
    local_row_ids,
    row_uuid,
)
from streampai_desktop.secrets import FileBackend, SecretStore
from streampai_desktop.store import (
    OutboxRepo,
    PreferencesRepo,
    WidgetConfigRepo,
    config_paths,
    open_database,
    operations,
)
from streampai_desktop.widgets.instances import create_widget, load_widgets
from tests.cloud.conftest import test_config
from tests.conftest import find_free_port

PASSWORD = "correct horse battery staple"


class Faults:
    """Shared switch and dice for every device's transport."""

    def __init__(self) -> None:
        self.on = True
        self.rng = random.Random(0)


class FaultyTransport:
    """Wraps the real HTTP transport and misbehaves the way networks and services do."""

    def __init__(self, inner: HttpTransport, faults: Faults) -> None:
        self.inner = inner
        self.faults = faults
        self.sent: list[tuple[str, list[dict[str, Any]]]] = []  # for late duplicates

    async def _call(self, send):
        if not self.faults.on:
            return await send()
        rng = self.faults.rng
        if rng.random() < 0.2:
            await asyncio.sleep(rng.uniform(0, 0.02))  # a slow network
        roll = rng.random()
        if roll < 0.10:
            raise RetryLater(None, "request dropped")
        if roll < 0.16:
            raise RetryLater(0, "429 Too Many Requests, Retry-After: 0")
        if roll < 0.28:
            await send()  # the service committed, the answer is lost
            raise OutcomeUnknown("answer dropped")
        if roll < 0.34:
            await send()  # committed, then a proxy answered 502
            raise RetryLater(None, "502 Bad Gateway")
        if roll < 0.42:
            await send()  # a retry that raced the original
            return await send()
        if roll < 0.46:
            raise OutcomeUnknown("timed out before sending")
        return await send()

    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]:
        if self.faults.on and self.sent and self.faults.rng.random() < 0.15:
            # An old request, delayed somewhere, arrives after newer ones (reordering).
            stale_device, stale = self.faults.rng.choice(self.sent)
            with contextlib.suppress(SyncError):
                await self.inner.push(stale_device, stale)
        self.sent.append((device_id, [dict(m) for m in mutations]))
        return await self._call(lambda: self.inner.push(device_id, mutations))

    async def pull(self, since: int, limit: int) -> PullPage:
        return await self._call(lambda: self.inner.pull(since, limit))


class ServiceThread:
    """The account service on a real port, in its own thread and loop."""

    def __init__(self, config: CloudConfig) -> None:
        self.port = find_free_port()
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(create_app(config))

        async def start() -> None:
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

        self.loop.run_until_complete(start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def service(database_url: str) -> Iterator[ServiceThread]:
    running = ServiceThread(test_config(database_url))
    yield running
    running.close()


class Device:
    """One computer: its own data folder, SQLite file, secret file and engine."""

    def __init__(self, folder: Path, service: str, faults: Faults, loop) -> None:
        self.folder = folder
        self.service = service
        self.faults = faults
        self.loop = loop
        self.secrets = SecretStore(FileBackend(folder / "secrets.json"))
        self.open()

    def open(self) -> None:
        self.db = open_database(self.folder).db
        load_widgets(self.db)
        self.session = AccountSession(self.service, self.secrets, timeout=10)

        async def run_db(fn, *args):
            return fn(*args)

        async def ids():
            return local_row_ids(self.db)

        self.engine = SyncEngine(
            self.db, run_db, FaultyTransport(HttpTransport(self.session, ids), self.faults)
        )

    def crash(self) -> None:
        """Gone without goodbye: nothing in memory survives, the files do."""
        self.loop.run_until_complete(self.session.close())
        self.db.close()
        self.open()

    def close(self) -> None:
        self.loop.run_until_complete(self.session.close())
        self.db.close()

    def state(self) -> dict[str, Any]:
        with self.db.session() as session:
            widgets = {
                w.id: (w.widget_type, w.name, w.config) for w in WidgetConfigRepo(session).list()
            }
            prefs = PreferencesRepo(session)
            theme = prefs.get("theme")
        return {"widgets": widgets, "theme": theme}


@settings(
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
class DevicesSyncing(RuleBasedStateMachine):
    service_url: str = ""
    extra = Bundle("extra")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = Path(tempfile.mkdtemp(prefix="sync-devices-"))
        self.faults = Faults()
        self.devices: list[Device] = []
        self.email = f"{secrets.token_hex(6)}@example.com"
        # chat box setting -> (stamp, value) of its edit with the greatest stamp so far
        self.winners: dict[str, tuple[str, Any]] = {}
        self.defaults: dict[str, Any] | None = None

    @initialize(count=st.integers(2, 5), seed=st.integers(0, 2**32 - 1))
    def sign_in(self, count: int, seed: int) -> None:
        self.faults.rng.seed(seed)
        httpx.post(
            f"{self.service_url}/v1/auth/register",
            json={"email": self.email, "password": PASSWORD},
            timeout=10,
        )
        for i in range(count):
            device = Device(self.tmp / f"d{i}", self.service_url, self.faults, self.loop)
            self.loop.run_until_complete(device.session.sign_in(self.email, PASSWORD))
            self.devices.append(device)
        self.defaults = self.devices[0].state()["widgets"]["chat_box"][2]

    def _device(self, i: int) -> Device:
        return self.devices[i % len(self.devices)]

    def _save_chat_box(self, device: Device, config: dict[str, Any]) -> None:
        """Save and note each changed setting's stamp for the per-setting rule."""
        with device.db.session() as session:
            before = {e.seq for e in OutboxRepo(session).pending(100_000)}
        operations.save_widget_config(device.db, "chat_box", config)
        with device.db.session() as session:
            new = [e for e in OutboxRepo(session).pending(100_000) if e.seq not in before]
        for entry in new:
            assert entry.stamp is not None
            for name, value in (entry.patch or {}).items():
                later = entry.stamp > self.winners.get(name, ("", None))[0]
                if config_paths.is_setting(name) and later:
                    self.winners[name] = (entry.stamp, value)

    def _chat_box(self, device: Device) -> dict[str, Any]:
        return device.state()["widgets"]["chat_box"][2]

    @rule(i=st.integers(0, 4), size=st.integers(1, 200))
    def edit_chat_box(self, i: int, size: int) -> None:
        """Replace the whole config (every other setting is removed: its default applies)."""
        self._save_chat_box(self._device(i), {"max_messages": size})

    @rule(
        i=st.integers(0, 4),
        setting=st.one_of(
            st.tuples(st.just("font_size"), st.integers(10, 12)),
            st.tuples(st.just("max_messages"), st.integers(1, 3)),
            st.tuples(st.just("text_color"), st.sampled_from(["#ffffff", "#000000"])),
            st.tuples(st.just("muted_users"), st.sampled_from([["x"], ["x", "y"], []])),
        ),
    )
    def edit_one_setting(self, i: int, setting: tuple[str, Any]) -> None:
        """One setting of the chat box, as the settings form saves it."""
        key, value = setting
        device = self._device(i)
        self._save_chat_box(device, {**self._chat_box(device), key: value})

    @rule(i=st.integers(0, 4), key=st.sampled_from(["font_size", "max_messages"]))
    def healthy_edit_reaches_every_device(self, i: int, key: str) -> None:
        """Liveness: with the network healthy, an edit is everywhere after one sync of its
        computer and then one of each other computer (after a settling round)."""
        was, self.faults.on = self.faults.on, False
        try:
            for device in self.devices:  # settle: every earlier edit is on the service
                self.loop.run_until_complete(device.engine.sync_now())
            editor = self._device(i)
            current = self._chat_box(editor).get(key)
            value = current + 1 if isinstance(current, int) and 10 <= current < 100 else 12
            self._save_chat_box(editor, {**self._chat_box(editor), key: value})
            self.loop.run_until_complete(editor.engine.sync_now())
            for device in self.devices:
                if device is not editor:
                    self.loop.run_until_complete(device.engine.sync_now())
            for device in self.devices:
                assert self._chat_box(device).get(key) == value, "the edit reached every device"
        finally:
            self.faults.on = was

    @rule(i=st.integers(0, 4), theme=st.sampled_from(["light", "dark", "system"]))
    def set_theme(self, i: int, theme: str) -> None:
        operations.save_preference(self._device(i).db, "theme", theme)

    @rule(target=extra, i=st.integers(0, 4), name=st.text(min_size=1, max_size=12))
    def create_widget(self, i: int, name: str) -> str:
        return create_widget(self._device(i).db, "chat_box", name).id

    @rule(i=st.integers(0, 4), widget=extra)
    def delete_widget(self, i: int, widget: str) -> None:
        device = self._device(i)
        with device.db.session() as session:
            exists = WidgetConfigRepo(session).get(widget) is not None
        if exists:
            operations.delete_widget(device.db, widget)

    @rule(i=st.integers(0, 4))
    def sync(self, i: int) -> None:
        # On a fault the engine keeps its outbox and cursor; the next sync retries.
        with contextlib.suppress(SyncError):
            self.loop.run_until_complete(self._device(i).engine.sync_now())

    @rule(i=st.integers(0, 4))
    def crash(self, i: int) -> None:
        self._device(i).crash()

    @precondition(lambda self: bool(self.devices))
    @invariant()
    def every_device_opens(self) -> None:
        for device in self.devices:
            device.state()

    def teardown(self) -> None:
        try:
            if self.devices:
                self.faults.on = False
                for _ in range(3):  # push everyone's edits, then everyone pulls everything
                    for device in self.devices:
                        self.loop.run_until_complete(device.engine.sync_now())
                states = [d.state() for d in self.devices]
                for state in states[1:]:
                    assert state == states[0], "devices converged"
                self._check_server(states[0])
                # The per-setting rule: each setting holds its latest-stamped edit's value.
                assert self.defaults is not None
                winners = {name: value for name, (_stamp, value) in self.winners.items()}
                stamps = {name: stamp for name, (stamp, _value) in self.winners.items()}
                expected = config_paths.apply(self.defaults, winners, stamps)
                assert states[0]["widgets"]["chat_box"][2] == expected
        finally:
            for device in self.devices:
                device.close()
            self.loop.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _check_server(self, local: dict[str, Any]) -> None:
        """The service's rows equal what every device shows."""
        first = self.devices[0]
        rows: dict[str, Any] = {}
        since = 0
        while True:
            body = self.loop.run_until_complete(
                first.session.request(
                    "GET", "/v1/sync/pull", params={"since": since, "per_setting": 1}
                )
            )
            for row in body["changes"]:
                rows[row["row_id"]] = row
            since = body["next"]
            if not body.get("has_more"):
                break
        ids = {v: k for k, v in local_row_ids(first.db).items()}
        for widget_id, (_type, _name, config) in local["widgets"].items():
            row = rows.get(ids[("widget_config", widget_id)])
            if row is None:
                continue  # a default widget never edited anywhere: not on the service
            assert not row["deleted"], f"{widget_id} is deleted on the service but shown locally"
            # Every setting the service has is the device's (settings never edited anywhere
            # are the widget's defaults on every device and not on the service).
            for name, value in row["fields"].items():
                if config_paths.is_setting(name):
                    assert config_paths.value_at(config, name) == value, name
        shown = {row_uuid("widget_config", widget_id) for widget_id in local["widgets"]}
        for row in rows.values():
            if row["entity"] != "widget_config":
                continue
            if row["deleted"]:
                assert row["row_id"] not in shown, "a deleted widget came back"
            else:
                assert row["row_id"] in shown, f"{row['fields']} is on the service only"


def test_devices_converge_through_faults(service: ServiceThread) -> None:
    DevicesSyncing.service_url = service.base
    DevicesSyncing.TestCase().runTest()
