"""Relayed Kick webhook events: stored per account, sent over /v1/live, acknowledged per device.

The same at-least-once design as donations (api_donations.py): each event gets the account's
next number (`seq`) under a row lock, so numbers follow commit order; a device acknowledges the
highest number it has ingested and is never sent anything at or below it again; whatever is above
it is sent again on its next connect, until the event expires.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from streampai_cloud.db import devices, kick_accounts, kick_cursors, kick_events
from streampai_cloud.live_notify import notify

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. An event whose notification would
# not fit goes by reference: each process with sockets of that account reads it from the table.
NOTIFY_INLINE_MAX = 7500
# A replayed delivery is refused as stale after this long (webhooks.py), so a message id must be
# remembered at least this long, even when its event expired sooner.
REPLAY_WINDOW = timedelta(minutes=10)
PRUNE_BATCH = 1000


def event_json(row: Any) -> dict[str, Any]:
    """An event as the devices get it; `id` is the account's own number, what they ack."""
    return {
        "id": row.seq,
        "event_type": row.event_type,
        "event_version": row.event_version,
        "message_id": row.message_id,
        "broadcaster_user_id": row.broadcaster_user_id,
        "received_at": row.received_at.isoformat(),
        "payload": row.payload,
    }


def kick_event_message(event: dict[str, Any]) -> str:
    """The live channel's frame for one event, serialised once for every socket."""
    return json.dumps({"type": "kick_event", "event": event}, separators=(",", ":"))


async def store_event(
    conn: AsyncConnection,
    *,
    account_id: uuid.UUID,
    event_type: str,
    event_version: str,
    message_id: str,
    subscription_id: str | None,
    broadcaster_user_id: int,
    payload: Any,
    ttl_s: int,
) -> Any | None:
    """Store one webhook event and queue its notification (sent at commit). None when Kick's
    message id was seen before: the caller rolls back (the number it took is given back)."""
    # The upsert takes the account's kick row lock until commit: numbers follow commit order,
    # so a device's cursor never skips an event that commits late.
    seq = (
        await conn.execute(
            insert(kick_accounts)
            .values(account_id=account_id, event_seq=1, last_event_at=func.now())
            .on_conflict_do_update(
                index_elements=[kick_accounts.c.account_id],
                set_={
                    "event_seq": kick_accounts.c.event_seq + 1,
                    "last_event_at": func.now(),
                },
            )
            .returning(kick_accounts.c.event_seq)
        )
    ).scalar_one()
    row = (
        await conn.execute(
            insert(kick_events)
            .values(
                account_id=account_id,
                seq=seq,
                event_type=event_type,
                event_version=event_version,
                message_id=message_id,
                subscription_id=subscription_id,
                broadcaster_user_id=broadcaster_user_id,
                payload=payload,
                expires_at=func.now() + timedelta(seconds=ttl_s),
            )
            .on_conflict_do_nothing(index_elements=[kick_events.c.message_id])
            .returning(kick_events)
        )
    ).one_or_none()
    if row is None:
        return None
    event = event_json(row)
    note: dict[str, Any] = {"kind": "kick_event", "account_id": account_id, "event": event}
    if len(json.dumps(note, separators=(",", ":"), default=str)) > NOTIFY_INLINE_MAX:
        note = {"kind": "kick_event", "account_id": account_id, "seq": row.seq}
    await notify(conn, note)
    if random.random() < 0.01:
        await prune(conn)
    return row


async def prune(conn: AsyncConnection) -> int:
    """Delete a batch of expired events (a sweep now and then rather than a cron job)."""
    expired = (
        select(kick_events.c.id)
        .where(
            kick_events.c.expires_at < func.now(),
            kick_events.c.received_at < func.now() - REPLAY_WINDOW,
        )
        .limit(PRUNE_BATCH)
        .scalar_subquery()
    )
    result = await conn.execute(delete(kick_events).where(kick_events.c.id.in_(expired)))
    return int(result.rowcount or 0)


async def pending_events(
    conn: AsyncConnection, account_id: uuid.UUID, device_id: uuid.UUID, after: int, limit: int
) -> list[Any]:
    """Unexpired events above this device's acknowledged cursor (and above `after`), oldest
    first. A device that never acknowledged one gets those received since it signed in."""
    cursor = func.coalesce(
        select(kick_cursors.c.up_to).where(kick_cursors.c.device_id == device_id).scalar_subquery(),
        0,
    )
    signed_in = (
        select(devices.c.created_at)
        .where(devices.c.id == device_id, devices.c.account_id == account_id)
        .scalar_subquery()
    )
    return list(
        await conn.execute(
            select(kick_events)
            .where(
                and_(
                    kick_events.c.account_id == account_id,
                    kick_events.c.seq > func.greatest(cursor, literal(after)),
                    kick_events.c.received_at >= signed_in,
                    kick_events.c.expires_at > func.now(),
                )
            )
            .order_by(kick_events.c.seq)
            .limit(limit)
        )
    )


async def acknowledge(
    conn: AsyncConnection, account_id: uuid.UUID, device_id: uuid.UUID, up_to: int
) -> None:
    """Move the device's cursor to `up_to`, never backwards (acks may arrive out of order)."""
    stmt = insert(kick_cursors).values(device_id=device_id, account_id=account_id, up_to=up_to)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[kick_cursors.c.device_id],
            set_={"up_to": func.greatest(kick_cursors.c.up_to, stmt.excluded.up_to)},
            where=kick_cursors.c.account_id == account_id,
        )
    )


async def load_message(engine: AsyncEngine, account_id: uuid.UUID, seq: int) -> str | None:
    """The live frame of an event notified by reference (too large for NOTIFY)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(kick_events).where(
                    kick_events.c.account_id == account_id, kick_events.c.seq == seq
                )
            )
        ).one_or_none()
    return None if row is None else kick_event_message(event_json(row))
