"""The sync engine's side of the database: the outbox, the pull cursor, applying pulled pages.

Every function is one transaction on the app's database thread. The engine
(:mod:`streampai_desktop.cloud.engine`) decides when to push and pull; the rules for what a
pulled change does to a local row live here, next to the rows:

- a pulled page and the new cursor are applied in one transaction, so a crash never leaves half
  a page applied or a cursor past changes that were not;
- a field with a local edit still in the outbox keeps the local value (the service will order
  our edit, and the final value comes back in a later pull);
- a local delete still in the outbox wins over a pulled change to the same row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from streampai_desktop.store import reads
from streampai_desktop.store.operations import (
    ACCOUNT_ENTITY,
    PREFERENCE_ENTITY,
    SYNCED_PREFERENCES,
    WIDGET_ENTITY,
    WIDGET_FIELDS,
    account_sync_id,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from streampai_desktop.store.db import Database
    from streampai_desktop.store.repositories import AccountRepo, WidgetConfigRepo

# The models and repositories (SQLAlchemy) are imported inside the functions: the app imports
# this module at start-up (the account service), while these run only once sync does.

PUSH_BATCH = 200
_DELETED = "*deleted*"  # marks a row whose local delete is still in the outbox
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Change:
    """One row as the service has it now: ``fields`` None means deleted (a tombstone)."""

    entity: str
    row_id: str
    version: int
    fields: dict[str, Any] | None


PushedValues = dict[tuple[str, str, str], Any]
"""(entity, row id, field) → the value this device pushed, until a pull shows what won."""


def _meta(session: Session, key: str, default: Any = None) -> Any:
    from streampai_desktop.store.models import SyncMetaRow

    row = session.get(SyncMetaRow, key)
    return default if row is None else row.value


def _set_meta(session: Session, key: str, value: Any) -> None:
    from streampai_desktop.store.models import SyncMetaRow

    row = session.get(SyncMetaRow, key)
    if row is None:
        session.add(SyncMetaRow(key=key, value=value))
    else:
        row.value = value


def device_identity(db: Database) -> tuple[str, int]:
    """(device id, seq offset): outbox entry ``n`` is this device's mutation ``n - offset``, so a
    device's numbering starts at 1 even when the outbox has been used before."""
    from streampai_desktop.store.repositories import OutboxRepo

    with db.session() as session:
        device_id = _meta(session, "device_id")
        if device_id is None:
            pending = OutboxRepo(session).pending(limit=1)
            first = pending[0].seq if pending else None
            device_id = uuid.uuid4().hex
            offset = (first - 1) if first is not None else _last_outbox_seq(session)
            _set_meta(session, "device_id", device_id)
            _set_meta(session, "seq_offset", offset)
        return device_id, int(_meta(session, "seq_offset", 0))


def _last_outbox_seq(session: Session) -> int:
    from sqlalchemy import text

    # AUTOINCREMENT keeps its high-water mark in sqlite_sequence even after rows are deleted.
    row = session.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'")
    ).first()
    return int(row[0]) if row else 0


def outbox_batch(db: Database, offset: int) -> list[dict[str, Any]]:
    """The next mutations to push, numbered in this device's sequence."""
    from streampai_desktop.store.repositories import OutboxRepo

    with db.session() as session:
        entries = OutboxRepo(session).pending(PUSH_BATCH)
    return [
        {
            "seq": e.seq - offset,
            "entity": e.entity,
            "row_id": e.row_id,
            "patch": e.patch,
            "base_version": e.base_version,
        }
        for e in entries
    ]


def acknowledge(db: Database, up_to_device_seq: int, offset: int) -> None:
    from streampai_desktop.store.repositories import OutboxRepo

    with db.session() as session:
        OutboxRepo(session).acknowledge(up_to_device_seq + offset)


def pending_count(db: Database) -> int:
    return reads.outbox_count(db.read())


def load_cursor(db: Database) -> int:
    with db.session() as session:
        return int(_meta(session, "cursor", 0))


