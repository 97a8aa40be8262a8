"""Repositories: small typed classes over one :class:`~sqlalchemy.orm.Session`.

Each takes the session from ``Database.session()``, so everything done inside one ``with`` block
is one transaction. They return the frozen values from :mod:`.records`, never ORM rows.
"""

from __future__ import annotations

import builtins
import copy
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from streampai_desktop.store.errors import RecordNotFound
from streampai_desktop.store.models import (
    AccountRow,
    EventLogRow,
    MetricSampleRow,
    PreferenceRow,
    SyncOutboxRow,
    WidgetConfigRow,
    utcnow,
)
from streampai_desktop.store.records import (
    Account,
    EventRecord,
    MetricSample,
    OutboxEntry,
    WidgetConfig,
)

_MISSING: Any = object()


def _checked_object(value: dict[str, Any], what: str) -> dict[str, Any]:
    """``value``, after checking it is a JSON object (a dict)."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict (a JSON object), not {type(value).__name__}")
    return value


def _json_object(value: dict[str, Any], what: str) -> dict[str, Any]:
    """A private deep copy of ``value`` after checking it is a JSON object (a dict).

    Copying means a caller that keeps mutating its dict can't change what we stored or
    returned (an ORM row keeps its value until the session flushes).
    """
    return copy.deepcopy(_checked_object(value, what))


class PreferencesRepo:
    """App preferences: string keys, any JSON-serialisable values."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` if there is none."""
        row = self.session.get(PreferenceRow, key)
        return default if row is None else row.value

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""
        self.session.merge(PreferenceRow(key=key, value=copy.deepcopy(value)))

    def get_all(self) -> dict[str, Any]:
        """Every stored preference as ``{key: value}``."""
        return {row.key: row.value for row in self.session.scalars(select(PreferenceRow))}

    def delete(self, key: str) -> bool:
        """Forget ``key``; True if it was stored."""
        result = self.session.execute(delete(PreferenceRow).where(PreferenceRow.key == key))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _widget(row: WidgetConfigRow) -> WidgetConfig:
    return WidgetConfig(
        id=row.id,
        widget_type=row.widget_type,
        name=row.name,
        config=copy.deepcopy(row.config),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class WidgetConfigRepo:
    """Saved widget instances; a widget type may have several, each with its own config."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, widget_type: str | None = None) -> builtins.list[WidgetConfig]:
        """All instances (of ``widget_type`` if given), oldest first."""
        query = select(WidgetConfigRow).order_by(WidgetConfigRow.created_at, WidgetConfigRow.id)
        if widget_type is not None:
            query = query.where(WidgetConfigRow.widget_type == widget_type)
        return [_widget(row) for row in self.session.scalars(query)]

    def get(self, id: str) -> WidgetConfig | None:
        """The instance with ``id``, or None."""
        row = self.session.get(WidgetConfigRow, id)
        return None if row is None else _widget(row)

    def create(
        self, widget_type: str, name: str, config: dict[str, Any], *, id: str | None = None
    ) -> WidgetConfig:
        """Add an instance; ``id`` defaults to a new UUID (pass one to keep a synced id)."""
        now = utcnow()
        row = WidgetConfigRow(
            id=id or str(uuid.uuid4()),
            widget_type=widget_type,
            name=name,
            config=_json_object(config, "config"),
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()  # fills the timestamps and fails here on a duplicate id
        return _widget(row)

    def update_config(self, id: str, config: dict[str, Any]) -> WidgetConfig:
        """Replace the instance's whole config; raises :class:`RecordNotFound` if it is gone."""
        row = self._row(id)
        row.config = _json_object(config, "config")
        self.session.flush()
        return _widget(row)

    def rename(self, id: str, name: str) -> WidgetConfig:
        """Change the instance's display name; raises :class:`RecordNotFound` if it is gone."""
        row = self._row(id)
        row.name = name
        self.session.flush()
        return _widget(row)

    def delete(self, id: str) -> bool:
        """Remove the instance; True if it existed."""
        result = self.session.execute(delete(WidgetConfigRow).where(WidgetConfigRow.id == id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def ensure_default(self, widget_type: str, name: str, defaults: dict[str, Any]) -> WidgetConfig:
        """The first (oldest) instance of ``widget_type``, created from ``defaults`` if none."""
        existing = self.list(widget_type)
        if existing:
            return existing[0]
        return self.create(widget_type, name, defaults)

    def _row(self, id: str) -> WidgetConfigRow:
        row = self.session.get(WidgetConfigRow, id)
        if row is None:
            raise RecordNotFound(f"no widget config with id {id!r}")
        return row


def _account(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        login=row.login,
        display_name=row.display_name,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class AccountRepo:
    """Connected streaming accounts, one per (platform, platform user id). No secrets here."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self) -> builtins.list[Account]:
        """Every account, in the order they were connected."""
        query = select(AccountRow).order_by(AccountRow.created_at, AccountRow.id)
        return [_account(row) for row in self.session.scalars(query)]

    def get(self, id: str) -> Account | None:
        """The account with ``id``, or None."""
        row = self.session.get(AccountRow, id)
        return None if row is None else _account(row)

    def upsert(
        self,
        platform: str,
        platform_user_id: str,
        login: str,
        display_name: str,
        enabled: bool = True,
    ) -> Account:
        """Add the account, or update login/name/enabled of the one already connected.

        Connecting an account again keeps its id, so anything referring to it stays valid.
        """
        row = self.session.scalars(
            select(AccountRow).where(
                AccountRow.platform == platform, AccountRow.platform_user_id == platform_user_id
            )
        ).one_or_none()
        if row is None:
            now = utcnow()
            row = AccountRow(
                id=str(uuid.uuid4()),
                created_at=now,
                updated_at=now,
                platform=platform,
                platform_user_id=platform_user_id,
                login=login,
                display_name=display_name,
                enabled=enabled,
            )
            self.session.add(row)
        else:
            row.login, row.display_name, row.enabled = login, display_name, enabled
        self.session.flush()
        return _account(row)

    def set_enabled(self, id: str, enabled: bool) -> Account:
        """Turn the account on or off; raises :class:`RecordNotFound` if it is gone."""
        row = self.session.get(AccountRow, id)
        if row is None:
            raise RecordNotFound(f"no account with id {id!r}")
        row.enabled = enabled
        self.session.flush()
        return _account(row)

    def remove(self, id: str) -> bool:
        """Forget the account; True if it existed. (Its secrets are the keyring's business.)"""
        result = self.session.execute(delete(AccountRow).where(AccountRow.id == id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def any_enabled(self) -> bool:
        """Whether at least one account is enabled (else the app offers the demo/onboarding)."""
        query = select(AccountRow.id).where(AccountRow.enabled.is_(True)).limit(1)
        return self.session.scalar(query) is not None


def _event(row: EventLogRow) -> EventRecord:
    return EventRecord(
        platform=row.platform,
        event_id=row.event_id,
        kind=row.kind,
        at=row.at,
        payload=row.payload,
        test=row.test,
    )


class EventLogRepo:
    """The log of every event received, deduplicated on ``(platform, event_id)``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append_many(self, records: Sequence[EventRecord]) -> builtins.list[bool]:
        """Insert ``records``; ``result[i]`` is True if ``records[i]`` was new.

        False means the event was already logged (platforms redeliver after reconnects) or
        appears earlier in the same batch; the stored copy is left untouched. ``sum(result)`` is
        the number of rows added. Runs inside the session's transaction.
        """
        if not records:
            return []
        now = utcnow()
        stmt = (
            sqlite_insert(EventLogRow)
            .on_conflict_do_nothing(index_elements=["platform", "event_id"])
            .returning(EventLogRow.platform, EventLogRow.event_id)
        )
        params = [
            {
                "platform": r.platform,
                "event_id": r.event_id,
                "kind": r.kind,
                "at": r.at,
                # Serialised by this very statement, so no copy is needed (a deep copy per
                # event was 40% of the event log's cost in a chat flood).
                "payload": _checked_object(r.payload, "payload"),
                "test": r.test,
                "recorded_at": now,
            }
            for r in records
        ]
        inserted = {(row.platform, row.event_id) for row in self.session.execute(stmt, params)}
        result: builtins.list[bool] = []
        for record in records:
            new = record.key in inserted
            inserted.discard(record.key)  # a second copy in the same batch is a duplicate
            result.append(new)
        return result

    def recent(
        self,
        limit: int = 100,
        kinds: Iterable[str] | None = None,
        platforms: Iterable[str] | None = None,
    ) -> builtins.list[EventRecord]:
        """The newest ``limit`` events (optionally only these kinds/platforms), newest first."""
        query = select(EventLogRow).order_by(EventLogRow.at.desc(), EventLogRow.id.desc())
        if kinds is not None:
            query = query.where(EventLogRow.kind.in_(builtins.list(kinds)))
        if platforms is not None:
            query = query.where(EventLogRow.platform.in_(builtins.list(platforms)))
        return [_event(row) for row in self.session.scalars(query.limit(limit))]

    def count(self) -> int:
        """How many events are logged."""
        return self.session.scalar(select(func.count()).select_from(EventLogRow)) or 0

    def get(self, platform: str, event_id: str) -> EventRecord | None:
        """The logged event with this dedupe key, or None."""
        row = self.session.scalars(
            select(EventLogRow).where(
                EventLogRow.platform == platform, EventLogRow.event_id == event_id
            )
        ).one_or_none()
        return None if row is None else _event(row)


class MetricRepo:
    """Time series of stream metrics (viewers, followers, ...) per platform."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, samples: Sequence[MetricSample]) -> None:
        """Store ``samples`` (one multi-row insert)."""
        if not samples:
            return
        self.session.execute(
            sqlite_insert(MetricSampleRow),
            [
                {"platform": s.platform, "metric": s.metric, "at": s.at, "value": s.value}
                for s in samples
            ],
        )

    def range(
        self, platform: str, metric: str, since: datetime, until: datetime
    ) -> builtins.list[MetricSample]:
        """Samples with ``since <= at < until``, oldest first."""
        query = (
            select(MetricSampleRow)
            .where(
                MetricSampleRow.platform == platform,
                MetricSampleRow.metric == metric,
                MetricSampleRow.at >= since,
                MetricSampleRow.at < until,
            )
            .order_by(MetricSampleRow.at, MetricSampleRow.id)
        )
        return [
            MetricSample(platform=row.platform, metric=row.metric, at=row.at, value=row.value)
            for row in self.session.scalars(query)
        ]


class OutboxRepo:
    """Local edits of synced entities, in the order they were made (see ``SyncOutboxRow``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        entity: str,
        row_id: str,
        patch: dict[str, Any] | None,
        base_version: int | None = None,
    ) -> int:
        """Queue an edit in the caller's transaction, stamped with this computer's clock
        (store/hlc.py); returns its sequence number."""
        from streampai_desktop.store import hlc

        stamp = hlc.next_stamp(self.session)
        row = SyncOutboxRow(
            entity=entity,
            row_id=row_id,
            patch=None if patch is None else _json_object(patch, "patch"),
            base_version=base_version,
            stamp=stamp,
        )
        self.session.add(row)
        self.session.flush()
        return row.seq

    def pending(self, limit: int = 500) -> builtins.list[OutboxEntry]:
        """The oldest edits not yet acknowledged, in order."""
        rows = self.session.scalars(select(SyncOutboxRow).order_by(SyncOutboxRow.seq).limit(limit))
        return [
            OutboxEntry(r.seq, r.entity, r.row_id, r.patch, r.base_version, r.stamp) for r in rows
        ]

    def acknowledge(self, up_to_seq: int) -> int:
        """Drop every edit the service has applied (or refused for good); returns how many."""
        result = self.session.execute(delete(SyncOutboxRow).where(SyncOutboxRow.seq <= up_to_seq))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(SyncOutboxRow)) or 0)
