"""The store's repositories, on a real SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from streampai_desktop.store import (
    AccountRepo,
    Database,
    EventLogRepo,
    EventRecord,
    MetricRepo,
    MetricSample,
    OutboxRepo,
    PreferencesRepo,
    RecordNotFound,
    WidgetConfigRepo,
    open_database,
    reads,
)
from streampai_desktop.widgets.instances import load_widgets

T0 = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = open_database(tmp_path)
    yield opened.db
    opened.db.close()


def reopen(db: Database) -> Database:
    """Close and open the same folder again: what survives is what was really written."""
    db.close()
    return open_database(db.path.parent).db


def event(
    event_id: str,
    *,
    platform: str = "twitch",
    kind: str = "chat",
    at: datetime = T0,
    payload: dict[str, object] | None = None,
    test: bool = False,
) -> EventRecord:
    return EventRecord(platform, event_id, kind, at, payload or {"id": event_id}, test)


# --- preferences -------------------------------------------------------------------------------


def test_preferences_store_json_values_and_survive_a_restart(db: Database) -> None:
    with db.session() as session:
        prefs = PreferencesRepo(session)
        assert prefs.get("overlay_port") is None
        assert prefs.get("overlay_port", 8642) == 8642
        prefs.set("overlay_port", 9000)
        prefs.set("overlay_port", 9001)  # replaces, no duplicate key
        prefs.set("layout", {"sidebar": ["events", "chat"], "ratio": 0.25, "title": "Ünïcode 🎉"})
        prefs.set("nothing", None)

    db = reopen(db)
    try:
        with db.session() as session:
            prefs = PreferencesRepo(session)
            assert prefs.get_all() == {
                "overlay_port": 9001,
                "layout": {"sidebar": ["events", "chat"], "ratio": 0.25, "title": "Ünïcode 🎉"},
                "nothing": None,
            }
            # A stored None is a value, not a missing key.
            assert prefs.get("nothing", "default") is None
            assert prefs.delete("overlay_port") is True
            assert prefs.delete("overlay_port") is False
            assert "overlay_port" not in prefs.get_all()
    finally:
        db.close()


# --- widget configs ----------------------------------------------------------------------------


def test_widget_configs_allow_several_instances_per_type(db: Database) -> None:
    with db.session() as session:
        widgets = WidgetConfigRepo(session)
        first = widgets.create("alert_box", "Alerts", {"duration": 5})
        second = widgets.create("alert_box", "Sub alerts", {"duration": 8})
        chat = widgets.create("chat_box", "Chat", {"max_messages": 20})

    db = reopen(db)
    try:
        with db.session() as session:
            widgets = WidgetConfigRepo(session)
            assert [w.name for w in widgets.list("alert_box")] == ["Alerts", "Sub alerts"]
            assert {w.id for w in widgets.list()} == {first.id, second.id, chat.id}
            assert len({first.id, second.id, chat.id}) == 3
            loaded = widgets.get(second.id)
            assert loaded is not None
            assert loaded.config == {"duration": 8}
            assert loaded.widget_type == "alert_box"
            assert loaded.created_at.tzinfo is UTC
            assert widgets.get("no-such-id") is None
    finally:
        db.close()


def test_widget_config_update_rename_and_delete(db: Database) -> None:
    with db.session() as session:
        created = WidgetConfigRepo(session).create("alert_box", "Alerts", {"duration": 5})
    with db.session() as session:
        widgets = WidgetConfigRepo(session)
        updated = widgets.update_config(created.id, {"duration": 7, "sound": "ding.mp3"})
        renamed = widgets.rename(created.id, "Big alerts")
    assert updated.config == {"duration": 7, "sound": "ding.mp3"}
    assert updated.updated_at > created.updated_at
    assert updated.created_at == created.created_at
    assert renamed.name == "Big alerts"

    with db.session() as session:
        widgets = WidgetConfigRepo(session)
        stored = widgets.get(created.id)
        assert stored is not None
        assert (stored.name, stored.config) == ("Big alerts", {"duration": 7, "sound": "ding.mp3"})
        assert widgets.delete(created.id) is True
        assert widgets.delete(created.id) is False
        assert widgets.list() == []
        with pytest.raises(RecordNotFound):
            widgets.update_config(created.id, {})
        with pytest.raises(RecordNotFound):
            widgets.rename(created.id, "gone")


def test_ensure_default_creates_once_and_then_returns_the_first_instance(db: Database) -> None:
    with db.session() as session:
        made = WidgetConfigRepo(session).ensure_default("alert_box", "Alert box", {"duration": 5})
    with db.session() as session:
        widgets = WidgetConfigRepo(session)
        widgets.update_config(made.id, {"duration": 9})
        widgets.create("alert_box", "Second", {"duration": 1})
        again = widgets.ensure_default("alert_box", "Alert box", {"duration": 5})
        assert again.id == made.id
        assert again.config == {"duration": 9}  # the user's settings, not the defaults
        assert len(widgets.list("alert_box")) == 2


def test_widget_config_is_a_copy_of_what_the_caller_passed(db: Database) -> None:
    config: dict[str, object] = {"colors": ["red"]}
    with db.session() as session:
        created = WidgetConfigRepo(session).create("alert_box", "Alerts", config)
    config["colors"].append("blue")  # type: ignore[attr-defined]
    assert created.config == {"colors": ["red"]}
    with db.session() as session:
        stored = WidgetConfigRepo(session).get(created.id)
    assert stored is not None and stored.config == {"colors": ["red"]}


def test_widget_config_must_be_a_json_object(db: Database) -> None:
    with pytest.raises(TypeError, match="dict"), db.session() as session:
        WidgetConfigRepo(session).create("alert_box", "Alerts", ["not", "an", "object"])  # type: ignore[arg-type]


# --- accounts ----------------------------------------------------------------------------------


def test_accounts_upsert_keeps_one_row_per_platform_user(db: Database) -> None:
    with db.session() as session:
        accounts = AccountRepo(session)
        assert accounts.any_enabled() is False
        first = accounts.upsert("twitch", "1234", "streamer", "Streamer")
        again = accounts.upsert("twitch", "1234", "streamer_renamed", "Streamer Renamed")
        other_platform = accounts.upsert("kick", "1234", "streamer", "Streamer")

    assert again.id == first.id
    assert (again.login, again.display_name) == ("streamer_renamed", "Streamer Renamed")
    assert other_platform.id != first.id
    with db.session() as session:
        listed = AccountRepo(session).list()
    assert [(a.platform, a.login) for a in listed] == [
        ("twitch", "streamer_renamed"),
        ("kick", "streamer"),
    ]


def test_any_enabled_follows_enabling_disabling_and_removing(db: Database) -> None:
    with db.session() as session:
        accounts = AccountRepo(session)
        twitch = accounts.upsert("twitch", "1", "a", "A")
        youtube = accounts.upsert("youtube", "UC1", "b", "B", enabled=False)
        assert accounts.any_enabled() is True
        assert accounts.set_enabled(twitch.id, False).enabled is False
        assert accounts.any_enabled() is False
        accounts.set_enabled(youtube.id, True)
        assert accounts.any_enabled() is True
        assert accounts.remove(youtube.id) is True
        assert accounts.remove(youtube.id) is False
        assert accounts.any_enabled() is False
        assert [a.id for a in accounts.list()] == [twitch.id]
        with pytest.raises(RecordNotFound):
            accounts.set_enabled(youtube.id, True)


def test_the_database_itself_refuses_a_duplicate_platform_account(db: Database) -> None:
    # The repository never does this, but a unique constraint, not just code, protects it.
    from streampai_desktop.store.models import AccountRow

    with pytest.raises(IntegrityError), db.session() as session:
        for account_id in ("a", "b"):
            session.add(
                AccountRow(
                    id=account_id,
                    platform="twitch",
                    platform_user_id="1",
                    login="x",
                    display_name="X",
                )
            )
            session.flush()


# --- event log ---------------------------------------------------------------------------------


def test_event_log_reports_duplicates_and_stores_each_event_once(db: Database) -> None:
    with db.session() as session:
        assert EventLogRepo(session).append_many([event("a"), event("b")]) == [True, True]
    redelivered = event("a", payload={"id": "a", "text": "changed?"})
    with db.session() as session:
        log = EventLogRepo(session)
        # Same (platform, event_id) again, a repeat inside one batch, and the same id elsewhere.
        result = log.append_many([redelivered, event("c"), event("c"), event("a", platform="kick")])
        assert result == [False, True, False, True]
        assert log.count() == 4
        stored = log.get("twitch", "a")
        assert stored is not None and stored.payload == {"id": "a"}  # first copy kept
        assert log.get("youtube", "a") is None
        assert log.append_many([]) == []


def test_event_log_round_trips_every_field(db: Database) -> None:
    payload = {"user": {"login": "viewer", "badges": ["sub"]}, "amount": 500, "text": "héllo 👋"}
    record = EventRecord("youtube", "yt-1", "super_chat", T0, payload, test=True)
    with db.session() as session:
        EventLogRepo(session).append_many([record])
    db = reopen(db)
    try:
        with db.session() as session:
            assert EventLogRepo(session).get("youtube", "yt-1") == record
    finally:
        db.close()


def test_recent_events_newest_first_with_filters(db: Database) -> None:
    records = [
        event("old", at=T0),
        event("follow", kind="follow", at=T0 + timedelta(minutes=1)),
        event("kick-chat", platform="kick", at=T0 + timedelta(minutes=2)),
        event("new", at=T0 + timedelta(minutes=3)),
    ]
    with db.session() as session:
        EventLogRepo(session).append_many(records)
    with db.session() as session:
        log = EventLogRepo(session)
        assert [r.event_id for r in log.recent()] == ["new", "kick-chat", "follow", "old"]
        assert [r.event_id for r in log.recent(limit=2)] == ["new", "kick-chat"]
        assert [r.event_id for r in log.recent(kinds=["chat"])] == ["new", "kick-chat", "old"]
        assert [r.event_id for r in log.recent(platforms=["kick"])] == ["kick-chat"]
        assert [r.event_id for r in log.recent(kinds=["chat"], platforms=["twitch"])] == [
            "new",
            "old",
        ]
        assert log.recent(kinds=[]) == []


def test_events_written_in_a_failed_transaction_are_not_kept(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        EventLogRepo(session).append_many([event("a")])
        raise RuntimeError("crash before commit")
    with db.session() as session:
        assert EventLogRepo(session).count() == 0
        # Not counted as a duplicate next time: it was never stored.
        assert EventLogRepo(session).append_many([event("a")]) == [True]


# --- datetimes ---------------------------------------------------------------------------------


def test_datetimes_come_back_tz_aware_in_utc(db: Database) -> None:
    berlin_evening = datetime(2025, 3, 1, 21, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    with db.session() as session:
        EventLogRepo(session).append_many([event("a", at=berlin_evening)])
    with db.session() as session:
        stored = EventLogRepo(session).get("twitch", "a")
    assert stored is not None
    assert stored.at.tzinfo is UTC
    assert stored.at == berlin_evening  # the same instant, microseconds included
    assert (stored.at.hour, stored.at.microsecond) == (20, 123456)


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.session() as session:
        EventLogRepo(session).append_many([event("a", at=datetime(2025, 3, 1, 18, 0))])


# --- metrics -----------------------------------------------------------------------------------


def test_metric_range_is_half_open_ordered_and_per_series(db: Database) -> None:
    samples = [
        MetricSample("twitch", "viewers", T0 + timedelta(minutes=m), float(m))
        for m in (4, 0, 2, 1, 3)
    ]
    samples += [
        MetricSample("kick", "viewers", T0 + timedelta(minutes=2), 99.0),
        MetricSample("twitch", "followers", T0 + timedelta(minutes=2), 77.0),
    ]
    with db.session() as session:
        MetricRepo(session).add_many(samples)
        MetricRepo(session).add_many([])
    with db.session() as session:
        got = MetricRepo(session).range(
            "twitch", "viewers", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)
        )
    assert [(s.at, s.value) for s in got] == [
        (T0 + timedelta(minutes=1), 1.0),
        (T0 + timedelta(minutes=2), 2.0),
    ]
    assert all(s.platform == "twitch" and s.metric == "viewers" for s in got)


# --- results outlive their session -------------------------------------------------------------


def test_results_are_plain_values_usable_on_another_thread(db: Database) -> None:
    with db.session() as session:
        widget = WidgetConfigRepo(session).create("alert_box", "Alerts", {"duration": 5})
        EventLogRepo(session).append_many([event("a")])
        [logged] = EventLogRepo(session).recent()
    db.close()  # the session and the engine are gone; the values are not

    def read() -> tuple[str, object, str]:
        return widget.name, widget.config["duration"], logged.event_id

    with ThreadPoolExecutor(1) as executor:
        assert executor.submit(read).result() == ("Alerts", 5, "a")
    with pytest.raises(AttributeError):
        widget.name = "changed"  # type: ignore[misc]


# --- plain-sqlite3 reads (what every launch reads without SQLAlchemy) --------------------------


def test_plain_reads_return_what_the_repositories_return(db: Database) -> None:
    with db.session() as session:
        prefs = PreferencesRepo(session)
        prefs.set("overlay_port", 8642)
        prefs.set("theme", "dark")
        prefs.set("nothing", None)
        for key, value in {"ratio": 2.5, "whole": 1.0, "digits": "12", "flag": True}.items():
            prefs.set(key, value)  # JSON numbers are stored as numbers (numeric affinity)
        prefs.set("nested", {"a": [1, 2.5, "ü 🎉"], "b": {"c": False}})
        widgets = WidgetConfigRepo(session)
        widgets.create("chat_box", "Chat 💬", {"font": "Inter", "bots": ["a"]}, id="chat_box")
        widgets.create("alert_box", "Alerts", {"gap_ms": 1000})
        widgets.create("alert_box", "Alerts 2", {})
        accounts = AccountRepo(session)
        accounts.upsert("twitch", "1", "alice", "Alice")
        off = accounts.upsert("youtube", "2", "bob", "Bob ☃")
        accounts.set_enabled(off.id, False)
        EventLogRepo(session).append_many(
            [
                event("e1", at=T0, payload={"text": "héllo 👋", "n": [1, 2.5]}),
                event("e2", at=T0 + timedelta(seconds=1), kind="follow", test=True),
                event("e3", at=T0, platform="youtube"),  # same time: newest id first
            ]
        )
        OutboxRepo(session).record("preference", "theme", {"value": "dark"})
    db = reopen(db)
    try:
        with db.session() as session:
            assert reads.preferences(db.read()) == PreferencesRepo(session).get_all()
            assert reads.widget_configs(db.read()) == WidgetConfigRepo(session).list()
            assert reads.accounts(db.read()) == AccountRepo(session).list()
            assert reads.any_account_enabled(db.read()) is AccountRepo(session).any_enabled()
            assert reads.any_account_enabled(db.read()) is True
            for limit in (1, 2, 10):
                assert reads.recent_events(db.read(), limit) == EventLogRepo(session).recent(limit)
            assert [e.event_id for e in reads.recent_events(db.read(), 10)] == ["e2", "e3", "e1"]
            assert reads.outbox_count(db.read()) == OutboxRepo(session).count() == 1
            for account in AccountRepo(session).list():
                AccountRepo(session).set_enabled(account.id, False)
        assert reads.any_account_enabled(db.read()) is False
        created = reads.widget_configs(db.read())[0].created_at
        assert created.tzinfo is UTC
        with pytest.raises(sqlite3.OperationalError):  # the read connection never writes
            db.read().execute("DELETE FROM preferences")
    finally:
        db.close()


def test_an_ordinary_start_reads_without_sqlalchemy(tmp_path: Path) -> None:
    """Opening an existing database and every read a launch makes (preferences, widgets,
    accounts, metric maintenance; the window's event history and unsynced-edit count) import no
    SQLAlchemy: it costs a third of a second."""
    first = open_database(tmp_path).db  # the first start creates the file and the widgets
    load_widgets(first)
    first.close()
    code = f"""
import sys
from pathlib import Path
from streampai_desktop.store import open_database, operations, sync_state
from streampai_desktop.widgets.instances import load_widgets
db = open_database(Path({str(tmp_path)!r})).db
operations.load_preferences(db)
load_widgets(db)
operations.load_accounts(db)
operations.any_account_enabled(db)
operations.downsample_metrics(db)
operations.recent_events(db, 200)
sync_state.pending_count(db)
db.close()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic"))
assert not loaded, loaded
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
