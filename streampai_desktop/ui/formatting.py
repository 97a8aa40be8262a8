"""Words for events: kind names and a one-line human summary of each event (platform names
come from the platform registry).

Tables, not if-chains: one summary function per kind, keyed like ``core.events.EVENT_TYPES``, so
a new kind is one new line here (and falls back to an empty summary until then).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from streampai_desktop.core import events as ev
from streampai_desktop.core.events import Event, Money

KIND_LABELS: dict[str, str] = {
    "chat_message": "Chat",
    "follow": "Follow",
    "subscription": "Subscription",
    "gift_subscription": "Gift subs",
    "cheer": "Cheer",
    "raid": "Raid",
    "donation": "Donation",
    "channel_point_redemption": "Channel points",
    "super_chat": "Super Chat",
    "membership": "Membership",
    "stream_online": "Stream online",
    "stream_offline": "Stream offline",
    "viewer_count": "Viewers",
}

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
# ISO 4217 currencies without minor units: 500 JPY is ¥500, not ¥5.00.
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"}
_TIERS = {"1000": "Tier 1", "2000": "Tier 2", "3000": "Tier 3", "prime": "Prime"}


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 page``, ``2 pages``, ``1,200 pages``: the number and its noun in the right form."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def format_money(money: Money) -> str:
    """``$5.00``, ``¥500``, ``12.50 SEK``."""
    zero_decimal = money.currency in _ZERO_DECIMAL
    number = f"{money.minor:,}" if zero_decimal else f"{money.minor / 100:,.2f}"
    symbol = _SYMBOLS.get(money.currency)
    return f"{symbol}{number}" if symbol else f"{number} {money.currency}"


def format_time(at: datetime) -> str:
    """Local wall-clock time, as the streamer reads it off their own clock."""
    return at.astimezone().strftime("%H:%M:%S")


def _tier(tier: str) -> str:
    return _TIERS.get(tier.lower(), f"Tier {tier}")


def _with_message(text: str, message: str) -> str:
    return f"{text}: {message}" if message else text


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _chat(e: Any) -> str:
    return f"cheered {_plural(e.bits, 'bit')}: {e.text}" if e.bits else e.text


def _subscription(e: Any) -> str:
    if e.is_gift:
        text = f"received a gifted {_tier(e.tier)} sub"
    elif e.months > 1:
        text = f"resubscribed ({_tier(e.tier)}, {e.months} months)"
    else:
        text = f"subscribed ({_tier(e.tier)})"
    return _with_message(text, e.message)


def _membership(e: Any) -> str:
    level = f" ({e.level_name})" if e.level_name else ""
    if e.gifted_count:
        text = f"gifted {_plural(e.gifted_count, 'membership')}{level}"
    elif e.months > 1:
        text = f"member for {e.months} months{level}"
    else:
        text = f"became a member{level}"
    return _with_message(text, e.message)


def _super_chat(e: Any) -> str:
    if e.sticker_id:
        return f"sent a Super Sticker ({format_money(e.amount)})"
    return _with_message(format_money(e.amount), e.message)


def _stream_online(e: Any) -> str:
    parts = [p for p in (e.title, e.category) if p]
    return _with_message("went live", " — ".join(parts))


def _redemption(e: Any) -> str:
    return _with_message(f"redeemed {e.reward_title} ({_plural(e.cost, 'point')})", e.user_input)


_SUMMARIES: dict[type[Event], Callable[[Any], str]] = {
    ev.ChatMessage: _chat,
    ev.Follow: lambda e: "followed",
    ev.Subscription: _subscription,
    ev.GiftSubscription: lambda e: f"gifted {_plural(e.count, _tier(e.tier) + ' sub')}",
    ev.Cheer: lambda e: _with_message(f"cheered {_plural(e.bits, 'bit')}", e.message),
    ev.Raid: lambda e: f"raided with {_plural(e.viewers, 'viewer')}",
    ev.Donation: lambda e: _with_message(format_money(e.amount), e.message),
    ev.ChannelPointRedemption: _redemption,
    ev.SuperChat: _super_chat,
    ev.Membership: _membership,
    ev.StreamOnline: _stream_online,
    ev.StreamOffline: lambda e: "went offline",
    ev.ViewerCount: lambda e: _plural(e.viewers, "viewer"),
}


def summarize(event: Event) -> str:
    """What happened, in a few words ("cheered 100 bits", "$5.00: Keep it up!")."""
    fn = _SUMMARIES.get(type(event))
    return fn(event) if fn else ""


def one_line(event: Event) -> str:
    """The actor and the summary together, for feeds: "PixelPaladin cheered 100 bits"."""
    summary = summarize(event)
    if isinstance(event, ev.ChatMessage):
        return f"{event.actor_name}: {summary}"
    if isinstance(event, ev.StreamOnline | ev.StreamOffline | ev.ViewerCount):
        return f"{kind_label(event.kind)}: {summary}"
    if isinstance(event, ev.Donation | ev.SuperChat):
        return f"{event.actor_name} sent {summary}"
    return f"{event.actor_name} {summary}"
