"""The sync engine's side of the database: the outbox, the pull cursor, applying pulled pages.

Every function is one transaction on the app's database thread. The engine
(:mod:`streampai_desktop.cloud.engine`) decides when to push and pull; the rules for what a
pulled change does to a local row live here, next to the rows:

- a pulled page and the new cursor are applied in one transaction, so a crash never leaves half
  a page applied or a cursor past changes that were not;
- a field with a local edit still in the outbox keeps the local value (the service will order
  our edit by its stamp, and the final value comes back in a later pull);
- a widget's config is applied per setting (``config.<key path>``, store/config_paths.py): a
  pulled setting changes that setting only;
- a local delete still in the outbox wins over a pulled change to the same row;
- every pulled stamp moves this computer's clock (store/hlc.py) past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from streampai_desktop.store import config_paths, hlc, reads
from streampai_desktop.store.operations import (
    ACCOUNT_ENTITY,
    PREFERENCE_ENTITY,
    SYNCED_PREFERENCES,
    WIDGET_ENTITY,
    WIDGET_FIELDS,
    account_sync_id,
    widget_patch,
)

if TYPE_CHECKING:
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
    stamps: dict[str, str] | None = None  # field -> the stamp of the edit that set it


@dataclass(frozen=True, slots=True)
class Pushed:
    """A value this computer pushed: its edit's stamp and when the service acknowledged it
    (this computer's wall clock, ms)."""

    value: Any
    stamp: str | None
    acked_ms: int


PushedValues = dict[tuple[str, str, str], Pushed]
"""(entity, row id, field) → what this computer pushed, while it is the value that stands.

A pulled value with another stamp settles it: if that edit was made before ours reached the
service (its stamp's wall clock is not after our acknowledgement), it was made without seeing
ours — the two were concurrent and ours lost, which the streamer hears of. A later edit made
after ours was there to see replaced ours on purpose: no notice. (Clock skew between computers
can blur that line by the skew; it only decides whether to tell, never which value wins.)"""


@dataclass(frozen=True, slots=True)
class SyncConflict:
    """An edit made on this computer that did not survive.

    ``kind`` "replaced": another computer's later edit of the same setting won (``theirs`` is
    its value; "use mine instead" re-applies ``mine`` as a new, later edit). "deleted": the
    row was deleted on another computer, which always wins; ``mine`` is the value this
    computer had set (``field`` is the first of the settings it changed, ``more`` how many
    others). ``name`` and ``widget_type`` name the row as this computer had it.
    """

    kind: str
    entity: str
    row_id: str
    field: str
    mine: Any
    theirs: Any = None
    name: str = ""
    widget_type: str = ""
    more: int = 0


_meta, _set_meta = hlc.meta, hlc.set_meta


def device_identity(db: Database) -> tuple[str, int]:
    """(device id, seq offset): outbox entry ``n`` is this device's mutation ``n - offset``, so a
    device's numbering starts at 1 even when the outbox has been used before. The id is made
    by the first edit (its stamp names the device) or here, whichever comes first."""
    with db.session() as session:
        device_id = hlc.device_id(session)
        return device_id, int(_meta(session, "seq_offset", 0))


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
            "stamp": e.stamp,
        }
        for e in entries
    ]


def acknowledge(db: Database, up_to_device_seq: int, offset: int) -> None:
    from streampai_desktop.store.repositories import OutboxRepo

    with db.session() as session:
        OutboxRepo(session).acknowledge(up_to_device_seq + offset)


@dataclass(frozen=True, slots=True)
class SetAside:
    """A mutation dropped from the outbox by :func:`set_aside`, and the row it was for."""

    offset: int  # this device's seq offset from now on
    name: str = ""  # the widget's name as this computer has it ("" for other rows)
    widget_type: str = ""


def set_aside(db: Database, device_seq: int, offset: int) -> SetAside:
    """Drop mutation ``device_seq``, which the service refuses even on its own, from the outbox,
    and number the ones after it from its place on: the service refuses a gap in a device's
    numbering, so skipping it would block them all. Every earlier mutation must already be
    applied by the service (the engine pushed them one by one). The local rows keep their
    values: only the upload is given up."""
    from streampai_desktop.store.repositories import OutboxRepo, WidgetConfigRepo

    with db.session() as session:
        outbox = OutboxRepo(session)
        entry = next((e for e in outbox.pending(PUSH_BATCH) if e.seq == device_seq + offset), None)
        outbox.acknowledge(device_seq + offset)
        _set_meta(session, "seq_offset", offset + 1)
        widget = None
        if entry is not None and entry.entity == WIDGET_ENTITY:
            widget = WidgetConfigRepo(session).get(entry.row_id)
    if widget is None:
        return SetAside(offset + 1)
    return SetAside(offset + 1, widget.name, widget.widget_type)


