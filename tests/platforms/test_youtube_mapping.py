"""Recorded YouTube chat messages → core events, one per message type."""

from __future__ import annotations

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.platforms.youtube import mapping
from tests.fakes.youtube import PAYLOADS, load_payload


def one(name: str) -> ev.Event:
    (event,) = mapping.map_message(load_payload(name))
    assert event.platform == ev.Platform.YOUTUBE
    assert event.id == load_payload(name)["id"]  # YouTube's id is the dedupe key
    assert ev.event_from_json(event.to_json()) == event  # JSON round trip
    return event


def test_every_recorded_type_is_mapped() -> None:
    types = {load_payload(p.stem)["snippet"]["type"] for p in PAYLOADS.glob("*.json")}
    assert types == set(mapping.MAPPERS)


def test_text_message_keeps_emoji_and_custom_emoji_as_text() -> None:
    event = one("text_message")
    assert isinstance(event, ev.ChatMessage)
    assert event.text == "hello :wave: world 🎉"
    assert event.user is not None and event.user.display_name == "Viewer One"
    assert event.user.id == "UCviewer00000000000000001"


@pytest.mark.parametrize(
    ("name", "badges"),
    [
        ("text_message_owner", {"owner", "verified"}),
        ("text_message_moderator_member", {"moderator", "member"}),
        ("text_message", set()),
    ],
)
def test_author_badges(name: str, badges: set[str]) -> None:
    event = one(name)
    assert event.user is not None
    assert {b.set_id for b in event.user.badges} == badges


@pytest.mark.parametrize(
    ("name", "minor", "currency", "message"),
    [
        ("super_chat", 500, "EUR", "keep it up!"),  # 5,000,000 micros = €5.00
        ("super_chat_jpy", 1000, "JPY", ""),  # yen have no minor unit: ¥1,000
        ("super_sticker", 200, "USD", "Cat eating pizza"),  # the sticker's alt text
    ],
)
def test_super_chats_and_stickers_in_minor_units(
    name: str, minor: int, currency: str, message: str
) -> None:
    event = one(name)
    assert isinstance(event, ev.SuperChat) and event.alertable
    assert event.amount == ev.Money(minor, currency)
    assert event.message == message
    assert (event.sticker_id is not None) == (name == "super_sticker")


def test_new_member_milestone_and_upgrade() -> None:
    new = one("new_sponsor")
    assert isinstance(new, ev.Membership) and new.level_name == "Gold" and new.months == 1
    assert new.user is not None and ev.Badge("member", info="Gold") in new.user.badges
    upgrade = one("new_sponsor_upgrade")
    assert isinstance(upgrade, ev.Membership) and upgrade.message == "Upgraded to Platinum"
    milestone = one("member_milestone")
    assert isinstance(milestone, ev.Membership)
    assert (milestone.months, milestone.level_name, milestone.message) == (
        14,
        "Gold",
        "love this channel",
    )


def test_the_gift_rule_one_alert_for_the_gifter_received_gifts_recorded() -> None:
    gifting = one("membership_gifting")
    assert isinstance(gifting, ev.Membership) and gifting.alertable
    assert (gifting.gifted_count, gifting.level_name) == (5, "Gold")
    received = one("gift_membership_received")
    # A gifted sub: the alert box leaves it out unless "Alert each gifted sub" is on.
    assert isinstance(received, ev.Subscription) and received.is_gift
    assert received.user is not None and received.user.display_name == "Lucky Viewer"


def test_deleted_and_retracted_messages_name_the_message() -> None:
    for name in ("message_deleted", "message_retracted"):
        event = one(name)
        assert isinstance(event, ev.ChatMessageDeleted) and event.message_id == "LCC.text-1"


def test_bans_name_the_banned_user_and_duration() -> None:
    temporary = one("user_banned")
    assert isinstance(temporary, ev.ChatUserBanned) and temporary.duration_s == 300
    assert temporary.user is not None and temporary.user.id == "UCtroll000000000000000001"
    permanent = one("user_banned_permanent")
    assert isinstance(permanent, ev.ChatUserBanned) and permanent.duration_s is None


def test_chat_ended_poll_and_jewel_gift() -> None:
    assert isinstance(one("chat_ended"), ev.StreamOffline)
    assert mapping.is_chat_end(load_payload("chat_ended"))
    poll = one("poll")
    assert isinstance(poll, ev.PollProgress) and poll.title == "Next game?"
    assert [(c.title, c.votes) for c in poll.choices] == [("Celeste", 12), ("Hades", 30)]
    gift = one("gift")
    assert isinstance(gift, ev.ChatNotification) and gift.system_message == "sent Rose x3"


def test_an_unknown_type_is_skipped_not_an_error() -> None:
    item = load_payload("text_message")
    item["snippet"]["type"] = "someFutureEvent"
    assert mapping.map_message(item) == []
