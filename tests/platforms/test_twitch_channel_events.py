"""Recorded notifications of the channel's own moments (Twitch's documentation examples) → core
events: chat notifications, charity donations, hype trains (v2), polls, predictions, shoutouts,
ad breaks, goals and the streamer's own raid."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.platforms.twitch import mapping
from streampai_desktop.platforms.twitch.auth import SCOPES
from streampai_desktop.platforms.twitch.connector import SUBSCRIPTIONS
from tests.fakes.twitch import PAYLOADS, SUBSCRIPTION_SCOPES, load_payload


def one(name: str) -> ev.Event:
    (event,) = mapping.map_notification(load_payload(name))
    assert ev.event_from_json(event.to_json()) == event  # survives the overlay/event-log JSON
    return event


def test_every_recorded_payload_maps_to_an_event_kind() -> None:
    unmapped = []
    for path in sorted(PAYLOADS.glob("*.json")):
        events = mapping.map_notification(load_payload(path.stem))
        if not events and path.stem != "channel_update":  # a title change is stream state only
            unmapped.append(path.stem)
        for event in events:
            assert event.kind in ev.EVENT_TYPES
    assert unmapped == []


def test_each_subscription_asks_for_a_scope_the_sign_in_requests_and_twitch_requires() -> None:
    for spec in SUBSCRIPTIONS:
        # The scopes Twitch's reference names for the type (the fake's table) are the app's.
        assert set(spec.scopes) == set(SUBSCRIPTION_SCOPES.get(spec.type, ())) or (
            spec.type == "channel.follow"  # moderator:manage:followers works too; we ask less
        ), spec.type
        if spec.scopes:
            assert set(spec.scopes) & set(SCOPES), f"sign-in never asks for {spec.type}"
            assert spec.feature, f"the prompt must name what {spec.type} brings"
    versions = {s.type: s.version for s in SUBSCRIPTIONS}
    assert {versions[f"channel.hype_train.{x}"] for x in ("begin", "progress", "end")} == {"2"}


def test_charity_donation_is_money_in_minor_units_with_the_charity() -> None:
    donation = one("charity_campaign_donate")
    assert isinstance(donation, ev.CharityDonation) and donation.alertable
    assert donation.amount == ev.Money(10000, "USD")  # value 10000, 2 decimal places: $100.00
    assert donation.charity_name == "Example name"
    assert donation.actor_name == "GenerousUser1"
    assert donation.id == "a1b2c3-aabb-4455-d1e2f3", "Twitch's donation id is the dedupe key"


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        ({"value": 10000, "decimal_places": 2, "currency": "USD"}, 10000),
        ({"value": 5, "decimal_places": 0, "currency": "EUR"}, 500),
        ({"value": 1500, "decimal_places": 0, "currency": "JPY"}, 1500),
        ({"value": 123456, "decimal_places": 3, "currency": "USD"}, 12345),
    ],
)
def test_money_follows_the_decimal_places_twitch_used(
    amount: dict[str, object], minor: int
) -> None:
    assert mapping.money(amount).minor == minor


def test_hype_train_v2_begin_progress_end() -> None:
    begin = one("hype_train_begin")
    assert isinstance(begin, ev.HypeTrainBegin) and begin.alertable
    assert (begin.train_id, begin.level, begin.total, begin.progress, begin.goal) == (
        "1b0AsbInCHZW2SQFQkCzqN07Ib2",
        1,
        137,
        137,
        500,
    )
    assert begin.train_type == "regular" and not begin.shared and begin.all_time_high_level == 4
    assert begin.ends_at == datetime(2020, 7, 15, 17, 16, 11, 171067, tzinfo=UTC)
    assert begin.at == datetime(2020, 7, 15, 17, 16, 3, 171067, tzinfo=UTC)  # started_at
    assert begin.user is None and not begin.has_actor

    progress = one("hype_train_progress")
    assert isinstance(progress, ev.HypeTrainProgress) and not progress.alertable
    assert (progress.level, progress.progress, progress.goal, progress.total) == (2, 200, 1800, 700)

    end = one("hype_train_end")
    assert isinstance(end, ev.HypeTrainEnd) and not end.alertable
    assert end.cooldown_ends_at == datetime(2020, 7, 16, 17, 16, 11, 171067, tzinfo=UTC)


def test_a_shared_golden_kappa_train_names_the_other_channels() -> None:
    shared = one("hype_train_progress_shared")
    assert isinstance(shared, ev.HypeTrainProgress)
    assert shared.shared and shared.train_type == "golden_kappa"
    # Twitch lists this channel among the participants; the others are who it is shared with.
    assert [u.display_name for u in shared.shared_with] == ["PogChamp"]


def test_a_level_up_is_noticed_once_per_level() -> None:
    begin = one("hype_train_begin")
    progress = one("hype_train_progress")
    assert isinstance(begin, ev.HypeTrainBegin) and isinstance(progress, ev.HypeTrainProgress)
    assert mapping.level_up(None, begin) is None, "the first the app hears of a train"
    assert mapping.level_up(2, progress) is None, "still level 2"
    up = mapping.level_up(1, progress)
    assert isinstance(up, ev.HypeTrainLevelUp) and up.alertable and up.level == 2
    assert up.id == "hype_train:1b0AsbInCHZW2SQFQkCzqN07Ib2:level:2"
    assert mapping.level_up(1, progress) == up, "the same level up whenever it is noticed"


def test_poll_begin_progress_end() -> None:
    begin = one("poll_begin")
    assert isinstance(begin, ev.PollBegin)
    assert begin.title == "Aren\u2019t shoes just really hard socks?"  # Twitch's example
    assert [(c.title, c.votes) for c in begin.choices] == [("Yeah!", 0), ("No!", 0), ("Maybe!", 0)]
    assert begin.ends_at == datetime(2020, 7, 15, 17, 16, 8, 171067, tzinfo=UTC)
    progress = one("poll_progress")
    assert isinstance(progress, ev.PollProgress)
    assert [c.votes for c in progress.choices] == [12, 14, 7]
    end = one("poll_end")
    assert isinstance(end, ev.PollEnd) and end.status == "completed"
    assert [(c.title, c.votes) for c in end.choices] == [
        ("Blue", 120),
        ("Yellow", 140),
        ("Green", 80),
    ]


def test_prediction_begin_progress_lock_end() -> None:
    begin = one("prediction_begin")
    assert isinstance(begin, ev.PredictionBegin)
    assert [(o.title, o.color, o.users) for o in begin.outcomes] == [
        ("Yeah!", "blue", 0),
        ("No!", "pink", 0),
    ]
    assert begin.locks_at == datetime(2020, 7, 15, 17, 21, 3, 171067, tzinfo=UTC)
    progress = one("prediction_progress")
    assert isinstance(progress, ev.PredictionProgress)
    # "No!" has no users/channel_points yet in Twitch's example: nobody bet on it.
    assert [(o.users, o.channel_points) for o in progress.outcomes] == [(10, 15000), (0, 0)]
    lock = one("prediction_lock")
    assert isinstance(lock, ev.PredictionLock)
    assert lock.at == datetime(2020, 7, 15, 17, 21, 3, 171067, tzinfo=UTC)  # locked_at
    end = one("prediction_end")
    assert isinstance(end, ev.PredictionEnd)
    assert (end.status, end.winning_outcome_id) == ("resolved", "12345")


def test_shoutouts_given_and_received() -> None:
    given = one("shoutout_create")
    assert isinstance(given, ev.ShoutoutSent)
    assert given.actor_name == "SandySanderman" and given.viewers == 860
    assert given.moderator is not None and given.moderator.login == "particularlyparticular123"
    received = one("shoutout_receive")
    assert isinstance(received, ev.ShoutoutReceived)
    assert received.actor_name == "SimplySimple" and received.viewers == 860


def test_ad_break_and_goals() -> None:
    ad = one("ad_break_begin")
    assert isinstance(ad, ev.AdBreak) and ad.duration_s == 60 and not ad.automatic
    assert ad.at == datetime(2019, 11, 16, 10, 11, 12, 634234, tzinfo=UTC)
    # A boolean written as text (some libraries' notes on this field) reads the same.
    raw = copy.deepcopy(load_payload("ad_break_begin"))
    raw["payload"]["event"].update(is_automatic="true", duration_seconds="90")
    (automatic,) = mapping.map_notification(raw)
    assert isinstance(automatic, ev.AdBreak) and automatic.automatic and automatic.duration_s == 90
    begin = one("goal_begin")
    assert isinstance(begin, ev.GoalBegin)
    assert (begin.goal_type, begin.current, begin.target) == ("subscription", 22, 44)
    end = one("goal_end")
    assert isinstance(end, ev.GoalEnd) and not end.achieved


def test_the_streamers_own_raid_is_not_an_incoming_raid() -> None:
    sent = one("raid_outgoing")
    assert isinstance(sent, ev.RaidSent) and not sent.alertable
    assert sent.actor_name == "Cool_User" and sent.viewers == 9001  # the channel raided
    received = one("raid")
    assert isinstance(received, ev.Raid) and received.alertable


@pytest.mark.parametrize(
    ("name", "notice", "actor", "check"),
    [
        ("chat_notification_resub", "resub", "viewer23", {"text": "Ten months already!"}),
        ("chat_notification_community_sub_gift", "community_sub_gift", "Anonymous", {}),
        ("chat_notification_announcement", "announcement", "Cool_Streamer", {"color": "PURPLE"}),
        ("chat_notification_raid", "raid", "Cool_User", {"viewers": 9001}),
        ("chat_notification_bits_badge_tier", "bits_badge_tier", "viewer23", {"badge_tier": 1000}),
    ],
)
def test_chat_notifications_are_chat_lines_not_alerts(
    name: str, notice: str, actor: str, check: dict[str, object]
) -> None:
    line = one(name)
    assert isinstance(line, ev.ChatNotification) and not line.alertable
    assert line.notice_type == notice and line.actor_name == actor
    for field, value in check.items():
        assert getattr(line, field) == value


def test_pay_it_forward_names_the_recipient_and_keeps_the_chatters_badges() -> None:
    line = one("chat_notification_pay_it_forward")
    assert isinstance(line, ev.ChatNotification)
    assert line.system_message.startswith("BaBa_Avil is paying forward")
    assert line.recipient is not None and line.recipient.login == "melizhr"
    assert line.user is not None and line.user.badges == (ev.Badge("subscriber", "3", "4"),)
    assert line.user.color == "#9ACD32"


def test_a_shared_chat_notice_is_named_plainly_and_dedupes_by_its_source() -> None:
    raw = copy.deepcopy(load_payload("chat_notification_resub"))
    event = raw["payload"]["event"]
    event["shared_chat_resub"], event["resub"] = event["resub"], None
    event.update(
        notice_type="shared_chat_resub",
        source_broadcaster_user_id="2000",
        source_message_id="source-1",
        source_badges=[{"set_id": "subscriber", "id": "6", "info": "6"}],
    )
    (line,) = mapping.map_notification(raw)
    assert isinstance(line, ev.ChatNotification) and line.notice_type == "resub"
    assert line.dedupe_key == ("twitch", "source-1")
    assert line.user is not None and line.user.badges == (ev.Badge("subscriber", "6", "6"),)