def pending_count(db: Database) -> int:
    return reads.outbox_count(db.read())


def load_cursor(db: Database) -> int:
    with db.session() as session:
        return int(_meta(session, "cursor", 0))


def apply_page(
    db: Database, changes: list[Change], cursor: int, pushed: PushedValues
) -> list[SyncConflict]:
    """Apply pulled changes and the new cursor in one transaction; returns what the streamer
    must hear of.

    ``pushed`` loses the entries this page settles; a pushed value that a later one from
    another computer replaced is a "replaced" conflict. A widget deleted elsewhere while this
    computer still has edits of it to send is a "deleted" conflict (deletes win).
    """
    from streampai_desktop.store.repositories import (
        AccountRepo,
        OutboxRepo,
        PreferencesRepo,
        WidgetConfigRepo,
    )

    notices: list[SyncConflict] = []
    with db.session() as session:
        locally_pending: dict[tuple[str, str], set[str]] = {}
        pending_values: dict[tuple[str, str], dict[str, Any]] = {}
        for entry in OutboxRepo(session).pending(limit=100_000):
            fields = set(entry.patch) if entry.patch is not None else {_DELETED}
            locally_pending.setdefault((entry.entity, entry.row_id), set()).update(fields)
            pending_values.setdefault((entry.entity, entry.row_id), {}).update(entry.patch or {})
        widgets = WidgetConfigRepo(session)
        prefs = PreferencesRepo(session)
        hlc.observe(session, (s for c in changes for s in (c.stamps or {}).values()))
        for change in changes:
            keep_local = locally_pending.get((change.entity, change.row_id), set())
            if _DELETED in keep_local:
                continue  # our delete is on its way; it wins anyway
            if change.entity == WIDGET_ENTITY:
                before = widgets.get(change.row_id)
                if change.fields is None and before is not None and keep_local:
                    mine = pending_values.get((change.entity, change.row_id), {})
                    notices.append(_deleted(change.entity, before, mine))
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
                key = (change.entity, change.row_id, name)
                ours = pushed.get(key)
                theirs_stamp = (change.stamps or {}).get(name)
                if ours is None or (theirs_stamp is not None and theirs_stamp == ours.stamp):
                    continue  # nothing pushed here, or ours still stands
                del pushed[key]
                if (
                    ours.value != value
                    and name not in keep_local
                    and _concurrent(theirs_stamp, ours.acked_ms)
                ):
                    row = widgets.get(change.row_id) if change.entity == WIDGET_ENTITY else None
                    notices.append(
                        SyncConflict(
                            "replaced",
                            change.entity,
                            change.row_id,
                            name,
                            ours.value,
                            value,
                            row.name if row else change.row_id,
                            row.widget_type if row else "",
                        )
                    )
        _set_meta(session, "cursor", cursor)
    return notices


def _concurrent(theirs: str | None, acked_ms: int) -> bool:
    """Whether the edit stamped ``theirs`` was made before ours reached the service."""
    if theirs is None:
        return True  # an older app's value: no stamp to tell by; say so
    try:
        return hlc.parse_stamp(theirs)[0] <= acked_ms
    except ValueError:
        return True


def _deleted(entity: str, widget: Any, mine: dict[str, Any]) -> SyncConflict:
    changed = sorted(k for k in mine if k != "widget_type")
    first = changed[0] if changed else ""
    return SyncConflict(
        "deleted",
        entity,
        widget.id,
        first,
        mine.get(first),
        None,
        widget.name,
        widget.widget_type,
        max(0, len(changed) - 1),
    )


def deleted_conflict(db: Database, entity: str, row_id: str, patch: dict[str, Any]) -> Any:
    """The "deleted" conflict for an edit the service refused because another computer deleted
    its row; None when this computer no longer has the row (the pulled delete said so)."""
    from streampai_desktop.store.repositories import WidgetConfigRepo

    if entity != WIDGET_ENTITY:
        return None
    with db.session() as session:
        widget = WidgetConfigRepo(session).get(row_id)
    return None if widget is None else _deleted(entity, widget, patch)


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


