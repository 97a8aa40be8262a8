"""The backups folder: daily, manual and before-restore copies of the database; listing and
pruning them.

Each copy is ``{data_dir}/backups/streampai-YYYYMMDD-HHMMSS[-manual|-before-restore].db`` (UTC),
made with SQLite's online backup API: a consistent snapshot even while the app writes, which a
file copy of a live WAL database is not. It is written under a ``.part`` name, checked with
``PRAGMA integrity_check`` and only then renamed, so a file with a backup's name is always a
whole, sound database. Automatic copies are pruned by :mod:`.retention`; manual and
before-restore copies are never deleted by the app (the streamer made them, or they hold what was
there before a restore). The copies kept before a migration (:mod:`.backup`) are listed too, as
"before-update", and keep their own rule (the newest five).

Blocking; none of it needs the app's :class:`~.db.Database` (plain ``sqlite3``), so it runs on a
worker thread without holding up the database thread, and from the terminal while the app runs.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streampai_desktop.store.backup import BACKUP_DIRNAME, PRE_MIGRATION_NAME, free_name
from streampai_desktop.store.db import DB_FILENAME
from streampai_desktop.store.errors import BackupFailed, BackupNotFound, NoDatabase
from streampai_desktop.store.retention import retain

log = logging.getLogger(__name__)

AUTOMATIC = "automatic"  # stored kind; listed as "daily" or "weekly" (see retention)
MANUAL = "manual"
BEFORE_RESTORE = "before-restore"
BEFORE_UPDATE = "before-update"
DAILY_EVERY = timedelta(hours=24)
PART_SUFFIX = ".part"
# A .part file this old is left from a backup that was interrupted (crash, power cut).
STALE_PART_S = 3600
SQLITE_FULL = 13

_NAME = re.compile(
    r"^streampai-(?P<date>\d{8})-(?P<time>\d{6})(?:-(?P<kind>manual|before-restore))?"
    r"(?:-\d+)?\.db$"
)


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One backup in the folder; ``kind`` is daily, weekly, manual, before-restore or
    before-update."""

    name: str
    path: Path
    created_at: datetime  # UTC
    size: int
    kind: str


def backups_dir(data_dir: Path) -> Path:
    """Where the backups of the data folder's database live."""
    return data_dir / BACKUP_DIRNAME


def create_backup(db_path: Path, kind: str = AUTOMATIC, now: datetime | None = None) -> BackupFile:
    """Copy the database at ``db_path`` into the backups folder; returns the new backup.

    Raises :class:`NoDatabase`, :class:`BackupFailed` (the copy failed its check) and
    ``OSError`` (a full disk arrives as ``ENOSPC``, whichever layer noticed it first); no
    partial file is left behind either way.
    """
    if not db_path.is_file():
        raise NoDatabase(
            f"There is no database at {db_path} to back up: is this the right data folder?"
        )
    now = (now or datetime.now(UTC)).astimezone(UTC)
    directory = db_path.parent / BACKUP_DIRNAME
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"streampai-{now:%Y%m%d-%H%M%S}" + ("" if kind == AUTOMATIC else f"-{kind}")
    target = free_name(directory, stem, ".db")
    part = target.with_name(target.name + PART_SUFFIX)
    try:
        _copy_checked(db_path, part)
        os.replace(part, target)
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL:
            raise OSError(errno.ENOSPC, "No space left on device", str(directory)) from exc
        raise
    finally:
        part.unlink(missing_ok=True)
    # As listed: a new automatic backup is its day's newest, so a "daily" one.
    backup = _describe(target, "daily" if kind == AUTOMATIC else None)
    assert backup is not None
    log.info("backed up the database to %s (%s, %d bytes)", target, kind, backup.size)
    return backup


