"""Recorded EventSub notifications (Twitch's documented shapes) → core events."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.core.bus import TOPIC_CHAT, EventBus
from streampai_desktop.platforms.twitch import mapping
from streampai_desktop.platforms.twitch.connector import SUBSCRIPTIONS
from streampai_desktop.stream.ingest import EventIngest
from tests.fakes.twitch import load_payload


def one(name: str) -> ev.Event:
    (event,) = mapping.map_notification(load_payload(name))
    assert ev.event_from_json(event.to_json()) == event  # survives the overlay/event-log JSON
    return event


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Twitch's own form, read directly (nanoseconds cut to microseconds).
        ("2024-05-04T18:21:04.123456789Z", datetime(2024, 5, 4, 18, 21, 4, 123456, tzinfo=UTC)),
        ("2024-05-04T18:21:04Z", datetime(2024, 5, 4, 18, 21, 4, tzinfo=UTC)),
        ("2024-05-04T20:21:04.5+02:00", datetime(2024, 5, 4, 18, 21, 4, 500000, tzinfo=UTC)),
        ("2024-05-04T18:21:04", datetime(2024, 5, 4, 18, 21, 4, tzinfo=UTC)),  # no offset: UTC
        # Looser forms go through the slower preparation.
        (" 2024-05-04T18:21:04.1234567890Z ", datetime(2024, 5, 4, 18, 21, 4, 123456, tzinfo=UTC)),
    ],
)
def test_times_become_utc(text: str, expected: datetime) -> None:
    parsed = mapping.parse_time(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


def test_every_subscribed_type_has_a_mapper() -> None:
    assert {s.type for s in SUBSCRIPTIONS} <= set(mapping.MAPPERS)


def test_chat_message_keeps_fragments_badges_colour_and_bits() -> None:
    msg = one("chat_message")
    assert isinstance(msg, ev.ChatMessage)
    assert msg.id == "cc106a89-1814-919d-454c-f4f2f970aae7"  # what a later delete refers to
    assert msg.user == ev.User(
        "4145994",
        "viewer32",
        "Viewer32",
        "#00FF7F",
        (ev.Badge("subscriber", "12", "16"), ev.Badge("sub-gifter", "1", "")),
    )
    assert [(f.type, f.text) for f in msg.fragments] == [
        ("text", "Hi chat "),
        ("emote", "Kappa"),
        ("text", " "),
        ("mention", "@streamer_friend"),
        ("text", " "),
        ("cheermote", "cheer100"),
    ]
    assert msg.fragments[1].emote_id == "25"
    assert msg.fragments[3].user_login == "streamer_friend"
    assert msg.fragments[5].bits == 100
    assert msg.bits == 100
    assert msg.at == datetime(2024, 5, 4, 18, 21, 4, 123456, tzinfo=UTC)  # nanoseconds cut


def test_shared_chat_message_shows_the_source_channels_badges() -> None:
    # Twitch's channel.chat.message example for a message written in another channel of a
    # Shared Chat session: badges here, source_badges there; the chat shows the latter.
    msg = one("chat_message_shared")
    assert isinstance(msg, ev.ChatMessage) and msg.text == "Hi chat"
    assert msg.user is not None and msg.user.badges == (ev.Badge("subscriber", "3", "3"),)
    assert msg.id == "cc106a89-1814-919d-454c-f4f2f970aae7", "a delete here refers to this id"
    assert msg.source_message_id == "e03f6d5d-8ec8-4c63-b473-9e5fe61e289b"
    assert msg.dedupe_key == ("twitch", "e03f6d5d-8ec8-4c63-b473-9e5fe61e289b")
    # Outside a shared chat (source_* null) nothing changes.
    own = one("chat_message")
    assert isinstance(own, ev.ChatMessage) and own.source_message_id is None
    assert own.dedupe_key == ("twitch", own.id)


async def test_one_shared_chat_message_through_two_channels_is_one_message() -> None:
    """A message written in channel 112233 reaches both of the streamer's channels in the
    session (two signed-in accounts): once with source_* filled, once as the channel's own
    message (message_id = the other's source_message_id). The chat shows it once."""
    there = load_payload("chat_message_shared")
    own = copy.deepcopy(there)
    event = own["payload"]["event"]
    event.update(
        broadcaster_user_id="112233",
        message_id=event["source_message_id"],
        badges=event["source_badges"],
        source_broadcaster_user_id=None,
        source_broadcaster_user_login=None,
        source_broadcaster_user_name=None,
        source_message_id=None,
        source_badges=None,
        is_source_only=None,
    )
    own["metadata"]["message_id"] = "another-notification"
    bus = EventBus()
    chat = bus.subscribe([TOPIC_CHAT])
    ingest = EventIngest(bus)
    for raw in (there, own, there):
        for mapped in mapping.map_notification(raw):
            ingest.submit_nowait(mapped)
    assert chat.qsize() == 1 and ingest.duplicates == 2
    shown = (await chat.get()).payload
    assert shown.user.badges == (ev.Badge("subscriber", "3", "3"),)


def test_emote_only_message_without_colour_or_badges() -> None:
    msg = one("chat_message_emote_only")
    assert isinstance(msg, ev.ChatMessage)
    assert [f.type for f in msg.fragments] == ["emote", "text", "emote"]
    assert [f.emote_id for f in msg.fragments if f.type == "emote"] == ["25", "305954156"]
    assert msg.user is not None and msg.user.color is None and msg.user.badges == ()


def test_reply_points_at_parent() -> None:
    msg = one("chat_message_reply")
    assert isinstance(msg, ev.ChatMessage)
    assert msg.reply_to_id == "cc106a89-1814-919d-454c-f4f2f970aae7"


def test_moderation_events() -> None:
    deleted = one("chat_message_delete")
    assert isinstance(deleted, ev.ChatMessageDeleted)
    assert deleted.message_id == "cc106a89-1814-919d-454c-f4f2f970aae7"
    assert isinstance(one("chat_clear"), ev.ChatCleared)
    cleared = one("chat_clear_user_messages")
    assert (
        isinstance(cleared, ev.ChatUserBanned) and cleared.user and cleared.user.login == "viewer32"
    )
    ban = one("ban")
    assert isinstance(ban, ev.ChatUserBanned)
    assert ban.duration_s == 600 and ban.reason == "Offensive language"


def test_follow_sub_resub() -> None:
    follow = one("follow")
    assert isinstance(follow, ev.Follow) and follow.actor_name == "Cool_User"
    sub = one("subscribe")
    assert isinstance(sub, ev.Subscription) and sub.months == 1 and not sub.is_gift
    resub = one("subscription_message")
    assert isinstance(resub, ev.Subscription)
    assert (resub.months, resub.tier, resub.message) == (15, "2000", "Love the stream! FevziGG")


def test_a_gifted_sub_is_a_sub_marked_as_gift() -> None:
    # channel.subscribe for a gift's recipient: the documented example with is_gift true.
    gifted = one("subscribe_gifted")
    assert isinstance(gifted, ev.Subscription) and gifted.alertable
    assert (gifted.is_gift, gifted.actor_name, gifted.tier) == (True, "Cool_User", "1000")
    plain = one("subscribe")
    assert gifted.dedupe_key != plain.dedupe_key, "each recipient is its own log entry"


@pytest.mark.parametrize(
    ("name", "anonymous", "actor", "count"),
    [
        ("subscription_gift", False, "Cool_User", 5),
        ("subscription_gift_anonymous", True, "Anonymous", 2),
        ("subscription_gift_single", False, "Cool_User", 1),
    ],
)
def test_gift_subs(name: str, anonymous: bool, actor: str, count: int) -> None:
    gift = one(name)
    assert isinstance(gift, ev.GiftSubscription)
    assert (gift.anonymous, gift.actor_name, gift.count) == (anonymous, actor, count)


@pytest.mark.parametrize(
    ("name", "anonymous", "actor", "bits"),
    [("cheer", False, "Cool_User", 1000), ("cheer_anonymous", True, "Anonymous", 100)],
)
def test_cheers(name: str, anonymous: bool, actor: str, bits: int) -> None:
    cheer = one(name)
    assert isinstance(cheer, ev.Cheer)
    assert (cheer.anonymous, cheer.actor_name, cheer.bits) == (anonymous, actor, bits)


def test_raid_and_redemption() -> None:
    raid = one("raid")
    assert isinstance(raid, ev.Raid) and raid.viewers == 9001 and raid.actor_name == "Cool_User"
    red = one("redemption")
    assert isinstance(red, ev.ChannelPointRedemption)
    assert (red.reward_title, red.cost, red.user_input) == ("Hydrate", 100, "pogchamp")
    assert red.id == "17fa2df1-ad76-4804-bfa5-a40ef63efe63"


def test_stream_online_offline_and_channel_update_patch_the_state() -> None:
    online = load_payload("stream_online")
    assert isinstance(one("stream_online"), ev.StreamOnline)
    assert mapping.stream_patch("stream.online", online["payload"]["event"]) == {
        "live": True,
        "started_at": datetime(2024, 5, 4, 18, 0, tzinfo=UTC),
    }
    assert isinstance(one("stream_offline"), ev.StreamOffline)
    update = load_payload("channel_update")
    assert mapping.map_notification(update) == []
    assert mapping.stream_patch("channel.update", update["payload"]["event"]) == {
        "title": "Best Stream Ever",
        "category": "Grand Theft Auto",
    }


def test_redelivered_notification_maps_to_the_same_id() -> None:
    # Twitch resends with the same message_id; the ingest dedupes on (platform, id).
    first = mapping.map_notification(load_payload("follow"))[0]
    again = mapping.map_notification(load_payload("follow"))[0]
    assert first.dedupe_key == again.dedupe_key
