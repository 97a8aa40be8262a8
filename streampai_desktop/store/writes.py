"""The event log's batch insert, in plain ``sqlite3``: the one write on the chat path.

In a chat flood every message is logged, and SQLAlchemy's ORM bulk insert cost more than the
rest of the app's path together (its statement and parameter processing, on the event log's
thread, holding the GIL the overlays need). This does what
:meth:`EventLogRepo.append_many <streampai_desktop.store.repositories.EventLogRepo.append_many>`
does, with one ``executemany`` on a connection from the engine's pool (so it has the pragmas),
and stores exactly the same values: ``tests/unit/test_store_writes.py`` compares the rows the two
write for the same records.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from streampai_desktop.store.db import Database, _json_dumps
from streampai_desktop.store.records import EventRecord

# (platform, event_id) is the event log's dedupe key: a redelivered event keeps its first copy.
_INSERT = (
    "INSERT INTO event_log (platform, event_id, kind, at, payload, test, recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, event_id) DO NOTHING"
)


ROWS_BETWEEN_YIELDS = 50  # rows built between two chances for the event loop to run


def utc_text(value: datetime) -> str:
    """``value`` as the models' UTCDateTime stores it: naive UTC in SQLAlchemy's SQLite format
    (microseconds always written, so the text sorts as the times do)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _row(record: EventRecord, recorded_at: str) -> tuple[object, ...]:
    if not isinstance(record.payload, dict):
        raise TypeError(f"payload must be a dict (a JSON object), not {type(record.payload)}")
    return (
        record.platform,
        record.event_id,
        record.kind,
        utc_text(record.at),
        _json_dumps(record.payload),
        int(record.test),
        recorded_at,
    )


def append_events(db: Database, records: Sequence[EventRecord]) -> int:
    """Append a batch to the event log in one transaction; how many were new (a record whose
    (platform, event_id) is already logged, or repeated in the batch, is not stored again)."""
    if not records:
        return 0
    recorded_at = utc_text(datetime.now(UTC))
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(records), ROWS_BETWEEN_YIELDS):
        if start:
            # Building a row is Python work under the GIL; a batch of 500 held it for
            # milliseconds at a time, and the event loop (the overlays' chat) waited that long.
            # Let it run between slices: the log is on disk a moment later, chat is not late.
            time.sleep(0)
        chunk = records[start : start + ROWS_BETWEEN_YIELDS]
        rows.extend(_row(r, recorded_at) for r in chunk)  # bad input fails before the write
    pooled = db.engine.raw_connection()
    try:
        connection = pooled.driver_connection
        assert connection is not None
        before = connection.total_changes
        connection.execute("BEGIN")
        try:
            connection.executemany(_INSERT, rows)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return int(connection.total_changes - before)
    finally:
        pooled.close()  # back to the pool
