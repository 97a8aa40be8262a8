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

    platform: Platform
    id: str = field(default_factory=new_event_id)
    at: datetime = field(default_factory=utc_now)
    user: User | None = None
    test: bool = False  # a test alert or a demo event, not something that happened on the channel

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
        """A JSON-ready dict with a ``kind`` key."""
        out: dict[str, Any] = {"kind": self.kind}
        for name in _field_names(type(self)):
            out[name] = _dump(getattr(self, name))
        return out


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
"""Kinds the chat box receives: messages and the moderation that removes them."""


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


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _dump(value: Any) -> Any:
    # Ordered by how often each comes up: this runs for every field of every chat message.
    if isinstance(value, _PLAIN) and not isinstance(value, enum.Enum | Platform):
        return value
    if isinstance(value, Platform):
        return value.value
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _dump(getattr(value, name)) for name in _field_names(type(value))}
    return value


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
