"""Opening the desktop database: creation, pragmas, migrations with backups, unusable files."""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from streampai_desktop.store import (
    EventLogRepo,
    EventRecord,
    MigrationFailed,
    OpenedDatabase,
    PreferencesRepo,
    migrate,
    open_database,
)
from streampai_desktop.store.db import create_sqlite_engine
from streampai_desktop.store.models import Base

APP_TABLES = {"widget_configs", "accounts", "preferences", "event_log", "metric_samples"}


def sqlite_query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Run ``sql`` on the file with plain sqlite3, the way a user's recovery tool would."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


def tables(path: Path) -> set[str]:
    rows = sqlite_query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(name) for (name,) in rows} - {"sqlite_sequence"}


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[OpenedDatabase]:
    result = open_database(tmp_path)
    yield result
    result.db.close()


def put_user_data(data_dir: Path) -> None:
    """A database at the current schema with a preference and a logged event in it."""
    opened = open_database(data_dir)
    with opened.db.session() as session:
        PreferencesRepo(session).set("overlay_port", 8642)
        EventLogRepo(session).append_many(
            [EventRecord("twitch", "e1", "follow", datetime(2025, 3, 1, tzinfo=UTC), {"n": 1})]
        )
    opened.db.close()


# --- a fresh database --------------------------------------------------------------------------


def test_new_database_is_created_at_the_current_schema(tmp_path: Path) -> None:
    opened = open_database(tmp_path / "nested" / "data")
    try:
        assert opened.notices == []
        assert opened.db.path == tmp_path / "nested" / "data" / "streampai.db"
        assert opened.db.path.is_file()
        assert migrate.current_revision(opened.db.engine) == migrate.head_revision()
        assert tables(opened.db.path) >= APP_TABLES
        # Nothing to protect in a brand-new database, so no copy was made.
        assert not (opened.db.path.parent / "backups").exists()
    finally:
        opened.db.close()


def test_every_connection_has_wal_foreign_keys_and_busy_timeout(opened: OpenedDatabase) -> None:
    engine = opened.db.engine
    # Two connections at once, so the second is a new one and not the first one reused.
    with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    with opened.db.session() as session:
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    # WAL is a property of the file too: a plain sqlite3 connection sees it.
    assert sqlite_query(opened.db.path, "PRAGMA journal_mode") == [("wal",)]


def test_database_created_on_one_thread_works_on_another(tmp_path: Path) -> None:
    opened = open_database(tmp_path)  # created here, used on the "database thread" below

    def work() -> tuple[str, object]:
        with opened.db.session() as session:
            PreferencesRepo(session).set("theme", "dark")
        with opened.db.session() as session:
            return threading.current_thread().name, PreferencesRepo(session).get("theme")

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="db") as executor:
            thread_name, value = executor.submit(work).result()
        assert thread_name.startswith("db")
        assert value == "dark"
    finally:
        opened.db.close()


def test_session_commits_on_success_and_rolls_back_on_error(opened: OpenedDatabase) -> None:
    with opened.db.session() as session:
        PreferencesRepo(session).set("kept", 1)
    with pytest.raises(RuntimeError), opened.db.session() as session:
        PreferencesRepo(session).set("lost", 2)
        EventLogRepo(session).append_many([EventRecord("kick", "x", "chat", datetime.now(UTC), {})])
        raise RuntimeError("boom")
    with opened.db.session() as session:
        assert PreferencesRepo(session).get_all() == {"kept": 1}
        assert EventLogRepo(session).count() == 0


def test_close_is_idempotent_and_a_closed_database_refuses_sessions(tmp_path: Path) -> None:
    opened = open_database(tmp_path)
    opened.db.close()
    opened.db.close()
    with pytest.raises(RuntimeError, match="closed"), opened.db.session():
        pass


def test_reopening_keeps_data_and_makes_no_copy(tmp_path: Path) -> None:
    put_user_data(tmp_path)
    opened = open_database(tmp_path)
    try:
        assert opened.notices == []
        with opened.db.session() as session:
            assert PreferencesRepo(session).get("overlay_port") == 8642
            assert EventLogRepo(session).count() == 1
    finally:
        opened.db.close()
    assert not (tmp_path / "backups").exists()


