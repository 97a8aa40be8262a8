"""The SQLite engine (with our pragmas on every connection) and the :class:`Database` handle."""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

log = logging.getLogger(__name__)

DB_FILENAME = "streampai.db"
BUSY_TIMEOUT_MS = 5000

# Compact JSON that keeps emoji and non-Latin names readable in the file.
_json_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def create_sqlite_engine(path: Path, *, foreign_keys: bool = True, pooled: bool = True) -> Engine:
    """An engine for the SQLite file at ``path`` with WAL, busy timeout and real transactions.

    ``foreign_keys=False`` is only for migrations: Alembic's batch mode drops and recreates
    tables, which with foreign keys on would cascade-delete child rows. ``pooled=False`` gives an
    engine whose connections close as soon as they are released (used for one-off work).
    """
    engine = create_engine(
        # URL.create, not an f-string: a folder name may contain "?", "#" or "%".
        URL.create("sqlite+pysqlite", database=str(path)),
        # The app creates the engine on one thread and uses it on its single database thread.
        connect_args={"check_same_thread": False},
        json_serializer=_json_dumps,
        poolclass=None if pooled else NullPool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module, whose legacy mode never BEGINs
        # before DDL (a failed migration would then leave half its tables behind); the "begin"
        # hook below emits BEGIN instead. Pragmas run here, outside any transaction, because
        # journal_mode and foreign_keys are silently ignored inside one.
        dbapi_connection.isolation_level = None
        for pragma in (
            "journal_mode=WAL",
            f"foreign_keys={'ON' if foreign_keys else 'OFF'}",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            # With WAL, NORMAL is still safe against corruption and much faster than FULL; at
            # worst the last transactions before a power cut are lost.
            "synchronous=NORMAL",
        ):
            dbapi_connection.execute(f"PRAGMA {pragma}").close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


class Database:
    """The open desktop database. Blocking; use it from one thread at a time.

    Get one from :func:`streampai_desktop.store.open_database`, which also migrates it.
    """

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._closed = False

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        if self._closed:
            raise RuntimeError(f"the database at {self.path} is closed")
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        """Close every connection (SQLite then folds the WAL back into the file). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.engine.dispose()
        log.debug("closed database %s", self.path)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Database {self.path} ({state})>"
