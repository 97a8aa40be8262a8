"""The unified event model: one frozen dataclass per kind of thing that happens on a channel.

Every platform connector maps its raw payloads to these classes, and everything downstream (event
log, alert queue, overlays, the UI) only ever sees these. Each event carries the platform, a
platform-unique ``id`` (the dedupe key), ``at`` (UTC) and, where a person did it, the ``user``.
Amounts are integer minor units plus an ISO 4217 currency, never floats.

JSON round-trip: ``event.to_json()`` gives a plain dict with a ``kind`` key; ``event_from_json``
rebuilds the same object (``event_from_json(e.to_json()) == e``). The field tables below are the
contract with the overlays, the local API and the hosted account service: add fields with defaults,
never rename.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar


class Platform(str):
    """Where an event came from: a platform id such as ``"twitch"``.

    An open set: each platform folder declares its id in its spec and the platform registry
    registers it here (:meth:`register`), so a new platform needs no change in this module. An id
    nobody registered is refused ("unknown platform"). The constants below are the ids the event
    contract has always carried; ``STREAMPAI`` is ours (donations through the account service,
    tests, demo).
    """

    __slots__ = ()

    TWITCH: ClassVar[Platform]
    YOUTUBE: ClassVar[Platform]
    KICK: ClassVar[Platform]
    FACEBOOK: ClassVar[Platform]
    STREAMPAI: ClassVar[Platform]

    def __new__(cls, value: object) -> Platform:
        if isinstance(value, Platform):
            return value
        # One object per id, like an enum member, so ``is`` comparisons keep working.
        known = _REGISTERED.get(value) if isinstance(value, str) else None
        if known is None:
            raise ValueError(f"unknown platform {value!r}")
        return known

    @classmethod
    def register(cls, platform_id: str) -> Platform:
        """Make ``platform_id`` a known platform (the platform registry calls this)."""
        if not _PLATFORM_ID.fullmatch(platform_id):
            raise ValueError(f"a platform id is lowercase letters, digits and _: {platform_id!r}")
        if platform_id not in _REGISTERED:
            _REGISTERED[platform_id] = str.__new__(cls, platform_id)
        return _REGISTERED[platform_id]

    @classmethod
    def unregister(cls, platform_id: str) -> None:
        """Forget a platform registered at run time (a test's dummy platform)."""
        if platform_id in _BUILT_IN:
            raise ValueError(f"{platform_id!r} is part of the event contract")
        _REGISTERED.pop(platform_id, None)

    @classmethod
    def known(cls) -> tuple[Platform, ...]:
        return tuple(_REGISTERED.values())

    @property
    def value(self) -> str:
        """The id as a plain string (what JSON and the store carry)."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"Platform({self.value!r})"


_PLATFORM_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_REGISTERED: dict[str, Platform] = {}
Platform.TWITCH = Platform.register("twitch")
Platform.YOUTUBE = Platform.register("youtube")
Platform.KICK = Platform.register("kick")
Platform.FACEBOOK = Platform.register("facebook")
Platform.STREAMPAI = Platform.register("streampai")
_BUILT_IN = frozenset(_REGISTERED)


class EventError(ValueError):
    """An event payload that does not fit the model (unknown kind, missing or mistyped field)."""


def utc_now() -> datetime:
    """The current time in UTC (a separate function so tests and callers agree on tz-awareness)."""
    return datetime.now(UTC)


def new_event_id() -> str:
    """A fresh id for events we create ourselves (test alerts, demo events, donations)."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Badge:
    """A chat badge as the platform names it: ``set_id`` e.g. ``subscriber``, ``id`` e.g. ``12``."""

    set_id: str
    id: str = ""
    info: str = ""


@dataclass(frozen=True, slots=True)
class User:
    """The person behind an event, as the platform identifies them."""

    id: str
    login: str
    display_name: str
    color: str | None = None
    badges: tuple[Badge, ...] = ()


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (cents) of an ISO 4217 currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise EventError(f"currency must be a 3-letter ISO code, got {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())


@dataclass(frozen=True, slots=True)
class Fragment:
    """One piece of a chat message: plain text, an emote, a mention or a cheermote.

    Overlays build emotes as image elements from ``emote_id``; they never insert ``text`` as HTML.
    """

    type: str  # "text" | "emote" | "mention" | "cheermote"
    text: str
    emote_id: str | None = None
    user_login: str | None = None
    bits: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Fields every event has. Subclasses set ``kind`` and add their own fields."""

    kind: ClassVar[str] = "event"
    alertable: ClassVar[bool] = False
    # Whether a person does this kind of thing ("Anonymous" when none is named); False for what
    # the channel itself goes through (a hype train, a poll, an ad break).
    has_actor: ClassVar[bool] = True
    # A running update of something already under way (hype train points, poll votes): frequent,
    # so lists of the stream's moments (the Dashboard's activity) can leave these out.
    running_update: ClassVar[bool] = False

    platform: Platform
    id: str = field(default_factory=new_event_id)
    at: datetime = field(default_factory=utc_now)
    user: User | None = None
    test: bool = False  # a test alert or a demo event, not something that happened on the channel
    # to_json()'s result, kept: the event log and the overlays both need every chat message as
    # JSON, and an event never changes. Not a field of the event (not compared, shown or loaded).
    _json: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.platform, Platform):
            object.__setattr__(self, "platform", _parse_platform(self.platform))
        if self.at.tzinfo is None:
            raise EventError("event time must be timezone-aware (UTC)")

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """Platforms deliver at least once; (platform, id) identifies one real occurrence."""
        return (self.platform.value, self.id)

    @property
    def actor_name(self) -> str:
        """The name to show for whoever did it ("Anonymous" when nobody is named)."""
        return self.user.display_name if self.user else "Anonymous"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with a ``kind`` key (a new dict each call: the caller may change
        it; what it holds is shared, so nested values must not be changed)."""
        out = self._json
        if out is None:
            out = {"kind": self.kind}
            for name in _field_names(type(self)):
                value = getattr(self, name)
                # Most fields are plain: skip the call (this runs for every chat message).
                out[name] = value if type(value) in _PLAIN_TYPES else _dump(value)
            object.__setattr__(self, "_json", out)
        return dict(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage(Event):
    """A chat message. ``source_message_id`` is set when the message was written in another
    channel and reached this one through a chat shared between channels (Twitch's Shared Chat):
    the id it has in the channel it was written in."""

    kind: ClassVar[str] = "chat_message"
    text: str
    fragments: tuple[Fragment, ...] = ()
    reply_to_id: str | None = None
    bits: int = 0
    source_message_id: str | None = None

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """One written message is one message: a shared chat delivers it once per channel in
        the session (two connected channels of the streamer's in one session each get it), so
        its key is the id it has where it was written."""
        return (self.platform.value, self.source_message_id or self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessageDeleted(Event):
    """A moderator deleted one message; overlays remove it (``user`` is the author when known)."""

    kind: ClassVar[str] = "chat_message_deleted"
    message_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatUserBanned(Event):
    """A user was banned or timed out; overlays remove their messages."""

    kind: ClassVar[str] = "chat_user_banned"
    duration_s: int | None = None  # None: a permanent ban
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatCleared(Event):
    """The whole chat was cleared by a moderator."""

    kind: ClassVar[str] = "chat_cleared"


@dataclass(frozen=True, slots=True, kw_only=True)
class Follow(Event):
    kind: ClassVar[str] = "follow"
    alertable: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription(Event):
    """A new subscription or a resub (``months`` > 1); ``message`` is the resub message."""

    kind: ClassVar[str] = "subscription"
    alertable: ClassVar[bool] = True
    tier: str = "1000"  # Twitch's tier ids: 1000, 2000, 3000, Prime
    months: int = 1
    is_gift: bool = False
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftSubscription(Event):
    """Someone gave ``count`` subscriptions to the community (user is None when anonymous)."""

    kind: ClassVar[str] = "gift_subscription"
    alertable: ClassVar[bool] = True
    tier: str = "1000"
    count: int = 1
    anonymous: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Cheer(Event):
    kind: ClassVar[str] = "cheer"
    alertable: ClassVar[bool] = True
    bits: int
    message: str = ""
    anonymous: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Raid(Event):
    kind: ClassVar[str] = "raid"
    alertable: ClassVar[bool] = True
    viewers: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Donation(Event):
    kind: ClassVar[str] = "donation"
    alertable: ClassVar[bool] = True
    amount: Money
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelPointRedemption(Event):
    kind: ClassVar[str] = "channel_point_redemption"
    alertable: ClassVar[bool] = True
    reward_id: str
    reward_title: str
    cost: int
    user_input: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SuperChat(Event):
    """A YouTube Super Chat, or a Super Sticker when ``sticker_id`` is set."""

    kind: ClassVar[str] = "super_chat"
    alertable: ClassVar[bool] = True
    amount: Money
    message: str = ""
    sticker_id: str | None = None
    # YouTube's tier for the amount (1 = the lowest); it picks the colour the chat draws it in.
    # None when the platform did not say (the chat box then uses the lowest tier's colour).
    tier: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Membership(Event):
    """A YouTube channel membership (new, milestone, or ``gifted_count`` gifted memberships)."""

    kind: ClassVar[str] = "membership"
    alertable: ClassVar[bool] = True
    level_name: str = ""
    months: int = 1
    gifted_count: int = 0
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOnline(Event):
    kind: ClassVar[str] = "stream_online"
    title: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOffline(Event):
    kind: ClassVar[str] = "stream_offline"


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewerCount(Event):
    kind: ClassVar[str] = "viewer_count"
    viewers: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatNotification(Event):
    """A line the platform puts in chat for something that happened: a sub or resub notice, a
    gift, a raid, an announcement, a gift paid forward, a new bits badge (Twitch's
    ``channel.chat.notification``). The alert for a sub, gift or raid comes from that thing's own
    event; this is its line in chat, in the platform's words (``system_message``).

    ``notice_type`` is the platform's name for it (Twitch: ``sub``, ``resub``, ``sub_gift``,
    ``community_sub_gift``, ``raid``, ``announcement``, ``pay_it_forward``, ``bits_badge_tier``,
    …; a shared chat's ``shared_chat_`` notices carry the plain name). ``user`` is the chatter
    (None when anonymous), ``text`` their own words, if any. Like a chat message, one that
    reached the app through a shared chat has ``source_message_id``, its id where it was written.
    """

    kind: ClassVar[str] = "chat_notification"
    notice_type: str
    system_message: str = ""
    text: str = ""
    fragments: tuple[Fragment, ...] = ()
    color: str = ""  # an announcement's colour: PRIMARY, BLUE, GREEN, ORANGE or PURPLE
    badge_tier: int = 0  # bits_badge_tier: the bits badge just earned (1000, 10000, …)
    viewers: int = 0  # raid: how many viewers came along
    recipient: User | None = None  # a sub gift or a gift paid forward: who received it
    source_message_id: str | None = None
    # An update of an earlier notice, whose id this is: YouTube resends a jewel gift's message
    # as its combo count rises ("sent Rose x5"). Each update has an id of its own (so the event
    # log keeps each one), and the chat box replaces that notice's line instead of adding one.
    updates_id: str | None = None

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """As for chat messages: one notice seen through two channels of a shared chat is one."""
        return (self.platform.value, self.source_message_id or self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class CharityDonation(Event):
    """A viewer donated to the charity campaign the channel runs (``user`` is the donor)."""

    kind: ClassVar[str] = "charity_donation"
    alertable: ClassVar[bool] = True
    amount: Money
    charity_name: str = ""
    campaign_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class KicksGift(Event):
    """A viewer sent Kicks, Kick's paid gifts: ``kicks`` of them (Kick sells 100 for about one
    US dollar) as a named gift (``gift_name``, e.g. "Rage Quit"; ``tier`` is Kick's size of it,
    e.g. ``MID``), with their ``message``."""

    kind: ClassVar[str] = "kicks_gift"
    alertable: ClassVar[bool] = True
    kicks: int
    gift_name: str = ""
    tier: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HypeTrainEvent(Event):
    """Fields every hype train event has (not a kind itself).

    ``level`` is the level it is at, ``progress`` the points towards the next one, ``goal`` the
    points that level needs and ``total`` every point so far; ``ends_at`` is when it runs out
    unless someone contributes (each level up pushes it back). ``train_type`` is the platform's
    name (Twitch: ``regular``, ``golden_kappa``, ``treasure``); a train shared between channels
    has ``shared`` set and the other channels in ``shared_with``.
    """

    has_actor: ClassVar[bool] = False
    train_id: str = ""
    level: int = 1
    total: int = 0
    progress: int = 0
    goal: int = 0
    ends_at: datetime | None = None
    train_type: str = "regular"
    shared: bool = False
    shared_with: tuple[User, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HypeTrainBegin(HypeTrainEvent):
    """A hype train started (``all_time_high_level``: the channel's record, 0 when unknown)."""

    kind: ClassVar[str] = "hype_train_begin"
    alertable: ClassVar[bool] = True
    all_time_high_level: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class HypeTrainProgress(HypeTrainEvent):
    """Someone contributed to the running hype train (every contribution, so: often)."""

    kind: ClassVar[str] = "hype_train_progress"
    running_update: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class HypeTrainLevelUp(HypeTrainEvent):
    """The running hype train reached ``level`` (a platform reports progress; the connector
    notices the new level). Its id is the train's and the level's, so each level alerts once."""

    kind: ClassVar[str] = "hype_train_level_up"
    alertable: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class HypeTrainEnd(HypeTrainEvent):
    """The hype train ended at ``level``; the next one can start at ``cooldown_ends_at``."""

    kind: ClassVar[str] = "hype_train_end"
    cooldown_ends_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PollChoice:
    """One answer of a poll and its votes so far (``votes`` counts every way of voting)."""

    id: str
    title: str
    votes: int = 0
    channel_points_votes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PollEvent(Event):
    """Fields every poll event has (not a kind itself); ``ends_at`` while it runs."""

    has_actor: ClassVar[bool] = False
    poll_id: str = ""
    title: str
    choices: tuple[PollChoice, ...] = ()
    ends_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollBegin(PollEvent):
    kind: ClassVar[str] = "poll_begin"


@dataclass(frozen=True, slots=True, kw_only=True)
class PollProgress(PollEvent):
    """Someone voted: the choices with their votes now."""

    kind: ClassVar[str] = "poll_progress"
    running_update: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class PollEnd(PollEvent):
    """The poll ended: ``completed`` (ran out or ended early), ``terminated`` (stopped, no
    result) or ``archived`` (taken off the channel)."""

    kind: ClassVar[str] = "poll_end"
    status: str = "completed"


@dataclass(frozen=True, slots=True)
class PredictionOutcome:
    """One outcome viewers can bet on: how many did and with how many channel points."""

    id: str
    title: str
    color: str = ""  # Twitch: blue or pink
    users: int = 0
    channel_points: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionEvent(Event):
    """Fields every prediction event has (not a kind itself); ``locks_at`` while it takes bets."""

    has_actor: ClassVar[bool] = False
    prediction_id: str = ""
    title: str
    outcomes: tuple[PredictionOutcome, ...] = ()
    locks_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionBegin(PredictionEvent):
    kind: ClassVar[str] = "prediction_begin"


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionProgress(PredictionEvent):
    """Someone bet: the outcomes with their bets now."""

    kind: ClassVar[str] = "prediction_progress"
    running_update: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionLock(PredictionEvent):
    """Bets are closed; the result is still to come."""

    kind: ClassVar[str] = "prediction_lock"


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionEnd(PredictionEvent):
    """The prediction ended: ``resolved`` (``winning_outcome_id`` won) or ``canceled`` (points
    went back)."""

    kind: ClassVar[str] = "prediction_end"
    status: str = "resolved"
    winning_outcome_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShoutoutSent(Event):
    """The channel gave a shoutout: ``user`` is the channel shouted out, ``moderator`` who did
    it, ``viewers`` how many watched when it went out."""

    kind: ClassVar[str] = "shoutout_sent"
    viewers: int = 0
    moderator: User | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShoutoutReceived(Event):
    """Another channel (``user``) gave this one a shoutout in front of ``viewers`` viewers."""

    kind: ClassVar[str] = "shoutout_received"
    viewers: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AdBreak(Event):
    """An ad break started (``at``) and runs ``duration_s`` seconds; ``user`` is who ran it
    (for an automatic one, the platform names the channel)."""

    kind: ClassVar[str] = "ad_break"
    has_actor: ClassVar[bool] = False
    duration_s: int
    automatic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalEvent(Event):
    """Fields every creator goal event has (not a kind itself). ``goal_type`` is the platform's
    name for what is counted (Twitch: ``follow``, ``subscription``, ``new_bit``, …)."""

    has_actor: ClassVar[bool] = False
    goal_id: str = ""
    goal_type: str = ""
    description: str = ""
    current: int = 0
    target: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalBegin(GoalEvent):
    kind: ClassVar[str] = "goal_begin"


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalProgress(GoalEvent):
    kind: ClassVar[str] = "goal_progress"
    running_update: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalEnd(GoalEvent):
    kind: ClassVar[str] = "goal_end"
    achieved: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RaidSent(Event):
    """The channel raided another one (``user``, the channel raided) with ``viewers`` viewers."""

    kind: ClassVar[str] = "raid_sent"
    viewers: int = 0


@dataclass(frozen=True, slots=True)
class ReactionCount:
    """How many reactions of one type (the platform's name: Facebook's ``LIKE``, ``LOVE``, …)."""

    type: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionsTally(Event):
    """Viewers' reactions to the live video in one second, by type (``counts``, only the types
    that came), with the ``totals`` by type since the stream started. Reactions come in bursts of
    hundreds a second: one tally a second instead of an event per tap."""

    kind: ClassVar[str] = "reactions_tally"
    has_actor: ClassVar[bool] = False
    running_update: ClassVar[bool] = True
    counts: tuple[ReactionCount, ...] = ()
    totals: tuple[ReactionCount, ...] = ()


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        ChatMessage,
        ChatMessageDeleted,
        ChatUserBanned,
        ChatCleared,
        Follow,
        Subscription,
        GiftSubscription,
        Cheer,
        Raid,
        Donation,
        ChannelPointRedemption,
        SuperChat,
        Membership,
        StreamOnline,
        StreamOffline,
        ViewerCount,
        ChatNotification,
        CharityDonation,
        KicksGift,
        HypeTrainBegin,
        HypeTrainProgress,
        HypeTrainLevelUp,
        HypeTrainEnd,
        PollBegin,
        PollProgress,
        PollEnd,
        PredictionBegin,
        PredictionProgress,
        PredictionLock,
        PredictionEnd,
        ShoutoutSent,
        ShoutoutReceived,
        AdBreak,
        GoalBegin,
        GoalProgress,
        GoalEnd,
        RaidSent,
        ReactionsTally,
    )
}
"""Every kind, by its JSON name: the one list of kinds; nothing else enumerates them."""

ALERT_KINDS: tuple[str, ...] = tuple(k for k, cls in EVENT_TYPES.items() if cls.alertable)
CHAT_KINDS: tuple[str, ...] = (
    ChatMessage.kind,
    ChatMessageDeleted.kind,
    ChatUserBanned.kind,
    ChatCleared.kind,
)
"""Chat itself: messages and the moderation that removes them."""
CHAT_TOPIC_KINDS: tuple[str, ...] = (*CHAT_KINDS, SuperChat.kind, ChatNotification.kind)
"""Kinds published on the chat topic, which the chat box receives: chat, paid messages (Super
Chats and Super Stickers, drawn in chat as the platform does) and the platform's notices in chat.
Each chat box decides which of these it shows (its settings)."""


def event_from_json(data: Any) -> Event:
    """Rebuild an event from ``to_json()`` output; :class:`EventError` on anything malformed."""
    if not isinstance(data, dict):
        raise EventError("an event must be a JSON object")
    kind = data.get("kind")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None or not isinstance(kind, str):
        known = ", ".join(sorted(EVENT_TYPES))
        raise EventError(f"unknown event kind {kind!r}; known kinds: {known}")
    event: Event = _load_dataclass(cls, data, path=kind)
    return event


# --- JSON conversion -----------------------------------------------------------------------------
# A small, table-free converter driven by the dataclass type hints, so adding a field is one line.


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_PLAIN = (str, int, float, bool, type(None))
_PLAIN_TYPES = frozenset(_PLAIN)


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return names


def _dump(value: Any) -> Any:
    # This runs for every field of every chat message, twice (overlay frame, event log): look
    # the conversion up by exact type instead of walking isinstance checks each time.
    cls = type(value)
    if cls in _PLAIN_TYPES:
        return value
    dumper = _DUMPERS.get(cls)
    if dumper is None:
        dumper = _DUMPERS[cls] = _dumper_for(cls)
    return dumper(value)


_DUMPERS: dict[type, Callable[[Any], Any]] = {}
"""Exact type → its JSON conversion, learned on first sight (see :func:`_dumper_for`)."""


def _dumper_for(cls: type) -> Callable[[Any], Any]:
    """How to convert a value of ``cls`` (in this order: a str-valued enum is an enum)."""
    if issubclass(cls, _PLAIN) and not issubclass(cls, enum.Enum | Platform):
        return _as_is
    if issubclass(cls, Platform):
        return str.__str__
    if issubclass(cls, tuple | list):
        return _dump_items
    if issubclass(cls, enum.Enum):
        return _enum_value
    if issubclass(cls, datetime):
        return _dump_time
    if dataclasses.is_dataclass(cls):
        names = _field_names(cls)
        return lambda value: {
            name: v if type(v := getattr(value, name)) in _PLAIN_TYPES else _dump(v)
            for name in names
        }
    return _as_is


def _as_is(value: Any) -> Any:
    return value


def _enum_value(value: Any) -> Any:
    return value.value


def _dump_items(value: Any) -> list[Any]:
    return [v if type(v) in _PLAIN_TYPES else _dump(v) for v in value]


def _dump_time(value: datetime) -> str:
    if value.tzinfo is not UTC:  # astimezone also reads a naive time as local time, as before
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


def _parse_platform(value: Any) -> Platform:
    try:
        return Platform(value)
    except ValueError:
        known = ", ".join(Platform.known())
        raise EventError(f"unknown platform {value!r}; known platforms: {known}") from None


_HINTS_CACHE: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS_CACHE.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS_CACHE[cls] = hints
    return hints


def _load_dataclass(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise EventError(f"{path}: expected an object")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue  # kept state (an event's JSON), not data
        if f.name not in data or (data[f.name] is None and f.name in ("id", "at")):
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required:
                raise EventError(f"{path}: missing field {f.name!r}")
            continue
        kwargs[f.name] = _load_value(hints[f.name], data[f.name], f"{path}.{f.name}")
    try:
        return cls(**kwargs)
    except EventError:
        raise
    except (TypeError, ValueError) as exc:
        raise EventError(f"{path}: {exc}") from None


def _load_value(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None:
            if type(None) in args:
                return None
            raise EventError(f"{path}: must not be null")
        (inner,) = [a for a in args if a is not type(None)]
        return _load_value(inner, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise EventError(f"{path}: expected a list")
        inner = typing.get_args(tp)[0]
        return tuple(_load_value(inner, v, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is Platform:
        return _parse_platform(value)
    if tp is datetime:
        if not isinstance(value, str):
            raise EventError(f"{path}: expected an ISO 8601 time")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventError(f"{path}: not an ISO 8601 time: {value!r}") from None
        if parsed.tzinfo is None:
            raise EventError(f"{path}: time must include a timezone")
        return parsed.astimezone(UTC)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _load_dataclass(tp, value, path)
    if tp is bool:
        if not isinstance(value, bool):
            raise EventError(f"{path}: expected true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventError(f"{path}: expected a whole number")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise EventError(f"{path}: expected text")
        return value
    return value
