"""Database backups: a consistent copy while the database is written, the retention rule,
restoring (the current database kept first; older backups updated, newer ones refused), the
daily worker (and a full disk), and a restore the window schedules for the next start."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.archive import daily
from streampai_desktop.archive.daily import DailyBackups
from streampai_desktop.store import migrate, open_database, reads
from streampai_desktop.store import operations as ops
from streampai_desktop.store.backups import (
    BEFORE_RESTORE,
    MANUAL,
    backup_due,
    create_backup,
    database_path,
    list_backups,
    prune_backups,
)
from streampai_desktop.store.db import create_sqlite_engine
from streampai_desktop.store.errors import BackupUnusable
from streampai_desktop.store.restore import (
    apply_pending_restore,
    check_backup,
    pending_restore,
    restore_backup,
    schedule_restore,
)
from streampai_desktop.store.retention import retain
from streampai_desktop.widgets.instances import load_widgets


def make_data_dir(path: Path, name: str = "Alert Box") -> Path:
    """A data folder with the first widgets, the alert box named ``name``."""
    opened = open_database(path)
    try:
        load_widgets(opened.db)
        ops.rename_widget(opened.db, "alert_box", name)
        ops.save_preference(opened.db, "theme", "dark")
    finally:
        opened.db.close()
    return path


def alert_box_name(data_dir: Path) -> str:
    with sqlite3.connect(database_path(data_dir)) as connection:
        return str(
            connection.execute("SELECT name FROM widget_configs WHERE id='alert_box'").fetchone()[0]
        )


def dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


# --- a backup while the database is written -----------------------------------------------------


class Writer(threading.Thread):
    """Writes without pause, as the app's database thread would: each transaction adds a pair
    of ledger rows that cancel out, so any consistent snapshot sums to 0 with an even count."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="writer", daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.commits = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            connection.execute("PRAGMA journal_mode=WAL")
            n = 0
            while not self.stop.is_set():
                n += 1
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(
                    "INSERT INTO ledger (amount, note) VALUES (?, ?)", (n, "x" * 200)
                )
                connection.execute("INSERT INTO ledger (amount, note) VALUES (?, ?)", (-n, "y"))
                connection.execute("COMMIT")
                self.commits += 1
            connection.close()
        except BaseException as exc:  # seen by the test, not lost in the thread
            self.error = exc


@pytest.fixture
def writing(tmp_path: Path) -> Iterator[Writer]:
    data_dir = make_data_dir(tmp_path / "data")
    with sqlite3.connect(database_path(data_dir)) as connection:
        connection.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INT, note TEXT)")
    writer = Writer(database_path(data_dir))
    writer.start()
    try:
        yield writer
    finally:
        writer.stop.set()
        writer.join(timeout=10)
    assert writer.error is None, writer.error


def test_a_backup_taken_while_another_thread_writes_is_whole_and_consistent(
    writing: Writer,
) -> None:
    data_dir = writing.path.parent
    while writing.commits < 200:  # well under way
        threading.Event().wait(0.01)
    counts = []
    for _ in range(5):
        made = create_backup(writing.path, MANUAL)
        with sqlite3.connect(made.path) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",), "one file"
            count, total = copy.execute("SELECT count(*), sum(amount) FROM ledger").fetchone()
            name = copy.execute("SELECT name FROM widget_configs WHERE id='alert_box'").fetchone()
        assert count % 2 == 0 and total == 0, "a half-written transaction got into the copy"
        assert name == ("Alert Box",)
        counts.append(count)
        check_backup(made.path)  # what a restore checks passes too
    assert counts == sorted(counts) and counts[-1] > counts[0], "each copy is a later snapshot"
    assert not list((data_dir / "backups").glob("*.part")), "no half-written file left"


# --- retention ------------------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_retention_keeps_the_newest_of_7_days_and_of_4_iso_weeks() -> None:
    now = at("2025-03-20 12:00")  # a Thursday in ISO week 12
    times = []
    day = at("2025-01-01 00:00")
    while day.date() <= now.date():
        times += [day + timedelta(hours=8), day + timedelta(hours=20)]
        day += timedelta(days=1)
    times = [t for t in times if t <= now]
    kept = retain(((t.isoformat(), t) for t in times), now)
    daily_kept = ["2025-03-20 08:00"] + [f"2025-03-{d} 20:00" for d in range(19, 13, -1)]
    weekly_kept = ["2025-03-09 20:00", "2025-03-02 20:00"]  # weeks 10 and 9; 12, 11 are daily
    assert kept == {at(t).isoformat(): "daily" for t in daily_kept} | {
        at(t).isoformat(): "weekly" for t in weekly_kept
    }


