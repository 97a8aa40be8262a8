"""Metric retention: a week at full resolution, older samples averaged into coarser buckets.

Viewer counts are sampled about once a minute while live (≈10k rows a week for a full-time
streamer); beyond a week the chart needs trends, not minutes, so older samples are replaced by one
average per ``bucket`` per (platform, metric). Run :func:`downsample` from maintenance (app start,
then daily); it is idempotent: a bucket that already holds one sample at its start is left alone.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from streampai_desktop.store.models import MetricSampleRow

FULL_RESOLUTION = timedelta(days=7)
BUCKET = timedelta(minutes=15)


def bucket_start(at: datetime, bucket: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    seconds = int((at - epoch).total_seconds())
    size = int(bucket.total_seconds())
    return epoch + timedelta(seconds=seconds - seconds % size)


def downsample(
    session: Session,
    now: datetime | None = None,
    *,
    keep: timedelta = FULL_RESOLUTION,
    bucket: timedelta = BUCKET,
) -> int:
    """Average samples older than ``now - keep`` into ``bucket``-sized steps; returns rows removed.

    Runs inside the caller's transaction (``with db.session() as s: downsample(s)``).
    """
    from sqlalchemy import delete, select

    from streampai_desktop.store.models import MetricSampleRow

    now = now or datetime.now(UTC)
    # Only whole buckets before the cutoff, so a bucket is never split across two runs.
    cutoff = bucket_start(now - keep, bucket)
    rows = session.scalars(select(MetricSampleRow).where(MetricSampleRow.at < cutoff)).all()
    groups: dict[tuple[str, str, datetime], list[MetricSampleRow]] = defaultdict(list)
    for row in rows:
        groups[(row.platform, row.metric, bucket_start(row.at, bucket))].append(row)
    removed = 0
    for (platform, metric, start), members in groups.items():
        if len(members) == 1 and members[0].at == start:
            continue  # already downsampled
        mean = sum(m.value for m in members) / len(members)
        session.execute(
            delete(MetricSampleRow).where(MetricSampleRow.id.in_([m.id for m in members]))
        )
        session.add(MetricSampleRow(platform=platform, metric=metric, at=start, value=mean))
        removed += len(members) - 1
    session.flush()
    return removed


def needs_downsampling(
    connection: sqlite3.Connection,
    now: datetime | None = None,
    *,
    keep: timedelta = FULL_RESOLUTION,
    bucket: timedelta = BUCKET,
) -> bool:
    """Whether :func:`downsample` would change anything: some bucket before the cutoff holds
    more than one sample, or one that is not at the bucket's start.

    Plain ``sqlite3`` on :meth:`Database.read <streampai_desktop.store.db.Database.read>`'s
    connection, all of it in SQLite: the app checks on every start, and nearly always there is
    nothing to do, which needs no SQLAlchemy. Times are compared as the text the models store
    (naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``), which sorts like the times themselves.
    """
    now = now or datetime.now(UTC)
    cutoff = bucket_start(now - keep, bucket).astimezone(UTC).replace(tzinfo=None)
    size = int(bucket.total_seconds())
    epoch = "CAST(strftime('%s', at) AS INTEGER)"
    rows = connection.execute(
        f"SELECT 1 FROM metric_samples WHERE at < ? GROUP BY platform, metric, {epoch} / ? "
        f"HAVING count(*) > 1 OR min(at) != "
        f"strftime('%Y-%m-%d %H:%M:%S', {epoch} / ? * ?, 'unixepoch') || '.000000' LIMIT 1",
        (f"{cutoff:%Y-%m-%d %H:%M:%S.%f}", size, size, size),
    ).fetchall()
    return bool(rows)
