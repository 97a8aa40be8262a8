"""The sync engine's own rules, with scripted service answers (the service itself is tested in
tests/cloud against PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.cloud.engine import (
    Change,
    OutcomeUnknown,
    PullPage,
    PushResult,
    SyncEngine,
    describe,
)
from streampai_desktop.store import (
    OutboxRepo,
    PreferencesRepo,
    WidgetConfigRepo,
    open_database,
    operations,
)
from streampai_desktop.store.sync_state import Pushed
from streampai_desktop.store.sync_state import apply_page as apply_changes
from streampai_desktop.widgets.instances import create_widget, load_widgets


class ScriptedService:
    """Answers pushes by applying everything (or timing out once), and serves queued pages."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, dict[str, Any]]] = []
        self.pages: list[PullPage] = []
        self.timeouts = 0

    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]:
        self.pushed.extend((device_id, m) for m in mutations)
        if self.timeouts:
            self.timeouts -= 1
            raise OutcomeUnknown("timed out")
        return [PushResult(m["seq"], "applied", 100 + m["seq"]) for m in mutations]

    async def pull(self, since: int, limit: int) -> PullPage:
        if self.pages:
            return self.pages.pop(0)
        return PullPage([], since, False)


@pytest.fixture
def db(tmp_path: Path):
    opened = open_database(tmp_path)
    load_widgets(opened.db)
    yield opened.db
    opened.db.close()


def apply_page(db, page: PullPage, pushed) -> list[str]:
    return apply_changes(db, page.changes, page.cursor, pushed)


async def run_db(fn, *args):
    return fn(*args)


async def test_push_numbers_mutations_from_one_and_acknowledges(db) -> None:
    operations.save_widget_config(db, "chat_box", {"max_messages": 5})
    operations.save_preference(db, "theme", "dark")
    service = ScriptedService()
    engine = SyncEngine(db, run_db, service)
    await engine.sync_now()
    seqs = [m["seq"] for _, m in service.pushed]
    assert seqs == [1, 2], "a device's numbering starts at 1 without gaps"
    assert {d for d, _ in service.pushed} == {service.pushed[0][0]}
    with db.session() as session:
        assert OutboxRepo(session).count() == 0
    assert engine.status.state == "up_to_date"


async def test_a_timed_out_batch_is_resent_with_the_same_numbers(db) -> None:
    operations.save_widget_config(db, "chat_box", {"max_messages": 5})
    service = ScriptedService()
    service.timeouts = 1
    engine = SyncEngine(db, run_db, service)
    with pytest.raises(OutcomeUnknown):
        await engine.sync_now()
    await engine.sync_now()
    assert [m["seq"] for _, m in service.pushed] == [1, 1]
    assert service.pushed[0][1] == service.pushed[1][1]


def test_a_page_and_its_cursor_apply_together(db) -> None:
    page = PullPage(
        [
            Change(
                "widget_config",
                "chat_box-x",
                7,
                {"widget_type": "chat_box", "name": "Two", "config": {"max_messages": 3}},
            ),
            Change("preference", "theme", 8, {"value": "light"}),
            Change("preference", "overlay_port", 9, {"value": 1}),  # not synced: ignored
            Change("future_entity", "x", 10, {"a": 1}),  # unknown entity: ignored
        ],
        cursor=10,
        more=False,
    )
    assert apply_page(db, page, {}) == []
    with db.session() as session:
        assert WidgetConfigRepo(session).get("chat_box-x").name == "Two"
        assert PreferencesRepo(session).get("theme") == "light"
        assert PreferencesRepo(session).get("overlay_port") is None
    from streampai_desktop.store.sync_state import load_cursor

    assert load_cursor(db) == 10


def test_local_pending_edits_keep_their_value_until_acknowledged(db) -> None:
    operations.save_preference(db, "theme", "dark")  # pending in the outbox
    page = PullPage([Change("preference", "theme", 3, {"value": "light"})], 3, False)
    apply_page(db, page, {})
    with db.session() as session:
        assert PreferencesRepo(session).get("theme") == "dark"


def test_deletes_from_another_device_apply_and_replaced_values_are_reported(db) -> None:
    create_widget(db, "chat_box", "Extra")
    with db.session() as session:
        extra = next(w for w in WidgetConfigRepo(session).list() if w.name == "Extra")
        OutboxRepo(session).acknowledge(10**9)
    with db.session() as session:
        before = WidgetConfigRepo(session).get("chat_box").config
    pushed = {("widget_config", "chat_box", "config.max_messages"): Pushed(5, None, 2**50)}
    page = PullPage(
        [
            Change("widget_config", extra.id, 4, None),
            Change("widget_config", "chat_box", 5, {"config.max_messages": 9}),
        ],
        5,
        False,
    )
    notices = apply_page(db, page, pushed)
    with db.session() as session:
        assert WidgetConfigRepo(session).get(extra.id) is None
        # Per setting: the pulled setting changes, every other one stays as it was.
        assert WidgetConfigRepo(session).get("chat_box").config == {**before, "max_messages": 9}
    [conflict] = notices
    assert (conflict.kind, conflict.field, conflict.mine, conflict.theirs) == (
        "replaced",
        "config.max_messages",
        5,
        9,
    )
    assert describe(conflict) == (
        "Your change to Messages on screen of Chat Box (5) was replaced by a later change "
        "from another computer (9)."
    )


async def test_the_loop_backs_off_and_recovers(db) -> None:
    operations.save_widget_config(db, "chat_box", {"max_messages": 5})
    service = ScriptedService()
    service.timeouts = 2
    states: list[str] = []
    engine = SyncEngine(
        db,
        run_db,
        service,
        poll_seconds=0.05,
        max_backoff=0.05,
        on_status=lambda s: states.append(s.state),
    )
    engine.start()
    for _ in range(100):
        if "up_to_date" in states:
            break
        await asyncio.sleep(0.02)
    await engine.stop()
    assert states.count("offline") == 2 and states[-1] in ("up_to_date", "syncing")


def test_connected_accounts_sync_without_their_tokens(db) -> None:
    account = operations.save_account(db, "twitch", "1337", "cool_streamer", "Cool_Streamer")
    with db.session() as session:
        [entry] = [e for e in OutboxRepo(session).pending() if e.entity == "account_settings"]
    assert entry.row_id == "twitch:1337"
    assert set(entry.patch) == {"platform", "platform_user_id", "login", "display_name", "enabled"}
    operations.remove_account(db, account.id)
    page = PullPage(
        [
            Change(
                "account_settings",
                "twitch:42",
                3,
                {"platform": "twitch", "login": "other", "display_name": "Other", "enabled": True},
            )
        ],
        3,
        False,
    )
    apply_page(db, page, {})
    [other] = operations.load_accounts(db)
    assert (other.platform, other.platform_user_id, other.login) == ("twitch", "42", "other")
    apply_page(db, PullPage([Change("account_settings", "twitch:42", 4, None)], 4, False), {})
    assert operations.load_accounts(db) == []
