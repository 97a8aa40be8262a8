"""Blocking glue between the app's objects (events, widget specs, settings) and the store.

Each function opens one session, so each is one transaction. They run on the app's single
database thread (``App.run_db``); nothing here may be called from the event loop directly.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streampai_desktop.core.events import Event, EventError, event_from_json
from streampai_desktop.store import (
    Account,
    AccountRepo,
    Database,
    EventLogRepo,
    EventRecord,
    MetricRepo,
    MetricSample,
    OutboxRepo,
    PreferencesRepo,
    WidgetConfigRepo,
)
from streampai_desktop.widgets import WIDGETS
from streampai_desktop.widgets.schema import clean_name

log = logging.getLogger(__name__)

# What syncs to the account service is an allow-list: a field not named here (a token, the
# overlay port of this computer) never leaves the machine, whatever a later change adds.
WIDGET_ENTITY = "widget_config"
WIDGET_FIELDS = ("widget_type", "name", "config")
PREFERENCE_ENTITY = "preference"
SYNCED_PREFERENCES = frozenset({"theme", "demo_when_offline"})
# A connected account syncs without its tokens: another computer shows it as "sign in again".
# Its local id is "{platform}:{platform_user_id}", the same on every computer.
ACCOUNT_ENTITY = "account_settings"
ACCOUNT_FIELDS = ("platform", "platform_user_id", "login", "display_name", "enabled")


def account_sync_id(account: Account) -> str:
    return f"{account.platform}:{account.platform_user_id}"


def _account_patch(account: Account) -> dict[str, Any]:
    return {name: getattr(account, name) for name in ACCOUNT_FIELDS}


def load_preferences(db: Database) -> dict[str, Any]:
    with db.session() as session:
        return PreferencesRepo(session).get_all()


def save_preference(db: Database, key: str, value: Any) -> None:
    with db.session() as session:
        PreferencesRepo(session).set(key, value)
        if key in SYNCED_PREFERENCES:
            OutboxRepo(session).record(PREFERENCE_ENTITY, key, {"value": value})


@dataclass(frozen=True, slots=True)
class WidgetInstance:
    """One configured widget: its own URL (``/overlay/{id}``), name and config."""

    id: str
    type: str
    name: str
    config: dict[str, Any]


def load_widgets(db: Database) -> list[WidgetInstance]:
    """Every widget instance, creating the first one of each type (its id is the type's name, so
    the first URLs stay stable). Saved configs are repaired: a value this version cannot use falls
    back to its default with a warning, so a damaged config never leaves an overlay blank."""
    with db.session() as session:
        repo = WidgetConfigRepo(session)
        rows = repo.list()
        present = {row.widget_type for row in rows}
        for spec in WIDGETS.values():
            if spec.type not in present:
                rows.append(repo.create(spec.type, spec.title, spec.defaults, id=spec.type))
    instances = []
    for row in rows:
        found = WIDGETS.get(row.widget_type)
        if found is None:
            log.info("ignoring widget %s of unknown type %s", row.id, row.widget_type)
            continue
        config, problems = found.repair(row.config)
        for where, problem in problems.items():
            log.warning("%s %r: %s (%s); using the default", found.title, row.name, problem, where)
        instances.append(WidgetInstance(row.id, row.widget_type, row.name, config))
    return instances


def save_widget_config(db: Database, widget_id: str, config: dict[str, Any]) -> None:
    """Save a config and queue it for sync, in one transaction."""
    with db.session() as session:
        row = WidgetConfigRepo(session).update_config(widget_id, config)
        # widget_type rides along so another computer that never saw this instance can create it.
        patch = {"widget_type": row.widget_type, "config": config}
        OutboxRepo(session).record(WIDGET_ENTITY, widget_id, patch)


def create_widget(db: Database, widget_type: str, name: str) -> WidgetInstance:
    """A new instance of ``widget_type`` with default settings and its own URL."""
    spec = WIDGETS[widget_type]
    name = clean_name(name) or spec.title
    widget_id = f"{widget_type}-{uuid.uuid4().hex[:6]}"
    with db.session() as session:
        WidgetConfigRepo(session).create(widget_type, name, spec.defaults, id=widget_id)
        patch = {"widget_type": widget_type, "name": name, "config": spec.defaults}
        OutboxRepo(session).record(WIDGET_ENTITY, widget_id, patch)
    return WidgetInstance(widget_id, widget_type, name, spec.defaults)


def rename_widget(db: Database, widget_id: str, name: str) -> None:
    name = clean_name(name)
    if not name:
        raise ValueError("a widget needs a name")
    with db.session() as session:
        WidgetConfigRepo(session).rename(widget_id, name)
        OutboxRepo(session).record(WIDGET_ENTITY, widget_id, {"name": name})


def delete_widget(db: Database, widget_id: str) -> None:
    with db.session() as session:
        WidgetConfigRepo(session).delete(widget_id)
        OutboxRepo(session).record(WIDGET_ENTITY, widget_id, None)


def load_accounts(db: Database) -> list[Account]:
    with db.session() as session:
        return AccountRepo(session).list()


def save_account(
    db: Database, platform: str, platform_user_id: str, login: str, display_name: str
) -> Account:
    with db.session() as session:
        account = AccountRepo(session).upsert(platform, platform_user_id, login, display_name)
        OutboxRepo(session).record(
            ACCOUNT_ENTITY, account_sync_id(account), _account_patch(account)
        )
        return account


def remove_account(db: Database, account_id: str) -> None:
    with db.session() as session:
        repo = AccountRepo(session)
        account = repo.get(account_id)
        if account is not None and repo.remove(account_id):
            OutboxRepo(session).record(ACCOUNT_ENTITY, account_sync_id(account), None)


def add_metric_samples(db: Database, samples: Sequence[MetricSample]) -> None:
    with db.session() as session:
        MetricRepo(session).add_many(samples)


def metric_samples(
    db: Database, platform: str, metric: str, since: datetime, until: datetime
) -> list[MetricSample]:
    """Samples of one metric in [since, until), oldest first (the Dashboard's viewer chart)."""
    with db.session() as session:
        return MetricRepo(session).range(platform, metric, since, until)


def downsample_metrics(db: Database) -> int:
    """Keep a week of samples at full resolution; average older ones (see stream/metrics.py)."""
    from streampai_desktop.stream.metrics import downsample

    with db.session() as session:
        return downsample(session)


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


def queue_full_snapshot(db: Database) -> int:
    """Queue every synced row as an upsert: "keep this computer's config" on signing in to an
    account that already has one. Returns how many were queued."""
    with db.session() as session:
        outbox = OutboxRepo(session)
        count = 0
        for widget in WidgetConfigRepo(session).list():
            patch = {
                "widget_type": widget.widget_type,
                "name": widget.name,
                "config": widget.config,
            }
            outbox.record(WIDGET_ENTITY, widget.id, patch)
            count += 1
        prefs = PreferencesRepo(session)
        for key in sorted(SYNCED_PREFERENCES):
            value = prefs.get(key)
            if value is not None:
                outbox.record(PREFERENCE_ENTITY, key, {"value": value})
                count += 1
        return count


def discard_local_sync_state(db: Database) -> None:
    """ "Take the account's config": forget unpushed edits and pull everything from the start."""
    from streampai_desktop.store.models import SyncMetaRow

    with db.session() as session:
        OutboxRepo(session).acknowledge(2**62)
        row = session.get(SyncMetaRow, "cursor")
        if row is not None:
            row.value = 0
