"""Blocking glue between the app's objects (events, widget specs, settings) and the store.

Each function opens one session, so each is one transaction. They run on the app's single
database thread (``App.run_db``); nothing here may be called from the event loop directly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from streampai_desktop.core.events import Event, EventError, event_from_json
from streampai_desktop.store import (
    AccountRepo,
    Database,
    EventLogRepo,
    EventRecord,
    PreferencesRepo,
    WidgetConfigRepo,
)
from streampai_desktop.widgets import WidgetSpec

log = logging.getLogger(__name__)


def load_preferences(db: Database) -> dict[str, Any]:
    with db.session() as session:
        return PreferencesRepo(session).get_all()


def save_preference(db: Database, key: str, value: Any) -> None:
    with db.session() as session:
        PreferencesRepo(session).set(key, value)


def ensure_widget_config(db: Database, spec: WidgetSpec) -> dict[str, Any]:
    """The saved config over the defaults (a key added in a new version gets its default)."""
    with db.session() as session:
        row = WidgetConfigRepo(session).ensure_default(spec.type, spec.title, dict(spec.defaults))
    return {**spec.defaults, **row.config}


def save_widget_config(db: Database, widget_type: str, config: dict[str, Any]) -> None:
    with db.session() as session:
        repo = WidgetConfigRepo(session)
        row = repo.ensure_default(widget_type, widget_type, config)
        repo.update_config(row.id, config)


def any_account_enabled(db: Database) -> bool:
    with db.session() as session:
        return AccountRepo(session).any_enabled()


def append_events(db: Database, events: Sequence[Event]) -> None:
    records = [
        EventRecord(
            platform=e.platform.value,
            event_id=e.id,
            kind=e.kind,
            at=e.at,
            payload=e.to_json(),
            test=e.test,
        )
        for e in events
    ]
    with db.session() as session:
        EventLogRepo(session).append_many(records)


def recent_events(db: Database, limit: int) -> list[Event]:
    """Newest first; entries this version cannot read (from a newer one) are skipped, not fatal."""
    with db.session() as session:
        records = EventLogRepo(session).recent(limit=limit)
    events: list[Event] = []
    for record in records:
        try:
            events.append(event_from_json(record.payload))
        except EventError as exc:
            log.debug("skipping unreadable event-log entry %s: %s", record.event_id, exc)
    return events
