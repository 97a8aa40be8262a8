"""Fixed-window rate limits kept in PostgreSQL.

Why the database and not memory: the service runs as several stateless processes behind a load
balancer, so a per-process counter would let an attacker multiply the limit by the number of
processes (and reset it on every deploy). One upsert per attempt is cheap next to an argon2 hash.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import random
import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from streampai_cloud.db import rate_limits
from streampai_cloud.errors import ApiError


@dataclass(frozen=True)
class Hit:
    """One counted hit: which bucket and window it went to, and the window's count with it."""

    bucket: str
    window: int
    hits: int


def too_many(retry_after: float, message: str) -> ApiError:
    """The 429 every limit answers with: `Retry-After` in whole seconds, at least 1."""
    seconds = max(1, math.ceil(retry_after))
    return ApiError(
        429,
        "rate_limited",
        message.format(seconds=seconds),
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
    )


class RateLimiter:
    """Counts hits per bucket per window; refuses with 429 and Retry-After above the limit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def count(self, bucket: str, window: int) -> Hit:
        """Count one hit in `bucket`'s current `window`-second window."""
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
            await self._sweep(conn, now)
        return Hit(bucket, start, hits)

    async def hit(self, bucket: str, limit: int, window: int, what: str) -> Hit:
        """Count one hit in `bucket`; raise ApiError(429) when it is over `limit` per `window` s."""
        counted = await self.count(bucket, window)
        if counted.hits > limit:
            raise too_many(
                counted.window + window - time.time(),
                f"Too many {what}; try again in {{seconds}} seconds.",
            )
        return counted

    async def refund(self, *hits: Hit) -> None:
        """Give counted hits back (a sign-in that succeeded was no failed attempt)."""
        async with self._engine.begin() as conn:
            for counted in hits:
                await conn.execute(
                    update(rate_limits)
                    .where(
                        rate_limits.c.bucket == counted.bucket,
                        rate_limits.c.window == counted.window,
                        rate_limits.c.hits > 0,
                    )
                    .values(hits=rate_limits.c.hits - 1)
                )

    async def space(self, bucket: str, wait: int, message: str) -> None:
        """Allow a hit in `bucket` only `wait` seconds or more after its previous allowed hit;
        raise ApiError(429) with the remaining wait otherwise. `message` may use {seconds}."""
        now = time.time()
        async with self._engine.begin() as conn:
            # Two attempts at once must not both find the bucket idle.
            await conn.execute(
                select(func.pg_advisory_xact_lock(_SPACING_LOCKS, func.hashtext(bucket)))
            )
            # Rows of a spacing bucket hold the second of each allowed hit in `window`.
            last = (
                await conn.execute(
                    select(func.max(rate_limits.c.window)).where(rate_limits.c.bucket == bucket)
                )
            ).scalar_one_or_none()
            if last is not None and now < last + wait:
                raise too_many(last + wait - now, message)
            await conn.execute(
                insert(rate_limits)
                .values(bucket=bucket, window=int(now), hits=1)
                .on_conflict_do_nothing()
            )
            await self._sweep(conn, now)

    @staticmethod
    async def _sweep(conn: AsyncConnection, now: float) -> None:
        # Old windows are garbage; sweep now and then rather than run a cron job.
        if random.random() < 0.01:
            await conn.execute(delete(rate_limits).where(rate_limits.c.window < now - 86400))


# The first key of the advisory locks `space` takes (two-key locks never meet migrate.py's
# one-key lock).
_SPACING_LOCKS = 7216


def client_ip(remote: str | None, forwarded_for: str | None, trust_forwarded_for: bool) -> str:
    """The caller's address for rate limiting; the proxy's X-Forwarded-For only when trusted."""
    if trust_forwarded_for and forwarded_for:
        # The last hop was added by our own proxy; anything left of it is client-controlled.
        # Something that is not an address (a misconfigured proxy passing the client's header
        # through) is no bucket name: it would let a client pick its own bucket.
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(forwarded_for.split(",")[-1].strip()))
    return remote or "unknown"
