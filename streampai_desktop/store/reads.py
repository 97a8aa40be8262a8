"""What every launch reads, in plain ``sqlite3``: preferences, widget configs, accounts, the
newest events, how many edits wait to sync.

An ordinary start only reads the database, and importing SQLAlchemy for that alone would take
longer than the rest of the start-up together, so these few queries run on
:meth:`Database.read <streampai_desktop.store.db.Database.read>`'s connection instead. They return
exactly what the repositories return for the same rows (``tests/unit/test_store_repos.py``
compares them): values decoded the way the models' column types decode them (JSON text,
0/1 booleans, naive-UTC datetime text read back as tz-aware UTC).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.store.records import Account, EventRecord, WidgetConfig


def _json(value: str | float | None) -> Any:
    # The models' JSON columns, read as SQLAlchemy's SQLite JSON type reads them: the declared
    # type "JSON" has numeric affinity, so SQLite keeps a JSON number as a number (returned as it
    # is); everything else is JSON text. Python None is stored as JSON null; SQL NULL is None too.
    if value is None or isinstance(value, int | float):
        return value
    return json.loads(value)


def _utc(text: str) -> datetime:
    # UTCDateTime: naive UTC in SQLAlchemy's SQLite format, which fromisoformat reads.
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def preferences(connection: sqlite3.Connection) -> dict[str, Any]:
    """Every stored preference as ``{key: value}`` (``PreferencesRepo.get_all``)."""
    rows = connection.execute("SELECT key, value FROM preferences").fetchall()
    return {key: _json(value) for key, value in rows}


def widget_configs(connection: sqlite3.Connection) -> list[WidgetConfig]:
    """All widget instances, oldest first (``WidgetConfigRepo.list``)."""
    rows = connection.execute(
        "SELECT id, widget_type, name, config, created_at, updated_at FROM widget_configs "
        "ORDER BY created_at, id"
    ).fetchall()
    return [
        WidgetConfig(
            id=id,
            widget_type=widget_type,
            name=name,
            config=_json(config),
            created_at=_utc(created_at),
            updated_at=_utc(updated_at),
        )
        for id, widget_type, name, config, created_at, updated_at in rows
    ]


def accounts(connection: sqlite3.Connection) -> list[Account]:
    """Every account, in the order they were connected (``AccountRepo.list``)."""
    rows = connection.execute(
        "SELECT id, platform, platform_user_id, login, display_name, enabled, created_at, "
        "updated_at FROM accounts ORDER BY created_at, id"
    ).fetchall()
    return [
        Account(
            id=row[0],
            platform=row[1],
            platform_user_id=row[2],
            login=row[3],
            display_name=row[4],
            enabled=bool(row[5]),
            created_at=_utc(row[6]),
            updated_at=_utc(row[7]),
        )
        for row in rows
    ]


def any_account_enabled(connection: sqlite3.Connection) -> bool:
    """Whether at least one account is enabled (``AccountRepo.any_enabled``)."""
    return bool(connection.execute("SELECT 1 FROM accounts WHERE enabled IS 1 LIMIT 1").fetchall())


def outbox_count(connection: sqlite3.Connection) -> int:
    """How many local edits wait to be pushed (``OutboxRepo.count``; the Account page shows it)."""
    return int(connection.execute("SELECT count(*) FROM sync_outbox").fetchall()[0][0])


def recent_events(connection: sqlite3.Connection, limit: int) -> list[EventRecord]:
    """The newest ``limit`` logged events, newest first (``EventLogRepo.recent``)."""
    rows = connection.execute(
        "SELECT platform, event_id, kind, at, payload, test FROM event_log "
        "ORDER BY at DESC, id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        EventRecord(
            platform=platform,
            event_id=event_id,
            kind=kind,
            at=_utc(at),
            payload=_json(payload),
            test=bool(test),
        )
        for platform, event_id, kind, at, payload, test in rows
    ]
