"""The day's YouTube quota count outlives quitting and starting the app again (issue #14): the
units Google already counted today still count, "quota used up until HH:MM" stays until the
reset, and yesterday's count is forgotten. The real app, its real SQLite file, the fake YouTube.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.app import App
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.youtube.quota import QuotaBudget, pacific_day
from streampai_desktop.platforms.youtube.quota_keeper import SAVE_EVERY_S, QuotaKeeper, kept_key
from streampai_desktop.store import open_database, operations
from streampai_desktop.stream.kept_state import KEY_PREFIX, PreferenceKeptState
from tests.conftest import find_free_port
from tests.fakes.youtube import CLIENT_ID, FakeYouTube, text_message
from tests.platforms.youtube_app import (
    connect_youtube,
    is_live,
    point_the_app_at,
    running_app,
    units_shown,
    until,
    youtube_status,
)

SAVED_KEY = KEY_PREFIX + kept_key(CLIENT_ID)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def youtube(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube(find_free_port()) as fake:  # free_port is the app's
        point_the_app_at(fake, monkeypatch)
        yield fake


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


async def saved_units(app: App) -> int | None:
    """The count as the app's database holds it now (what a crash would leave behind)."""
    saved = (await app.run_db(operations.load_preferences, app.db)).get(SAVED_KEY)
    return saved.get("used") if isinstance(saved, dict) else None


async def test_the_days_units_survive_quitting_and_starting_again(
    youtube: FakeYouTube, data_dir: Path, free_port: int
) -> None:
    youtube.go_live()
    async with running_app(data_dir, free_port) as app:
        await connect_youtube(app, youtube)
        await until(lambda: is_live(app), what="live")
        await youtube.post(text_message("hello"))
        # The status line catches up with Google's count within the keeper's few seconds.
        await until(
            lambda: units_shown(app) == youtube.units > 0,
            within=SAVE_EVERY_S + 5,
            what="the app's count equals Google's",
        )
        # Saved while running, without quitting: a crash now would lose nothing.
        deadline = time.monotonic() + SAVE_EVERY_S + 5
        while (saved := await saved_units(app)) != youtube.units:
            assert time.monotonic() < deadline, f"not saved while running: {saved}"
            await asyncio.sleep(0.1)
        first_run = youtube.units

    # The next start on the same (Pacific) day carries on from Google's count, not from zero.
    async with running_app(data_dir, free_port) as app:
        await until(lambda: is_live(app), what="live again")
        shown = units_shown(app)
        assert shown is not None and shown >= first_run
        await until(
            lambda: units_shown(app) == youtube.units,
            within=SAVE_EVERY_S + 5,
            what="the count after the restart equals Google's",
        )
    assert youtube.units > first_run  # the second run spent some too


@pytest.mark.allow_logs(r"YouTube quota used up until")
async def test_quota_used_up_stays_used_up_after_a_restart_until_the_reset(
    youtube: FakeYouTube, data_dir: Path, free_port: int
) -> None:
    youtube.quota_exceeded = True
    async with running_app(data_dir, free_port) as app:
        await connect_youtube(app, youtube)
        await until(
            lambda: (s := youtube_status(app)) is not None and s.state is ConnectorState.ERROR,
            what="quota used up",
        )
        before = youtube_status(app)
    assert before is not None and before.reason.startswith("YouTube quota used up until ")
    calls = len(youtube.calls)

    async with running_app(data_dir, free_port) as app:
        after = await until(
            lambda: (
                (s := youtube_status(app)) is not None and s.state is ConnectorState.ERROR and s
            ),
            what="quota used up after the restart",
        )
        assert after.reason == before.reason
        assert after.next_attempt_at == before.next_attempt_at  # the next Pacific midnight
        await asyncio.sleep(0.5)
        # Google already said no for today: the restarted app does not ask again.
        assert len(youtube.calls) == calls


async def test_yesterdays_count_is_forgotten_after_the_reset(
    youtube: FakeYouTube, data_dir: Path, free_port: int
) -> None:
    # Yesterday (Pacific) the app used up the quota and then quit.
    yesterday = pacific_day(datetime.now(UTC)) - timedelta(days=1)
    opened = open_database(data_dir)
    saved = {"day": yesterday.isoformat(), "used": 10_000, "exhausted": True}
    operations.save_preference(opened.db, SAVED_KEY, saved)
    opened.db.close()
    youtube.go_live()
    async with running_app(data_dir, free_port) as app:
        await connect_youtube(app, youtube)
        await until(lambda: is_live(app), what="live: a new day, a new quota")
        shown = units_shown(app)
        assert shown is not None and shown <= youtube.units < 100


def test_a_restored_count_merges_and_rolls_over_at_midnight_pacific() -> None:
    clock = Clock(datetime(2026, 12, 4, 7, 0, tzinfo=UTC))  # 23:00 in California
    before_restart = QuotaBudget(clock=clock)
    before_restart.spend_units(300)
    before_restart.used_up()
    saved = before_restart.to_saved()

    after_restart = QuotaBudget(clock=clock)
    after_restart.spend_units(5)  # a call made before the saved count was read
    assert after_restart.restore(saved)
    assert after_restart.exhausted and after_restart.used == 10_000
    assert after_restart.restore(saved)  # twice: nothing counted twice
    assert after_restart.used == 10_000

    clock.now += timedelta(hours=1, minutes=1)  # 00:01: Google's new day
    assert not after_restart.exhausted and after_restart.used == 0
    assert not after_restart.restore(saved), "yesterday's count is not today's"
    assert after_restart.used == 0


@pytest.mark.parametrize(
    "damaged",
    [None, "300", {"day": "2026-12-03"}, {"day": "2026-12-03", "used": -4}, ["x"]],
)
def test_a_damaged_saved_count_is_ignored(damaged: object) -> None:
    budget = QuotaBudget(clock=Clock(datetime(2026, 12, 4, 7, 0, tzinfo=UTC)))
    budget.spend_units(7)
    assert not budget.restore(damaged)
    assert budget.used == 7 and not budget.exhausted


async def run_here(fn: Any, *args: Any) -> Any:
    return fn(*args)


@pytest.mark.allow_logs(r"could not save the YouTube quota count")
async def test_a_count_the_store_could_not_save_is_saved_at_the_next_chance(
    tmp_path: Path,
) -> None:
    budget = QuotaBudget()
    budget.spend_units(42)
    broken = open_database(tmp_path / "closed").db
    broken.close()
    # Logged, not raised: a store that cannot write must not take the chat down.
    await QuotaKeeper(budget, PreferenceKeptState(broken, run_here), CLIENT_ID).save()
    working = open_database(tmp_path / "open").db
    try:
        kept = PreferenceKeptState(working, run_here)
        await QuotaKeeper(budget, kept, CLIENT_ID).save()
        saved = await kept.load(kept_key(CLIENT_ID))
        assert isinstance(saved, dict) and saved["used"] == 42
    finally:
        working.close()
