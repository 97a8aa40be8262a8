"""YouTube ``liveChatMessage`` resources → core events. Pure functions, no I/O.

Each message carries its own id, which YouTube keeps across the stream and list endpoints and
across reconnects, so it is the event id (and the dedupe key); a deletion refers to it. Money
comes as ``amountMicros`` (a string of millionths of the currency unit) and becomes integer minor
units. The gift rule is Twitch's: a ``membershipGiftingEvent`` is the one alert for a gift of
memberships, and each ``giftMembershipReceivedEvent`` is recorded as a gifted membership that
does not alert unless the alert box asks for every gifted sub.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.core import events as ev
from streampai_desktop.core.events import Platform

Raw = Mapping[str, Any]
P = Platform.YOUTUBE

# ISO 4217 currencies without minor units (the same list the app's money formatting uses, so
# 1,000 JPY shows as ¥1,000). Every other currency YouTube pays Super Chats in has two decimals.
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"})


def money(amount_micros: Any, currency: str) -> ev.Money:
    """``amountMicros`` ("5000000" EUR) → Money(500, "EUR"); rounds to the nearest minor unit."""
    micros = int(amount_micros or 0)
    per_minor = 1_000_000 if currency.upper() in _ZERO_DECIMAL else 10_000
    return ev.Money((micros + per_minor // 2) // per_minor, currency)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def author(details: Raw) -> ev.User | None:
    """The chatter with YouTube's badges: owner, moderator, member, verified."""
    channel_id = details.get("channelId")
    if not channel_id:
        return None
    badges = tuple(
        ev.Badge(set_id)
        for set_id, flag in (
            ("owner", "isChatOwner"),
            ("moderator", "isChatModerator"),
            ("member", "isChatSponsor"),
            ("verified", "isVerified"),
        )
        if details.get(flag)
    )
    name = str(details.get("displayName") or channel_id)
    # YouTube has no login separate from the display name; the channel id is the stable key.
    return ev.User(id=str(channel_id), login=name, display_name=name, badges=badges)


def _base(item: Raw) -> dict[str, Any]:
    snippet = item["snippet"]
    return {
        "platform": P,
        "id": str(item["id"]),
        "at": parse_time(snippet.get("publishedAt")) or datetime.now(UTC),
        "user": author(item.get("authorDetails") or {}),
    }


def _with_member_level(user: ev.User | None, level: str) -> ev.User | None:
    """The member badge carries the level name, as YouTube shows it next to the name."""
    if user is None or not level:
        return user
    badges = tuple(
        ev.Badge("member", info=level) if b.set_id == "member" else b for b in user.badges
    )
    if not any(b.set_id == "member" for b in badges):
        badges += (ev.Badge("member", info=level),)
    return ev.User(user.id, user.login, user.display_name, user.color, badges)


def text_message(item: Raw) -> list[ev.Event]:
    snippet = item["snippet"]
    details = snippet.get("textMessageDetails") or {}
    # YouTube gives emoji as Unicode and custom emoji as their ":name:" text in messageText.
    text = str(details.get("messageText") or snippet.get("displayMessage") or "")
    return [ev.ChatMessage(**_base(item), text=text, fragments=(ev.Fragment("text", text),))]


