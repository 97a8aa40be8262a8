"""Kick's documented webhook examples, relayed as the account service relays them → core events."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.platforms.kick import mapping
from streampai_desktop.platforms.kick.spec import SPEC
from streampai_desktop.widgets import alert_box

PAYLOADS = Path(__file__).parents[1] / "fakes" / "kick_payloads"


def payload(event_type: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{event_type}.json").read_text("utf-8"))
    return data


def relayed(event_type: str, body: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A ``kick_event`` frame's ``event``, as the service relays a webhook."""
    return {
        "id": 7,
        "event_type": event_type,
        "event_version": "1",
        "message_id": "01JKICKMSG0000000000000001",
        "broadcaster_user_id": 123456789,
        "received_at": "2025-01-14T16:08:07Z",
        "payload": payload(event_type) if body is None else body,
        **extra,
    }


def mapped(event_type: str, body: dict[str, Any] | None = None) -> list[ev.Event]:
    events = mapping.map_event(relayed(event_type, body))
    for event in events:
        assert event.platform == ev.Platform.KICK
        assert ev.event_from_json(event.to_json()) == event  # the JSON the overlays get
    return events


def alert(event: ev.Event) -> alert_box.ResolvedAlert | None:
    return alert_box.resolve(alert_box.defaults(), event, random.Random(1))


def test_every_documented_type_is_mapped() -> None:
    documented = {p.stem for p in PAYLOADS.glob("*.json")}
    assert documented == set(mapping.MAPPERS)


def test_chat_message_with_badges_emotes_and_reply() -> None:
    (event,) = mapped("chat.message.sent")
    assert isinstance(event, ev.ChatMessage)
    assert event.id == "unique_message_id_123"  # Kick's chat message id, not the delivery's
    assert event.at == datetime(2025, 1, 14, 16, 8, 6, tzinfo=UTC)
    assert event.text == "Hello HYPERCLAP HYPERCLAP KEKW"
    assert event.fragments == (
        ev.Fragment("text", "Hello "),
        ev.Fragment("emote", "HYPERCLAP", emote_id="4148074"),
        ev.Fragment("text", " "),
        ev.Fragment("emote", "HYPERCLAP", emote_id="4148074"),
        ev.Fragment("text", " "),
        ev.Fragment("emote", "KEKW", emote_id="37226"),
    )
    assert event.reply_to_id == "unique_message_id_456"
    user = event.user
    assert user is not None
    assert (user.id, user.display_name, user.color) == ("987654321", "sender_name", "#FF5733")
    assert [(b.set_id, b.id, b.info) for b in user.badges] == [
        ("moderator", "", "Moderator"),
        ("sub_gifter", "5", "Sub Gifter"),
        ("subscriber", "3", "Subscriber"),
    ]


def test_an_emote_image_comes_from_the_kick_emote_url_setting() -> None:
    (event,) = mapped("chat.message.sent")
    assert isinstance(event, ev.ChatMessage)
    emote = next(f for f in event.fragments if f.type == "emote")
    template = SPEC.emote_url({"kick_emote_url": "https://files.kick.com/emotes/{id}/fullsize"})
    assert template is not None
    assert template.replace("{id}", str(emote.emote_id)) == (
        "https://files.kick.com/emotes/4148074/fullsize"
    )


def test_mentions_are_fragments_and_plain_text_stays_text() -> None:
    body = {**payload("chat.message.sent"), "content": "gg @Some_Viewer, mail@example.com"}
    (event,) = mapped("chat.message.sent", body)
    assert isinstance(event, ev.ChatMessage)
    assert event.text == "gg @Some_Viewer, mail@example.com"
    assert event.fragments == (
        ev.Fragment("text", "gg "),
        ev.Fragment("mention", "@Some_Viewer", user_login="some_viewer"),
        ev.Fragment("text", ", mail@example.com"),
    )


def test_follow_alerts_with_the_follower() -> None:
    (event,) = mapped("channel.followed")
    assert isinstance(event, ev.Follow)
    assert event.id == "01JKICKMSG0000000000000001"  # the delivery's id: Kick keeps it on resend
    assert event.user is not None and event.user.display_name == "follower_name"
    assert event.at == datetime(2025, 1, 14, 16, 8, 7, tzinfo=UTC)  # when the service got it
    assert alert(event) is not None


@pytest.mark.parametrize(
    ("event_type", "months"), [("channel.subscription.new", 1), ("channel.subscription.renewal", 3)]
)
def test_new_and_renewed_subs(event_type: str, months: int) -> None:
    (event,) = mapped(event_type)
    assert isinstance(event, ev.Subscription)
    assert event.months == months and not event.is_gift
    assert event.user is not None and event.user.display_name == "subscriber_name"
    resolved = alert(event)
    assert resolved is not None and resolved.settings["amount_text"] == str(months)


