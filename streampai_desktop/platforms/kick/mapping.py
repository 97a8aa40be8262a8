"""Kick's webhook events, as the account service relays them → core events. Pure functions, no I/O.

The service relays each webhook as ``{"id", "event_type", "event_version", "message_id",
"broadcaster_user_id", "received_at", "payload"}``: ``payload`` is Kick's body as documented
(``events/event-types.md``), ``message_id`` Kick's ``Kick-Event-Message-Id``, which Kick keeps
when it delivers again. Ids: a chat message's own ``message_id`` (what a later moderation refers
to) and a redemption's ``id`` (Kick sends the same redemption again as its status changes:
pending, then accepted or rejected; one redemption is one alert); everything else has the
webhook's message id.

A gift of N subs is Twitch's rule: the gifter's one :class:`GiftSubscription` (with the count) is
the alert, and each recipient's gifted :class:`Subscription` is recorded without one. Chat keeps
Kick's badges (``identity.badges``) and its emotes, which Kick writes into the text as
``[emote:ID:NAME]``: each becomes an emote fragment whose image is the spec's
``kick_emote_url`` for that id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.core import events as ev
from streampai_desktop.core.events import Platform

Raw = Mapping[str, Any]
Mapper = Callable[[Raw, Raw], list[ev.Event]]

P = Platform.KICK
KICK_TIER = "1000"  # Kick has one subscription tier; the event model's tiers are Twitch's ids

_EMOTE = re.compile(r"\[emote:(\d+):([^\]]*)\]")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,32})")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time from Kick ("Z" or an offset, milliseconds or not) as aware UTC."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _at(relayed: Raw, *candidates: Any) -> datetime:
    for value in candidates:
        parsed = parse_time(value)
        if parsed is not None:
            return parsed
    return parse_time(relayed.get("received_at")) or datetime.now(UTC)


def _badges(identity: Raw) -> tuple[ev.Badge, ...]:
    out = []
    for badge in identity.get("badges") or ():
        if not isinstance(badge, Mapping) or not badge.get("type"):
            continue
        count = badge.get("count")
        out.append(
            ev.Badge(
                str(badge["type"]),
                id="" if count is None else str(count),
                info=str(badge.get("text") or ""),
            )
        )
    return tuple(out)


def user(raw: Any) -> ev.User | None:
    """A Kick user object (``user_id``, ``username``, ``channel_slug``, ``identity``); None when
    absent or anonymous."""
    if not isinstance(raw, Mapping) or raw.get("is_anonymous") or not raw.get("user_id"):
        return None
    name = str(raw.get("username") or raw["user_id"])
    identity = raw.get("identity") or {}
    return ev.User(
        id=str(raw["user_id"]),
        login=str(raw.get("channel_slug") or name).lower(),
        display_name=name,
        color=(identity.get("username_color") or None) if isinstance(identity, Mapping) else None,
        badges=_badges(identity) if isinstance(identity, Mapping) else (),
    )


def _base(relayed: Raw, *times: Any, id: Any = None) -> dict[str, Any]:
    return {"platform": P, "id": str(id or relayed["message_id"]), "at": _at(relayed, *times)}


def _text_fragments(text: str) -> list[ev.Fragment]:
    out: list[ev.Fragment] = []
    last = 0
    for match in _MENTION.finditer(text):
        if match.start() > last:
            out.append(ev.Fragment("text", text[last : match.start()]))
        out.append(ev.Fragment("mention", match.group(0), user_login=match.group(1).lower()))
        last = match.end()
    if last < len(text):
        out.append(ev.Fragment("text", text[last:]))
    return out


def chat_content(content: str) -> tuple[str, tuple[ev.Fragment, ...]]:
    """Kick's chat text → (the text as a viewer reads it, its fragments): each
    ``[emote:ID:NAME]`` is the emote ``NAME`` with image ``ID``, each ``@name`` a mention."""
    fragments: list[ev.Fragment] = []
    readable: list[str] = []
    last = 0
    for match in _EMOTE.finditer(content):
        before = content[last : match.start()]
        fragments += _text_fragments(before)
        emote_id, name = match.group(1), match.group(2) or match.group(1)
        fragments.append(ev.Fragment("emote", name, emote_id=emote_id))
        readable += [before, name]
        last = match.end()
    fragments += _text_fragments(content[last:])
    readable.append(content[last:])
    return "".join(readable), tuple(fragments)


def chat_message(relayed: Raw, payload: Raw) -> list[ev.Event]:
    text, fragments = chat_content(str(payload.get("content") or ""))
    reply = payload.get("replies_to") or {}
    return [
        ev.ChatMessage(
            **_base(relayed, payload.get("created_at"), id=payload.get("message_id")),
            user=user(payload.get("sender")),
            text=text,
            fragments=fragments,
            reply_to_id=str(reply["message_id"]) if reply.get("message_id") else None,
        )
    ]


def follow(relayed: Raw, payload: Raw) -> list[ev.Event]:
    return [ev.Follow(**_base(relayed), user=user(payload.get("follower")))]


def _months(payload: Raw) -> int:
    try:
        return max(1, int(payload.get("duration") or 1))
    except (TypeError, ValueError):
        return 1


def subscription_new(relayed: Raw, payload: Raw) -> list[ev.Event]:
    return [
        ev.Subscription(
            **_base(relayed, payload.get("created_at")),
            user=user(payload.get("subscriber")),
            tier=KICK_TIER,
            months=_months(payload),
        )
    ]


def subscription_renewal(relayed: Raw, payload: Raw) -> list[ev.Event]:
    # ``duration`` is how many months the viewer has been subscribed, with this renewal.
    return subscription_new(relayed, payload)


def subscription_gifts(relayed: Raw, payload: Raw) -> list[ev.Event]:
    """One alert for the gifter with the count; each recipient's sub is recorded as a gift."""
    base = _base(relayed, payload.get("created_at"))
    gifter = payload.get("gifter") or {}
    giftees = [g for g in payload.get("giftees") or () if isinstance(g, Mapping)]
    anonymous = bool(gifter.get("is_anonymous")) or not gifter.get("user_id")
    events: list[ev.Event] = [
        ev.GiftSubscription(
            **base,
            user=None if anonymous else user(gifter),
            tier=KICK_TIER,
            count=max(1, len(giftees)),
            anonymous=anonymous,
        )
    ]
    for giftee in giftees:
        received = user(giftee)
        if received is None:
            continue
        events.append(
            ev.Subscription(
                platform=P,
                id=f"{base['id']}:{received.id}",
                at=base["at"],
                user=received,
                tier=KICK_TIER,
                is_gift=True,
            )
        )
    return events


