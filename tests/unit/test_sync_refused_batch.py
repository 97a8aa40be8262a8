"""A push batch the service refuses as a whole (400: a value it cannot read; 413: too large)
never blocks sync: the engine pushes the batch's mutations one by one, the good ones go through,
and the one the service refuses on its own is set aside with a notice that names the widget or
preference and the service's reason — its value stays on this computer. Non-JSON numbers never
leave the computer. Also: the status says since when sync has been online or offline."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.cloud.engine import (
    OutcomeUnknown,
    PullPage,
    PushResult,
    Refused,
    RetryLater,
    SyncEngine,
)
from streampai_desktop.cloud.transport import push_body
from streampai_desktop.store import open_database, operations, reads
from streampai_desktop.store.sync_state import pending_count
from streampai_desktop.widgets.instances import load_widgets
from streampai_desktop.widgets.registry import WIDGETS


class StrictService:
    """Numbers a device's mutations as the account service does (a gap refuses the batch with
    409) and refuses a whole body it cannot read with 400, the way the service reads JSON."""

    def __init__(self, *, max_batch: int = 500) -> None:
        self.last_seq = 0
        self.applied: list[dict[str, Any]] = []
        self.batches: list[list[int]] = []
        self.max_batch = max_batch
        self.refuse_status: int | None = None  # refuse every push with this status

    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]:
        self.batches.append([m["seq"] for m in mutations])
        if self.refuse_status is not None:
            raise Refused(f"refused (HTTP {self.refuse_status})", self.refuse_status)
        if len(mutations) > self.max_batch:
            raise Refused("The request body is too large. (HTTP 413)", 413)
        body = json.loads(push_body(mutations))  # a value JSON cannot carry is refused here
        for m in body["mutations"]:
            if any(isinstance(v, int) and abs(v) >= 10**100 for v in (m["patch"] or {}).values()):
                raise Refused("The number is out of range (HTTP 400)", 400)
        results = []
        for m in body["mutations"]:
            if m["seq"] > self.last_seq + 1:
                raise Refused(f"seq {m['seq']} skips ahead (HTTP 409)", 409)
            if m["seq"] == self.last_seq + 1:
                self.applied.append(m)
                self.last_seq = m["seq"]
            results.append(PushResult(m["seq"], "applied", m["seq"]))
        return results

    async def pull(self, since: int, limit: int) -> PullPage:
        return PullPage([], since, False)


@pytest.fixture
def db(tmp_path: Path):
    opened = open_database(tmp_path)
    load_widgets(opened.db)
    yield opened.db
    opened.db.close()


async def run_db(fn, *args):
    return fn(*args)


def chat_config(db) -> dict[str, Any]:
    return next(w for w in reads.widget_configs(db.read()) if w.id == "chat_box").config


def applied_settings(service: StrictService) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in service.applied:
        out.update(m["patch"] or {})
    return out


def edit_as_the_app_does(db, **changes: Any) -> None:
    """The widget service's save: the config as loaded (repaired), changed, validated."""
    spec = WIDGETS["chat_box"]
    loaded, _ = spec.repair(chat_config(db))
    operations.save_widget_config(db, "chat_box", spec.validate({**loaded, **changes}))