def test_retention_after_a_break_keeps_the_days_before_it_and_never_a_future_one() -> None:
    now = at("2025-06-01 12:00")
    old = [at("2025-03-01 10:00") + timedelta(days=d) for d in range(10)]  # 3 months ago
    future = at("2025-07-01 10:00")  # the clock was wrong
    kept = retain(((t, t) for t in [*old, future]), now)
    # The 7 newest days that have a backup (not the last 7 dates, which have none), and the
    # newest of each week that has one: Sunday 2 March closes ISO week 9.
    assert kept == {t: "daily" for t in old[-7:]} | {old[1]: "weekly", future: "daily"}


def test_pruning_deletes_only_automatic_backups_past_the_rule(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    now = at("2025-03-20 12:00")
    names = [f"streampai-202503{d:02d}-100000.db" for d in range(1, 21)]
    names += ["streampai-20240101-100000-manual.db", "streampai-20240101-100000-before-restore.db"]
    names += ["streampai-0001-20240101T100000Z.db", "my own copy.db", "streampai-20259999-1.db"]
    for name in names:
        (folder / name).write_bytes(b"x")
    # Left by a backup interrupted yesterday, and one being written right now.
    stale = folder / "streampai-20250319-100000.db.part"
    writing = folder / "streampai-20250320-110000.db.part"
    for part in (stale, writing):
        part.write_bytes(b"half")
    os.utime(stale, (0, datetime.now().timestamp() - 86400))
    removed = {p.name for p in prune_backups(tmp_path, now)}
    assert stale.name in removed and writing.exists(), "only the stale part file goes"
    removed.discard(stale.name)
    writing.unlink()
    kept_days = {f"streampai-202503{d:02d}-100000.db" for d in (*range(14, 21), 9, 2)}
    assert {p.name for p in folder.iterdir()} == set(names) - removed
    assert removed == {f"streampai-202503{d:02d}-100000.db" for d in range(1, 21)} - kept_days
    kinds = {b.name: b.kind for b in list_backups(tmp_path, now)}
    assert kinds["streampai-20250320-100000.db"] == "daily"
    assert kinds["streampai-20250309-100000.db"] == "weekly"
    assert kinds["streampai-20240101-100000-manual.db"] == "manual"
    assert kinds["streampai-20240101-100000-before-restore.db"] == "before-restore"
    assert kinds["streampai-0001-20240101T100000Z.db"] == "before-update"
    assert "my own copy.db" not in kinds and "streampai-20259999-1.db" not in kinds


# --- restoring ------------------------------------------------------------------------------------


def test_restore_keeps_the_current_database_as_a_before_restore_backup(tmp_path: Path) -> None:
    data_dir = make_data_dir(tmp_path / "data", "Before")
    made = create_backup(database_path(data_dir), MANUAL)
    make_data_dir(data_dir, "After")
    current = dump(database_path(data_dir))

    kept = restore_backup(data_dir, made.path)

    assert alert_box_name(data_dir) == "Before"
    assert kept is not None and kept.parent == data_dir / "backups"
    [before] = [b for b in list_backups(data_dir) if b.kind == BEFORE_RESTORE]
    assert before.path == kept
    assert dump(kept) == current, "what was there is kept whole"
    assert made.path.exists(), "the backup itself is untouched"
    leftovers = [p.name for p in data_dir.iterdir() if ".restoring" in p.name]
    assert not leftovers
    opened = open_database(data_dir)  # the app opens the restored file as usual
    try:
        assert reads.preferences(opened.db.read())["theme"] == "dark"
    finally:
        opened.db.close()


def set_revision(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_a_backup_from_a_newer_version_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    data_dir = make_data_dir(tmp_path / "data", "Now")
    made = create_backup(database_path(data_dir), MANUAL)
    set_revision(made.path, "9999_from_the_future")
    before = dump(database_path(data_dir))
    with pytest.raises(BackupUnusable, match="newer version of Streampai Desktop"):
        restore_backup(data_dir, made.path)
    assert dump(database_path(data_dir)) == before
    assert [b.kind for b in list_backups(data_dir)] == [MANUAL], "no before-restore copy made"


def test_a_damaged_or_foreign_backup_is_refused(tmp_path: Path) -> None:
    data_dir = make_data_dir(tmp_path / "data")
    made = create_backup(database_path(data_dir), MANUAL)
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(made.path.read_bytes()[: made.size // 2])
    foreign = tmp_path / "foreign.db"
    with closing(sqlite3.connect(foreign)) as connection:
        connection.execute("CREATE TABLE t (x)")
    notes = tmp_path / "notes.db"
    notes.write_text("not a database")
    refusals = [
        (damaged, "damaged|cannot be read"),
        (foreign, "not a Streampai"),
        (notes, "not a database"),
    ]
    for path, why in refusals:
        with pytest.raises(BackupUnusable, match=why):
            restore_backup(data_dir, path)
    assert alert_box_name(data_dir) == "Alert Box"


def test_an_older_backup_is_brought_up_to_this_version(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = create_sqlite_engine(old, foreign_keys=False, pooled=False)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    with sqlite3.connect(old) as connection:  # the alert box as the older version kept it
        connection.execute(
            "INSERT INTO widget_configs VALUES ('alert_box', 'alert_box', 'Old', '{}', "
            "'2024-01-01 00:00:00', '2024-01-01 00:00:00')"
        )
    assert check_backup(old) == "0001"
    data_dir = make_data_dir(tmp_path / "data")
    restore_backup(data_dir, old)
    assert check_backup(database_path(data_dir)) == migrate.head_revision()
    assert alert_box_name(data_dir) == "Old"
    assert check_backup(old) == "0001", "the backup itself is never migrated"


def test_a_restore_scheduled_by_the_window_happens_at_the_next_start(
    tmp_path: Path, free_port: int
) -> None:
    data_dir = make_data_dir(tmp_path / "data", "Then")
    made = create_backup(database_path(data_dir), MANUAL)
    make_data_dir(data_dir, "Now")
    schedule_restore(data_dir, made.name)
    assert pending_restore(data_dir) == made.name

    async def start() -> tuple[str, list[str]]:
        options = AppOptions(data_dir, free_port, headless=True, demo=False, log_to_file=False)
        app = App(options)
        await app.start()
        try:
            return app.widgets["alert_box"].name, list(app.state.notices)
        finally:
            await app.shutdown()

    name, notices = asyncio.run(start())
    assert name == "Then"
    assert any(n.startswith("Restored the backup from") for n in notices), notices
    assert pending_restore(data_dir) is None, "restored once, not at every start"
    assert apply_pending_restore(data_dir) is None


@pytest.mark.allow_logs(r"was not restored")
def test_a_scheduled_restore_whose_backup_is_gone_leaves_the_database(tmp_path: Path) -> None:
    data_dir = make_data_dir(tmp_path / "data", "Kept")
    made = create_backup(database_path(data_dir), MANUAL)
    schedule_restore(data_dir, made.name)
    made.path.unlink()
    notice = apply_pending_restore(data_dir)
    assert notice is not None and "was not restored" in notice and "as it was" in notice
    assert alert_box_name(data_dir) == "Kept"
    assert pending_restore(data_dir) is None


# --- the daily backup -------------------------------------------------------------------------


async def test_the_daily_backup_is_made_once_a_day_and_pruned(tmp_path: Path) -> None:
    data_dir = make_data_dir(tmp_path / "data")
    backups = DailyBackups(data_dir)
    first = await backups.run_once()
    assert first is not None and first.kind == "daily"
    assert await backups.run_once() is None, "not again within 24 hours"
    # Make the only one two days old: the next check makes a new one.
    old = first.path.with_name(
        f"streampai-{datetime.now(UTC) - timedelta(days=2):%Y%m%d-%H%M%S}.db"
    )
    first.path.rename(old)
    assert backup_due(data_dir)
    second = await backups.run_once()
    assert second is not None and second.path != old
    assert {b.path for b in list_backups(data_dir)} == {old, second.path}


@pytest.mark.allow_logs(r"automatic backup failed: There is no space left on the disk")
async def test_a_full_disk_is_logged_and_the_worker_keeps_going(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = make_data_dir(tmp_path / "data")
    attempts = []

    def full_disk(db_path: Path, *args: object) -> object:
        attempts.append(db_path)
        raise OSError(errno.ENOSPC, "No space left on device", str(data_dir / "backups"))

    monkeypatch.setattr(daily, "create_backup", full_disk)
    backups = DailyBackups(data_dir, first_delay=0, check_every=0.05)
    caplog.set_level(logging.ERROR, logger="streampai_desktop.archive.daily")
    backups.start()
    try:
        for _ in range(500):  # it goes on trying, once per check
            if len(attempts) >= 3:
                break
            await asyncio.sleep(0.02)
        assert len(attempts) >= 3
        assert backups.worker.running and backups.worker.crashes == 0
    finally:
        await backups.stop()
    assert "no space left on the disk" in (backups.last_error or "").lower()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all("The app keeps running" in text for text in errors)
    assert not list_backups(data_dir)


def test_a_real_full_disk_from_sqlite_arrives_as_enospc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = make_data_dir(tmp_path / "data")

    def sqlite_full(*_args: object) -> None:
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode = 13  # type: ignore[attr-defined]
        raise error

    from streampai_desktop.store import backups as backups_module

    monkeypatch.setattr(backups_module, "_copy_checked", sqlite_full)
    with pytest.raises(OSError) as raised:
        create_backup(database_path(data_dir))
    assert raised.value.errno == errno.ENOSPC
    assert not list((data_dir / "backups").iterdir()), "no partial file left"