def reward_redemption(relayed: Raw, payload: Raw) -> list[ev.Event]:
    reward = payload.get("reward") or {}
    return [
        ev.ChannelPointRedemption(
            **_base(relayed, payload.get("redeemed_at"), id=payload.get("id")),
            user=user(payload.get("redeemer")),
            reward_id=str(reward.get("id") or ""),
            reward_title=str(reward.get("title") or ""),
            cost=int(reward.get("cost") or 0),
            user_input=str(payload.get("user_input") or ""),
        )
    ]


def _broadcaster_id(relayed: Raw, payload: Raw) -> str:
    broadcaster = payload.get("broadcaster") or {}
    return str(relayed.get("broadcaster_user_id") or broadcaster.get("user_id") or "")


def _broadcast(broadcaster_user_id: Any, started: datetime | None) -> str:
    """What names one broadcast: the channel and when it started, the same from a webhook and
    from the livestreams poll, so the two report one start and one end."""
    return f"{broadcaster_user_id}:{int(started.timestamp()) if started else 'unknown'}"


def online_id(broadcaster_user_id: Any, started: datetime | None) -> str:
    return f"online:{_broadcast(broadcaster_user_id, started)}"


def offline_id(broadcaster_user_id: Any, started: datetime | None) -> str:
    return f"offline:{_broadcast(broadcaster_user_id, started)}"


