"""No lost wake-ups: a change signalled at any moment (during a push, during a pull, between
rounds) is synced at once, on the editing computer and on the receiving one, never after the
poll timer. The poll interval here is an hour, so anything that waits on it fails."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.cloud.engine import PullPage, PushResult, SyncEngine
from streampai_desktop.store import open_database, operations
from streampai_desktop.widgets.instances import load_widgets

HOUR = 3600.0


class GatedService:
    """Applies every push; a push or pull can be held at a gate so a test acts mid-request."""

    def __init__(self) -> None:
        self.pushes: list[list[dict[str, Any]]] = []
        self.pulls = 0
        self.hold_push: asyncio.Event | None = None
        self.hold_pull: asyncio.Event | None = None
        self.in_push = asyncio.Event()
        self.in_pull = asyncio.Event()

    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]:
        self.in_push.set()
        if self.hold_push is not None:
            await self.hold_push.wait()
        self.pushes.append(mutations)
        return [PushResult(m["seq"], "applied", m["seq"]) for m in mutations]

    async def pull(self, since: int, limit: int) -> PullPage:
        self.pulls += 1
        self.in_pull.set()
        if self.hold_pull is not None:
            await self.hold_pull.wait()
        return PullPage([], since, False)


@pytest.fixture
def db(tmp_path: Path):
    opened = open_database(tmp_path)
    load_widgets(opened.db)
    yield opened.db
    opened.db.close()


async def run_db(fn, *args):
    return fn(*args)


async def until(predicate, seconds: float = 1.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        assert loop.time() < deadline, "not synced within the bound: a wake-up was lost"
        await asyncio.sleep(0.005)


def pushed_sizes(service: GatedService) -> list[Any]:
    """The chat box sizes pushed so far, in order."""
    sizes = []
    for batch in service.pushes:
        for m in batch:
            patch = m["patch"] or {}
            if "config.max_messages" in patch:
                sizes.append(patch["config.max_messages"])
            elif "max_messages" in (patch.get("config") or {}):
                sizes.append(patch["config"]["max_messages"])
    return sizes


def edit(db, size: int) -> None:
    operations.save_widget_config(db, "chat_box", {"max_messages": size})


async def test_an_edit_made_during_a_push_is_pushed_at_once(db) -> None:
    service = GatedService()
    service.hold_push = asyncio.Event()
    engine = SyncEngine(db, run_db, service, poll_seconds=HOUR)
    edit(db, 1)
    engine.start()
    try:
        await asyncio.wait_for(service.in_push.wait(), 1)
        edit(db, 2)  # the round already read the outbox: only the wake-up brings this one
        engine.poke()
        service.hold_push.set()
        await until(lambda: 2 in pushed_sizes(service))
    finally:
        await engine.stop()


async def test_an_edit_made_during_a_pull_is_pushed_at_once(db) -> None:
    service = GatedService()
    service.hold_pull = asyncio.Event()
    engine = SyncEngine(db, run_db, service, poll_seconds=HOUR)
    engine.start()
    try:
        await asyncio.wait_for(service.in_pull.wait(), 1)
        edit(db, 3)
        engine.poke()
        service.hold_pull.set()
        await until(lambda: 3 in pushed_sizes(service))
    finally:
        await engine.stop()


async def test_a_change_announced_during_a_pull_is_pulled_again(db) -> None:
    """The receiving computer: the live channel pokes while a pull (whose snapshot may predate
    the change) is running; another pull follows at once."""
    service = GatedService()
    service.hold_pull = asyncio.Event()
    engine = SyncEngine(db, run_db, service, poll_seconds=HOUR)
    engine.start()
    try:
        await asyncio.wait_for(service.in_pull.wait(), 1)
        engine.poke()  # what LiveChannel's on_changed does
        service.hold_pull.set()
        await until(lambda: service.pulls >= 2)
    finally:
        await engine.stop()


async def test_a_burst_of_edits_0_to_100_ms_apart_all_go_out_promptly(db) -> None:
    service = GatedService()
    engine = SyncEngine(db, run_db, service, poll_seconds=HOUR)
    engine.start()
    try:
        await until(lambda: service.pulls >= 1)
        for size, gap in enumerate([0, 0.001, 0.01, 0, 0.05, 0.1, 0, 0.02], start=10):
            await asyncio.sleep(gap)
            edit(db, size)
            engine.poke()
        await until(lambda: 17 in pushed_sizes(service))
        assert set(range(10, 18)) <= set(pushed_sizes(service)), "every edit was pushed"
    finally:
        await engine.stop()


async def test_a_wake_between_rounds_is_not_lost(db) -> None:
    service = GatedService()
    engine = SyncEngine(db, run_db, service, poll_seconds=HOUR)
    engine.start()
    try:
        await until(lambda: service.pulls >= 1)
        await asyncio.sleep(0.02)  # the loop is asleep now
        edit(db, 42)
        engine.poke()
        await until(lambda: 42 in pushed_sizes(service))
    finally:
        await engine.stop()
