"""The SQLite engine (with our pragmas on every connection) and the :class:`Database` handle.

SQLAlchemy is imported when the first session opens, not when the database opens: an ordinary
launch only reads (preferences, widget configs, accounts), which :mod:`.reads` does with plain
``sqlite3`` through :meth:`Database.read`, and importing SQLAlchemy would double the time to a
ready overlay server.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker
    from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

DB_FILENAME = "streampai.db"
BUSY_TIMEOUT_MS = 5000

# Compact JSON that keeps emoji and non-Latin names readable in the file.
_stdlib_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def _json_dumps(value: object) -> str:
    """orjson first: every logged event is serialised here, on the event log's thread, and
    json.dumps cost more than the rest of the chat path (it held the GIL the overlays need).
    What orjson refuses (non-str dict keys, ints beyond 64 bits) goes the standard way."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _stdlib_dumps(value)


def create_sqlite_engine(path: Path, *, foreign_keys: bool = True, pooled: bool = True) -> Engine:
    """An engine for the SQLite file at ``path`` with WAL, busy timeout and real transactions.

    ``foreign_keys=False`` is only for migrations: Alembic's batch mode drops and recreates
    tables, which with foreign keys on would cascade-delete child rows. ``pooled=False`` gives an
    engine whose connections close as soon as they are released (used for one-off work).
    """
    from sqlalchemy import URL, create_engine, event
    from sqlalchemy.pool import NullPool

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

    Get one from :func:`streampai_desktop.store.open_database`, which also migrates it. The
    engine (and SQLAlchemy with it) is created on first use of :attr:`engine` or
    :meth:`session`; :meth:`read` needs neither.
    """

    def __init__(self, path: Path, engine: Engine | None = None) -> None:
        self.path = path
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None
        self._reader: sqlite3.Connection | None = None
        self._closed = False

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created (and SQLAlchemy imported) on first use."""
        self._check_open()
        if self._engine is None:
            self._engine = create_sqlite_engine(self.path)
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        self._check_open()
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self._sessions() as session, session.begin():
            yield session

    def read(self) -> sqlite3.Connection:
        """A plain read-only ``sqlite3`` connection (kept open) for the reads in :mod:`.reads`.

        Each statement on it is its own transaction (fetch every row, so none stays open);
        ``query_only`` makes any write fail.
        """
        self._check_open()
        if self._reader is None:
            reader = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,  # opened on the database thread, like the engine's
            )
            reader.execute("PRAGMA query_only=ON").close()
            self._reader = reader
        return self._reader

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"the database at {self.path} is closed")

    def close(self) -> None:
        """Close every connection (SQLite then folds the WAL back into the file). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.close()
        if self._engine is not None:
            self._engine.dispose()
        log.debug("closed database %s", self.path)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Database {self.path} ({state})>"
