"""Plain frozen values that repositories take and return.

They hold no session and no lazy attributes, so a caller on another thread (the event loop, the
UI) can keep and read them after the session that produced them has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class WidgetConfig:
    """A saved widget instance: its type, display name and config (a JSON object)."""

    id: str
    widget_type: str
    name: str
    config: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Account:
    """A connected streaming account (never its secrets)."""

    id: str
    platform: str
    platform_user_id: str
    login: str
    display_name: str
    enabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One event for the event log; ``(platform, event_id)`` identifies it across redeliveries.

    ``payload`` is the event's JSON form (the core event model serialises into it); the store
    does not interpret it, so it does not depend on the event classes.
    """

    platform: str
    event_id: str
    kind: str
    at: datetime
    payload: dict[str, Any]
    test: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """The dedupe key, ``(platform, event_id)``."""
        return (self.platform, self.event_id)


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One value of a metric (e.g. ``"viewers"``) on a platform at a UTC time."""

    platform: str
    metric: str
    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One local edit waiting to be pushed: ``patch`` None means the row was deleted."""

    seq: int
    entity: str
    row_id: str
    patch: dict[str, Any] | None
    base_version: int | None
    stamp: str | None = None