def test_models_and_migrations_describe_the_same_schema(opened: OpenedDatabase) -> None:
    # Fails when someone changes models.py without writing the migration for it.
    with opened.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_opening_does_not_touch_the_apps_logging_setup(tmp_path: Path) -> None:
    app_logger = logging.getLogger("streampai_desktop.some_module")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    opened = open_database(tmp_path)
    opened.db.close()
    # Alembic's fileConfig() would replace the root handlers and disable existing loggers.
    assert root.handlers == handlers
    assert root.level == level
    assert not app_logger.disabled


def test_an_empty_file_is_treated_as_a_new_database(tmp_path: Path) -> None:
    (tmp_path / "streampai.db").touch()
    opened = open_database(tmp_path)
    try:
        assert opened.notices == []
        assert tables(opened.db.path) >= APP_TABLES
    finally:
        opened.db.close()
    assert not (tmp_path / "backups").exists()


def test_a_database_downgraded_to_nothing_is_rebuilt_without_a_copy(tmp_path: Path) -> None:
    opened = open_database(tmp_path)
    migrate.downgrade(opened.db.engine, "base")
    opened.db.close()
    assert tables(tmp_path / "streampai.db") == {"alembic_version"}

    opened = open_database(tmp_path)
    try:
        assert opened.notices == []
        assert migrate.current_revision(opened.db.engine) == migrate.head_revision()
        assert tables(opened.db.path) >= APP_TABLES
    finally:
        opened.db.close()
    assert not (tmp_path / "backups").exists()


# --- files we cannot use are moved aside, never deleted ----------------------------------------


@pytest.mark.allow_logs(r"could not be opened .* moved to")
def test_a_file_that_is_not_a_database_is_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = b"this is not SQLite at all\x00\xff" * 200
    (tmp_path / "streampai.db").write_bytes(garbage)

    with caplog.at_level(logging.WARNING, logger="streampai_desktop.store"):
        opened = open_database(tmp_path)
    try:
        moved = [p for p in tmp_path.iterdir() if p.name.startswith("streampai.db.corrupt-")]
        assert len(moved) == 1
        assert re.fullmatch(r"streampai\.db\.corrupt-\d{8}T\d{6}Z", moved[0].name)
        assert moved[0].read_bytes() == garbage  # the user's file, untouched
        [notice] = opened.notices
        assert "could not be opened (file is not a database)" in notice
        assert str(moved[0]) in notice
        assert "nothing was deleted" in notice
        assert any(
            r.levelno == logging.WARNING and str(moved[0]) in r.message for r in caplog.records
        )
        # The fresh database works.
        with opened.db.session() as session:
            PreferencesRepo(session).set("a", 1)
        with opened.db.session() as session:
            assert PreferencesRepo(session).get_all() == {"a": 1}
    finally:
        opened.db.close()


@pytest.mark.allow_logs(r"could not be opened .* moved to")
def test_moving_aside_takes_the_wal_files_along(tmp_path: Path) -> None:
    (tmp_path / "streampai.db").write_bytes(b"garbage" * 100)
    (tmp_path / "streampai.db-wal").write_bytes(b"wal bytes")
    (tmp_path / "streampai.db-shm").write_bytes(b"shm bytes")

    opened = open_database(tmp_path)
    opened.db.close()

    [moved] = [
        p for p in tmp_path.glob("streampai.db.corrupt-*") if p.name[-4:] not in ("-wal", "-shm")
    ]
    assert Path(f"{moved}-wal").read_bytes() == b"wal bytes"
    assert Path(f"{moved}-shm").read_bytes() == b"shm bytes"


@pytest.mark.allow_logs(r"could not be opened .* moved to")
def test_a_second_corrupt_file_does_not_overwrite_the_first(tmp_path: Path) -> None:
    for content in (b"first garbage" * 50, b"second garbage" * 50):
        (tmp_path / "streampai.db").write_bytes(content)
        open_database(tmp_path).db.close()
    moved = sorted(tmp_path.glob("streampai.db.corrupt-*"))
    assert {p.read_bytes() for p in moved} == {b"first garbage" * 50, b"second garbage" * 50}