def widget_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The synced fields of a widget row, a whole ``config`` (an older app's) split into its
    settings; fields this version does not know are left out."""
    out = {}
    for name, value in fields.items():
        if name == "config" and isinstance(value, dict):
            out.update({k: v for k, v in config_paths.flatten(value).items() if k not in fields})
        elif name in WIDGET_FIELDS or config_paths.is_setting(name):
            out[name] = value
    return out


def _apply_widget(repo: WidgetConfigRepo, change: Change, keep_local: set[str]) -> None:
    current = repo.get(change.row_id)
    if change.fields is None:
        if current is not None:
            repo.delete(change.row_id)
        return
    fields = {k: v for k, v in widget_fields(change.fields).items() if k not in keep_local}
    if current is None:
        widget_type = change.fields.get("widget_type")
        if not isinstance(widget_type, str):
            return  # a partial row we never saw created: wait for the full one
        # Settings the row does not carry take the widget's defaults when it is loaded.
        config = config_paths.apply({}, widget_fields(change.fields), change.stamps)
        repo.create(widget_type, change.fields.get("name", widget_type), config, id=change.row_id)
        return
    config = config_paths.apply(current.config, fields, change.stamps)
    if config != current.config:
        repo.update_config(change.row_id, config)
    if "name" in fields and fields["name"] != current.name:
        repo.rename(change.row_id, fields["name"])


def queue_full_snapshot(db: Database) -> int:
    """Queue every synced row as an upsert: "keep this computer's config" on signing in to an
    account that already has one. Returns how many were queued."""
    from streampai_desktop.store.repositories import OutboxRepo, PreferencesRepo, WidgetConfigRepo

    with db.session() as session:
        outbox = OutboxRepo(session)
        count = 0
        for widget in WidgetConfigRepo(session).list():
            patch = widget_patch(widget.widget_type, widget.config, widget.name)
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
    """ "Take the account's config": forget unpushed edits and pull everything from the start.

    A widget setting edited here and not yet sent goes back to the widget's default (removed
    from the config; the pull then sets it wherever the account has a value), so no local edit
    survives that the account does not know of."""
    from streampai_desktop.store.repositories import OutboxRepo, WidgetConfigRepo

    with db.session() as session:
        outbox, widgets = OutboxRepo(session), WidgetConfigRepo(session)
        unsent: dict[str, set[str]] = {}
        for entry in outbox.pending(limit=100_000):
            if entry.entity == WIDGET_ENTITY and entry.patch:
                paths = {k for k in entry.patch if config_paths.is_setting(k)}
                unsent.setdefault(entry.row_id, set()).update(paths)
        for widget_id, paths in unsent.items():
            widget = widgets.get(widget_id)
            if widget is not None and paths:
                reverted = config_paths.apply(widget.config, dict.fromkeys(paths))
                if reverted != widget.config:
                    widgets.update_config(widget_id, reverted)
        outbox.acknowledge(2**62)
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


def reapply(db: Database, conflict: SyncConflict) -> bool:
    """ "Use mine instead": make this computer's value of ``conflict`` a new edit here. Its
    stamp is later than the value that replaced it (this computer's clock has seen that one),
    so it wins on every computer. False when there is nothing to re-apply (the row is gone)."""
    from streampai_desktop.store import operations
    from streampai_desktop.store.repositories import WidgetConfigRepo

    if conflict.kind != "replaced":
        return False
    if conflict.entity == PREFERENCE_ENTITY and conflict.field == "value":
        operations.save_preference(db, conflict.row_id, conflict.mine)
        return True
    if conflict.entity != WIDGET_ENTITY:
        return False
    with db.session() as session:
        widget = WidgetConfigRepo(session).get(conflict.row_id)
    if widget is None:
        return False
    if conflict.field == "name" and isinstance(conflict.mine, str):
        operations.rename_widget(db, widget.id, conflict.mine)
        return True
    if not config_paths.is_setting(conflict.field):
        return False
    config = config_paths.apply(widget.config, {conflict.field: conflict.mine})
    if config == widget.config:  # the same value already: an edit all the same, so it wins
        operations.force_widget_setting(db, widget.id, conflict.field, conflict.mine)
    else:
        operations.save_widget_config(db, widget.id, config)
    return True
