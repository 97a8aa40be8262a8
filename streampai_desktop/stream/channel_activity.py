"""Channel activity: what is running on a channel right now, one typed state per account.

Beside the stream state (live?, title, viewers: ``StreamInfo``), a channel has things that start
and end during a stream: a poll, a prediction, a hype train, an ad break, creator goals, and the
raid the streamer is sending. :class:`ChannelActivity` holds them for one connected account; the
platform's events drive it (:func:`apply`, a pure function: progress replaces, an end clears or
marks the result).

How it is published — the same way as the stream state (``StreamStateChanged`` from
``stream/manager.py``):

* **Notice.** Every change is published on the bus as a
  :class:`~streampai_desktop.core.notices.ChannelActivityChanged` (``account_id``, ``platform``,
  ``activity``); subscribe with ``notice_topics(ChannelActivityChanged)``. A redelivered event that
  changes nothing publishes nothing. An ad break is cleared when its time is up, with a notice.
* **Current value.** ``StreamManager.channel_activity()`` (account id → :class:`ChannelActivity`)
  and ``ChannelActivityTracker.current(account_id)``.
* **JSON.** :meth:`ChannelActivity.to_json` (times ISO 8601 UTC, ``None`` for nothing running)::

    {"poll": {"id", "title", "status": "open" | "completed" | "terminated",
              "choices": [{"id", "title", "votes", "percent"}], "total_votes",
              "ends_at", "ended_at"} | null,
     "prediction": {"id", "title", "status": "open" | "locked" | "resolved" | "canceled",
                    "outcomes": [{"id", "title", "color", "points", "users", "percent"}],
                    "total_points", "locks_at", "winning_outcome_id",
                    "winning_outcome"} | null,
     "hype_train": {"id", "level", "progress", "goal", "total", "percent", "ends_at",
                    "type", "shared", "shared_with": [display names]} | null,
     "ad_break": {"started_at", "duration_s", "ends_at", "remaining_s", "automatic"} | null,
     "goals": [{"id", "type", "description", "current", "target", "percent"}],
     "raid": {"to": display name, "to_login", "viewers", "at"} | null,
     "reactions": {"totals": [{"type", "count"}], "last_second": [{"type", "count"}],
                   "at"} | null}

  ``percent`` values are shares of the total (0-100, one decimal), for the dashboard's bars.

Lifecycles: a poll stays with its result after it ends (``status`` says how) until the next one
starts; one taken off the channel (Twitch's ``archived``) clears. A prediction goes open → locked
→ resolved (with the winner) or canceled, and stays until the next. A hype train clears when it
ends. An ad break clears when its ``duration_s`` is over. A goal clears when it ends. The raid the
streamer sends stays until the next stream starts. Reactions (Facebook's) are the stream's
running totals by type, the most given first, and the last second's burst; they clear when the
next stream starts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from streampai_desktop.core import events as ev
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.notices import ChannelActivityChanged, publish_notice

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole > 0 else 0.0


@dataclass(frozen=True, slots=True)
class PollState:
    id: str
    title: str
    choices: tuple[ev.PollChoice, ...]
    status: str = "open"  # open, then completed or terminated
    ends_at: datetime | None = None
    ended_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        total = sum(c.votes for c in self.choices)
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "choices": [
                {
                    "id": c.id,
                    "title": c.title,
                    "votes": c.votes,
                    "percent": _percent(c.votes, total),
                }
                for c in self.choices
            ],
            "total_votes": total,
            "ends_at": _iso(self.ends_at),
            "ended_at": _iso(self.ended_at),
        }


@dataclass(frozen=True, slots=True)
class PredictionState:
    id: str
    title: str
    outcomes: tuple[ev.PredictionOutcome, ...]
    status: str = "open"  # open, locked, then resolved or canceled
    locks_at: datetime | None = None
    winning_outcome_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        total = sum(o.channel_points for o in self.outcomes)
        winner = next((o for o in self.outcomes if o.id == self.winning_outcome_id), None)
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "outcomes": [
                {
                    "id": o.id,
                    "title": o.title,
                    "color": o.color,
                    "points": o.channel_points,
                    "users": o.users,
                    "percent": _percent(o.channel_points, total),
                }
                for o in self.outcomes
            ],
            "total_points": total,
            "locks_at": _iso(self.locks_at),
            "winning_outcome_id": self.winning_outcome_id,
            "winning_outcome": winner.title if winner else None,
        }


@dataclass(frozen=True, slots=True)
class HypeTrainState:
    id: str
    level: int
    progress: int
    goal: int
    total: int
    ends_at: datetime | None = None
    train_type: str = "regular"
    shared: bool = False
    shared_with: tuple[str, ...] = ()  # display names of the channels sharing the train

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "progress": self.progress,
            "goal": self.goal,
            "total": self.total,
            "percent": min(100.0, _percent(self.progress, self.goal)),
            "ends_at": _iso(self.ends_at),
            "type": self.train_type,
            "shared": self.shared,
            "shared_with": list(self.shared_with),
        }


@dataclass(frozen=True, slots=True)
class AdBreakState:
    started_at: datetime
    duration_s: int
    automatic: bool = False

    @property
    def ends_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration_s)

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        left = (self.ends_at - (now or datetime.now(UTC))).total_seconds()
        return {
            "started_at": _iso(self.started_at),
            "duration_s": self.duration_s,
            "ends_at": _iso(self.ends_at),
            "remaining_s": max(0, int(left + 0.999)),  # a countdown rounds up
            "automatic": self.automatic,
        }


@dataclass(frozen=True, slots=True)
class GoalState:
    id: str
    goal_type: str
    description: str
    current: int
    target: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.goal_type,
            "description": self.description,
            "current": self.current,
            "target": self.target,
            "percent": min(100.0, _percent(self.current, self.target)),
        }


@dataclass(frozen=True, slots=True)
class OutgoingRaid:
    """The streamer is raiding ``to`` (display name) with ``viewers`` viewers."""

    to: str
    to_login: str
    viewers: int
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "to_login": self.to_login,
            "viewers": self.viewers,
            "at": _iso(self.at),
        }


@dataclass(frozen=True, slots=True)
class ReactionsState:
    """The live video's reactions: running totals by type and the last tallied second's."""

    totals: tuple[ev.ReactionCount, ...]
    last_second: tuple[ev.ReactionCount, ...]
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "totals": [{"type": c.type, "count": c.count} for c in self.totals],
            "last_second": [{"type": c.type, "count": c.count} for c in self.last_second],
            "at": _iso(self.at),
        }


@dataclass(frozen=True, slots=True)
class ChannelActivity:
    """What is running on one account's channel; see the module docstring."""

    poll: PollState | None = None
    prediction: PredictionState | None = None
    hype_train: HypeTrainState | None = None
    ad_break: AdBreakState | None = None
    goals: tuple[GoalState, ...] = ()
    raid: OutgoingRaid | None = None
    reactions: ReactionsState | None = None

    @property
    def idle(self) -> bool:
        """Nothing is running."""
        return self == ChannelActivity()

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "poll": self.poll.to_json() if self.poll else None,
            "prediction": self.prediction.to_json() if self.prediction else None,
            "hype_train": self.hype_train.to_json() if self.hype_train else None,
            "ad_break": self.ad_break.to_json(now) if self.ad_break else None,
            "goals": [g.to_json() for g in self.goals],
            "raid": self.raid.to_json() if self.raid else None,
            "reactions": self.reactions.to_json() if self.reactions else None,
        }

    def expired(self, now: datetime) -> ChannelActivity:
        """The activity without what ran out by ``now`` (an ad break that is over)."""
        if self.ad_break is not None and self.ad_break.ends_at <= now:
            return dataclasses.replace(self, ad_break=None)
        return self


