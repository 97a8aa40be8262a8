"""Raw Twitch EventSub notifications → core events. Pure functions, no I/O.

Each function takes the notification's ``metadata`` and ``payload.event`` dicts in Twitch's
documented shapes and returns core events. Ids: where the event carries its own unique id (a
chat message's ``message_id``, a redemption's ``id``, a stream's ``id``) that id is the event id, so
a later delete can refer to it; otherwise the notification's ``message_id``, which Twitch keeps the
same when it redelivers, so dedupe still works.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.core import events as ev
from streampai_desktop.core.events import Platform

Raw = Mapping[str, Any]
Mapper = Callable[[Raw, Raw], list[ev.Event]]

P = Platform.TWITCH


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 time from Twitch (nanoseconds allowed) as an aware UTC datetime."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    # Python parses at most microseconds: cut a longer fraction down to six digits.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tail = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{tail}"
    parsed = datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _at(meta: Raw, event: Raw, key: str | None = None) -> datetime:
    return (
        (parse_time(event.get(key)) if key else None)
        or parse_time(meta.get("message_timestamp"))
        or datetime.now(UTC)
    )


def _user(event: Raw, prefix: str = "user", **extra: Any) -> ev.User | None:
    """The user named by ``{prefix}_id/_login/_name``; None when absent (anonymous)."""
    uid = event.get(f"{prefix}_id")
    if not uid:
        return None
    login = event.get(f"{prefix}_login") or ""
    return ev.User(
        id=str(uid), login=login, display_name=event.get(f"{prefix}_name") or login, **extra
    )


def _base(
    meta: Raw, event: Raw, *, id: str | None = None, key: str | None = None
) -> dict[str, Any]:
    return {"platform": P, "id": id or str(meta["message_id"]), "at": _at(meta, event, key)}


def _fragment(raw: Raw) -> ev.Fragment:
    kind = raw.get("type", "text")
    text = raw.get("text", "")
    if kind == "emote" and raw.get("emote"):
        return ev.Fragment("emote", text, emote_id=str(raw["emote"]["id"]))
    if kind == "mention" and raw.get("mention"):
        return ev.Fragment("mention", text, user_login=raw["mention"].get("user_login"))
    if kind == "cheermote" and raw.get("cheermote"):
        return ev.Fragment("cheermote", text, bits=int(raw["cheermote"].get("bits", 0)))
    return ev.Fragment("text", text)


def _badges(raw: Any) -> tuple[ev.Badge, ...]:
    return tuple(
        ev.Badge(set_id=b["set_id"], id=b.get("id", ""), info=b.get("info", "")) for b in raw or ()
    )


def chat_message(meta: Raw, event: Raw) -> list[ev.Event]:
    """A chat message; in a Shared Chat session one from another channel carries
    ``source_broadcaster_user_id``: it shows the badges the chatter has *there*
    (``source_badges``), and ``source_message_id`` (its id there) makes the copies that reach the
    app through each of the streamer's channels in the session one message."""
    message = event.get("message") or {}
    shared = bool(event.get("source_broadcaster_user_id"))
    badges = _badges(event.get("source_badges") if shared else event.get("badges"))
    chatter = _user(event, "chatter_user", color=event.get("color") or None, badges=badges)
    reply = event.get("reply") or {}
    cheer = event.get("cheer") or {}
    return [
        ev.ChatMessage(
            **_base(meta, event, id=event.get("message_id")),
            user=chatter,
            text=message.get("text", ""),
            fragments=tuple(_fragment(f) for f in message.get("fragments") or ()),
            reply_to_id=reply.get("parent_message_id"),
            bits=int(cheer.get("bits") or 0),
            source_message_id=(event.get("source_message_id") or None) if shared else None,
        )
    ]


def chat_message_delete(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.ChatMessageDeleted(
            **_base(meta, event),
            user=_user(event, "target_user"),
            message_id=str(event["message_id"]),
        )
    ]


def chat_clear(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.ChatCleared(**_base(meta, event))]


def chat_clear_user_messages(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.ChatUserBanned(**_base(meta, event), user=_user(event, "target_user"))]


def ban(meta: Raw, event: Raw) -> list[ev.Event]:
    duration: int | None = None
    if not event.get("is_permanent", True):
        start, end = parse_time(event.get("banned_at")), parse_time(event.get("ends_at"))
        if start and end:
            duration = max(0, int((end - start).total_seconds()))
    return [
        ev.ChatUserBanned(
            **_base(meta, event, key="banned_at"),
            user=_user(event),
            duration_s=duration,
            reason=event.get("reason") or "",
        )
    ]


