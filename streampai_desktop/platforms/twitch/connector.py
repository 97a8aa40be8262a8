"""The Twitch connector: one signed-in account's EventSub session, stream state and chat.

One pass of :meth:`TwitchConnector._session` = validate tokens (twitchio refreshes them), load the
channel (title, category, live?, viewers, followers), open EventSub, subscribe every type in
:data:`SUBSCRIPTIONS` the sign-in's scopes allow (a sign-in from before a type was added keeps
working without it, and its status says "Sign in again to allow: hype trains, …"), then read
notifications until the socket drops. Hype train level ups are noticed here (Twitch reports
progress, not levels reached). :meth:`run` repeats passes
with capped exponential backoff and jitter (or the wait Twitch asked for) and shows
"reconnecting, next attempt at …" meanwhile; :class:`AuthFailed` ends it ("needs sign-in").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.events import (
    Event,
    EventError,
    HypeTrainBegin,
    HypeTrainEnd,
    HypeTrainProgress,
    Platform,
    StreamOnline,
    ViewerCount,
)
from streampai_desktop.platforms.base import (
    AuthFailed,
    ChatNotSent,
    ConnectorDeps,
    ConnectorState,
    NotReady,
    permissions_prompt,
)
from streampai_desktop.platforms.session_loop import SessionLoop
from streampai_desktop.platforms.twitch import mapping
from streampai_desktop.platforms.twitch.auth import TokenStore
from streampai_desktop.platforms.twitch.client import MissingPermission, TwitchApi, TwitchEndpoints
from streampai_desktop.platforms.twitch.eventsub import EventSubSocket
from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubSpec:
    type: str
    version: str
    condition: str  # which condition shape; see _condition
    scopes: tuple[str, ...] = ()  # any one of them lets a token subscribe; () needs none
    feature: str = ""  # what the streamer goes without when the token has none of the scopes

    def allowed(self, granted: Collection[str]) -> bool:
        """Whether a token with the ``granted`` scopes may subscribe."""
        return not self.scopes or any(scope in granted for scope in self.scopes)


# The scopes Twitch's subscription-types reference names for each type (one of them is enough).
_CHAT = ("user:read:chat",)
_SUBS = ("channel:read:subscriptions",)
_REDEMPTIONS = ("channel:read:redemptions", "channel:manage:redemptions")
_HYPE_TRAIN = ("channel:read:hype_train",)
_POLLS = ("channel:read:polls", "channel:manage:polls")
_PREDICTIONS = ("channel:read:predictions", "channel:manage:predictions")
_SHOUTOUTS = ("moderator:read:shoutouts", "moderator:manage:shoutouts")
_GOALS = ("channel:read:goals",)

SUBSCRIPTIONS: tuple[SubSpec, ...] = (
    SubSpec("channel.chat.message", "1", "chat", _CHAT, "chat"),
    SubSpec("channel.chat.message_delete", "1", "chat", _CHAT, "chat"),
    SubSpec("channel.chat.clear", "1", "chat", _CHAT, "chat"),
    # A ban or timeout clears the user's messages; this covers both without channel:moderate.
    SubSpec("channel.chat.clear_user_messages", "1", "chat", _CHAT, "chat"),
    # Sub notices, raids, announcements … as the lines Twitch shows in chat (not alerts).
    SubSpec("channel.chat.notification", "1", "chat", _CHAT, "chat"),
    SubSpec("channel.follow", "2", "moderator", ("moderator:read:followers",), "follows"),
    SubSpec("channel.subscribe", "1", "broadcaster", _SUBS, "subscriptions"),
    SubSpec("channel.subscription.message", "1", "broadcaster", _SUBS, "subscriptions"),
    SubSpec("channel.subscription.gift", "1", "broadcaster", _SUBS, "subscriptions"),
    SubSpec("channel.cheer", "1", "broadcaster", ("bits:read",), "cheers"),
    SubSpec("channel.raid", "1", "raid_to"),
    # The same type the other way round: the streamer's own raid ("raiding X"), no scope needed.
    SubSpec("channel.raid", "1", "raid_from"),
    SubSpec(
        "channel.channel_points_custom_reward_redemption.add",
        "1",
        "broadcaster",
        _REDEMPTIONS,
        "channel points",
    ),
    SubSpec("stream.online", "1", "broadcaster"),
    SubSpec("stream.offline", "1", "broadcaster"),
    SubSpec("channel.update", "2", "broadcaster"),
    # Version 2: Twitch withdrew the v1 hype train events in January 2026.
    SubSpec("channel.hype_train.begin", "2", "broadcaster", _HYPE_TRAIN, "hype trains"),
    SubSpec("channel.hype_train.progress", "2", "broadcaster", _HYPE_TRAIN, "hype trains"),
    SubSpec("channel.hype_train.end", "2", "broadcaster", _HYPE_TRAIN, "hype trains"),
    SubSpec("channel.poll.begin", "1", "broadcaster", _POLLS, "polls"),
    SubSpec("channel.poll.progress", "1", "broadcaster", _POLLS, "polls"),
    SubSpec("channel.poll.end", "1", "broadcaster", _POLLS, "polls"),
    SubSpec("channel.prediction.begin", "1", "broadcaster", _PREDICTIONS, "predictions"),
    SubSpec("channel.prediction.progress", "1", "broadcaster", _PREDICTIONS, "predictions"),
    SubSpec("channel.prediction.lock", "1", "broadcaster", _PREDICTIONS, "predictions"),
    SubSpec("channel.prediction.end", "1", "broadcaster", _PREDICTIONS, "predictions"),
    SubSpec("channel.shoutout.create", "1", "moderator", _SHOUTOUTS, "shoutouts"),
    SubSpec("channel.shoutout.receive", "1", "moderator", _SHOUTOUTS, "shoutouts"),
    SubSpec("channel.ad_break.begin", "1", "broadcaster", ("channel:read:ads",), "ad breaks"),
    SubSpec("channel.goal.begin", "1", "broadcaster", _GOALS, "goals"),
    SubSpec("channel.goal.progress", "1", "broadcaster", _GOALS, "goals"),
    SubSpec("channel.goal.end", "1", "broadcaster", _GOALS, "goals"),
    SubSpec(
        "channel.charity_campaign.donate",
        "1",
        "broadcaster",
        ("channel:read:charity",),
        "charity donations",
    ),
)
"""What the app listens to, as data."""

SUBSCRIBE_CONCURRENCY = 8  # subscription requests in flight at once (Twitch answers each in ~0.1 s)


def _condition(kind: str, user_id: str) -> dict[str, str]:
    return {
        "chat": {"broadcaster_user_id": user_id, "user_id": user_id},
        "moderator": {"broadcaster_user_id": user_id, "moderator_user_id": user_id},
        "broadcaster": {"broadcaster_user_id": user_id},
        "raid_to": {"to_broadcaster_user_id": user_id},
        "raid_from": {"from_broadcaster_user_id": user_id},
    }[kind]


@dataclass(frozen=True, slots=True)
class TwitchOptions:
    keepalive_s: int = 10  # asked of Twitch (10-600); silence detection follows the welcome
    poll_interval_s: float = 60.0  # viewer count while live
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0


class TwitchConnector(SessionLoop):
    """See the module docstring; implements :class:`~streampai_desktop.platforms.base.Connector`."""

    platform = Platform.TWITCH
    label = "Twitch"

    def __init__(
        self,
        account_id: str,
        platform_user_id: str,
        deps: ConnectorDeps,
        endpoints: TwitchEndpoints,
        secrets: SecretStore,
        options: TwitchOptions | None = None,
    ) -> None:
        self.options = options or TwitchOptions()
        super().__init__(deps, Backoff(self.options.backoff_base_s, self.options.backoff_cap_s))
        self.account_id = account_id
        self.user_id = platform_user_id
        self.endpoints = endpoints
        self.tokens = TokenStore(secrets, platform_user_id)
        self.login = ""
        self.notice = ""  # a non-fatal problem worth showing (e.g. one subscription revoked)
        # What this sign-in's scopes leave out ("hype trains", …): the status asks to sign in again.
        self.missing: tuple[str, ...] = ()
        self._hype_levels: dict[str, int] = {}  # running hype train id → the level last seen
        self._api: TwitchApi | None = None
        self._socket: EventSubSocket | None = None

    # --- lifecycle (the run loop is SessionLoop's) ------------------------------------------------

    async def stop(self) -> None:
        await super().stop()
        if self._socket is not None:
            await self._socket.close()

    async def sign_out(self) -> None:
        await self.stop()
        await self.tokens.delete()

    async def send_chat(self, text: str) -> None:
        api = self._api
        if api is None or self.status.state is not ConnectorState.CONNECTED:
            raise ChatNotSent("Twitch is not connected right now; try again in a moment.")
        result = await api.send_chat(self.user_id, text)
        if not result.get("is_sent", False):
            # Twitch refused this message (duplicate, followers-only, AutoMod…): sending it
            # again will not help, so it is not a NotReady.
            drop = result.get("drop_reason") or {}
            raise ChatNotSent(f"Twitch did not send the message: {drop.get('message', 'dropped')}")

    # --- one connection ---------------------------------------------------------------------------

    async def _session(self) -> None:
        tokens = await self.tokens.load()
        if tokens is None:
            raise AuthFailed("Not signed in to Twitch; sign in to connect.")
        api = TwitchApi(self.endpoints, self.tokens.save)
        try:
            await api.open(tokens)
            if api.user_id != self.user_id:
                raise AuthFailed(
                    "The saved Twitch sign-in belongs to another account; sign in again."
                )
            self.login = api.login
            self._api = api
            await self._load_stream_state(api)
            async with EventSubSocket(
                self.endpoints.eventsub_url, self.options.keepalive_s
            ) as sock:
                self._socket = sock
                if self._stop.is_set():
                    return
                session_id = await sock.connect()
                await self._subscribe_all(api, session_id)
                self.backoff.reset()
                self._set_state(ConnectorState.CONNECTED, self._connected_reason())
                await self._read_and_poll(api, sock)
        finally:
            self._api = None
            self._socket = None
            await api.close()

    async def _load_stream_state(self, api: TwitchApi) -> None:
        channel = await api.channel(self.user_id) or {}
        stream = await api.stream(self.user_id)
        followers = await api.follower_count(self.user_id)
        # While live, the stream's own title and category win over the channel's.
        fields = {
            "title": channel.get("title", ""),
            "category": channel.get("game_name", ""),
            "followers": followers,
            **_stream_fields(stream),
        }
        self._patch_stream(**fields)

    async def _subscribe_all(self, api: TwitchApi, session_id: str) -> None:
        """Subscribe to every type the token's scopes allow, a few requests at a time. A type
        Twitch refuses for a missing scope (403) is left out and the rest go on; what is left out
        is named in the status ("Sign in again to allow: hype trains, polls.")."""
        granted = set(api.scopes)
        wanted = [spec for spec in SUBSCRIPTIONS if spec.allowed(granted)]
        skipped = [spec for spec in SUBSCRIPTIONS if not spec.allowed(granted)]
        gate = asyncio.Semaphore(SUBSCRIBE_CONCURRENCY)

        async def subscribe(spec: SubSpec) -> SubSpec | None:
            condition = _condition(spec.condition, self.user_id)
            async with gate:
                try:
                    await api.subscribe(spec.type, spec.version, condition, session_id)
                except MissingPermission as exc:
                    log.warning("Twitch refused %s: %s", spec.type, exc)
                    return spec
            return None

        results = await asyncio.gather(*(subscribe(s) for s in wanted), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        refused = [r for r in results if isinstance(r, SubSpec)]
        missing = [s.feature or s.type for s in SUBSCRIPTIONS if s in skipped or s in refused]
        self.missing = tuple(dict.fromkeys(missing))  # in table order, each once
        if self.missing:
            log.info("Twitch sign-in lacks scopes for: %s", ", ".join(self.missing))

    def _connected_reason(self) -> str:
        """What the status says while connected: what needs a new sign-in, and any notice."""
        return " ".join(p for p in (permissions_prompt(self.missing), self.notice) if p)

    async def _read_and_poll(self, api: TwitchApi, sock: EventSubSocket) -> None:
        reader = asyncio.create_task(self._read(sock), name=f"twitch-read-{self.user_id}")
        poller = asyncio.create_task(self._poll(api), name=f"twitch-poll-{self.user_id}")
        try:
            done, _ = await asyncio.wait({reader, poller}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, poller):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if not self._stop.is_set():
            raise NotReady("Twitch EventSub connection ended")

    async def _read(self, sock: EventSubSocket) -> None:
        try:
            async for message in sock.messages():
                if message["metadata"]["message_type"] == "revocation":
                    self._on_revocation(message)
                else:
                    await self._on_notification(message)
        except NotReady:
            if not self._stop.is_set():
                raise

    async def _on_notification(self, message: dict[str, Any]) -> None:
        sub_type = message["metadata"].get("subscription_type", "")
        event_raw = message["payload"]["event"]
        try:
            patch = mapping.stream_patch(sub_type, event_raw)
            events = mapping.map_notification(message)
        except (EventError, KeyError, TypeError, ValueError, AttributeError) as exc:
            # One notification Twitch shaped differently must not take the connection down.
            log.warning("ignored a %s notification the app cannot read: %r", sub_type, exc)
            return
        if patch:
            self._patch_stream(**patch)
        for event in events:
            if isinstance(event, StreamOnline):
                event = dataclasses.replace(
                    event, title=self.stream.title, category=self.stream.category
                )
            await self.deps.submit(event)
            level_up = self._track_hype_train(event)
            if level_up is not None:
                await self.deps.submit(level_up)

    def _track_hype_train(self, event: Event) -> Event | None:
        """The level-up a hype train event shows, if any (Twitch reports progress; reaching a
        new level is ours to notice). An ended train is forgotten."""
        if isinstance(event, HypeTrainEnd):
            self._hype_levels.pop(event.train_id, None)
            return None
        if not isinstance(event, HypeTrainBegin | HypeTrainProgress):
            return None
        known = self._hype_levels.get(event.train_id)
        self._hype_levels[event.train_id] = max(known or 0, event.level)
        return mapping.level_up(known, event)

    def _on_revocation(self, message: dict[str, Any]) -> None:
        sub = message["payload"]["subscription"]
        status = sub.get("status", "")
        if status == "authorization_revoked":
            raise AuthFailed(
                "Access to Twitch was revoked (disconnected on twitch.tv); sign in again."
            )
        if status == "user_removed":
            raise AuthFailed("This Twitch account no longer exists or was suspended.")
        if status == "notification_failures_exceeded":
            raise NotReady("Twitch stopped a subscription after delivery failures")
        # version_removed and friends: keep the rest of the events flowing, say what stopped.
        self.notice = f"Twitch stopped sending {sub.get('type')} ({status}); update the app."
        log.warning("%s", self.notice)
        self._set_state(ConnectorState.CONNECTED, self._connected_reason())

    async def _poll(self, api: TwitchApi) -> None:
        """Viewer count (Helix streams) while live; a stream found offline updates the state."""
        while True:
            await asyncio.sleep(self.options.poll_interval_s)
            if not self.stream.live:
                continue
            try:
                stream = await api.stream(self.user_id)
            except NotReady as exc:
                log.info("viewer count not available right now: %s", exc)
                continue
            self._patch_stream(**_stream_fields(stream))
            if stream is not None:
                now = datetime.now(UTC)
                await self.deps.submit(
                    ViewerCount(
                        platform=Platform.TWITCH,
                        id=f"viewers:{self.user_id}:{int(now.timestamp())}",
                        at=now,
                        viewers=int(stream.get("viewer_count") or 0),
                    )
                )


def _stream_fields(stream: dict[str, Any] | None) -> dict[str, Any]:
    if stream is None:
        return {"live": False, "started_at": None, "viewers": None}
    return {
        "live": True,
        "title": stream.get("title", ""),
        "category": stream.get("game_name", ""),
        "started_at": mapping.parse_time(stream.get("started_at")),
        "viewers": int(stream.get("viewer_count") or 0),
    }


def create_connector(
    account: Any,
    deps: ConnectorDeps,
    *,
    settings: Any = None,
    secrets: SecretStore,
    endpoints: TwitchEndpoints | None = None,
    options: TwitchOptions | None = None,
) -> TwitchConnector:
    """The registry's factory: a connector for a store ``Account`` of platform ``twitch``."""
    if endpoints is None:
        endpoints = TwitchEndpoints.from_settings(settings) if settings else TwitchEndpoints()
    return TwitchConnector(account.id, account.platform_user_id, deps, endpoints, secrets, options)