# --- events → activity ---------------------------------------------------------------------------


def _poll(state: ChannelActivity, event: Any) -> ChannelActivity:
    if isinstance(event, ev.PollEnd):
        if event.status == "archived":  # taken off the channel: nothing to show
            return dataclasses.replace(state, poll=None)
        poll = PollState(event.poll_id, event.title, event.choices, event.status, None, event.at)
    else:
        poll = PollState(event.poll_id, event.title, event.choices, "open", event.ends_at)
    return dataclasses.replace(state, poll=poll)


def _prediction(state: ChannelActivity, event: Any) -> ChannelActivity:
    previous = state.prediction
    locks_at = event.locks_at or (previous.locks_at if previous else None)
    if isinstance(event, ev.PredictionEnd):
        status, winner = event.status, event.winning_outcome_id
    elif isinstance(event, ev.PredictionLock):
        status, winner = "locked", None
    else:
        status, winner = "open", None
    prediction = PredictionState(
        event.prediction_id, event.title, event.outcomes, status, locks_at, winner
    )
    return dataclasses.replace(state, prediction=prediction)


def _hype_train(state: ChannelActivity, event: Any) -> ChannelActivity:
    if isinstance(event, ev.HypeTrainEnd):
        return dataclasses.replace(state, hype_train=None)
    train = HypeTrainState(
        id=event.train_id,
        level=event.level,
        progress=event.progress,
        goal=event.goal,
        total=event.total,
        ends_at=event.ends_at,
        train_type=event.train_type,
        shared=event.shared,
        shared_with=tuple(u.display_name for u in event.shared_with),
    )
    return dataclasses.replace(state, hype_train=train)


def _ad_break(state: ChannelActivity, event: Any) -> ChannelActivity:
    ad = AdBreakState(event.at, event.duration_s, event.automatic)
    return dataclasses.replace(state, ad_break=ad)


def _goal(state: ChannelActivity, event: Any) -> ChannelActivity:
    others = tuple(g for g in state.goals if g.id != event.goal_id)
    if isinstance(event, ev.GoalEnd):
        return dataclasses.replace(state, goals=others)
    goal = GoalState(event.goal_id, event.goal_type, event.description, event.current, event.target)
    # A goal keeps its place when it progresses; a new one goes last.
    ordered = [goal if g.id == goal.id else g for g in state.goals]
    goals = tuple(ordered) if len(others) < len(state.goals) else (*others, goal)
    return dataclasses.replace(state, goals=goals)