def follow(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.Follow(**_base(meta, event, key="followed_at"), user=_user(event))]


def subscribe(meta: Raw, event: Raw) -> list[ev.Event]:
    """A new sub. ``is_gift``: the viewer received it from a gifter, whose one
    ``channel.subscription.gift`` (with the total) is what alerts; this one is recorded."""
    return [
        ev.Subscription(
            **_base(meta, event),
            user=_user(event),
            tier=str(event.get("tier", "1000")),
            is_gift=bool(event.get("is_gift")),
        )
    ]


def subscription_message(meta: Raw, event: Raw) -> list[ev.Event]:
    message = event.get("message") or {}
    return [
        ev.Subscription(
            **_base(meta, event),
            user=_user(event),
            tier=str(event.get("tier", "1000")),
            months=int(event.get("cumulative_months") or 1),
            message=message.get("text") or "",
        )
    ]


def subscription_gift(meta: Raw, event: Raw) -> list[ev.Event]:
    anonymous = bool(event.get("is_anonymous"))
    return [
        ev.GiftSubscription(
            **_base(meta, event),
            user=None if anonymous else _user(event),
            tier=str(event.get("tier", "1000")),
            count=int(event.get("total") or 1),
            anonymous=anonymous,
        )
    ]


def cheer(meta: Raw, event: Raw) -> list[ev.Event]:
    anonymous = bool(event.get("is_anonymous"))
    return [
        ev.Cheer(
            **_base(meta, event),
            user=None if anonymous else _user(event),
            bits=int(event.get("bits") or 0),
            message=event.get("message") or "",
            anonymous=anonymous,
        )
    ]


def raid(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.Raid(
            **_base(meta, event),
            user=_user(event, "from_broadcaster_user"),
            viewers=int(event.get("viewers") or 0),
        )
    ]


def redemption(meta: Raw, event: Raw) -> list[ev.Event]:
    reward = event.get("reward") or {}
    return [
        ev.ChannelPointRedemption(
            **_base(meta, event, id=event.get("id"), key="redeemed_at"),
            user=_user(event),
            reward_id=str(reward.get("id", "")),
            reward_title=reward.get("title") or "",
            cost=int(reward.get("cost") or 0),
            user_input=event.get("user_input") or "",
        )
    ]


def stream_online(meta: Raw, event: Raw) -> list[ev.Event]:
    # Title and category are not in this payload; the connector fills them from channel info.
    return [ev.StreamOnline(**_base(meta, event, id=event.get("id"), key="started_at"))]


def stream_offline(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.StreamOffline(**_base(meta, event))]


def channel_update(meta: Raw, event: Raw) -> list[ev.Event]:
    # No core event kind: a title/category change only updates the stream state (stream_patch).
    return []


MAPPERS: dict[str, Mapper] = {
    "channel.chat.message": chat_message,
    "channel.chat.message_delete": chat_message_delete,
    "channel.chat.clear": chat_clear,
    "channel.chat.clear_user_messages": chat_clear_user_messages,
    "channel.ban": ban,
    "channel.follow": follow,
    "channel.subscribe": subscribe,
    "channel.subscription.message": subscription_message,
    "channel.subscription.gift": subscription_gift,
    "channel.cheer": cheer,
    "channel.raid": raid,
    "channel.channel_points_custom_reward_redemption.add": redemption,
    "stream.online": stream_online,
    "stream.offline": stream_offline,
    "channel.update": channel_update,
}
"""Subscription type → mapper: the one list of Twitch notifications we understand."""


def map_notification(message: Raw) -> list[ev.Event]:
    """A whole EventSub ``notification`` message → core events ([] for unknown types)."""
    meta = message["metadata"]
    mapper = MAPPERS.get(meta.get("subscription_type", ""))
    return mapper(meta, message["payload"]["event"]) if mapper else []


def stream_patch(sub_type: str, event: Raw) -> dict[str, Any] | None:
    """How a notification changes the stream state (``StreamInfo`` fields), or None."""
    if sub_type == "stream.online":
        return {"live": True, "started_at": parse_time(event.get("started_at"))}
    if sub_type == "stream.offline":
        return {"live": False, "started_at": None, "viewers": None}
    if sub_type == "channel.update":
        return {"title": event.get("title") or "", "category": event.get("category_name") or ""}
    return None
