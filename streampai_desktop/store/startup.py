"""Opening the database at start-up: check the file, set aside what we can't use, migrate.

Everything here is blocking; the app runs it on its database thread.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from streampai_desktop.store import migrate
from streampai_desktop.store.db import DB_FILENAME, Database, create_sqlite_engine
from streampai_desktop.store.errors import BackupFailed, MigrationFailed

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 database


@dataclass
class OpenedDatabase:
    """The open database and what the streamer should be told about opening it."""

    db: Database
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _FileState:
    revision: str | None
    has_data: bool  # any table besides alembic_version: a copy is worth keeping


class _Unusable(Exception):
    """The file can't be used by this version; ``kind`` becomes part of the moved file's name."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def open_database(data_dir: Path) -> OpenedDatabase:
    """Open ``{data_dir}/streampai.db``, creating or migrating it to this version's schema.

    * A new database is created at the current schema.
    * An existing database behind the current schema is copied to ``backups/`` first (the
      newest five copies are kept), then migrated in one transaction.
    * A file that is not a readable SQLite database, fails ``PRAGMA quick_check`` or comes from
      a newer version is renamed (never deleted) and a fresh database takes its place.

    ``notices`` holds a sentence for the user for each of the last two. Raises
    :class:`BackupFailed` or :class:`MigrationFailed` (messages written for the user; the
    database is unchanged in both cases) and lets ``OSError``/``sqlite3.OperationalError``
    through for problems moving aside would not fix (permissions, locks, a full disk).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DB_FILENAME
    notices: list[str] = []
    state = _FileState(revision=None, has_data=False)
    if path.exists():
        try:
            state = _inspect(path)
        except _Unusable as unusable:
            notices.append(_set_aside(path, unusable))
    _migrate(path, state, notices)
    db = Database(path)  # its engine, and SQLAlchemy, come with the first session
    log.info("database ready: %s (schema %s)", path, migrate.head_revision())
    return OpenedDatabase(db=db, notices=notices)


def _inspect(path: Path) -> _FileState:
    """What revision the existing file is at; raises :class:`_Unusable` if we can't use it."""
    # Look before SQLite does: opening a file without a valid header deletes the -wal and -shm
    # files next to it, and those belong to what we are about to move aside.
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        raise _Unusable("corrupt", "file is not a database")
    # Plain sqlite3, no pragmas, and never creating a file. Read-write on purpose: closing this
    # (last) connection folds a leftover WAL into the file and removes the -wal/-shm files, so a
    # file we then set aside is one self-contained database. A read-only connection would
    # leave new empty -wal/-shm files behind instead.
    try:
        with closing(sqlite3.connect(path.as_uri() + "?mode=rw", uri=True)) as connection:
            check = [row[0] for row in connection.execute("PRAGMA quick_check")]
            if check != ["ok"]:
                raise _Unusable("corrupt", f"integrity check failed: {_first_problem(check)}")
            tables = {
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            }
            revisions = (
                [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
    except sqlite3.OperationalError:
        raise  # locked, no permission, I/O error: renaming the file would not help
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
        raise _Unusable("corrupt", str(exc)) from exc
    unknown = sorted(set(revisions) - migrate.known_revisions())
    if unknown:
        raise _Unusable("newer", f"schema revision {', '.join(unknown)}")
    return _FileState(
        revision=revisions[0] if revisions else None,
        has_data=bool(tables - {"alembic_version"}),
    )


def _first_problem(check: list[str]) -> str:
    """The first line of ``quick_check`` output that names a problem (for the notice)."""
    lines = [line for row in check for line in row.splitlines() if not line.startswith("***")]
    return lines[0] if lines else "unknown problem"


def _set_aside(path: Path, unusable: _Unusable) -> str:
    """Rename the unusable file and return the notice that says where it went."""
    from streampai_desktop.store import backup

    moved = backup.move_aside(path, unusable.kind)
    if unusable.kind == "newer":
        notice = (
            f"The database at {path} was written by a newer version of Streampai Desktop "
            f"({unusable.detail}) and this version cannot read it. It was moved to {moved} and "
            "a fresh one was created; nothing was deleted. Install the newer version again to "
            "get your data back."
        )
    else:
        notice = (
            f"The database at {path} could not be opened ({unusable.detail}). It was moved to "
            f"{moved} and a fresh one was created; nothing was deleted."
        )
    log.warning("%s", notice)
    return notice


def _migrate(path: Path, state: _FileState, notices: list[str]) -> None:
    """Bring the file at ``path`` (new, empty or behind) up to the head revision."""
    head = migrate.head_revision()
    if state.revision == head:
        return
    if state.revision is None and not state.has_data:
        _create_at_head(path, head)
        return
    from streampai_desktop.store import backup  # only an update or a bad file needs it

    copy: Path | None = None
    if state.has_data:
        try:
            copy = backup.backup_database(path, state.revision)
        except (OSError, sqlite3.Error) as exc:
            raise BackupFailed(
                f"Could not keep a copy of the database at {path} before updating it ({exc}), "
                f"so it was not updated. Check that there is free space in {path.parent} and "
                "start again."
            ) from exc
    # Its own short-lived engine with foreign keys off: batch migrations recreate tables, which
    # would otherwise cascade deletes into child rows. upgrade() checks the keys afterwards.
    engine = create_sqlite_engine(path, foreign_keys=False, pooled=False)
    try:
        migrate.upgrade(engine)
    except Exception as exc:
        where = f"; a copy from before the update is at {copy}" if copy else ""
        raise MigrationFailed(
            f"Updating the database at {path} for this version failed ({exc}). The database "
            f"was left as it was{where}."
        ) from exc
    finally:
        engine.dispose()
    if copy is not None:
        notices.append(
            "The database was updated for this version of Streampai Desktop. A copy from "
            f"before the update is at {copy}."
        )
    log.info("migrated %s from %s to %s", path, state.revision or "nothing", head)


def _create_at_head(path: Path, head: str) -> None:
    """A new database: create the current schema and record it as ``head``, in one transaction.

    The same result as running every migration (a test compares the two schemas), without
    importing Alembic on a streamer's first start (a tenth of a second and ~20 MiB).
    """
    from streampai_desktop.store.models import Base

    engine = create_sqlite_engine(path, pooled=False)
    try:
        with engine.begin() as connection:
            Base.metadata.create_all(connection)
            # The table may exist, empty (a database downgraded to nothing).
            connection.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
            connection.exec_driver_sql("DELETE FROM alembic_version")
            connection.exec_driver_sql("INSERT INTO alembic_version VALUES (?)", (head,))
    finally:
        engine.dispose()
    log.info("created %s at schema %s", path, head)