def _raid_sent(state: ChannelActivity, event: Any) -> ChannelActivity:
    user = event.user
    raid = OutgoingRaid(
        user.display_name if user else "", user.login if user else "", event.viewers, event.at
    )
    return dataclasses.replace(state, raid=raid)


def _stream_online(state: ChannelActivity, event: Any) -> ChannelActivity:
    # A new stream: the last one's raid and reactions are history.
    return dataclasses.replace(state, raid=None, reactions=None)


def _by_count(counts: tuple[ev.ReactionCount, ...]) -> tuple[ev.ReactionCount, ...]:
    return tuple(sorted(counts, key=lambda c: (-c.count, c.type)))


def _reactions(state: ChannelActivity, event: Any) -> ChannelActivity:
    reactions = ReactionsState(_by_count(event.totals), _by_count(event.counts), event.at)
    return dataclasses.replace(state, reactions=reactions)


_APPLY: dict[type[ev.Event], Callable[[ChannelActivity, Any], ChannelActivity]] = {
    ev.PollBegin: _poll,
    ev.PollProgress: _poll,
    ev.PollEnd: _poll,
    ev.PredictionBegin: _prediction,
    ev.PredictionProgress: _prediction,
    ev.PredictionLock: _prediction,
    ev.PredictionEnd: _prediction,
    ev.HypeTrainBegin: _hype_train,
    ev.HypeTrainProgress: _hype_train,
    ev.HypeTrainLevelUp: _hype_train,
    ev.HypeTrainEnd: _hype_train,
    ev.AdBreak: _ad_break,
    ev.GoalBegin: _goal,
    ev.GoalProgress: _goal,
    ev.GoalEnd: _goal,
    ev.RaidSent: _raid_sent,
    ev.StreamOnline: _stream_online,
    ev.ReactionsTally: _reactions,
}
"""Event type → how it changes the activity; other events change nothing."""


def apply(state: ChannelActivity, event: ev.Event) -> ChannelActivity:
    """The activity after ``event`` (``state`` itself when the event changes nothing)."""
    change = _APPLY.get(type(event))
    if change is None:
        return state
    new = change(state, event)
    return state if new == state else new


# --- the tracker the stream manager runs ---------------------------------------------------------


@dataclass(slots=True)
class _Account:
    platform: str
    activity: ChannelActivity = field(default_factory=ChannelActivity)
    expiry: asyncio.TimerHandle | None = None


class ChannelActivityTracker:
    """Each account's :class:`ChannelActivity`, updated from its events, published on change."""

    def __init__(self, bus: EventBus, clock: Callable[[], datetime] = ev.utc_now) -> None:
        self._bus = bus
        self._clock = clock
        self._accounts: dict[str, _Account] = {}

    def current(self, account_id: str) -> ChannelActivity:
        """The account's activity now (idle when nothing runs or the account is unknown)."""
        account = self._accounts.get(account_id)
        if account is None:
            return ChannelActivity()
        return account.activity.expired(self._clock())

    def all(self) -> dict[str, ChannelActivity]:
        """Account id → activity, for every account that has reported any."""
        return {account_id: self.current(account_id) for account_id in self._accounts}

    def observe(self, account_id: str, platform: str, event: ev.Event) -> None:
        """One of the account's events arrived (a connector's, never a test's)."""
        if event.test:
            return
        account = self._accounts.setdefault(account_id, _Account(platform))
        self._set(account_id, account, apply(account.activity, event).expired(self._clock()))

    def forget(self, account_id: str) -> None:
        """The account stopped (disabled, signed out): whatever it showed ends."""
        account = self._accounts.pop(account_id, None)
        if account is None:
            return
        if account.expiry is not None:
            account.expiry.cancel()
        if not account.activity.idle:
            publish_notice(
                self._bus, ChannelActivityChanged(account_id, account.platform, ChannelActivity())
            )

    def stop(self) -> None:
        for account in self._accounts.values():
            if account.expiry is not None:
                account.expiry.cancel()
                account.expiry = None

    def _set(self, account_id: str, account: _Account, activity: ChannelActivity) -> None:
        if activity == account.activity:
            return
        account.activity = activity
        self._schedule_expiry(account_id, account)
        publish_notice(self._bus, ChannelActivityChanged(account_id, account.platform, activity))

    def _schedule_expiry(self, account_id: str, account: _Account) -> None:
        """Clear an ad break when its time is up, so the page showing it hears it ended."""
        if account.expiry is not None:
            account.expiry.cancel()
            account.expiry = None
        ad = account.activity.ad_break
        if ad is None:
            return
        delay = max(0.0, (ad.ends_at - self._clock()).total_seconds())
        account.expiry = asyncio.get_running_loop().call_later(
            delay, self._expire, account_id, account
        )

    def _expire(self, account_id: str, account: _Account) -> None:
        account.expiry = None
        if self._accounts.get(account_id) is not account:
            return
        activity = account.activity.expired(self._clock())
        if activity == account.activity:
            self._schedule_expiry(account_id, account)  # woke a moment early: wait the rest
        else:
            self._set(account_id, account, activity)
