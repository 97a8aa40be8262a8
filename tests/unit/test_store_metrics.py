"""Metric retention: a week at full resolution, older samples averaged per bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from streampai_desktop.store import open_database
from streampai_desktop.store.metrics import downsample
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