def _copy_checked(db_path: Path, part: Path) -> None:
    """The backup API in one step (one read transaction: a consistent snapshot, while other
    connections go on writing), as a self-contained file (rollback journal, not WAL)."""
    with (
        closing(sqlite3.connect(db_path.as_uri() + "?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(part)) as copy,
    ):
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE").close()
        check = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    if check != ["ok"]:
        raise BackupFailed(f"The copy of {db_path} failed its integrity check ({check[0]}).")


def _parse(name: str) -> tuple[datetime, str] | None:
    """(UTC time, stored kind) from a backup's file name, or None for other files."""
    try:
        if match := _NAME.match(name):
            at = datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
            return at.replace(tzinfo=UTC), match["kind"] or AUTOMATIC
        if match := PRE_MIGRATION_NAME.match(name):
            at = datetime.strptime(match["ts"], "%Y%m%dT%H%M%SZ")
            return at.replace(tzinfo=UTC), BEFORE_UPDATE
    except ValueError:  # digits that are no date (a file someone renamed)
        return None
    return None


def _describe(path: Path, kind: str | None = None) -> BackupFile | None:
    parsed = _parse(path.name)
    if parsed is None:
        return None
    try:
        size = path.stat().st_size
    except FileNotFoundError:  # pruned meanwhile
        return None
    return BackupFile(path.name, path, parsed[0], size, kind or parsed[1])


def list_backups(data_dir: Path, now: datetime | None = None) -> list[BackupFile]:
    """Every backup in the folder, newest first (other files there are left out)."""
    directory = backups_dir(data_dir)
    if not directory.is_dir():
        return []
    found = [b for p in directory.iterdir() if p.is_file() and (b := _describe(p)) is not None]
    labels = retain(((b.name, b.created_at) for b in found if b.kind == AUTOMATIC), _now(now))
    listed = [
        BackupFile(b.name, b.path, b.created_at, b.size, labels.get(b.name, "daily"))
        if b.kind == AUTOMATIC
        else b
        for b in found
    ]
    # Names have whole seconds: two made in the same second are told apart by the file's time.
    return sorted(listed, key=lambda b: (b.created_at, _mtime(b.path), b.name), reverse=True)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def prune_backups(data_dir: Path, now: datetime | None = None) -> list[Path]:
    """Delete the automatic backups the retention rule no longer keeps, and ``.part`` files
    left by an interrupted backup; returns what was deleted."""
    directory = backups_dir(data_dir)
    if not directory.is_dir():
        return []
    automatic = [
        b for p in directory.iterdir() if (b := _describe(p)) is not None and b.kind == AUTOMATIC
    ]
    keep = retain(((b.name, b.created_at) for b in automatic), _now(now))
    removed = [b.path for b in automatic if b.name not in keep]
    cutoff = time.time() - STALE_PART_S
    # A missing one (mtime 0) was just renamed into place by a backup finishing: skip it.
    removed += [
        p
        for p in directory.glob(f"streampai-*{PART_SUFFIX}")
        if 0 < _mtime(p) < cutoff * 1_000_000_000
    ]
    for path in removed:
        path.unlink(missing_ok=True)
        log.info("removed old backup %s", path.name)
    return removed


def backup_due(data_dir: Path, now: datetime | None = None) -> bool:
    """True when no automatic backup was made in the last 24 hours."""
    now = _now(now)
    return not any(
        b.kind in ("daily", "weekly") and now - DAILY_EVERY < b.created_at <= now
        for b in list_backups(data_dir, now)
    )


def find_backup(data_dir: Path, name: str) -> BackupFile:
    """The backup called ``name`` (as listed); :class:`BackupNotFound` if there is none."""
    for backup in list_backups(data_dir):
        if backup.name == name:
            return backup
    raise BackupNotFound(
        f"There is no backup called {name!r} in {backups_dir(data_dir)}. "
        "`streampai-desktop backup list` shows them."
    )


def database_path(data_dir: Path) -> Path:
    """The database file of a data folder."""
    return data_dir / DB_FILENAME


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)