@pytest.mark.allow_logs(r"could not be opened .* moved to")
def test_a_database_failing_its_integrity_check_is_moved_aside(tmp_path: Path) -> None:
    opened = open_database(tmp_path)
    with opened.db.session() as session:
        EventLogRepo(session).append_many(
            [
                EventRecord("twitch", f"e{i}", "chat", datetime.now(UTC), {"text": "x" * 200})
                for i in range(300)
            ]
        )
    opened.db.close()
    path = tmp_path / "streampai.db"
    data = bytearray(path.read_bytes())
    page_size = sqlite_query(path, "PRAGMA page_size")[0][0]
    assert isinstance(page_size, int)
    # Damage an index leaf page (type byte 0x0A) so it claims 65535 cells: the file still opens
    # and reads, but PRAGMA quick_check reports the page.
    index_leaf = next(
        offset for offset in range(page_size, len(data), page_size) if data[offset] == 0x0A
    )
    data[index_leaf + 3 : index_leaf + 5] = b"\xff\xff"
    path.write_bytes(bytes(data))

    opened = open_database(tmp_path)
    try:
        [notice] = opened.notices
        assert "could not be opened (integrity check failed: Page " in notice
        [moved] = tmp_path.glob("streampai.db.corrupt-*")
        assert moved.read_bytes() == bytes(data)
        with opened.db.session() as session:
            assert EventLogRepo(session).count() == 0
    finally:
        opened.db.close()


@pytest.mark.allow_logs(r"was written by a newer version")
def test_a_database_from_a_newer_version_is_moved_aside(tmp_path: Path) -> None:
    put_user_data(tmp_path)
    with closing(sqlite3.connect(tmp_path / "streampai.db")) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9000_from_the_future'")
        connection.commit()

    opened = open_database(tmp_path)
    try:
        [moved] = tmp_path.glob("streampai.db.newer-*")
        [notice] = opened.notices
        assert "newer version of Streampai Desktop" in notice
        assert "9000_from_the_future" in notice
        assert str(moved) in notice
        # The newer app's data is all still there, in the moved file.
        assert sqlite_query(moved, "SELECT version_num FROM alembic_version") == [
            ("9000_from_the_future",)
        ]
        assert sqlite_query(moved, "SELECT key, CAST(value AS TEXT) FROM preferences") == [
            ("overlay_port", "8642")
        ]
        # And this version starts on a fresh, current database.
        assert migrate.current_revision(opened.db.engine) == migrate.head_revision()
        with opened.db.session() as session:
            assert PreferencesRepo(session).get_all() == {}
    finally:
        opened.db.close()


# --- migrating an existing database keeps a copy first -----------------------------------------

NEXT_MIGRATION = '''
"""Add a note to widget configs (a test-only next version)."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("widget_configs") as batch:
        batch.add_column(sa.Column("note", sa.String(), nullable=True))
    {extra}


def downgrade():
    with op.batch_alter_table("widget_configs") as batch:
        batch.drop_column("note")
'''


def next_version_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str = "pass"
) -> None:
    """Make the app see our real scripts plus one more revision, as the next release would."""
    scripts = tmp_path / "next_version_migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    body = NEXT_MIGRATION.format(head=migrate.head_revision(), extra=extra)
    (scripts / "versions" / "9001_widget_note.py").write_text(body)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)