def super_chat(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["superChatDetails"]
    return [
        ev.SuperChat(
            **_base(item),
            amount=money(details.get("amountMicros"), str(details.get("currency") or "USD")),
            message=str(details.get("userComment") or ""),
        )
    ]


def super_sticker(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["superStickerDetails"]
    sticker = details.get("superStickerMetadata") or {}
    return [
        ev.SuperChat(
            **_base(item),
            amount=money(details.get("amountMicros"), str(details.get("currency") or "USD")),
            # The sticker's alt text is what a text overlay can show for it.
            message=str(sticker.get("altText") or ""),
            sticker_id=str(sticker.get("stickerId") or "") or None,
        )
    ]


def new_sponsor(item: Raw) -> list[ev.Event]:
    details = item["snippet"].get("newSponsorDetails") or {}
    level = str(details.get("memberLevelName") or "")
    base = _base(item)
    base["user"] = _with_member_level(base["user"], level)
    upgrade = "Upgraded to " if details.get("isUpgrade") else ""
    return [ev.Membership(**base, level_name=level, message=f"{upgrade}{level}" if upgrade else "")]


def member_milestone(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["memberMilestoneChatDetails"]
    level = str(details.get("memberLevelName") or "")
    base = _base(item)
    base["user"] = _with_member_level(base["user"], level)
    return [
        ev.Membership(
            **base,
            level_name=level,
            months=int(details.get("memberMonth") or 1),
            message=str(details.get("userComment") or ""),
        )
    ]


def membership_gifting(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["membershipGiftingDetails"]
    return [
        ev.Membership(
            **_base(item),
            level_name=str(details.get("giftMembershipsLevelName") or ""),
            gifted_count=int(details.get("giftMembershipsCount") or 1),
        )
    ]


def gift_membership_received(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["giftMembershipReceivedDetails"]
    level = str(details.get("memberLevelName") or "")
    base = _base(item)
    base["user"] = _with_member_level(base["user"], level)
    # A gifted sub in the event model: recorded, and alerted only when the alert box alerts
    # each gifted sub (the gifter's membershipGiftingEvent is the alert).
    return [ev.Subscription(**base, tier=level or "member", is_gift=True)]


def message_deleted(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["messageDeletedDetails"]
    base = _base(item)
    base["user"] = None  # the moderator who deleted it, not the message's author
    return [ev.ChatMessageDeleted(**base, message_id=str(details["deletedMessageId"]))]


def message_retracted(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["messageRetractedDetails"]
    return [ev.ChatMessageDeleted(**_base(item), message_id=str(details["retractedMessageId"]))]


def user_banned(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["userBannedDetails"]
    base = _base(item)
    base["user"] = author(details.get("bannedUserDetails") or {})
    temporary = details.get("banType") == "temporary"
    duration = int(details.get("banDurationSeconds") or 0) if temporary else None
    return [ev.ChatUserBanned(**base, duration_s=duration)]


def chat_ended(item: Raw) -> list[ev.Event]:
    base = _base(item)
    base["user"] = None
    return [ev.StreamOffline(**base)]


def poll(item: Raw) -> list[ev.Event]:
    meta = (item["snippet"].get("pollDetails") or {}).get("metadata") or {}
    choices = tuple(
        ev.PollChoice(
            id=str(i), title=str(o.get("optionText") or ""), votes=int(o.get("tally") or 0)
        )
        for i, o in enumerate(meta.get("options") or ())
    )
    base = _base(item)
    base["user"] = None
    kind = ev.PollEnd if meta.get("status") == "closed" else ev.PollProgress
    return [
        kind(
            **base,
            poll_id=str(item["id"]),
            title=str(meta.get("questionText") or ""),
            choices=choices,
        )
    ]


def gift(item: Raw) -> list[ev.Event]:
    """A jewels gift: a line in chat. YouTube repeats its id to raise ``comboCount``; the
    first delivery is recorded and later ones are the same message (dedupe keeps one)."""
    details = item["snippet"].get("giftDetails") or {}
    name = str(details.get("giftName") or details.get("altText") or "a gift")
    combo = int(details.get("comboCount") or 1)
    text = f"sent {name}" + (f" x{combo}" if combo > 1 else "")
    return [ev.ChatNotification(**_base(item), notice_type="gift", system_message=text)]


MAPPERS: dict[str, Callable[[Raw], list[ev.Event]]] = {
    "textMessageEvent": text_message,
    "superChatEvent": super_chat,
    "superStickerEvent": super_sticker,
    "newSponsorEvent": new_sponsor,
    "memberMilestoneChatEvent": member_milestone,
    "membershipGiftingEvent": membership_gifting,
    "giftMembershipReceivedEvent": gift_membership_received,
    "messageDeletedEvent": message_deleted,
    "messageRetractedEvent": message_retracted,
    "userBannedEvent": user_banned,
    "chatEndedEvent": chat_ended,
    "pollEvent": poll,
    "giftEvent": gift,
}
"""Every message type the app reads, by YouTube's ``snippet.type``; others are skipped."""


def map_message(item: Raw) -> list[ev.Event]:
    """Core events for one ``liveChatMessage``; [] for a type the app does not read (yet)."""
    mapper = MAPPERS.get(str((item.get("snippet") or {}).get("type", "")))
    return mapper(item) if mapper is not None else []


def is_chat_end(item: Raw) -> bool:
    return (item.get("snippet") or {}).get("type") == "chatEndedEvent"
