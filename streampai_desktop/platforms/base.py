"""The connector protocol every platform implements (Twitch now; YouTube, Kick, Facebook later).

A connector owns one connected account's link to its platform: it turns what happens on the
channel into core events (handed to ``ConnectorDeps.submit``), keeps that platform's stream state
(``ConnectorDeps.on_stream``) and reports a visible state (``ConnectorDeps.on_state``). Two errors
cross the boundary: :class:`AuthFailed` ("sign in again": retrying cannot help) and
:class:`NotReady` ("retry with backoff": the network, the platform or a rate limit).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from streampai_desktop.core.errors import (
    EXIT_ALREADY_CONNECTED,
    EXIT_NOT_CONNECTED,
    EXIT_SIGN_IN_EXPIRED,
    EXIT_SIGN_IN_REFUSED,
    EXIT_USAGE,
    UserFacingError,
)
from streampai_desktop.core.events import Event, Platform


class AuthFailed(UserFacingError):
    """The platform refused our credentials (revoked, expired beyond refresh, signed out)."""

    title = "Sign in again"
    exit_code = EXIT_SIGN_IN_REFUSED


class SignInExpired(AuthFailed):
    """The sign-in code or the browser sign-in ran out of time before the streamer approved."""

    title = "Sign-in expired"
    exit_code = EXIT_SIGN_IN_EXPIRED


class AlreadyConnected(UserFacingError):
    title = "Already connected"
    exit_code = EXIT_ALREADY_CONNECTED


class NotConnected(UserFacingError):
    title = "Not connected"
    exit_code = EXIT_NOT_CONNECTED


class ChatNotSent(UserFacingError):
    """The message cannot go out as it is (too long, the platform takes no chat from apps)."""

    title = "Chat not sent"
    exit_code = EXIT_USAGE


class NotReady(Exception):
    """A temporary failure: the platform is unreachable, busy or rate-limiting us.

    ``retry_after`` is the platform's own hint in seconds, when it gave one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConnectorState(enum.StrEnum):
    """What the Platforms page shows for a connector."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    NEEDS_SIGN_IN = "needs_sign_in"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ConnectorStatus:
    """A connector's visible state; ``reason`` is a sentence for the streamer."""

    state: ConnectorState
    reason: str = ""
    next_attempt_at: datetime | None = None  # set while RECONNECTING
    since: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "reason": self.reason,
            "next_attempt_at": _iso(self.next_attempt_at),
            "since": _iso(self.since),
        }


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One platform's stream state. ``None`` means the platform has not told us (yet)."""

    live: bool = False
    title: str = ""
    category: str = ""
    started_at: datetime | None = None
    viewers: int | None = None
    followers: int | None = None
    subscribers: int | None = None

    def updated(self, **changes: object) -> StreamInfo:
        return replace(self, **changes)  # type: ignore[arg-type]

    def uptime(self, now: datetime | None = None) -> timedelta | None:
        if not self.live or self.started_at is None:
            return None
        return max(timedelta(0), (now or datetime.now(UTC)) - self.started_at)

    def to_json(self, now: datetime | None = None) -> dict[str, object]:
        uptime = self.uptime(now)
        return {
            "live": self.live,
            "title": self.title,
            "category": self.category,
            "started_at": _iso(self.started_at),
            "uptime_s": None if uptime is None else int(uptime.total_seconds()),
            "viewers": self.viewers,
            "followers": self.followers,
            "subscribers": self.subscribers,
        }


PERMISSIONS_PROMPT = "Sign in again to allow: "


def permissions_prompt(features: Sequence[str]) -> str:
    """A connected account's status when its sign-in lacks permissions the app asks for today
    (signed in before they were added): "Sign in again to allow: hype trains, polls."."""
    return f"{PERMISSIONS_PROMPT}{', '.join(features)}." if features else ""


def asks_for_permissions(status: ConnectorStatus) -> bool:
    """Whether the account works but a new sign-in would bring more (the Platforms page then
    offers "Sign in again" beside a connected account)."""
    return status.state is ConnectorState.CONNECTED and status.reason.startswith(PERMISSIONS_PROMPT)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class KeptState(Protocol):
    """Small JSON values a connector keeps across app restarts (YouTube's quota count), in the
    app's local store; never a secret (those go to the keyring)."""

    async def load(self, key: str) -> object:
        """The value saved under ``key``, or None."""
        ...

    async def save(self, key: str, value: object) -> None: ...


@dataclass(slots=True)
class ConnectorDeps:
    """What the stream manager gives a connector: where events, state and stream info go, and
    where it may keep small values across restarts (None: nowhere, e.g. the CLI, tests)."""

    submit: Callable[[Event], Awaitable[bool]]
    on_state: Callable[[ConnectorStatus], None]
    on_stream: Callable[[StreamInfo], None]
    kept: KeptState | None = None


class Connector(Protocol):
    """One account's live link to its platform."""

    platform: Platform
    account_id: str

    async def run(self) -> None:
        """Connect and stay connected until :meth:`stop`; reconnects by itself on NotReady.

        Returns when stopped; raises :class:`AuthFailed` when the streamer must sign in again;
        anything else is a bug or an unexpected failure the manager restarts with backoff.
        """
        ...

    async def stop(self) -> None:
        """Disconnect; ``run`` returns soon after. Idempotent."""
        ...

    async def send_chat(self, text: str) -> None:
        """Post ``text`` to the channel's chat as the signed-in account."""
        ...

    async def sign_out(self) -> None:
        """Forget this account's tokens (the keyring entries)."""
        ...