def test_migrating_keeps_a_copy_of_the_old_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    put_user_data(data_dir)
    old_revision = migrate.head_revision()
    next_version_scripts(tmp_path, monkeypatch)

    opened = open_database(data_dir)
    try:
        [copy] = (data_dir / "backups").iterdir()
        assert re.fullmatch(rf"streampai-{old_revision}-\d{{8}}T\d{{6}}Z\.db", copy.name)
        [notice] = opened.notices
        assert "updated" in notice and str(copy) in notice
        # The copy is a complete database of the old version, openable on its own.
        assert sqlite_query(copy, "PRAGMA quick_check") == [("ok",)]
        assert sqlite_query(copy, "SELECT version_num FROM alembic_version") == [(old_revision,)]
        assert sqlite_query(copy, "SELECT key, CAST(value AS TEXT) FROM preferences") == [
            ("overlay_port", "8642")
        ]
        assert sqlite_query(copy, "SELECT platform, event_id FROM event_log") == [("twitch", "e1")]
        assert not Path(f"{copy}-wal").exists()
        # The live database moved on and kept the data.
        assert migrate.current_revision(opened.db.engine) == "9001"
        columns = [
            row[1] for row in sqlite_query(opened.db.path, "PRAGMA table_info(widget_configs)")
        ]
        assert "note" in columns
        with opened.db.session() as session:
            assert PreferencesRepo(session).get("overlay_port") == 8642
            assert EventLogRepo(session).get("twitch", "e1") is not None
    finally:
        opened.db.close()


def test_a_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    put_user_data(data_dir)
    old_revision = migrate.head_revision()
    next_version_scripts(
        tmp_path,
        monkeypatch,
        extra='op.create_table("half_done", sa.Column("id", sa.Integer()))\n'
        '    raise RuntimeError("bug in migration")',
    )

    with pytest.raises(MigrationFailed) as failure:
        open_database(data_dir)

    [copy] = (data_dir / "backups").iterdir()
    message = str(failure.value)
    assert "bug in migration" in message and str(copy) in message
    path = data_dir / "streampai.db"
    # One transaction: neither the new column nor the table made before the error remain.
    assert sqlite_query(path, "SELECT version_num FROM alembic_version") == [(old_revision,)]
    assert "half_done" not in tables(path)
    columns = [row[1] for row in sqlite_query(path, "PRAGMA table_info(widget_configs)")]
    assert "note" not in columns
    assert sqlite_query(path, "SELECT key FROM preferences") == [("overlay_port",)]


def test_only_the_newest_five_copies_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    put_user_data(data_dir)
    backups = data_dir / "backups"
    backups.mkdir()
    old = [backups / f"streampai-0001-2024010{day}T120000Z.db" for day in range(1, 8)]
    for path in old:
        path.write_bytes(b"an older copy")
    users_own = backups / "my copy before the update.db"
    users_own.write_bytes(b"not ours to delete")
    current = migrate.head_revision()  # the copy is named after the revision it was taken at
    next_version_scripts(tmp_path, monkeypatch)

    open_database(data_dir).db.close()

    ours = sorted(p.name for p in backups.glob("streampai-*.db"))
    assert len(ours) == 5
    # The new copy and the four newest old ones; the three oldest were removed.
    assert ours[:4] == [p.name for p in old[3:]]
    assert ours[4].startswith(f"streampai-{current}-")
    assert ours[4] not in {p.name for p in old}
    assert users_own.read_bytes() == b"not ours to delete"


def test_revision_ids_read_from_script_headers_match_alembic() -> None:
    """Start-up reads revision ids without importing Alembic; they must agree with Alembic's."""
    scripts = migrate.script_directory()
    assert migrate.head_revision() == scripts.get_current_head()
    assert migrate.known_revisions() == {s.revision for s in scripts.walk_revisions()}


def test_a_new_database_matches_one_built_by_running_every_migration(tmp_path: Path) -> None:
    """New databases skip Alembic (create_all + stamp); the result must be the same schema."""
    opened = open_database(tmp_path / "new")
    opened.db.close()
    migrated = tmp_path / "migrated.db"
    engine = create_sqlite_engine(migrated, foreign_keys=False, pooled=False)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()

    def schema(path: Path) -> list[tuple]:
        rows = sqlite_query(
            path,
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name",
        )
        columns = []
        for _type, name, _tbl in rows:
            if _type == "table":
                columns += [(name, *c) for c in sqlite_query(path, f"PRAGMA table_info({name})")]
        return rows + columns

    assert schema(tmp_path / "new" / "streampai.db") == schema(migrated)
    assert sqlite_query(
        tmp_path / "new" / "streampai.db", "SELECT version_num FROM alembic_version"
    ) == [(migrate.head_revision(),)]
