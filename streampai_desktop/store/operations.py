"""The app's transactions: each function opens one session, so each is one transaction; the
reads every launch makes are one plain-``sqlite3`` query each instead (:mod:`.reads`).

They run on the app's single database thread (``Database``'s executor, see ``store/runner.py``);
nothing here may be called from the event loop directly. Like the rest of ``store/``, this module
knows records, not the app's objects: widget specs and event classes live above it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from streampai_desktop.store import config_paths, reads, writes
from streampai_desktop.store.metrics import downsample, needs_downsampling
from streampai_desktop.store.records import (
    Account,
    EventRecord,
    MetricSample,
    WidgetConfig,
)

if TYPE_CHECKING:
    from streampai_desktop.store.db import Database

# The repositories (and SQLAlchemy with them) are imported by the functions that use them, on
# the database thread, so an ordinary start, which only reads, never imports SQLAlchemy.

# What syncs to the account service is an allow-list: a field not named here (a token, the
# overlay port of this computer) never leaves the machine, whatever a later change adds.
WIDGET_ENTITY = "widget_config"
# A widget's config syncs per setting: one field per key path, ``config.font_size`` (see
# store/config_paths.py); "config" here stands for all of them.
WIDGET_FIELDS = ("widget_type", "name", "config")
PREFERENCE_ENTITY = "preference"
SYNCED_PREFERENCES = frozenset({"theme", "demo_when_offline"})
# A connected account syncs without its tokens: another computer shows it as "sign in again".
# Its local id is "{platform}:{platform_user_id}", the same on every computer.
ACCOUNT_ENTITY = "account_settings"
ACCOUNT_FIELDS = ("platform", "platform_user_id", "login", "display_name", "enabled")


def account_sync_id(account: Account) -> str:
    return f"{account.platform}:{account.platform_user_id}"


def widget_patch(
    widget_type: str, config: dict[str, Any], name: str | None = None
) -> dict[str, Any]:
    """A whole widget as synced fields (a new widget, an import, a full snapshot)."""
    patch: dict[str, Any] = {"widget_type": widget_type}
    if name is not None:
        patch["name"] = name
    patch.update(config_paths.flatten(config))
    return patch


def _account_patch(account: Account) -> dict[str, Any]:
    return {name: getattr(account, name) for name in ACCOUNT_FIELDS}


def load_preferences(db: Database) -> dict[str, Any]:
    return reads.preferences(db.read())


def save_preference(db: Database, key: str, value: Any) -> None:
    from streampai_desktop.store.repositories import OutboxRepo, PreferencesRepo

    with db.session() as session:
        PreferencesRepo(session).set(key, value)
        if key in SYNCED_PREFERENCES:
            OutboxRepo(session).record(PREFERENCE_ENTITY, key, {"value": value})


def ensure_widgets(
    db: Database, first_instances: Sequence[tuple[str, str, dict[str, Any]]]
) -> list[WidgetConfig]:
    """Every widget row, creating the first one of each ``(type, title, defaults)`` that is
    missing (its id is the type's name, so the first URLs stay stable)."""
    rows = reads.widget_configs(db.read())
    if {row.widget_type for row in rows} >= {widget_type for widget_type, _, _ in first_instances}:
        return rows  # every launch but the first: nothing to create, no session needed
    from streampai_desktop.store.repositories import WidgetConfigRepo

    with db.session() as session:
        repo = WidgetConfigRepo(session)
        rows = repo.list()
        present = {row.widget_type for row in rows}
        for widget_type, title, defaults in first_instances:
            if widget_type not in present:
                rows.append(repo.create(widget_type, title, defaults, id=widget_type))
        return rows


def save_widget_config(db: Database, widget_id: str, config: dict[str, Any]) -> None:
    """Save a config and queue the settings that changed for sync, in one transaction."""
    from streampai_desktop.store.repositories import OutboxRepo, WidgetConfigRepo

    with db.session() as session:
        repo = WidgetConfigRepo(session)
        before = repo.get(widget_id)
        row = repo.update_config(widget_id, config)
        changed = config_paths.changes(before.config if before else {}, config)
        if changed:
            # widget_type rides along so another computer that never saw this instance can
            # create it.
            patch = {"widget_type": row.widget_type, **changed}
            OutboxRepo(session).record(WIDGET_ENTITY, widget_id, patch)


def force_widget_setting(db: Database, widget_id: str, field: str, value: Any) -> None:
    """Queue one setting as a new edit even though the local config already has that value
    (re-asserting it against another computer's)."""
    from streampai_desktop.store.repositories import OutboxRepo, WidgetConfigRepo

    with db.session() as session:
        row = WidgetConfigRepo(session).get(widget_id)
        if row is not None:
            patch = {"widget_type": row.widget_type, field: value}
            OutboxRepo(session).record(WIDGET_ENTITY, widget_id, patch)


def create_widget(
    db: Database, widget_type: str, widget_id: str, name: str, config: dict[str, Any]
) -> None:
    """A new widget row, queued for sync (``name`` already cleaned by the caller)."""
    from streampai_desktop.store.repositories import OutboxRepo, WidgetConfigRepo

    with db.session() as session:
        WidgetConfigRepo(session).create(widget_type, name, config, id=widget_id)
        patch = widget_patch(widget_type, config, name)
        OutboxRepo(session).record(WIDGET_ENTITY, widget_id, patch)


def rename_widget(db: Database, widget_id: str, name: str) -> None:
    """Rename (``name`` already cleaned and non-empty) and queue it for sync."""
    from streampai_desktop.store.repositories import OutboxRepo, WidgetConfigRepo

    with db.session() as session:
        WidgetConfigRepo(session).rename(widget_id, name)
        OutboxRepo(session).record(WIDGET_ENTITY, widget_id, {"name": name})


def delete_widget(db: Database, widget_id: str) -> None:
    from streampai_desktop.store.repositories import OutboxRepo, WidgetConfigRepo

    with db.session() as session:
        WidgetConfigRepo(session).delete(widget_id)
        OutboxRepo(session).record(WIDGET_ENTITY, widget_id, None)


def add_imported(
    db: Database,
    widgets: Sequence[tuple[str, str, str, dict[str, Any]]],
    preferences: Mapping[str, Any],
    new_id: Callable[[str], str],
) -> list[str]:
    """Add ``(id, type, name, config)`` widgets and save ``preferences`` from an import, in one
    transaction (all or nothing), each queued for sync like an edit made here.

    A widget whose id is taken here gets ``new_id(type)`` instead: an import only adds, it
    never overwrites. Returns the ids used, in order.
    """
    from streampai_desktop.store.repositories import OutboxRepo, PreferencesRepo, WidgetConfigRepo

    with db.session() as session:
        repo, outbox = WidgetConfigRepo(session), OutboxRepo(session)
        used = []
        for widget_id, widget_type, name, config in widgets:
            while repo.get(widget_id) is not None:
                widget_id = new_id(widget_type)
            repo.create(widget_type, name, config, id=widget_id)
            outbox.record(WIDGET_ENTITY, widget_id, widget_patch(widget_type, config, name))
            used.append(widget_id)
        for key, value in preferences.items():
            PreferencesRepo(session).set(key, value)
            if key in SYNCED_PREFERENCES:
                outbox.record(PREFERENCE_ENTITY, key, {"value": value})
        return used


def load_accounts(db: Database) -> list[Account]:
    return reads.accounts(db.read())


def save_account(
    db: Database, platform: str, platform_user_id: str, login: str, display_name: str
) -> Account:
    from streampai_desktop.store.repositories import AccountRepo, OutboxRepo

    with db.session() as session:
        account = AccountRepo(session).upsert(platform, platform_user_id, login, display_name)
        OutboxRepo(session).record(
            ACCOUNT_ENTITY, account_sync_id(account), _account_patch(account)
        )
        return account


def remove_account(db: Database, account_id: str) -> None:
    from streampai_desktop.store.repositories import AccountRepo, OutboxRepo

    with db.session() as session:
        repo = AccountRepo(session)
        account = repo.get(account_id)
        if account is not None and repo.remove(account_id):
            OutboxRepo(session).record(ACCOUNT_ENTITY, account_sync_id(account), None)


def add_metric_samples(db: Database, samples: Sequence[MetricSample]) -> None:
    from streampai_desktop.store.repositories import MetricRepo

    with db.session() as session:
        MetricRepo(session).add_many(samples)


def metric_samples(
    db: Database, platform: str, metric: str, since: datetime, until: datetime
) -> list[MetricSample]:
    """Samples of one metric in [since, until), oldest first (the Dashboard's viewer chart)."""
    from streampai_desktop.store.repositories import MetricRepo

    with db.session() as session:
        return MetricRepo(session).range(platform, metric, since, until)


def downsample_metrics(db: Database) -> int:
    """Keep a week of samples at full resolution; average older ones (see store/metrics.py)."""
    if not needs_downsampling(db.read()):
        return 0  # nearly every start: no session (and no SQLAlchemy) needed
    with db.session() as session:
        return downsample(session)


def any_account_enabled(db: Database) -> bool:
    return reads.any_account_enabled(db.read())


def append_events(db: Database, records: Sequence[EventRecord]) -> None:
    # The chat path's write: plain sqlite3 (see store/writes.py), not the ORM.
    writes.append_events(db, records)


def recent_events(db: Database, limit: int) -> list[EventRecord]:
    """The newest event-log entries, newest first."""
    return reads.recent_events(db.read(), limit)


def diagnostics_snapshot(db: Database) -> dict[str, Any]:
    """Preferences, widget configs and connected accounts (the database holds no secrets)."""
    from dataclasses import asdict

    from streampai_desktop.store.repositories import AccountRepo, PreferencesRepo, WidgetConfigRepo

    with db.session() as session:
        return {
            "preferences": PreferencesRepo(session).get_all(),
            "widgets": [asdict(w) for w in WidgetConfigRepo(session).list()],
            "accounts": [asdict(a) for a in AccountRepo(session).list()],
        }