def apply_page(db: Database, changes: list[Change], cursor: int, pushed: PushedValues) -> list[str]:
    """Apply pulled changes and the new cursor in one transaction; returns notices for the user.

    ``pushed`` loses the entries this page settles; a pushed value that a newer one from another
    computer replaced becomes a notice ("your change ... was replaced").
    """
    from streampai_desktop.store.repositories import (
        AccountRepo,
        OutboxRepo,
        PreferencesRepo,
        WidgetConfigRepo,
    )

    notices: list[str] = []
    with db.session() as session:
        locally_pending: dict[tuple[str, str], set[str]] = {}
        for entry in OutboxRepo(session).pending(limit=100_000):
            fields = set(entry.patch) if entry.patch is not None else {_DELETED}
            locally_pending.setdefault((entry.entity, entry.row_id), set()).update(fields)
        widgets = WidgetConfigRepo(session)
        prefs = PreferencesRepo(session)
        for change in changes:
            keep_local = locally_pending.get((change.entity, change.row_id), set())
            if _DELETED in keep_local:
                continue  # our delete is on its way; it wins anyway
            if change.entity == WIDGET_ENTITY:
                _apply_widget(widgets, change, keep_local)
            elif change.entity == ACCOUNT_ENTITY:
                _apply_account(AccountRepo(session), change)
            elif change.entity == PREFERENCE_ENTITY and change.row_id in SYNCED_PREFERENCES:
                if "value" not in keep_local:
                    if change.fields is None:
                        prefs.delete(change.row_id)
                    else:
                        prefs.set(change.row_id, change.fields.get("value"))
            else:
                continue  # an entity this version does not know: ignore, keep the cursor moving
            for name, value in (change.fields or {}).items():
                mine = pushed.pop((change.entity, change.row_id, name), _MISSING)
                if mine is not _MISSING and mine != value and name not in keep_local:
                    notices.append(
                        f"Your change to {name} of {change.entity.replace('_', ' ')} "
                        f"{change.row_id!r} was replaced by a newer one from another computer."
                    )
        _set_meta(session, "cursor", cursor)
    return notices


def _apply_account(repo: AccountRepo, change: Change) -> None:
    platform, _, user_id = change.row_id.partition(":")
    existing = next(
        (a for a in repo.list() if a.platform == platform and a.platform_user_id == user_id), None
    )
    if change.fields is None:
        if existing is not None:
            repo.remove(existing.id)
        return
    fields = change.fields
    login = str(fields.get("login") or (existing.login if existing else user_id))
    repo.upsert(
        platform,
        user_id,
        login,
        str(fields.get("display_name") or login),
        bool(fields.get("enabled", existing.enabled if existing else True)),
    )


def _apply_widget(repo: WidgetConfigRepo, change: Change, keep_local: set[str]) -> None:
    current = repo.get(change.row_id)
    if change.fields is None:
        if current is not None:
            repo.delete(change.row_id)
        return
    fields = {k: v for k, v in change.fields.items() if k in WIDGET_FIELDS and k not in keep_local}
    if current is None:
        if not {"widget_type", "config"} <= set(change.fields):
            return  # a partial row we never saw created: wait for the full one
        repo.create(
            change.fields["widget_type"],
            change.fields.get("name", change.fields["widget_type"]),
            change.fields["config"],
            id=change.row_id,
        )
        return
    if "config" in fields:
        repo.update_config(change.row_id, fields["config"])
    if "name" in fields:
        repo.rename(change.row_id, fields["name"])


def queue_full_snapshot(db: Database) -> int:
    """Queue every synced row as an upsert: "keep this computer's config" on signing in to an
    account that already has one. Returns how many were queued."""
    from streampai_desktop.store.repositories import OutboxRepo, PreferencesRepo, WidgetConfigRepo

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
    from streampai_desktop.store.repositories import OutboxRepo

    with db.session() as session:
        OutboxRepo(session).acknowledge(2**62)
        _set_meta(session, "cursor", 0)


def synced_rows(db: Database) -> list[tuple[str, str]]:
    """(entity, local id) of every row this computer has that syncs."""
    from streampai_desktop.store.repositories import AccountRepo, WidgetConfigRepo

    with db.session() as session:
        widget_ids = [w.id for w in WidgetConfigRepo(session).list()]
        account_ids = [account_sync_id(a) for a in AccountRepo(session).list()]
    rows = [(WIDGET_ENTITY, w) for w in widget_ids]
    rows += [(ACCOUNT_ENTITY, a) for a in account_ids]
    rows += [(PREFERENCE_ENTITY, key) for key in sorted(SYNCED_PREFERENCES)]
    return rows
