"""The desktop database's tables (SQLAlchemy 2 typed declarative models).

These classes stay inside the store: repositories turn rows into the frozen dataclasses in
:mod:`streampai_desktop.store.records`, so no caller ever holds an ORM object bound to a session.
A change here needs a migration in ``migrations/versions`` (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Index, MetaData, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Alembic's batch mode rebuilds SQLite tables and can only drop or alter constraints that have a
# name, so every constraint and index gets a predictable one.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as a tz-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC text and read back as tz-aware UTC.

    SQLite has no timezone-aware type and drops ``tzinfo``; storing every value in UTC keeps the
    text sortable (so ``ORDER BY at`` and range queries are right) and lets us re-attach UTC on the
    way out. Naive datetimes are refused: guessing their zone would silently shift events.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base: UTC datetimes and JSON for ``dict`` columns everywhere."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        Any: JSON(),
    }


class WidgetConfigRow(Base):
    """One configured widget instance; a widget type may have several (e.g. two alert boxes)."""

    __tablename__ = "widget_configs"

    id: Mapped[str] = mapped_column(primary_key=True)  # client-generated UUID, so sync can merge
    widget_type: Mapped[str] = mapped_column(index=True)
    name: Mapped[str]
    config: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccountRow(Base):
    """A connected streaming account. Never a secret: tokens live in the OS keyring."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    platform: Mapped[str]
    platform_user_id: Mapped[str]
    login: Mapped[str]
    display_name: Mapped[str]
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PreferenceRow(Base):
    """One app preference: a key and any JSON value."""

    __tablename__ = "preferences"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[Any]


class EventLogRow(Base):
    """One platform event as it was received; (platform, event_id) is the dedupe key."""

    __tablename__ = "event_log"
    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        Index(None, "at"),
        # AUTOINCREMENT: ids are never reused after old entries are pruned, so they can serve as
        # a cursor ("everything after id N").
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str]
    event_id: Mapped[str]
    kind: Mapped[str]
    at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    test: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class MetricSampleRow(Base):
    """One sample of a numeric stream metric (viewers, followers, ...) at a point in time."""

    __tablename__ = "metric_samples"
    __table_args__ = (Index(None, "platform", "metric", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str]
    metric: Mapped[str]
    at: Mapped[datetime]
    value: Mapped[float]


class SyncOutboxRow(Base):
    """A local edit of a synced entity, waiting to be pushed to the account service.

    Written in the same transaction as the edit itself, so an edit is never saved without its
    outbox entry (or the other way round). ``seq`` is the device's mutation number the service
    uses to apply edits in order and exactly once.
    """

    __tablename__ = "sync_outbox"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entity: Mapped[str]
    row_id: Mapped[str]
    patch: Mapped[dict[str, Any] | None]  # None: the row was deleted
    base_version: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The edit's hybrid logical clock (store/hlc.py): which edit of a setting is the later one.
    stamp: Mapped[str | None]


class SyncMetaRow(Base):
    """Sync bookkeeping (device id, pull cursor), kept apart from the synced preferences."""

    __tablename__ = "sync_meta"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[Any]
