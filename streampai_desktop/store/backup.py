"""Copies kept before migrations, and moving an unusable database file out of the way.

Both only ever add files or rename the user's file; the one thing deleted is our own surplus
pre-migration copies beyond the newest :data:`KEEP_BACKUPS`.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

BACKUP_DIRNAME = "backups"
KEEP_BACKUPS = 5
# SQLite keeps uncommitted and not-yet-checkpointed pages in these files next to the database.
SIDECAR_SUFFIXES = ("-wal", "-shm")

PRE_MIGRATION_NAME = re.compile(r"^streampai-(?P<rev>.+)-(?P<ts>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.db$")


def utc_timestamp(now: datetime | None = None) -> str:
    """A compact, sortable UTC timestamp for file names, e.g. ``20250301T174502Z``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def free_name(directory: Path, stem: str, suffix: str = "") -> Path:
    """``directory/stem+suffix``, or ``stem-2+suffix``, ... if that (or its WAL files) exists.

    Renaming onto an existing path would replace it on POSIX, losing an earlier copy.
    """
    n = 1
    while True:
        name = f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}"
        candidate = directory / name
        taken = [candidate, *(Path(f"{candidate}{s}") for s in SIDECAR_SUFFIXES)]
        if not any(p.exists() for p in taken):
            return candidate
        n += 1


def backup_database(db_path: Path, revision: str | None, now: datetime | None = None) -> Path:
    """Copy ``db_path`` into ``backups/streampai-{rev}-{time}.db`` with SQLite's backup API.

    The backup API (unlike a file copy) also picks up pages still in the WAL file and gives a
    consistent snapshot. The copy is a single self-contained file (rollback journal, not WAL) so
    the user can move or open it on its own. Returns the copy's path; prunes old copies.
    """
    directory = db_path.parent / BACKUP_DIRNAME
    directory.mkdir(parents=True, exist_ok=True)
    target = free_name(directory, f"streampai-{revision or 'none'}-{utc_timestamp(now)}", ".db")
    try:
        with (
            closing(sqlite3.connect(db_path.as_uri() + "?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE").close()
    except BaseException:
        target.unlink(missing_ok=True)  # never leave a half-written copy that looks complete
        raise
    log.info("backed up %s to %s", db_path, target)
    prune_backups(directory)
    return target


def prune_backups(directory: Path, keep: int = KEEP_BACKUPS) -> list[Path]:
    """Delete all but the newest ``keep`` pre-migration copies in ``directory``; return them.

    Only files named like our own copies are considered, so anything else the user put in the
    folder stays. Age comes from the timestamp in the name, not the file's mtime, which changes
    when a user copies files around.
    """
    ours: list[tuple[str, int, Path]] = []
    for path in directory.iterdir():
        match = PRE_MIGRATION_NAME.match(path.name)
        if match and path.is_file():
            ours.append((match["ts"], int(match["n"] or 1), path))
    ours.sort(reverse=True)
    removed = [path for _, _, path in ours[keep:]]
    for path in removed:
        path.unlink(missing_ok=True)
        for suffix in SIDECAR_SUFFIXES:  # present if someone opened the copy with sqlite
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        log.info("removed old database backup %s", path)
    return removed


def move_aside(db_path: Path, reason: str, now: datetime | None = None) -> Path:
    """Rename ``db_path`` to ``{name}.{reason}-{time}`` (with its WAL files); return the new path.

    The WAL files keep matching names (``X-wal`` next to ``X``) so SQLite still finds them if
    someone opens the moved file to recover data.
    """
    target = free_name(db_path.parent, f"{db_path.name}.{reason}-{utc_timestamp(now)}")
    # Sidecars first: SQLite would replay a leftover WAL into the fresh database created under
    # the old name, so the main file must never move while its WAL stays behind.
    for suffix in SIDECAR_SUFFIXES:
        sidecar = Path(f"{db_path}{suffix}")
        if sidecar.exists():
            sidecar.rename(f"{target}{suffix}")
    db_path.rename(target)
    return target
