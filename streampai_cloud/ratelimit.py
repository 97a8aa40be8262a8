"""Fixed-window rate limits kept in PostgreSQL.

Why the database and not memory: the service runs as several stateless processes behind a load
balancer, so a per-process counter would let an attacker multiply the limit by the number of
processes (and reset it on every deploy). One upsert per attempt is cheap next to an argon2 hash.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from streampai_cloud.db import rate_limits
from streampai_cloud.errors import ApiError


class RateLimiter:
    """Counts hits per bucket per window; refuses with 429 and Retry-After above the limit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def hit(self, bucket: str, limit: int, window: int, what: str) -> None:
        """Count one hit in `bucket`; raise ApiError(429) when it is over `limit` per `window` s."""
        now = time.time()
        # The window column holds the window's start (epoch seconds), so the sweep below is right
        # for buckets of every window size.
        start = int(now // window) * window
        upsert = insert(rate_limits).values(bucket=bucket, window=start, hits=1)
        stmt = upsert.on_conflict_do_update(
            index_elements=[rate_limits.c.bucket, rate_limits.c.window],
            set_={"hits": rate_limits.c.hits + 1},
        ).returning(rate_limits.c.hits)
        async with self._engine.begin() as conn:
            hits = (await conn.execute(stmt)).scalar_one()
            # Old windows are garbage; sweep now and then rather than run a cron job.
            if random.random() < 0.01:
                await conn.execute(delete(rate_limits).where(rate_limits.c.window < now - 86400))
        if hits > limit:
            retry_after = max(1, int(start + window - now))
            raise ApiError(
                429,
                "rate_limited",
                f"Too many {what}; try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
                retry_after=retry_after,
            )


def client_ip(remote: str | None, forwarded_for: str | None, trust_forwarded_for: bool) -> str:
    """The caller's address for rate limiting; the proxy's X-Forwarded-For only when trusted."""
    if trust_forwarded_for and forwarded_for:
        # The last hop was added by our own proxy; anything left of it is client-controlled.
        return forwarded_for.split(",")[-1].strip()
    return remote or "unknown"
