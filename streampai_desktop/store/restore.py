"""Restoring a backup: check it, bring a copy to this version's schema, keep the current database
as a before-restore backup, then put the copy in its place.

Only while no connection is open on the database, with the caller holding the instance lock: a
running app would go on writing into the file being replaced (and its open connections would
still see the old one). So the terminal refuses while the app runs, and the window does not
restore under itself: it schedules the restore (:func:`schedule_restore`) and quits, and the
next start performs it (:func:`apply_pending_restore`) before anything opens the database.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from streampai_desktop.store import migrate
from streampai_desktop.store.backup import SIDECAR_SUFFIXES, free_name, move_aside
from streampai_desktop.store.backups import (
    BEFORE_RESTORE,
    BackupFile,
    create_backup,
    database_path,
    find_backup,
)
from streampai_desktop.store.errors import BackupFailed, BackupUnusable, StoreError

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
PENDING_NAME = "restore-on-start.json"


def check_backup(path: Path) -> str:
    """The schema revision of the backup at ``path`` once it passed every check.

    Raises :class:`BackupUnusable` for a file that is damaged, is not a Streampai Desktop
    database, or was written by a newer version (this one cannot read its schema).
    """
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupUnusable(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    if header != SQLITE_HEADER:
        raise BackupUnusable(f"{path.name} is not a database (or it is damaged).")
    try:
        # Read-only and never creating files: a backup stays exactly as it was.
        with closing(sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)) as connection:
            check = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            revisions = (
                [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
    except sqlite3.DatabaseError as exc:
        raise BackupUnusable(f"{path.name} cannot be read as a database ({exc}).") from exc
    if check != ["ok"]:
        raise BackupUnusable(f"{path.name} is damaged (integrity check: {check[0]}).")
    if "widget_configs" not in tables or len(revisions) != 1:
        raise BackupUnusable(f"{path.name} is not a Streampai Desktop database.")
    if revisions[0] not in migrate.known_revisions():
        raise BackupUnusable(
            f"{path.name} was made by a newer version of Streampai Desktop (schema "
            f"{revisions[0]}), which this version cannot read. Install the newer version to "
            "restore it."
        )
    return str(revisions[0])


def restore_backup(data_dir: Path, source: Path, now: datetime | None = None) -> Path | None:
    """Replace the database in ``data_dir`` with the backup at ``source``.

    Returns where the database that was there is kept (None when there was none): a
    before-restore backup, or, when it is too damaged to copy (often the reason to restore),
    the file itself moved aside. On any failure the database is left as it was: everything is
    prepared on a copy first and the swap is one rename.
    """
    db_path = database_path(data_dir)
    staged = free_name(data_dir, f"{db_path.name}.restoring")
    try:
        _stage(source, staged)
        revision = check_backup(staged)  # what goes in place is the copy: check that
        if revision != migrate.head_revision():
            _upgrade(staged, source.name)
        kept = _keep_current(db_path, now)
        os.replace(staged, db_path)
    finally:
        for leftover in (staged, *(Path(f"{staged}{s}") for s in SIDECAR_SUFFIXES)):
            leftover.unlink(missing_ok=True)
    log.info("restored %s into %s", source, db_path)
    return kept


def _keep_current(db_path: Path, now: datetime | None) -> Path | None:
    """Keep the database about to be replaced: as a before-restore backup, or moved aside."""
    if not db_path.exists():
        return None
    try:
        kept = create_backup(db_path, BEFORE_RESTORE, now).path
    except (BackupFailed, sqlite3.DatabaseError) as exc:
        if isinstance(exc, sqlite3.OperationalError):
            raise  # locked, I/O: moving the file would not help
        moved = move_aside(db_path, "before-restore", now)
        log.warning("the database could not be copied (%s); it was moved to %s", exc, moved)
        return moved
    _fold_wal(db_path)
    return kept


def _stage(source: Path, staged: Path) -> None:
    check_backup(source)  # before copying: a clear message for a bad file, nothing written
    with (
        closing(sqlite3.connect(source.as_uri() + "?mode=ro", uri=True)) as reader,
        closing(sqlite3.connect(staged)) as copy,
    ):
        reader.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE").close()


def _upgrade(staged: Path, name: str) -> None:
    """An older backup: run this version's migrations on the copy (never on the backup)."""
    from streampai_desktop.store.db import create_sqlite_engine

    engine = create_sqlite_engine(staged, foreign_keys=False, pooled=False)
    try:
        migrate.upgrade(engine)
    except Exception as exc:
        raise BackupUnusable(
            f"{name} is from an older version and could not be updated for this one ({exc})."
        ) from exc
    finally:
        engine.dispose()


def _fold_wal(db_path: Path) -> None:
    """Fold the WAL into the database file and remove it, so SQLite never replays the old
    database's WAL into the restored file that takes its name."""
    if not db_path.exists():
        return
    with closing(sqlite3.connect(db_path)) as connection:
        busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        raise BackupFailed(
            f"The database at {db_path} is in use by another program; close it and try again."
        )
    for suffix in SIDECAR_SUFFIXES:
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


# --- restoring at the next start (the window) ------------------------------------------------


def schedule_restore(data_dir: Path, name: str) -> BackupFile:
    """Remember to restore the backup ``name`` when the app starts next; returns it (checked)."""
    backup = find_backup(data_dir, name)
    check_backup(backup.path)
    note = {"backup": backup.name, "requested_at": datetime.now(UTC).isoformat()}
    tmp = data_dir / f"{PENDING_NAME}.tmp"
    tmp.write_text(json.dumps(note), encoding="utf-8")
    os.replace(tmp, data_dir / PENDING_NAME)
    log.info("the backup %s will be restored at the next start", backup.name)
    return backup


def pending_restore(data_dir: Path) -> str | None:
    """The name of the backup scheduled for the next start, if any."""
    try:
        note = json.loads((data_dir / PENDING_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = note.get("backup") if isinstance(note, dict) else None
    return name if isinstance(name, str) else None


def cancel_restore(data_dir: Path) -> None:
    """Forget a restore scheduled for the next start."""
    (data_dir / PENDING_NAME).unlink(missing_ok=True)


def apply_pending_restore(data_dir: Path) -> str | None:
    """Perform a restore scheduled by the window; returns what to tell the streamer, or None.

    The note is removed first: should the restore fail or the app crash half-way, the next
    start does not try again (and the database is as it was: the swap is one rename).
    """
    name = pending_restore(data_dir)
    if name is None:
        (data_dir / PENDING_NAME).unlink(missing_ok=True)  # unreadable: nothing to act on
        return None
    cancel_restore(data_dir)
    try:
        backup = find_backup(data_dir, name)
        before = restore_backup(data_dir, backup.path)
    except (StoreError, OSError, sqlite3.Error) as exc:
        notice = f"The backup {name} was not restored ({exc}). Your database is as it was."
        log.warning("%s", notice)
        return notice
    kept = f" What you had before is kept as {before.name}." if before else ""
    when = backup.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"Restored the backup from {when} ({backup.name}).{kept}"
