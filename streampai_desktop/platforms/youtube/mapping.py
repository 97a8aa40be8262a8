"""YouTube ``liveChatMessage`` resources → core events. Pure functions, no I/O.

Each message carries its own id, which YouTube keeps across the stream and list endpoints and
across reconnects, so it is the event id (and the dedupe key); a deletion refers to it. The one
exception is a jewel gift, whose message YouTube resends with the same id as the viewer's combo
grows: each resend is an update with the count added to its id (:func:`gift`). Money
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


def _tier(details: Raw) -> int | None:
    """YouTube's tier for the amount (1 = the lowest), or None when absent or not a number."""
    try:
        tier = int(details.get("tier") or 0)
    except (TypeError, ValueError):
        return None
    return tier if tier >= 1 else None


def super_chat(item: Raw) -> list[ev.Event]:
    details = item["snippet"]["superChatDetails"]
    return [
        ev.SuperChat(
            **_base(item),
            amount=money(details.get("amountMicros"), str(details.get("currency") or "USD")),
            message=str(details.get("userComment") or ""),
            tier=_tier(details),
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
            tier=_tier(details),
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


def _combo_count(item: Raw) -> int:
    """How many of a jewel gift a viewer has sent in a row so far (1 for a single one)."""
    details = item["snippet"].get("giftDetails") or {}
    try:
        return max(1, int(details.get("comboCount") or 1))
    except (TypeError, ValueError):
        return 1


def _gift_update_id(message_id: str, combo: int) -> str:
    """The event id of a gift combo's update: YouTube's message id plus the count so far."""
    return f"{message_id}/x{combo}"


def gift(item: Raw) -> list[ev.Event]:
    """A jewel gift: a line in chat. YouTube resends the message, with the same id, each time
    the viewer's combo grows (``comboCount``); each resend is an update of the first line
    (``updates_id``), with an id of its own so the dedupe lets it through and the event log
    keeps it."""
    details = item["snippet"].get("giftDetails") or {}
    name = str(details.get("giftName") or details.get("altText") or "a gift")
    combo = _combo_count(item)
    base = _base(item)
    message_id = base["id"]
    if combo > 1:
        base["id"] = _gift_update_id(message_id, combo)
    sender = base["user"].display_name if base["user"] else "Anonymous"  # as actor_name
    # A whole sentence, like the notices Twitch writes, so a feed line reads on its own.
    text = f"{sender} sent {name}" + (f" x{combo}" if combo > 1 else "")
    return [
        ev.ChatNotification(
            **base,
            notice_type="gift",
            system_message=text,
            updates_id=message_id if combo > 1 else None,
        )
    ]


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


def delivery_key(item: Raw) -> str:
    """What makes a delivered message new, for the connector's dedupe: its id, and for a jewel
    gift also the combo count (the same id comes again as the count rises; only an identical
    resend — a reconnect's replay — is a duplicate)."""
    message_id = str(item.get("id") or "")
    if not message_id or (item.get("snippet") or {}).get("type") != "giftEvent":
        return message_id
    combo = _combo_count(item)
    return _gift_update_id(message_id, combo) if combo > 1 else message_id


def is_chat_end(item: Raw) -> bool:
    return (item.get("snippet") or {}).get("type") == "chatEndedEvent"
