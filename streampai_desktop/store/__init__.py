"""The local SQLite database: widget configs, accounts, preferences, event log, metrics.

Open it once at start-up with :func:`open_database` (creates, checks, backs up and migrates),
then work in short transactions::

    opened = open_database(data_dir)          # blocking: run it on the database thread
    for notice in opened.notices:             # e.g. "... was moved to X; nothing was deleted"
        show(notice)
    with opened.db.session() as session:      # one transaction: commit on success, else rollback
        PreferencesRepo(session).set("overlay_port", 8642)
        widget = WidgetConfigRepo(session).ensure_default("alert_box", "Alert box", defaults)
    opened.db.close()

Conventions:

* Every repository takes a :class:`~sqlalchemy.orm.Session` from ``Database.session()``, so
  several repositories used in one ``with`` block share one transaction.
* Repositories return frozen dataclasses (:mod:`.records`), never ORM rows, so results can be
  handed to another thread after the session closes.
* Datetimes go in tz-aware (naive ones are refused) and come out as UTC.
* All of it is blocking and meant for one thread at a time (the app's database executor).
* No Qt; from :mod:`streampai_desktop.core` only its errors (exit codes, user-facing messages).
"""

from typing import TYPE_CHECKING, Any

from streampai_desktop.store.db import DB_FILENAME, Database
from streampai_desktop.store.errors import (
    BackupFailed,
    MigrationFailed,
    RecordNotFound,
    StoreError,
)
from streampai_desktop.store.records import (
    Account,
    EventRecord,
    MetricSample,
    OutboxEntry,
    WidgetConfig,
)
from streampai_desktop.store.startup import OpenedDatabase, open_database

if TYPE_CHECKING:
    from streampai_desktop.store.repositories import (
        AccountRepo,
        EventLogRepo,
        MetricRepo,
        OutboxRepo,
        PreferencesRepo,
        WidgetConfigRepo,
    )

# The repositories import SQLAlchemy, which an ordinary launch does not need (see .reads): they
# are loaded on first use of one of these names.
_REPOSITORIES = frozenset(
    {
        "AccountRepo",
        "EventLogRepo",
        "MetricRepo",
        "OutboxRepo",
        "PreferencesRepo",
        "WidgetConfigRepo",
    }
)


def __getattr__(name: str) -> Any:
    if name in _REPOSITORIES:
        from streampai_desktop.store import repositories

        return getattr(repositories, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DB_FILENAME",
    "Account",
    "AccountRepo",
    "BackupFailed",
    "Database",
    "EventLogRepo",
    "EventRecord",
    "MetricRepo",
    "MetricSample",
    "MigrationFailed",
    "OpenedDatabase",
    "OutboxEntry",
    "OutboxRepo",
    "PreferencesRepo",
    "RecordNotFound",
    "StoreError",
    "WidgetConfig",
    "WidgetConfigRepo",
    "open_database",
]