def test_a_gift_of_n_subs_is_one_alert_and_each_recipient_is_recorded() -> None:
    body = payload("channel.subscription.gifts")
    giftee = body["giftees"][0]
    body["giftees"] = [
        giftee,
        {**giftee, "user_id": 2, "username": "second"},
        {**giftee, "user_id": 3, "username": "third"},
    ]
    gift, *received = mapped("channel.subscription.gifts", body)
    assert isinstance(gift, ev.GiftSubscription)
    assert gift.count == 3 and not gift.anonymous
    assert gift.user is not None and gift.user.display_name == "gifter_name"
    assert [e.user.display_name for e in received if e.user] == ["giftee_name", "second", "third"]
    assert all(isinstance(e, ev.Subscription) and e.is_gift for e in received)
    assert len({e.id for e in (gift, *received)}) == 4  # each recorded on its own
    # The gifter's alert stands for all of them; the recipients alert only when asked to.
    assert alert(gift) is not None
    assert [alert(e) for e in received] == [None, None, None]


def test_an_anonymous_gift_names_nobody() -> None:
    body = payload("channel.subscription.gifts")
    body["gifter"] = {
        "is_anonymous": True,
        "user_id": None,
        "username": None,
        "is_verified": None,
        "profile_picture": None,
        "channel_slug": None,
        "identity": None,
    }
    gift, _received = mapped("channel.subscription.gifts", body)
    assert isinstance(gift, ev.GiftSubscription)
    assert gift.anonymous and gift.user is None and gift.actor_name == "Anonymous"


def test_reward_redemption_is_one_per_redemption() -> None:
    (event,) = mapped("channel.reward.redemption.updated")
    assert isinstance(event, ev.ChannelPointRedemption)
    # Kick sends a redemption again as its status changes: its own id makes that one event.
    assert event.id == "01KBHE78QE4HZY1617DK5FC7YD"
    assert (event.reward_title, event.cost, event.user_input) == ("Uban Request", 1000, "unban me")
    assert event.user is not None and event.user.display_name == "naughty-user"


def test_stream_started_and_ended() -> None:
    started = relayed("livestream.status.updated")
    (online,) = mapping.map_event(started)
    assert isinstance(online, ev.StreamOnline)
    assert online.at == datetime(2025, 1, 1, 0, 0, tzinfo=UTC)  # 11:00 at +11:00
    assert mapping.stream_patch(started) == {
        "live": True,
        "title": "Stream Title",
        "started_at": datetime(2025, 1, 1, 0, 0, tzinfo=UTC),
    }
    body = {**payload("livestream.status.updated"), "is_live": False}
    body["ended_at"] = "2025-01-01T15:00:00+11:00"
    ended = relayed("livestream.status.updated", body)
    (offline,) = mapping.map_event(ended)
    assert isinstance(offline, ev.StreamOffline)
    assert offline.at == datetime(2025, 1, 1, 4, 0, tzinfo=UTC)
    assert mapping.stream_patch(ended) == {"live": False, "started_at": None, "viewers": None}
    # The livestreams poll names the same broadcast the same way: one start, one end.
    assert online.id == mapping.online_id(123456789, datetime(2025, 1, 1, tzinfo=UTC))
    assert offline.id == mapping.offline_id(123456789, datetime(2025, 1, 1, tzinfo=UTC))


def test_title_and_category_change_the_stream_state_only() -> None:
    event = relayed("livestream.metadata.updated")
    assert mapping.map_event(event) == []
    assert mapping.stream_patch(event) == {"title": "Stream Title", "category": "Category name"}


def test_a_ban_removes_the_viewers_messages() -> None:
    (event,) = mapped("moderation.banned")
    assert isinstance(event, ev.ChatUserBanned)
    assert event.user is not None and event.user.id == "135790135"  # whose messages go
    assert event.duration_s == 121 and event.reason == "banned reason"
    body = payload("moderation.banned")
    body["metadata"]["expires_at"] = None
    (permanent,) = mapped("moderation.banned", body)
    assert isinstance(permanent, ev.ChatUserBanned) and permanent.duration_s is None


def test_kicks_alert_with_their_amount() -> None:
    (event,) = mapped("kicks.gifted")
    assert isinstance(event, ev.KicksGift) and event.alertable
    assert (event.kicks, event.gift_name, event.tier, event.message) == (
        500,
        "Rage Quit",
        "MID",
        "w",
    )
    assert event.at == datetime(2025, 10, 20, 4, 0, 8, 634000, tzinfo=UTC)
    resolved = alert(event)
    assert resolved is not None
    assert resolved.settings["template"] == "{name} sent {amount}!"
    assert resolved.settings["amount_text"] == "500 Kicks"
    # The minimum counts Kicks: 501 leaves this 500-Kick gift out.
    config = alert_box.defaults()
    config["types"]["kicks_gift"]["min_amount"] = 501
    assert alert_box.resolve(config, event, random.Random(1)) is None


def test_unknown_types_and_bodies_map_to_nothing() -> None:
    assert mapping.map_event(relayed("channel.something.new", {"x": 1})) == []
    assert mapping.map_event({**relayed("channel.followed"), "payload": None}) == []