def livestream_status(relayed: Raw, payload: Raw) -> list[ev.Event]:
    started = parse_time(payload.get("started_at"))
    broadcaster = _broadcaster_id(relayed, payload)
    if payload.get("is_live"):
        return [
            ev.StreamOnline(
                platform=P,
                id=online_id(broadcaster, started),
                at=started or _at(relayed),
                title=str(payload.get("title") or ""),
            )
        ]
    return [
        ev.StreamOffline(
            platform=P,
            id=offline_id(broadcaster, started),
            at=_at(relayed, payload.get("ended_at")),
        )
    ]


def livestream_metadata(relayed: Raw, payload: Raw) -> list[ev.Event]:
    # No core event kind: a title or category change only updates the stream state.
    return []


def banned(relayed: Raw, payload: Raw) -> list[ev.Event]:
    meta = payload.get("metadata") or {}
    start, end = parse_time(meta.get("created_at")), parse_time(meta.get("expires_at"))
    duration = max(0, int((end - start).total_seconds())) if start and end else None
    return [
        ev.ChatUserBanned(
            **_base(relayed, meta.get("created_at")),
            user=user(payload.get("banned_user")),
            duration_s=duration,
            reason=str(meta.get("reason") or ""),
        )
    ]


def kicks_gifted(relayed: Raw, payload: Raw) -> list[ev.Event]:
    gift = payload.get("gift") or {}
    return [
        ev.KicksGift(
            **_base(relayed, payload.get("created_at")),
            user=user(payload.get("sender")),
            kicks=int(gift.get("amount") or 0),
            gift_name=str(gift.get("name") or ""),
            tier=str(gift.get("tier") or ""),
            message=str(gift.get("message") or ""),
        )
    ]


MAPPERS: dict[str, Mapper] = {
    "chat.message.sent": chat_message,
    "channel.followed": follow,
    "channel.subscription.new": subscription_new,
    "channel.subscription.renewal": subscription_renewal,
    "channel.subscription.gifts": subscription_gifts,
    "channel.reward.redemption.updated": reward_redemption,
    "livestream.status.updated": livestream_status,
    "livestream.metadata.updated": livestream_metadata,
    "moderation.banned": banned,
    "kicks.gifted": kicks_gifted,
}
"""Kick event type → mapper: the one list of Kick events the app reads (what the service
subscribes to)."""


def map_event(relayed: Raw) -> list[ev.Event]:
    """Core events for one relayed Kick event; [] for a type the app does not read."""
    mapper = MAPPERS.get(str(relayed.get("event_type") or ""))
    payload = relayed.get("payload")
    if mapper is None or not isinstance(payload, Mapping):
        return []
    return mapper(relayed, payload)


def stream_patch(relayed: Raw) -> dict[str, Any] | None:
    """How a relayed event changes the stream state (``StreamInfo`` fields), or None."""
    event_type = relayed.get("event_type")
    payload = relayed.get("payload") or {}
    if event_type == "livestream.status.updated":
        if payload.get("is_live"):
            return {
                "live": True,
                "title": str(payload.get("title") or ""),
                "started_at": parse_time(payload.get("started_at")),
            }
        return {"live": False, "started_at": None, "viewers": None}
    if event_type == "livestream.metadata.updated":
        meta = payload.get("metadata") or {}
        patch = {"title": str(meta.get("title") or "")}
        category = meta.get("category") or {}
        if isinstance(category, Mapping) and category.get("name"):
            patch["category"] = str(category["name"])
        return patch
    return None


def livestream_fields(stream: Raw) -> dict[str, Any]:
    """A ``GET /public/v1/livestreams`` item → ``StreamInfo`` fields."""
    category = stream.get("category") or {}
    fields: dict[str, Any] = {
        "live": True,
        "title": str(stream.get("stream_title") or ""),
        "started_at": parse_time(stream.get("started_at")),
    }
    if isinstance(category, Mapping) and category.get("name"):
        fields["category"] = str(category["name"])
    if stream.get("viewer_count") is not None:
        fields["viewers"] = int(stream["viewer_count"])
    return fields
