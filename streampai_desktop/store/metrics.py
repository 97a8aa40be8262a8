"""Metric retention: a week at full resolution, older samples averaged into coarser buckets.

Viewer counts are sampled about once a minute while live (≈10k rows a week for a full-time
streamer); beyond a week the chart needs trends, not minutes, so older samples are replaced by one
average per ``bucket`` per (platform, metric). Run :func:`downsample` from maintenance (app start,
then daily); it is idempotent: a bucket that already holds one sample at its start is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
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
