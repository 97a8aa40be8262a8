"""Words for events: kind names and a one-line human summary of each event (platform names
come from the platform registry).

Tables, not if-chains: one summary function per kind, keyed like ``core.events.EVENT_TYPES``, so
a new kind is one new line here (and falls back to an empty summary until then).
"""

from __future__ import annotations

import math
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
    "chat_notification": "Chat notice",
    "charity_donation": "Charity",
    "kicks_gift": "Kicks",
    "hype_train_begin": "Hype Train",
    "hype_train_progress": "Hype Train points",
    "hype_train_level_up": "Hype Train level",
    "hype_train_end": "Hype Train end",
    "poll_begin": "Poll",
    "poll_progress": "Poll votes",
    "poll_end": "Poll result",
    "prediction_begin": "Prediction",
    "prediction_progress": "Prediction bets",
    "prediction_lock": "Prediction locked",
    "prediction_end": "Prediction result",
    "shoutout_sent": "Shoutout given",
    "shoutout_received": "Shoutout",
    "ad_break": "Ad break",
    "goal_begin": "Goal",
    "goal_progress": "Goal progress",
    "goal_end": "Goal end",
    "raid_sent": "Raid sent",
    "reactions_tally": "Reactions",
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


def format_countdown(seconds: float) -> str:
    """Time left as a clock reads it: ``0:09``, ``1:23``, ``1:02:03``. Rounded up, so it shows
    ``0:01`` until the very end and ``0:00`` only once nothing is left."""
    whole = max(0, math.ceil(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_percent(value: float) -> str:
    """A share for a bar's caption, whole percent: ``36%``; a sliver is ``<1%`` and nearly all
    is ``>99%``, never ``0%`` or ``100%`` while the others have some."""
    whole = round(value)
    if whole == 0 and value > 0:
        return "<1%"
    if whole == 100 and value < 100:
        return ">99%"
    return f"{whole}%"


def _tier(tier: str) -> str:
    return _TIERS.get(tier.lower(), f"Tier {tier}")


def _with_message(text: str, message: str) -> str:
    return f"{text}: {message}" if message else text


# Facebook's reaction types, as its buttons name them.
REACTION_NAMES = {
    "LIKE": "Like",
    "LOVE": "Love",
    "WOW": "Wow",
    "HAHA": "Haha",
    "SAD": "Sad",
    "ANGRY": "Angry",
    "THANKFUL": "Thankful",
    "PRIDE": "Pride",
    "CARE": "Care",
    "FIRE": "Fire",
    "HUNDRED": "100",
}


def reaction_name(kind: str) -> str:
    return REACTION_NAMES.get(kind.upper(), kind.replace("_", " ").capitalize())


def reactions_line(counts: Any) -> str:
    """``12 Like · 3 Love``: reaction counts, the most given first."""
    ordered = sorted(counts, key=lambda c: (-c.count, c.type))
    return " · ".join(f"{c.count:,} {reaction_name(c.type)}" for c in ordered) or "no reactions"


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


def _chat_notification(e: Any) -> str:
    said = e.system_message or e.notice_type.replace("_", " ")
    if e.text and said.endswith((".", "!", "?")):
        return f"{said} — {e.text}"  # Twitch's sentence, then the viewer's own words
    return _with_message(said, e.text)


def _hype_train(e: Any) -> str:
    # The kind column says "Hype Train"; this says what happened to it.
    if isinstance(e, ev.HypeTrainBegin):
        text = f"started at level {e.level}"
    elif isinstance(e, ev.HypeTrainLevelUp):
        text = f"reached level {e.level}"
    elif isinstance(e, ev.HypeTrainEnd):
        text = f"ended at level {e.level} ({_plural(e.total, 'point')} in all)"
    else:
        text = f"level {e.level}: {e.progress:,} of {_plural(e.goal, 'point')}"
    if e.train_type == "golden_kappa":
        text += " (Golden Kappa)"
    if e.shared and e.shared_with:
        text += " — shared with " + ", ".join(u.display_name for u in e.shared_with)
    return text


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"


def _poll(e: Any) -> str:
    choices = e.choices
    if isinstance(e, ev.PollBegin) or not choices:
        return _with_message(e.title, " / ".join(c.title for c in choices))
    total = sum(c.votes for c in choices)
    if isinstance(e, ev.PollEnd):
        if e.status != "completed":
            return f"{e.title} — stopped without a result"
        best = max(choices, key=lambda c: c.votes)
        votes = f"{_plural(best.votes, 'vote')} ({_share(best.votes, total)})"
        return f"{e.title} — {best.title} won with {votes}"
    return _with_message(e.title, ", ".join(f"{c.title} {c.votes:,}" for c in choices))


def _prediction(e: Any) -> str:
    outcomes = e.outcomes
    total = sum(o.channel_points for o in outcomes)
    if isinstance(e, ev.PredictionBegin):
        return _with_message(e.title, " / ".join(o.title for o in outcomes))
    if isinstance(e, ev.PredictionLock):
        return f"{e.title} — bets closed ({_plural(total, 'point')} bet)"
    if isinstance(e, ev.PredictionEnd):
        if e.status != "resolved":
            return f"{e.title} — canceled, points returned"
        winner = next((o for o in outcomes if o.id == e.winning_outcome_id), None)
        won = winner.title if winner else "?"
        return f"{e.title} — {won} won ({_plural(total, 'point')} bet)"
    return _with_message(
        e.title, ", ".join(f"{o.title} {_plural(o.channel_points, 'point')}" for o in outcomes)
    )


def _goal(e: Any) -> str:
    what = e.description or e.goal_type.replace("_", " ")
    text = f"{what}: {e.current:,} of {e.target:,}"
    if isinstance(e, ev.GoalEnd):
        text += " — reached" if e.achieved else " — ended before it was reached"
    return text


def _ad_break(e: Any) -> str:
    return _plural(e.duration_s, "second") + (" (automatic)" if e.automatic else "")


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
    ev.ChatNotification: _chat_notification,
    ev.CharityDonation: lambda e: f"{format_money(e.amount)} to {e.charity_name or 'charity'}",
    ev.KicksGift: lambda e: _with_message(
        f"sent {_plural(e.kicks, 'Kick')}" + (f" ({e.gift_name})" if e.gift_name else ""),
        e.message,
    ),
    ev.HypeTrainBegin: _hype_train,
    ev.HypeTrainProgress: _hype_train,
    ev.HypeTrainLevelUp: _hype_train,
    ev.HypeTrainEnd: _hype_train,
    ev.PollBegin: _poll,
    ev.PollProgress: _poll,
    ev.PollEnd: _poll,
    ev.PredictionBegin: _prediction,
    ev.PredictionProgress: _prediction,
    ev.PredictionLock: _prediction,
    ev.PredictionEnd: _prediction,
    ev.ShoutoutSent: lambda e: f"got a shoutout from you ({_plural(e.viewers, 'viewer')})",
    ev.ShoutoutReceived: lambda e: f"gave you a shoutout ({_plural(e.viewers, 'viewer')})",
    ev.AdBreak: _ad_break,
    ev.GoalBegin: _goal,
    ev.GoalProgress: _goal,
    ev.GoalEnd: _goal,
    ev.RaidSent: lambda e: f"was raided by you with {_plural(e.viewers, 'viewer')}",
    ev.ReactionsTally: lambda e: reactions_line(e.counts),
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
    if isinstance(event, ev.StreamOnline | ev.StreamOffline | ev.ViewerCount) or not (
        event.has_actor
    ):
        return f"{kind_label(event.kind)}: {summary}"
    if isinstance(event, ev.ChatNotification):
        return summary if event.system_message else f"{event.actor_name}: {summary}"
    if isinstance(event, ev.Donation | ev.SuperChat | ev.CharityDonation):
        return f"{event.actor_name} sent {summary}"
    return f"{event.actor_name} {summary}"