@pytest.mark.allow_logs(
    r"sync: Your change to .* was refused by the account service",
    r"future_size must not hold NaN or Infinity",  # the app drops it when it loads the config
)
@pytest.mark.parametrize(("bad", "reason"), [(10**150, "out of range")])
async def test_a_value_the_service_cannot_take_is_set_aside_and_the_rest_syncs(
    db, bad: Any, reason: str
) -> None:
    operations.save_preference(db, "theme", "dark")
    # An earlier version let this in (or another tool wrote the file): the store keeps it.
    operations.save_widget_config(db, "chat_box", {**chat_config(db), "future_size": bad})
    edit_as_the_app_does(db, max_messages=7)
    service = StrictService()
    engine = SyncEngine(db, run_db, service)

    await engine.sync_now()

    settings = applied_settings(service)
    assert settings["value"] == "dark" and settings["config.max_messages"] == 7
    # The bad value never reached the service (the app's later edit dropped a NaN/Infinity
    # from the config, and that removal syncs like any edit).
    assert settings.get("config.future_size") is None
    assert [m["seq"] for m in service.applied] == [1, 2], "numbered without a gap"
    assert pending_count(db) == 0 and engine.status.state == "up_to_date"
    [notice] = engine.status.notices
    assert "future_size of Chat Box" in notice and "stays on this computer only" in notice
    assert reason in notice
    if isinstance(bad, int):  # a number JSON has: this computer keeps it
        assert chat_config(db)["future_size"] == bad

    # Later edits keep flowing, numbered on from there.
    edit_as_the_app_does(db, max_messages=9)
    await engine.sync_now()
    assert service.applied[-1]["seq"] == 3
    assert service.applied[-1]["patch"]["config.max_messages"] == 9


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
async def test_nan_or_infinity_handed_to_the_store_is_kept_as_no_value_and_syncs(
    db, bad: float
) -> None:
    # JSON has no NaN or Infinity: the store writes them as null (no value), so a config that
    # held one stays readable JSON and its setting syncs as "no value" instead of blocking.
    operations.save_widget_config(db, "chat_box", {**chat_config(db), "future_size": bad})
    assert chat_config(db)["future_size"] is None
    service = StrictService()
    engine = SyncEngine(db, run_db, service)

    await engine.sync_now()

    assert "config.future_size" in applied_settings(service)
    assert applied_settings(service)["config.future_size"] is None
    assert pending_count(db) == 0 and engine.status.state == "up_to_date"
    assert engine.status.notices == []


async def test_a_batch_too_large_as_a_whole_goes_through_one_by_one(db) -> None:
    for size in (3, 4, 5):
        operations.save_widget_config(db, "chat_box", {**chat_config(db), "max_messages": size})
    service = StrictService(max_batch=1)
    engine = SyncEngine(db, run_db, service)
    await engine.sync_now()
    assert [m["seq"] for m in service.applied] == [1, 2, 3]
    assert engine.status.notices == [] and pending_count(db) == 0


@pytest.mark.parametrize("status", [403, 404, 409])
async def test_a_refusal_that_is_not_about_the_content_sets_nothing_aside(db, status: int) -> None:
    operations.save_widget_config(db, "chat_box", {**chat_config(db), "max_messages": 5})
    service = StrictService()
    service.refuse_status = status
    engine = SyncEngine(db, run_db, service)
    with pytest.raises(Refused):
        await engine.sync_now()
    assert service.batches == [[1]], "not retried one by one"
    assert pending_count(db) == 1 and engine.status.notices == []


def test_the_push_body_is_json_or_refused() -> None:
    good = [{"seq": 1, "patch": {"config.font_size": 1.5, "name": "Ünïcode ✓"}}]
    assert json.loads(push_body(good)) == {"mutations": good}
    for bad in (math.nan, -math.inf, "\ud800"):
        with pytest.raises(Refused) as refused:
            push_body([{"seq": 1, "patch": {"x": bad}}])
        assert refused.value.status == 400


class FlakyService(StrictService):
    """Cannot be reached while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]:
        if self.down:
            raise RetryLater(None, "cannot reach http://127.0.0.1:9 (ConnectError)")
        return await super().push(device_id, mutations)

    async def pull(self, since: int, limit: int) -> PullPage:
        if self.down:
            raise OutcomeUnknown("no answer")
        return await super().pull(since, limit)


async def test_the_status_says_since_when_sync_is_offline_and_online(db) -> None:
    operations.save_preference(db, "theme", "dark")
    service = FlakyService()
    engine = SyncEngine(db, run_db, service, poll_seconds=0.05, max_backoff=0.05)
    assert engine.status.online is None and engine.status.since is None
    engine.start()
    try:
        await until(lambda: engine.status.state == "offline")
        went_offline = engine.status.since
        assert engine.status.online is False and went_offline is not None
        assert "cannot reach" in engine.status.detail
        await asyncio.sleep(0.2)  # more failed rounds: still offline since the first one
        assert engine.status.since == went_offline and engine.status.online is False
        service.down = False
        await until(lambda: engine.status.state == "up_to_date")
        came_back = engine.status.since
        assert engine.status.online is True and came_back is not None and came_back > went_offline
        await asyncio.sleep(0.2)  # more good rounds: still online since it came back
        assert engine.status.since == came_back
    finally:
        await engine.stop()


async def until(predicate, seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        assert loop.time() < deadline, "the state never came"
        await asyncio.sleep(0.01)
