"""The event log's plain-sqlite3 insert (store/writes.py) stores what the ORM repository stores:
the same text in every column, so every reader (the repository, store/reads.py, an older
version of the app) sees the same events; and it keeps the repository's rules — one copy per
(platform, event_id), nothing from a failed batch, naive times refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from streampai_desktop.store import Database, EventLogRepo, EventRecord, open_database, reads
from streampai_desktop.store.writes import append_events

T0 = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)
COLUMNS = "platform, event_id, kind, at, payload, test"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = open_database(tmp_path)
    yield opened.db
    opened.db.close()


def records() -> list[EventRecord]:
    berlin = timezone(timedelta(hours=1))
    return [
        EventRecord("twitch", "a", "chat", T0, {"text": "héllo 👋", "n": [1, 2.5], "x": None}),
        # On the second exactly: the text still has its microseconds, so it sorts as the
        # times do.
        EventRecord("youtube", "b", "super_chat", datetime(2025, 3, 1, 21, 30, tzinfo=berlin), {}),
        EventRecord("kick", "c", "follow", T0 + timedelta(microseconds=7), {"k": "v"}, test=True),
    ]


def stored_rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(f"SELECT {COLUMNS} FROM event_log ORDER BY event_id").fetchall()


def test_the_plain_insert_stores_what_the_repository_stores(tmp_path: Path) -> None:
    by_repo = open_database(tmp_path / "repo").db
    with by_repo.session() as session:
        EventLogRepo(session).append_many(records())
    by_repo.close()
    plain = open_database(tmp_path / "plain").db
    assert append_events(plain, records()) == 3
    plain.close()

    rows = stored_rows(by_repo.path)
    assert rows == stored_rows(plain.path)
    assert rows[1][3] == "2025-03-01 20:30:00.000000"  # UTC, microseconds written


def test_events_read_back_as_written(db: Database) -> None:
    append_events(db, records())
    with db.session() as session:
        log = EventLogRepo(session)
        assert [log.get(r.platform, r.event_id) for r in records()] == records()
    newest_first = sorted(records(), key=lambda r: r.at, reverse=True)
    assert reads.recent_events(db.read(), 10) == newest_first


def test_a_redelivered_event_keeps_its_first_copy(db: Database) -> None:
    first = EventRecord("twitch", "a", "chat", T0, {"text": "first"})
    assert append_events(db, [first]) == 1
    again = EventRecord("twitch", "a", "chat", T0, {"text": "changed?"})
    twice_in_a_batch = EventRecord("twitch", "b", "chat", T0, {})
    elsewhere = EventRecord("kick", "a", "chat", T0, {})
    assert append_events(db, [again, twice_in_a_batch, twice_in_a_batch, elsewhere]) == 2
    with db.session() as session:
        log = EventLogRepo(session)
        assert log.count() == 3
        assert log.get("twitch", "a") == first
    assert append_events(db, []) == 0


def test_bad_input_stores_nothing_of_its_batch(db: Database) -> None:
    good = EventRecord("twitch", "good", "chat", T0, {})
    naive = EventRecord("twitch", "naive", "chat", datetime(2025, 3, 1, 18, 0), {})
    with pytest.raises(ValueError, match="naive datetime"):
        append_events(db, [good, naive])
    not_an_object = EventRecord("twitch", "list", "chat", T0, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="payload must be a dict"):
        append_events(db, [good, not_an_object])
    # A constraint the database enforces fails the whole batch too, and leaves no transaction open.
    no_kind = EventRecord("twitch", "nokind", None, T0, {})  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        append_events(db, [good, no_kind])
    with db.session() as session:
        assert EventLogRepo(session).count() == 0
    assert append_events(db, [good]) == 1
