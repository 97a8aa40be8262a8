"""Publishing to the live channel: a PostgreSQL NOTIFY sent inside the writer's transaction, so
listeners in every service process hear of it exactly when (and only if) it commits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

CHANNEL = "streampai_live"


async def notify(conn: AsyncConnection, message: dict[str, Any]) -> None:
    """Queue `message` (a small JSON object with `account_id` and `kind`) for delivery at commit."""
    await conn.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": json.dumps(message, separators=(",", ":"), default=str)},
    )
