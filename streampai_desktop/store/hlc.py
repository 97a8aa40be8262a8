"""This computer's hybrid logical clock: the stamp of every synced edit.

A stamp is ``"<wall ms, 15 digits>:<counter, 6 digits>:<device id>"``; comparing two stamps as
strings compares (wall ms, counter, device id). The service keeps, per synced field, the value
with the greatest stamp (streampai_cloud/sync.py), so the same edit wins on every computer
whatever order the pushes arrive in.

- An edit is stamped in its own transaction (the outbox entry carries it), so the stamp is the
  moment of the edit, not of the push: an edit made offline at 10:00 loses to one made at
  10:05 elsewhere even if it reaches the service later.
- The clock never goes backwards: the last stamp is stored in ``sync_meta`` and the next one
  is greater (same millisecond or a clock set back: the counter counts up), across restarts.
- Every pulled stamp is observed: an edit made after this computer saw another computer's
  edit gets a greater stamp than it, even when that computer's clock runs ahead.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_COUNTER = 999_999


def now_ms() -> int:
    """The wall clock (tests replace it to play skewed computers)."""
    return int(time.time() * 1000)


def format_stamp(wall: int, counter: int, device: str) -> str:
    return f"{wall:015d}:{counter:06d}:{device}"


def parse_stamp(stamp: str) -> tuple[int, int]:
    wall, counter, _ = stamp.split(":", 2)
    return int(wall), int(counter)


def meta(session: Session, key: str, default: Any = None) -> Any:
    from streampai_desktop.store.models import SyncMetaRow

    row = session.get(SyncMetaRow, key)
    return default if row is None else row.value


def set_meta(session: Session, key: str, value: Any) -> None:
    from streampai_desktop.store.models import SyncMetaRow

    row = session.get(SyncMetaRow, key)
    if row is None:
        session.add(SyncMetaRow(key=key, value=value))
    else:
        row.value = value


def device_id(session: Session) -> str:
    """This install's sync id, made on first use (see sync_state.device_identity)."""
    current = meta(session, "device_id")
    if current is not None:
        return str(current)
    from sqlalchemy import select, text

    from streampai_desktop.store.models import SyncOutboxRow

    # Outbox entry n is this device's mutation n - offset: numbering starts at 1 with the
    # oldest entry still pending, or with the next one.
    first = session.scalar(select(SyncOutboxRow.seq).order_by(SyncOutboxRow.seq).limit(1))
    if first is not None:
        offset = first - 1
    else:
        # AUTOINCREMENT keeps its high-water mark in sqlite_sequence even after rows go.
        row = session.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'")
        ).first()
        offset = int(row[0]) if row else 0
    new = uuid.uuid4().hex
    set_meta(session, "device_id", new)
    set_meta(session, "seq_offset", offset)
    return new


def next_stamp(session: Session) -> str:
    """The stamp of an edit made now, in the caller's transaction."""
    device = device_id(session)
    wall, counter = meta(session, "hlc", [0, 0])
    now = now_ms()
    if now > wall:
        wall, counter = now, 0
    else:
        counter += 1
        if counter > MAX_COUNTER:
            wall, counter = wall + 1, 0
    set_meta(session, "hlc", [wall, counter])
    return format_stamp(wall, counter, device)


def observe(session: Session, stamps: Iterable[str]) -> None:
    """Move the clock past every stamp seen from the service."""
    seen = [parse_stamp(s) for s in stamps if isinstance(s, str) and s.count(":") >= 2]
    if not seen:
        return
    current = tuple(meta(session, "hlc", [0, 0]))
    latest = max(seen)
    if latest > current:
        set_meta(session, "hlc", list(latest))
