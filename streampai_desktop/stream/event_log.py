"""The event log's two blocking ends: events in as records, records back out as events."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from streampai_desktop.core.events import Event, EventError, event_from_json
from streampai_desktop.store import Database, EventRecord
from streampai_desktop.store import operations as ops

log = logging.getLogger(__name__)


def write_events(db: Database, events: Sequence[Event]) -> None:
    """Append a batch to the event log (one transaction)."""
    ops.append_events(
        db,
        [
            EventRecord(
                platform=e.platform.value,
                event_id=e.id,
                kind=e.kind,
                at=e.at,
                payload=e.to_json(),
                test=e.test,
            )
            for e in events
        ],
    )


def recent_events(db: Database, limit: int) -> list[Event]:
    """Newest first; entries this version cannot read (from a newer one) are skipped, not fatal."""
    events: list[Event] = []
    for record in ops.recent_events(db, limit):
        try:
            events.append(event_from_json(record.payload))
        except EventError as exc:
            log.debug("skipping unreadable event-log entry %s: %s", record.event_id, exc)
    return events
