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
    try:
        # Every notification carries a time, so this is on the chat hot path: Python (3.11+)
        # reads Twitch's own form directly ("Z", nine fraction digits cut to six), ~30x faster
        # than the preparation below, which is for anything looser.
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_loose_time(value)
    if parsed.tzinfo is UTC:
        return parsed
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _parse_loose_time(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    # Python parses at most microseconds: cut a longer fraction down to six digits.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tail = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{tail}"
    return datetime.fromisoformat(text)


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
    return tuple([ev.Badge(b["set_id"], b.get("id", ""), b.get("info", "")) for b in raw or ()])


def chat_message(meta: Raw, event: Raw) -> list[ev.Event]:
    """A chat message; in a Shared Chat session one from another channel carries
    ``source_broadcaster_user_id``: it shows the badges the chatter has *there*
    (``source_badges``), and ``source_message_id`` (its id there) makes the copies that reach the
    app through each of the streamer's channels in the session one message."""
    # The busiest notification by far (bench/twitch_burst.py): built directly, without the
    # generic helpers' key building and keyword dicts (_base, _user).
    message = event.get("message") or {}
    shared = bool(event.get("source_broadcaster_user_id"))
    chatter_id = event.get("chatter_user_id")
    login = event.get("chatter_user_login") or ""
    chatter = (
        ev.User(
            str(chatter_id),
            login,
            event.get("chatter_user_name") or login,
            event.get("color") or None,
            _badges(event.get("source_badges") if shared else event.get("badges")),
        )
        if chatter_id
        else None
    )
    reply = event.get("reply") or {}
    cheer = event.get("cheer") or {}
    return [
        ev.ChatMessage(
            platform=P,
            id=event.get("message_id") or str(meta["message_id"]),
            at=_at(meta, event),
            user=chatter,
            text=message.get("text", ""),
            fragments=tuple([_fragment(f) for f in message.get("fragments") or ()]),
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


def raid_sent(meta: Raw, event: Raw) -> list[ev.Event]:
    """The streamer raided another channel (the ``from_broadcaster_user_id`` subscription)."""
    return [
        ev.RaidSent(
            **_base(meta, event),
            user=_user(event, "to_broadcaster_user"),
            viewers=int(event.get("viewers") or 0),
        )
    ]


# --- chat notifications -------------------------------------------------------------------------

SHARED_PREFIX = "shared_chat_"


def chat_notification(meta: Raw, event: Raw) -> list[ev.Event]:
    """A line Twitch puts in chat (sub notice, raid, announcement, …). The alerts for subs,
    gifts and raids come from their own subscriptions; this is only the chat line, so nothing
    alerts twice. Each notice's details sit under a key named like the notice type."""
    notice = str(event.get("notice_type") or "unknown")
    plain = notice.removeprefix(SHARED_PREFIX)
    detail = event.get(notice) or event.get(plain) or {}
    shared = bool(event.get("source_broadcaster_user_id"))
    badges = _badges(event.get("source_badges") if shared else event.get("badges"))
    chatter = (
        None
        if event.get("chatter_is_anonymous")
        else _user(event, "chatter_user", color=event.get("color") or None, badges=badges)
    )
    message = event.get("message") or {}
    return [
        ev.ChatNotification(
            **_base(meta, event, id=event.get("message_id")),
            user=chatter,
            notice_type=plain,
            system_message=event.get("system_message") or "",
            text=message.get("text") or "",
            fragments=tuple(_fragment(f) for f in message.get("fragments") or ()),
            color=str(detail.get("color") or "") if plain == "announcement" else "",
            badge_tier=int(detail.get("tier") or 0) if plain == "bits_badge_tier" else 0,
            viewers=int(detail.get("viewer_count") or 0) if plain == "raid" else 0,
            recipient=_user(detail, "recipient_user"),
            source_message_id=(event.get("source_message_id") or None) if shared else None,
        )
    ]


# --- charity, hype trains, polls, predictions, shoutouts, ads, goals -----------------------------

# ISO 4217 currencies without minor units: their amounts are whole units.
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"})


def money(amount: Raw) -> ev.Money:
    """Twitch's ``{value, decimal_places, currency}`` (10000, 2, USD is $100.00) as minor units
    of the currency (cents; whole yen), whatever number of places Twitch used."""
    currency = str(amount.get("currency") or "")
    value = int(amount.get("value") or 0)
    places = int(amount.get("decimal_places") or 0)
    wanted = 0 if currency.upper() in _ZERO_DECIMAL else 2
    if wanted >= places:
        return ev.Money(value * 10 ** (wanted - places), currency)
    return ev.Money(value // 10 ** (places - wanted), currency)


def charity_donation(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.CharityDonation(
            **_base(meta, event, id=event.get("id")),
            user=_user(event),
            amount=money(event.get("amount") or {}),
            charity_name=event.get("charity_name") or "",
            campaign_id=str(event.get("campaign_id") or ""),
        )
    ]


def _hype_train(event: Raw) -> dict[str, Any]:
    """The fields of a hype train v2 event every hype train kind has."""
    participants = event.get("shared_train_participants") or ()
    return {
        "train_id": str(event.get("id") or ""),
        "level": int(event.get("level") or 1),
        "total": int(event.get("total") or 0),
        "progress": int(event.get("progress") or 0),
        "goal": int(event.get("goal") or 0),
        "ends_at": parse_time(event.get("expires_at")),
        "train_type": str(event.get("type") or "regular"),
        "shared": bool(event.get("is_shared_train")),
        # The other channels: Twitch lists this one among the participants too.
        "shared_with": tuple(
            user
            for raw in participants
            if (user := _user(raw, "broadcaster_user")) is not None
            and user.id != str(event.get("broadcaster_user_id") or "")
        ),
    }


def hype_train_begin(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.HypeTrainBegin(
            **_base(meta, event, key="started_at"),
            **_hype_train(event),
            all_time_high_level=int(event.get("all_time_high_level") or 0),
        )
    ]


def hype_train_progress(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.HypeTrainProgress(**_base(meta, event), **_hype_train(event))]


def hype_train_end(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.HypeTrainEnd(
            **_base(meta, event, key="ended_at"),
            **_hype_train(event),
            cooldown_ends_at=parse_time(event.get("cooldown_ends_at")),
        )
    ]


def level_up(
    known_level: int | None, event: ev.HypeTrainBegin | ev.HypeTrainProgress
) -> ev.HypeTrainLevelUp | None:
    """The level-up ``event`` shows, given the level the train was known to be at (None: this
    is the first the app hears of the train, so nothing to compare with). Its id is the train's
    and the level's: however often Twitch reports that level, it alerts once."""
    if known_level is None or event.level <= known_level:
        return None
    fields = {f: getattr(event, f) for f in _HYPE_FIELDS}
    return ev.HypeTrainLevelUp(
        platform=event.platform,
        id=f"hype_train:{event.train_id}:level:{event.level}",
        at=event.at,
        **fields,
    )


_HYPE_FIELDS = (
    "train_id",
    "level",
    "total",
    "progress",
    "goal",
    "ends_at",
    "train_type",
    "shared",
    "shared_with",
)


def _poll(event: Raw) -> dict[str, Any]:
    return {
        "poll_id": str(event.get("id") or ""),
        "title": event.get("title") or "",
        "choices": tuple(
            ev.PollChoice(
                id=str(c.get("id") or ""),
                title=c.get("title") or "",
                votes=int(c.get("votes") or 0),
                channel_points_votes=int(c.get("channel_points_votes") or 0),
            )
            for c in event.get("choices") or ()
        ),
        "ends_at": parse_time(event.get("ends_at")),
    }


def poll_begin(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.PollBegin(**_base(meta, event, key="started_at"), **_poll(event))]


def poll_progress(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.PollProgress(**_base(meta, event), **_poll(event))]


def poll_end(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.PollEnd(
            **_base(meta, event, key="ended_at"),
            **_poll(event),
            status=event.get("status") or "completed",
        )
    ]


def _prediction(event: Raw) -> dict[str, Any]:
    return {
        "prediction_id": str(event.get("id") or ""),
        "title": event.get("title") or "",
        "outcomes": tuple(
            ev.PredictionOutcome(
                id=str(o.get("id") or ""),
                title=o.get("title") or "",
                color=o.get("color") or "",
                # Absent until someone bets on the outcome.
                users=int(o.get("users") or 0),
                channel_points=int(o.get("channel_points") or 0),
            )
            for o in event.get("outcomes") or ()
        ),
        "locks_at": parse_time(event.get("locks_at")),
    }


def prediction_begin(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.PredictionBegin(**_base(meta, event, key="started_at"), **_prediction(event))]


def prediction_progress(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.PredictionProgress(**_base(meta, event), **_prediction(event))]


def prediction_lock(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.PredictionLock(**_base(meta, event, key="locked_at"), **_prediction(event))]


def prediction_end(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.PredictionEnd(
            **_base(meta, event, key="ended_at"),
            **_prediction(event),
            status=event.get("status") or "resolved",
            winning_outcome_id=event.get("winning_outcome_id") or None,
        )
    ]


def shoutout_create(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.ShoutoutSent(
            **_base(meta, event, key="started_at"),
            user=_user(event, "to_broadcaster_user"),
            viewers=int(event.get("viewer_count") or 0),
            moderator=_user(event, "moderator_user"),
        )
    ]


def shoutout_receive(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.ShoutoutReceived(
            **_base(meta, event, key="started_at"),
            user=_user(event, "from_broadcaster_user"),
            viewers=int(event.get("viewer_count") or 0),
        )
    ]


def _flag(value: Any) -> bool:
    """A boolean Twitch may also write as the text "true"/"false"."""
    return value is True or str(value).strip().lower() == "true"


def ad_break(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.AdBreak(
            **_base(meta, event, key="started_at"),
            user=_user(event, "requester_user"),
            duration_s=int(event.get("duration_seconds") or 0),
            automatic=_flag(event.get("is_automatic")),
        )
    ]


def _goal(event: Raw) -> dict[str, Any]:
    return {
        "goal_id": str(event.get("id") or ""),
        "goal_type": event.get("type") or "",
        "description": event.get("description") or "",
        "current": int(event.get("current_amount") or 0),
        "target": int(event.get("target_amount") or 0),
    }


def goal_begin(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.GoalBegin(**_base(meta, event, key="started_at"), **_goal(event))]


def goal_progress(meta: Raw, event: Raw) -> list[ev.Event]:
    return [ev.GoalProgress(**_base(meta, event), **_goal(event))]


def goal_end(meta: Raw, event: Raw) -> list[ev.Event]:
    return [
        ev.GoalEnd(
            **_base(meta, event, key="ended_at"),
            **_goal(event),
            achieved=_flag(event.get("is_achieved")),
        )
    ]


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
    "channel.chat.notification": chat_notification,
    "channel.charity_campaign.donate": charity_donation,
    "channel.hype_train.begin": hype_train_begin,
    "channel.hype_train.progress": hype_train_progress,
    "channel.hype_train.end": hype_train_end,
    "channel.poll.begin": poll_begin,
    "channel.poll.progress": poll_progress,
    "channel.poll.end": poll_end,
    "channel.prediction.begin": prediction_begin,
    "channel.prediction.progress": prediction_progress,
    "channel.prediction.lock": prediction_lock,
    "channel.prediction.end": prediction_end,
    "channel.shoutout.create": shoutout_create,
    "channel.shoutout.receive": shoutout_receive,
    "channel.ad_break.begin": ad_break,
    "channel.goal.begin": goal_begin,
    "channel.goal.progress": goal_progress,
    "channel.goal.end": goal_end,
}
"""Subscription type → mapper: the one list of Twitch notifications we understand."""

OUTGOING_MAPPERS: dict[str, Mapper] = {"channel.raid": raid_sent}
"""Mappers for subscriptions whose condition names the streamer as ``from_broadcaster_user_id``
(the same type in the other direction: a raid the streamer sends, not one received)."""


def map_notification(message: Raw) -> list[ev.Event]:
    """A whole EventSub ``notification`` message → core events ([] for unknown types)."""
    meta = message["metadata"]
    sub_type = meta.get("subscription_type", "")
    condition = (message["payload"].get("subscription") or {}).get("condition") or {}
    table = OUTGOING_MAPPERS if "from_broadcaster_user_id" in condition else MAPPERS
    mapper = table.get(sub_type)
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
