"""Metric retention: a week at full resolution, older samples averaged per bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete

from streampai_desktop.store import open_database
from streampai_desktop.store.metrics import downsample, needs_downsampling
from streampai_desktop.store.models import MetricSampleRow
from streampai_desktop.store.records import MetricSample
from streampai_desktop.store.repositories import MetricRepo

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_downsample_keeps_last_week_and_averages_older(tmp_path: Path) -> None:
    db = open_database(tmp_path).db
    old_start = NOW - timedelta(days=10)
    samples = [
        MetricSample("twitch", "viewers", old_start + timedelta(minutes=i), float(i))
        for i in range(30)
    ]
    recent = [
        MetricSample("twitch", "viewers", NOW - timedelta(hours=1, minutes=i), 5.0)
        for i in range(10)
    ]
    with db.session() as s:
        MetricRepo(s).add_many(samples + recent)
    with db.session() as s:
        removed = downsample(s, NOW)
    with db.session() as s:
        old = MetricRepo(s).range(
            "twitch", "viewers", old_start - timedelta(days=1), NOW - timedelta(days=7)
        )
        kept = MetricRepo(s).range("twitch", "viewers", NOW - timedelta(days=1), NOW)
    assert removed == 28  # 30 one-minute samples → two 15-minute averages
    assert [(o.at.minute, o.value) for o in old] == [(0, 7.0), (15, 22.0)]
    assert len(kept) == 10  # the last week untouched
    with db.session() as s:
        assert downsample(s, NOW) == 0  # idempotent
    db.close()


def test_needs_downsampling_says_whether_downsample_would_change_anything(tmp_path: Path) -> None:
    """The plain-sqlite3 check each start makes before it opens a session (and SQLAlchemy)."""
    db = open_database(tmp_path).db
    old = NOW - timedelta(days=10)
    cases = [
        [],  # nothing old
        [old],  # one sample at a bucket's start: already downsampled
        [old + timedelta(minutes=1)],  # one sample inside a bucket: moved to its start
        [old + timedelta(microseconds=1)],
        [old, old + timedelta(minutes=14)],  # two in one bucket
        [old, old + timedelta(minutes=15)],  # two buckets, each at its start
        [old - timedelta(days=300), old + timedelta(minutes=30)],
    ]

    def rows() -> list[MetricSample]:
        with db.session() as s:
            return MetricRepo(s).range("twitch", "viewers", NOW - timedelta(days=400), NOW)

    results = []
    for times in cases:
        with db.session() as s:
            s.execute(delete(MetricSampleRow))
            MetricRepo(s).add_many(
                [MetricSample("twitch", "viewers", at, 1.0) for at in times]
                + [MetricSample("twitch", "viewers", NOW - timedelta(minutes=63), 2.0)]
            )
        before = rows()
        needed = needs_downsampling(db.read(), NOW)
        with db.session() as s:
            downsample(s, NOW)
        assert needed == (rows() != before), times
        results.append(needed)
        assert not needs_downsampling(db.read(), NOW), times
    assert results == [False, False, True, True, True, False, False]
    db.close()
