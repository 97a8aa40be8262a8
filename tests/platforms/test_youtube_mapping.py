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
    ("name", "minor", "currency", "message", "tier"),
    [
        ("super_chat", 500, "EUR", "keep it up!", 2),  # 5,000,000 micros = €5.00
        ("super_chat_jpy", 1000, "JPY", "", 3),  # yen have no minor unit: ¥1,000
        ("super_sticker", 200, "USD", "Cat eating pizza", 1),  # the sticker's alt text
    ],
)
def test_super_chats_and_stickers_in_minor_units(
    name: str, minor: int, currency: str, message: str, tier: int
) -> None:
    event = one(name)
    assert isinstance(event, ev.SuperChat) and event.alertable
    assert event.amount == ev.Money(minor, currency)
    assert event.message == message
    assert (event.sticker_id is not None) == (name == "super_sticker")
    assert event.tier == tier  # YouTube's tier picks the colour the chat box draws it in


@pytest.mark.parametrize(
    ("payload", "details", "raw_tier", "tier"),
    [
        ("super_chat", "superChatDetails", 7, 7),
        ("super_sticker", "superStickerDetails", "4", 4),
        ("super_chat", "superChatDetails", None, None),  # not given: no tier, no guess
        ("super_chat", "superChatDetails", 0, None),
        ("super_sticker", "superStickerDetails", "gold", None),
    ],
)
def test_a_super_chat_tier_is_read_and_a_missing_or_odd_one_is_none(
    payload: str, details: str, raw_tier: object, tier: int | None
) -> None:
    item = load_payload(payload)
    if raw_tier is None:
        del item["snippet"][details]["tier"]
    else:
        item["snippet"][details]["tier"] = raw_tier
    (event,) = mapping.map_message(item)
    assert isinstance(event, ev.SuperChat) and event.tier == tier
    assert ev.event_from_json(event.to_json()) == event


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


def test_chat_ended_and_poll() -> None:
    assert isinstance(one("chat_ended"), ev.StreamOffline)
    assert mapping.is_chat_end(load_payload("chat_ended"))
    poll = one("poll")
    assert isinstance(poll, ev.PollProgress) and poll.title == "Next game?"
    assert [(c.title, c.votes) for c in poll.choices] == [("Celeste", 12), ("Hades", 30)]


def gift_combo(combo: int | None) -> dict:
    item = load_payload("gift")
    if combo is None:
        del item["snippet"]["giftDetails"]["comboCount"]
    else:
        item["snippet"]["giftDetails"]["comboCount"] = combo
    return item


def test_a_jewel_gift_is_a_line_in_chat_and_its_combo_updates_that_line() -> None:
    (first,) = mapping.map_message(gift_combo(None))  # a single gift: no count
    assert isinstance(first, ev.ChatNotification) and first.notice_type == "gift"
    assert (first.id, first.updates_id) == ("LCC.gift-1", None)
    assert first.system_message == "Jewel Fan sent Rose"
    assert mapping.delivery_key(gift_combo(1)) == "LCC.gift-1"
    # YouTube resends the same message id as the combo grows: each resend is an update of the
    # first line, with an id of its own (the event log keeps it; the dedupe lets it through).
    updates = [mapping.map_message(gift_combo(n))[0] for n in (2, 3, 5)]
    assert [(u.id, u.updates_id, u.system_message) for u in updates] == [
        ("LCC.gift-1/x2", "LCC.gift-1", "Jewel Fan sent Rose x2"),
        ("LCC.gift-1/x3", "LCC.gift-1", "Jewel Fan sent Rose x3"),
        ("LCC.gift-1/x5", "LCC.gift-1", "Jewel Fan sent Rose x5"),
    ]
    assert [mapping.delivery_key(gift_combo(n)) for n in (2, 3, 5)] == [u.id for u in updates]
    for update in updates:
        assert ev.event_from_json(update.to_json()) == update
    # The same delivery twice is the same key: a reconnect's replay is still a duplicate.
    assert mapping.delivery_key(gift_combo(3)) == mapping.delivery_key(gift_combo(3))
    # Any other message is keyed by its id alone.
    assert mapping.delivery_key(load_payload("super_chat")) == "LCC.superchat-1"


def test_an_unknown_type_is_skipped_not_an_error() -> None:
    item = load_payload("text_message")
    item["snippet"]["type"] = "someFutureEvent"
    assert mapping.map_message(item) == []
