"""The daily quota budget: Pacific-midnight reset, optional calls slow then stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streampai_desktop.platforms.youtube.quota import QuotaBudget, next_reset


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_the_day_ends_at_midnight_pacific_in_winter_and_summer() -> None:
    # 08:00 UTC in winter (PST, UTC-8), 07:00 UTC in summer (PDT, UTC-7).
    assert next_reset(datetime(2026, 12, 3, 15, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 8, 0, tzinfo=UTC
    )
    assert next_reset(datetime(2026, 7, 1, 6, 59, tzinfo=UTC)) == datetime(
        2026, 7, 1, 7, 0, tzinfo=UTC
    )


def test_units_count_up_and_start_again_after_the_reset() -> None:
    clock = Clock(datetime(2026, 12, 4, 7, 59, tzinfo=UTC))  # 23:59 in California
    budget = QuotaBudget(clock=clock)
    budget.spend("chat_list")
    budget.spend("liveBroadcasts")
    assert budget.used == 6
    assert budget.summary() == "6 of 10,000 quota units used today"
    clock.now += timedelta(minutes=2)
    assert budget.used == 0


def test_optional_calls_slow_down_then_stop_before_chat() -> None:
    budget = QuotaBudget(per_day=1000, clock=Clock(datetime(2026, 12, 3, tzinfo=UTC)))
    assert budget.optional_interval(60) == 60
    budget.spend_units(800)
    assert budget.optional_interval(60) == 240
    budget.spend_units(100)
    assert budget.optional_interval(60) is None
    budget.used_up()
    assert budget.used == 1000
