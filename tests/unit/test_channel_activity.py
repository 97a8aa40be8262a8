"""Channel activity from events: progress replaces, an end clears or keeps the result, and the
JSON the dashboard and widgets read (percentages, countdowns)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

from streampai_desktop.core import events as ev
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.notices import ChannelActivityChanged, notice_topics
from streampai_desktop.platforms.twitch import mapping
from streampai_desktop.stream.channel_activity import (
    ChannelActivity,
    ChannelActivityTracker,
    apply,
)
from tests.fakes.twitch import load_payload

NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


def recorded(name: str) -> ev.Event:
    (event,) = mapping.map_notification(load_payload(name))
    return event


def run(*names: str) -> ChannelActivity:
    state = ChannelActivity()
    for name in names:
        state = apply(state, recorded(name))
    return state


def test_a_poll_shows_live_percentages_and_keeps_its_result() -> None:
    begun = run("poll_begin")
    assert begun.poll is not None and begun.poll.status == "open"
    assert begun.to_json()["poll"]["total_votes"] == 0
    live = run("poll_begin", "poll_progress").to_json()["poll"]
    assert [(c["title"], c["votes"], c["percent"]) for c in live["choices"]] == [
        ("Yeah!", 12, 36.4),
        ("No!", 14, 42.4),
        ("Maybe!", 7, 21.2),
    ]
    assert live["ends_at"] == "2020-07-15T17:16:08.171067Z"
    ended = run("poll_begin", "poll_progress", "poll_end").to_json()["poll"]
    assert ended["status"] == "completed" and ended["ends_at"] is None
    assert [c["votes"] for c in ended["choices"]] == [120, 140, 80], "the end replaces progress"
    archived = dataclasses.replace(recorded("poll_end"), status="archived")
    assert apply(run("poll_begin"), archived).poll is None, "taken off the channel: gone"


def test_a_prediction_goes_open_locked_resolved_with_its_winner() -> None:
    assert run("prediction_begin").to_json()["prediction"]["status"] == "open"
    live = run("prediction_begin", "prediction_progress").to_json()["prediction"]
    assert [(o["title"], o["points"], o["users"], o["percent"]) for o in live["outcomes"]] == [
        ("Yeah!", 15000, 10, 100.0),
        ("No!", 0, 0, 0.0),
    ]
    locked = run("prediction_begin", "prediction_progress", "prediction_lock")
    assert locked.prediction is not None and locked.prediction.status == "locked"
    assert locked.prediction.locks_at is not None, "the lock time stays known"
    done = run("prediction_begin", "prediction_lock", "prediction_end").to_json()["prediction"]
    assert (done["status"], done["winning_outcome"]) == ("resolved", "Yeah!")


def test_a_hype_train_shows_its_level_and_progress_and_clears_when_it_ends() -> None:
    train = run("hype_train_begin", "hype_train_progress").to_json()["hype_train"]
    assert {k: train[k] for k in ("level", "progress", "goal", "total", "shared")} == {
        "level": 2,
        "progress": 200,
        "goal": 1800,
        "total": 700,
        "shared": False,
    }
    assert train["percent"] == 11.1
    shared = run("hype_train_progress_shared").to_json()["hype_train"]
    assert shared["shared"] and shared["shared_with"] == ["PogChamp"]
    assert shared["type"] == "golden_kappa"
    assert run("hype_train_begin", "hype_train_progress", "hype_train_end").hype_train is None


def test_an_ad_break_counts_down_and_is_gone_when_its_time_is_up() -> None:
    ad = dataclasses.replace(recorded("ad_break_begin"), at=NOW)
    state = apply(ChannelActivity(), ad)
    shown = state.to_json(NOW + timedelta(seconds=15))["ad_break"]
    assert shown == {
        "started_at": "2026-03-01T20:00:00Z",
        "duration_s": 60,
        "ends_at": "2026-03-01T20:01:00Z",
        "remaining_s": 45,
        "automatic": False,
    }
    assert state.expired(NOW + timedelta(seconds=59)).ad_break is not None
    assert state.expired(NOW + timedelta(seconds=60)).ad_break is None


def test_goals_progress_in_place_and_leave_when_they_end() -> None:
    begin = recorded("goal_begin")
    other = dataclasses.replace(begin, goal_id="other", description="Followers", current=1)
    state = apply(apply(ChannelActivity(), begin), other)
    moved = dataclasses.replace(begin, current=40)
    state = apply(state, moved)
    assert [(g.id, g.current) for g in state.goals] == [("12345-cool-event", 40), ("other", 1)]
    ended = dataclasses.replace(recorded("goal_end"), goal_id="12345-cool-event")
    assert [g.id for g in apply(state, ended).goals] == ["other"]


def test_the_streamers_raid_stays_until_the_next_stream() -> None:
    state = run("raid_outgoing")
    assert state.to_json()["raid"]["to"] == "Cool_User"
    assert state.to_json()["raid"]["viewers"] == 9001
    assert run("raid_outgoing", "stream_online").raid is None


def test_events_that_change_nothing_give_back_the_same_state() -> None:
    state = run("poll_begin", "poll_progress")
    assert apply(state, recorded("poll_progress")) is state, "a redelivery is no change"
    assert apply(state, recorded("follow")) is state
    assert ChannelActivity().idle and not state.idle


async def test_the_tracker_publishes_each_change_once_and_ends_an_ad_break_on_time() -> None:
    bus = EventBus()
    notices = bus.subscribe(notice_topics(ChannelActivityChanged))
    tracker = ChannelActivityTracker(bus)

    def published() -> list[ChannelActivityChanged]:
        return [m.payload for m in iter(notices.get_nowait, None)]

    tracker.observe("acc-1", "twitch", recorded("poll_progress"))
    tracker.observe("acc-1", "twitch", recorded("poll_progress"))  # redelivered: no change
    tracker.observe("acc-1", "twitch", dataclasses.replace(recorded("poll_end"), test=True))
    (first,) = published()
    assert (first.account_id, first.platform) == ("acc-1", "twitch")
    assert first.activity.poll.status == "open", "a test event never touches the real state"
    ad = dataclasses.replace(recorded("ad_break_begin"), at=ev.utc_now(), duration_s=1)
    tracker.observe("acc-1", "twitch", ad)
    (started,) = published()
    assert started.activity.ad_break is not None
    assert tracker.current("acc-1").ad_break is not None
    await asyncio.sleep(1.3)
    (ended,) = published()
    assert ended.activity.ad_break is None and ended.activity.poll is not None
    assert tracker.all() == {"acc-1": ended.activity}
    tracker.forget("acc-1")
    (cleared,) = published()
    assert cleared.activity.idle and tracker.current("acc-1").idle
    tracker.stop()


def test_progress_kinds_are_marked_as_running_updates() -> None:
    """Lists of the stream's moments leave these frequent updates out; the start, the end and
    the alerts stay."""
    updates = {kind for kind, cls in ev.EVENT_TYPES.items() if cls.running_update}
    assert updates == {
        "hype_train_progress",
        "poll_progress",
        "prediction_progress",
        "goal_progress",
        "reactions_tally",
    }
    assert not any(ev.EVENT_TYPES[k].alertable for k in updates)
