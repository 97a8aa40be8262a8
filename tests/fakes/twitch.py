"""A fake Twitch on 127.0.0.1: EventSub WebSocket, the Helix endpoints the app uses, and OAuth.

It follows Twitch's documented protocol closely enough that the real clients (twitchio for Helix
and OAuth, aiohttp for the EventSub socket) cannot tell the difference:

* EventSub WebSocket (``/ws``): ``session_welcome`` with ``keepalive_timeout_seconds``, a keepalive
  exactly that long after the last message sent, ``notification`` messages with ``message_id`` and
  nanosecond timestamps, ``session_reconnect`` to a new URL, ``revocation``, and the documented
  close codes 4000-4007 (4001 when the client sends anything, 4003 when no subscription arrives in
  time).
* The move after ``session_reconnect`` is split the way Twitch's documentation splits it: the old
  connection keeps delivering until the client has its welcome on the new one; from then on
  notifications go to the new one and the *client* closes the old one. Only when the client has
  not reconnected and closed the old connection within :attr:`FakeTwitch.reconnect_grace_s` (30 s,
  the documented "you have 30 seconds to reconnect to the server and close the old connection")
  does the fake close it, with 4004. :attr:`Session.closed_by` records who closed each socket.
* Helix (``/helix``): eventsub subscriptions create/list/delete with cost and limits, streams,
  users, channels, channels/followers, chat/messages, every answer with ``Ratelimit-*`` headers;
  a 429 when the bucket is empty (or forced by a test). A subscription needs the scope Twitch's
  subscription-types reference names for its type (403 "subscription missing proper
  authorization" without it) and a version Twitch still offers (400 otherwise: the hype train
  v1 events were withdrawn in January 2026).
* Notifications go to the subscriptions whose condition they match (a raid from the streamer
  reaches the ``from_broadcaster_user_id`` subscription, one to the streamer the
  ``to_broadcaster_user_id`` one), as on Twitch.
* OAuth (``/oauth2``): device code flow (``authorization_pending``, ``slow_down``, success),
  refresh tokens (single use, as for public clients), validate, revoke.

Tests drive it with the control methods: :meth:`push`, :meth:`trigger_reconnect`,
:meth:`revoke`, :meth:`go_silent`, :meth:`close_sockets`, :meth:`stop` / :meth:`start`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

PAYLOADS = Path(__file__).with_name("twitch_payloads")
CLIENT_ID = "streampai-test-client"

# Close codes from Twitch's EventSub WebSocket reference.
CLOSE_INTERNAL_ERROR = 4000
CLOSE_SENT_INBOUND = 4001
CLOSE_FAILED_PING = 4002
CLOSE_UNUSED = 4003
CLOSE_RECONNECT_GRACE_EXPIRED = 4004
CLOSE_NETWORK_TIMEOUT = 4005
CLOSE_NETWORK_ERROR = 4006
CLOSE_INVALID_RECONNECT = 4007


# The scopes each subscription type needs, from Twitch's EventSub subscription-types reference
# (one of them is enough; a type not listed needs none). Kept apart from the app's own table on
# purpose: the fake plays Twitch, so a scope the app forgot to ask for is refused here.
SUBSCRIPTION_SCOPES: dict[str, tuple[str, ...]] = {
    "channel.chat.message": ("user:read:chat",),
    "channel.chat.message_delete": ("user:read:chat",),
    "channel.chat.clear": ("user:read:chat",),
    "channel.chat.clear_user_messages": ("user:read:chat",),
    "channel.chat.notification": ("user:read:chat",),
    "channel.follow": ("moderator:read:followers", "moderator:manage:followers"),
    "channel.subscribe": ("channel:read:subscriptions",),
    "channel.subscription.message": ("channel:read:subscriptions",),
    "channel.subscription.gift": ("channel:read:subscriptions",),
    "channel.cheer": ("bits:read",),
    "channel.ban": ("channel:moderate",),
    "channel.channel_points_custom_reward_redemption.add": (
        "channel:read:redemptions",
        "channel:manage:redemptions",
    ),
    "channel.hype_train.begin": ("channel:read:hype_train",),
    "channel.hype_train.progress": ("channel:read:hype_train",),
    "channel.hype_train.end": ("channel:read:hype_train",),
    "channel.poll.begin": ("channel:read:polls", "channel:manage:polls"),
    "channel.poll.progress": ("channel:read:polls", "channel:manage:polls"),
    "channel.poll.end": ("channel:read:polls", "channel:manage:polls"),
    "channel.prediction.begin": ("channel:read:predictions", "channel:manage:predictions"),
    "channel.prediction.progress": ("channel:read:predictions", "channel:manage:predictions"),
    "channel.prediction.lock": ("channel:read:predictions", "channel:manage:predictions"),
    "channel.prediction.end": ("channel:read:predictions", "channel:manage:predictions"),
    "channel.shoutout.create": ("moderator:read:shoutouts", "moderator:manage:shoutouts"),
    "channel.shoutout.receive": ("moderator:read:shoutouts", "moderator:manage:shoutouts"),
    "channel.ad_break.begin": ("channel:read:ads",),
    "channel.goal.begin": ("channel:read:goals",),
    "channel.goal.progress": ("channel:read:goals",),
    "channel.goal.end": ("channel:read:goals",),
    "channel.charity_campaign.donate": ("channel:read:charity",),
}
# The versions Twitch offers of the types whose versions changed (others: any).
SUBSCRIPTION_VERSIONS: dict[str, frozenset[str]] = {
    "channel.follow": frozenset({"2"}),
    "channel.update": frozenset({"2"}),
    "channel.hype_train.begin": frozenset({"2"}),
    "channel.hype_train.progress": frozenset({"2"}),
    "channel.hype_train.end": frozenset({"2"}),
}
# The condition fields that name a channel: a notification reaches a subscription only when the
# channels it names are the subscription's.
CHANNEL_FIELDS = ("broadcaster_user_id", "to_broadcaster_user_id", "from_broadcaster_user_id")


def load_payload(name: str) -> dict[str, Any]:
    """A recorded notification (``tests/fakes/twitch_payloads/{name}.json``)."""
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def twitch_time(when: datetime | None = None) -> str:
    """RFC 3339 with nanoseconds, as Twitch writes its timestamps."""
    when = when or datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}000Z"


@dataclass
class FakeUser:
    id: str
    login: str
    display_name: str
    followers: int = 0
    live: bool = False
    title: str = "Just chatting with you"
    category: str = "Just Chatting"
    category_id: str = "509658"
    viewers: int = 0
    started_at: str = ""


@dataclass
class Token:
    access: str
    refresh: str
    user_id: str
    scopes: list[str]
    expires_at: float
    valid: bool = True


@dataclass
class Session:
    id: str
    ws: web.WebSocketResponse
    keepalive: int
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    last_sent: float = field(default_factory=time.monotonic)
    moved_to: Session | None = None
    closed: bool = False
    closed_by: str = ""  # "client" (it sent the close) or "server" (the fake closed it)
    close_code: int | None = None
    closed_at: float | None = None
    welcomed_at: float = field(default_factory=time.monotonic)


@dataclass
class Sub:
    id: str
    type: str
    version: str
    condition: dict[str, str]
    session_id: str
    client_id: str
    user_id: str
    created_at: str
    status: str = "enabled"
    cost: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "version": self.version,
            "condition": self.condition,
            "created_at": self.created_at,
            "transport": {
                "method": "websocket",
                "session_id": self.session_id,
                "connected_at": self.created_at,
            },
            "cost": self.cost,
        }


class FakeTwitch:
    """The fake server; ``async with FakeTwitch() as tw`` or ``await tw.start()``."""

    def __init__(
        self,
        port: int = 0,
        *,
        keepalive_s: int = 10,
        subscribe_deadline_s: float = 10.0,
        device_interval_s: int = 1,
        device_expires_s: int = 1800,
        helix_points: int = 800,
        reconnect_grace_s: float = 30.0,
    ) -> None:
        self.port = port
        self.keepalive_s = keepalive_s  # the value put in the welcome (tests use small ones)
        self.subscribe_deadline_s = subscribe_deadline_s
        self.device_interval_s = device_interval_s
        self.device_expires_s = device_expires_s  # how long a device code lives (RFC 8628)
        self.helix_points = helix_points
        # Twitch's close-code table: after session_reconnect "you have 30 seconds to reconnect to
        # the server and close the old connection", else 4004 (tests may shorten it).
        self.reconnect_grace_s = reconnect_grace_s
        self.moved: list[Session] = []  # old connections of finished moves, for assertions
        # Awaited just before the welcome on a reconnect URL: what a test pushes here still goes
        # to the old connection, right before the new one's welcome.
        self.before_move_welcome: Callable[[], Awaitable[None]] | None = None
        self.users: dict[str, FakeUser] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_index: dict[str, str] = {}  # refresh token → access token
        self.devices: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, Session] = {}
        self.subs: dict[str, Sub] = {}
        self.sent_chat: list[dict[str, Any]] = []
        # (code, message) for the next messages Twitch declines to post (Send Chat Message's
        # drop_reason), e.g. ("msg_duplicate", "Your message is identical to the one you sent…").
        self.chat_drops: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every HTTP request
        self.silent = False
        self.force_429 = 0
        # Subscription types answered with 403 whatever the token's scopes (a test's Twitch that
        # refuses one type), and every subscription Twitch refused: (type, HTTP status).
        self.forbid: set[str] = set()
        self.refused: list[tuple[str, int]] = []
        self.welcomes = 0
        self.notifications_sent = 0
        self._bucket: dict[str, tuple[int, float]] = {}
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTwitch:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def eventsub_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def api_url(self) -> str:
        return f"{self.base}/helix"

    @property
    def auth_url(self) -> str:
        return f"{self.base}/oauth2"

    async def start(self) -> None:
        """Start (or restart, on the same port) the server; state survives a restart."""
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        app.router.add_route("*", "/helix/{path:.*}", self._helix)
        app.router.add_route("*", "/oauth2/{path:.*}", self._oauth)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Kill the server: sockets drop without a close frame's courtesy, like a crash."""
        for task in list(self._tasks):
            task.cancel()
        for session in [*self.sessions.values(), *self.moved]:
            session.closed = True
            with contextlib.suppress(Exception):
                await session.ws.close(code=WSCloseCode.GOING_AWAY)
        self.sessions.clear()
        # Twitch deletes a websocket session's subscriptions when the session ends.
        self.subs.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- test set-up --------------------------------------------------------------------------

    def add_user(self, user_id: str = "1337", login: str = "cool_streamer", **kw: Any) -> FakeUser:
        user = FakeUser(user_id, login, kw.pop("display_name", login.title()), **kw)
        self.users[user_id] = user
        return user

    def issue_token(
        self, user_id: str = "1337", scopes: list[str] | None = None, expires_in: int = 14400
    ) -> Token:
        """Mint a token pair as if the user had signed in."""
        token = Token(
            access=secrets.token_hex(15),
            refresh=secrets.token_hex(25),
            user_id=user_id,
            scopes=scopes or [],
            expires_at=time.time() + expires_in,
        )
        self.tokens[token.access] = token
        self.refresh_index[token.refresh] = token.access
        return token

    def expire_token(self, access: str) -> None:
        """The access token stops working (its refresh token still works)."""
        self.tokens[access].expires_at = 0

    def revoke_user(self, user_id: str) -> None:
        """The user disconnected the app on twitch.tv: every token and refresh token dies."""
        for token in self.tokens.values():
            if token.user_id == user_id:
                token.valid = False
        for refresh, access in list(self.refresh_index.items()):
            if self.tokens[access].user_id == user_id:
                del self.refresh_index[refresh]

    def approve_device(self, user_code: str, user_id: str = "1337") -> None:
        for device in self.devices.values():
            if device["user_code"] == user_code:
                device["approved_by"] = user_id
                return
        raise KeyError(user_code)

    def go_live(self, user_id: str = "1337", viewers: int = 10) -> None:
        user = self.users[user_id]
        user.live, user.viewers, user.started_at = True, viewers, twitch_time()

    # --- EventSub control ---------------------------------------------------------------------

    def active_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if not s.closed and s.moved_to is None]

    async def push(
        self,
        sub_type: str,
        event: dict[str, Any],
        *,
        message_id: str | None = None,
        to: str | None = None,
    ) -> str | None:
        """Deliver a notification for every matching subscription; returns the message id.

        ``to``: only subscriptions whose condition names that broadcaster (one channel of a
        shared chat, say); by default every subscription of ``sub_type``.

        While a session is moving (after ``session_reconnect``, before the client's welcome on
        the new URL) it still goes to the old connection, as Twitch does; after that welcome, to
        the new one.
        """
        message_id = message_id or str(uuid.uuid4())
        delivered = False
        for sub in list(self.subs.values()):
            if sub.type != sub_type or sub.status != "enabled":
                continue
            if to is not None and sub.condition.get("broadcaster_user_id") != to:
                continue
            if any(
                key in event and sub.condition.get(key, event[key]) != event[key]
                for key in CHANNEL_FIELDS
            ):
                continue  # about another channel than the one this subscription names
            session = self.sessions.get(sub.session_id)
            if session is None or session.closed:
                continue
            await self._send(
                session,
                {
                    "metadata": {
                        "message_id": message_id,
                        "message_type": "notification",
                        "message_timestamp": twitch_time(),
                        "subscription_type": sub.type,
                        "subscription_version": sub.version,
                    },
                    "payload": {"subscription": sub.to_json(), "event": event},
                },
            )
            self.notifications_sent += 1
            delivered = True
        return message_id if delivered else None

    async def push_recorded(self, name: str, **kw: Any) -> str | None:
        raw = load_payload(name)
        return await self.push(raw["metadata"]["subscription_type"], raw["payload"]["event"], **kw)

    async def trigger_reconnect(self) -> str:
        """Send ``session_reconnect`` on every active session; returns the reconnect URL."""
        url = ""
        for session in self.active_sessions():
            url = f"{self.eventsub_url}?reconnect_session={session.id}"
            await self._send(
                session,
                {
                    "metadata": self._meta("session_reconnect"),
                    "payload": {
                        "session": {
                            "id": session.id,
                            "status": "reconnecting",
                            "keepalive_timeout_seconds": None,
                            "reconnect_url": url,
                            "connected_at": twitch_time(),
                        }
                    },
                },
            )
            self._spawn(self._reconnect_grace(session))
        return url

    async def revoke(
        self, status: str = "authorization_revoked", sub_type: str | None = None
    ) -> int:
        """Revoke subscriptions (all, or one type) with ``status``; returns how many."""
        count = 0
        for sub in list(self.subs.values()):
            if sub_type and sub.type != sub_type:
                continue
            sub.status = status
            session = self.sessions.get(sub.session_id)
            if session and not session.closed:
                await self._send(
                    session,
                    {
                        "metadata": {
                            **self._meta("revocation"),
                            "subscription_type": sub.type,
                            "subscription_version": sub.version,
                        },
                        "payload": {"subscription": sub.to_json()},
                    },
                )
            del self.subs[sub.id]
            count += 1
        return count

    def go_silent(self, silent: bool = True) -> None:
        """Stop sending anything (keepalives included) while keeping the sockets open."""
        self.silent = silent

    async def close_sockets(self, code: int = CLOSE_NETWORK_ERROR) -> None:
        for session in self.active_sessions():
            await self._end(session, code)

    # --- EventSub socket ----------------------------------------------------------------------

    def _meta(self, message_type: str) -> dict[str, Any]:
        return {
            "message_id": str(uuid.uuid4()),
            "message_type": message_type,
            "message_timestamp": twitch_time(),
        }

    async def _send(self, session: Session, message: dict[str, Any]) -> None:
        if session.closed:
            return
        if self.silent and message["metadata"]["message_type"] != "session_welcome":
            return
        session.last_sent = time.monotonic()
        with contextlib.suppress(ConnectionError, RuntimeError):
            await session.ws.send_str(json.dumps(message))

    async def _end(self, session: Session, code: int) -> None:
        """The fake closes ``session``'s socket with ``code``."""
        if session.closed:
            return
        self._mark_closed(session, "server", code)
        with contextlib.suppress(Exception):
            await session.ws.close(code=code)

    def _mark_closed(self, session: Session, by: str, code: int | None) -> None:
        session.closed = True
        session.closed_by, session.close_code, session.closed_at = by, code, time.monotonic()
        # Twitch deletes a session's subscriptions when its connection ends, unless the session
        # has moved to a new connection (then the subscriptions went with it).
        if session.moved_to is None and self.sessions.get(session.id) is session:
            self.sessions.pop(session.id, None)
            for sub_id in [k for k, s in self.subs.items() if s.session_id == session.id]:
                del self.subs[sub_id]

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        old_id = request.query.get("reconnect_session")
        keepalive = self.keepalive_s
        if "keepalive_timeout_seconds" in request.query:
            with contextlib.suppress(ValueError):
                # Twitch clamps to 10-600; the fake lets tests ask for less to stay fast.
                keepalive = max(1, min(600, int(request.query["keepalive_timeout_seconds"])))
        old = self.sessions.get(old_id) if old_id else None
        if old_id and (old is None or old.closed or old.moved_to is not None):
            await ws.close(code=CLOSE_INVALID_RECONNECT)
            return ws
        session_id = old.id if old else f"AgoQ{secrets.token_hex(12)}"
        session = Session(session_id, ws, old.keepalive if old else keepalive)
        if old is not None and self.before_move_welcome is not None:
            await self.before_move_welcome()
        self.welcomes += 1
        # The welcome goes out before the session is registered, so no notification can overtake
        # it; until then notifications still go to the old connection.
        await self._send(
            session,
            {
                "metadata": self._meta("session_welcome"),
                "payload": {
                    "session": {
                        "id": session_id,
                        "status": "connected",
                        "connected_at": twitch_time(),
                        "keepalive_timeout_seconds": session.keepalive,
                        "reconnect_url": None,
                        "recovery_url": None,
                    }
                },
            },
        )
        session.welcomed_at = time.monotonic()
        if old is not None:
            # The client has its welcome on the new connection: from now on the session's
            # notifications go there. The old connection is the client's to close.
            session.subscribed.set()  # subscriptions move with the session
            old.moved_to = session
            self.moved.append(old)
        self.sessions[session_id] = session
        keepalive_task = asyncio.create_task(self._keepalive(session))
        deadline_task = asyncio.create_task(self._subscribe_deadline(session))
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    # Twitch allows no inbound traffic except pongs.
                    await self._end(session, CLOSE_SENT_INBOUND)
        finally:
            keepalive_task.cancel()
            deadline_task.cancel()
            if not session.closed:
                # The loop ended without the fake closing: the client closed (or dropped) it.
                self._mark_closed(session, "client", ws.close_code)
        return ws

    async def _keepalive(self, session: Session) -> None:
        # Twitch's promise: no more than keepalive_timeout_seconds without a message. A moved
        # (old) connection gets nothing more once the new one is welcomed.
        while not session.closed and session.moved_to is None:
            wait = session.last_sent + session.keepalive - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.silent:
                await asyncio.sleep(0.05)
                continue
            await self._send(session, {"metadata": self._meta("session_keepalive"), "payload": {}})

    async def _subscribe_deadline(self, session: Session) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.subscribe_deadline_s):
                await session.subscribed.wait()
                return
        await self._end(session, CLOSE_UNUSED)

    async def _reconnect_grace(self, session: Session) -> None:
        # 4004 "Reconnect grace time expired": the client neither reconnected and closed the old
        # connection within the grace time (or it reconnected but kept the old one open).
        await asyncio.sleep(self.reconnect_grace_s)
        if not session.closed:
            await self._end(session, CLOSE_RECONNECT_GRACE_EXPIRED)

    # --- OAuth --------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, str]:
        # twitchio puts OAuth parameters in the query string; browsers and curl use a form body.
        params = dict(request.query)
        if request.can_read_body:
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    @staticmethod
    def _oauth_error(status: int, message: str) -> web.Response:
        return web.json_response({"status": status, "message": message}, status=status)

    def _token_json(self, token: Token) -> dict[str, Any]:
        return {
            "access_token": token.access,
            "refresh_token": token.refresh,
            "expires_in": int(token.expires_at - time.time()),
            "scope": token.scopes,
            "token_type": "bearer",
        }

    async def _oauth(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.requests.append((request.method, f"/oauth2/{path}"))
        if path == "validate" and request.method == "GET":
            token = self._token_from(request, prefix="OAuth ")
            if token is None:
                return self._oauth_error(401, "invalid access token")
            user = self.users.get(token.user_id)
            return web.json_response(
                {
                    "client_id": CLIENT_ID,
                    "login": user.login if user else "",
                    "scopes": token.scopes,
                    "user_id": token.user_id,
                    "expires_in": int(token.expires_at - time.time()),
                }
            )
        if request.method != "POST":
            return self._oauth_error(404, "not found")
        params = await self._params(request)
        if params.get("client_id") != CLIENT_ID:
            return self._oauth_error(400, "invalid client")
        if path == "device":
            return self._device_start(params)
        if path == "token":
            return self._token_grant(params)
        if path == "revoke":
            token = self.tokens.get(params.get("token", ""))
            if token:
                token.valid = False
            return web.Response(status=200)
        return self._oauth_error(404, "not found")

    def _device_start(self, params: dict[str, str]) -> web.Response:
        device_code = secrets.token_urlsafe(30)
        user_code = secrets.token_hex(4).upper()
        self.devices[device_code] = {
            "user_code": user_code,
            "scopes": params.get("scopes", "").replace("+", " ").split(),
            "expires_at": time.time() + self.device_expires_s,
            "last_poll": 0.0,
            "approved_by": None,
        }
        return web.json_response(
            {
                "device_code": device_code,
                "expires_in": self.device_expires_s,
                "interval": self.device_interval_s,
                "user_code": user_code,
                "verification_uri": f"https://www.twitch.tv/activate?public=true&device-code={user_code}",
            }
        )

    def _token_grant(self, params: dict[str, str]) -> web.Response:
        grant = params.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            device = self.devices.get(params.get("device_code", ""))
            if device is None or device["expires_at"] < time.time():
                return self._oauth_error(400, "invalid device code")
            now = time.monotonic()
            too_fast = now - device["last_poll"] < self.device_interval_s * 0.9
            device["last_poll"] = now
            if device["approved_by"] is None:
                return self._oauth_error(400, "slow_down" if too_fast else "authorization_pending")
            del self.devices[params["device_code"]]
            token = self.issue_token(device["approved_by"], device["scopes"])
            return web.json_response(self._token_json(token))
        if grant == "refresh_token":
            access = self.refresh_index.pop(params.get("refresh_token", ""), None)
            old = self.tokens.get(access or "")
            if old is None or not old.valid:
                return self._oauth_error(400, "Invalid refresh token")
            old.valid = False  # public clients' refresh tokens are single use
            token = self.issue_token(old.user_id, old.scopes)
            return web.json_response(self._token_json(token))
        return self._oauth_error(400, "unsupported grant type")

    def _token_from(self, request: web.Request, prefix: str = "Bearer ") -> Token | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith(prefix):
            return None
        token = self.tokens.get(header.removeprefix(prefix))
        if token is None or not token.valid or token.expires_at < time.time():
            return None
        return token

    # --- Helix --------------------------------------------------------------------------------

    def _ratelimit(self, key: str) -> tuple[dict[str, str], bool]:
        """Twitch's token bucket: ``helix_points`` per minute; True when this request may run."""
        now = time.time()
        remaining, reset = self._bucket.get(key, (self.helix_points, now + 60))
        if now >= reset:
            remaining, reset = self.helix_points, now + 60
        allowed = remaining > 0 and self.force_429 == 0
        if self.force_429 > 0:
            self.force_429 -= 1
            reset = now + 1  # a forced 429 tells the client to wait about a second
        elif allowed:
            remaining -= 1
        self._bucket[key] = (remaining, reset)
        headers = {
            "Ratelimit-Limit": str(self.helix_points),
            "Ratelimit-Remaining": str(remaining),
            "Ratelimit-Reset": str(int(reset) + (1 if reset % 1 else 0)),
        }
        return headers, allowed

    async def _helix(self, request: web.Request) -> web.Response:
        path = request.match_info["path"].strip("/")
        self.requests.append((request.method, f"/helix/{path}"))
        token = self._token_from(request)
        if request.headers.get("Client-Id") != CLIENT_ID:
            return web.json_response(
                {"error": "Unauthorized", "status": 401, "message": "Client-Id header required"},
                status=401,
            )
        if token is None:
            return web.json_response(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"},
                status=401,
            )
        headers, allowed = self._ratelimit(f"{CLIENT_ID}:{token.user_id}")
        if not allowed:
            body = {"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"}
            return web.json_response(body, status=429, headers=headers)
        handler = {
            ("POST", "eventsub/subscriptions"): self._sub_create,
            ("GET", "eventsub/subscriptions"): self._sub_list,
            ("DELETE", "eventsub/subscriptions"): self._sub_delete,
            ("GET", "streams"): self._streams,
            ("GET", "users"): self._users,
            ("GET", "channels"): self._channels,
            ("GET", "channels/followers"): self._followers,
            ("POST", "chat/messages"): self._chat_send,
        }.get((request.method, path))
        if handler is None:
            return web.json_response(
                {"error": "Not Found", "status": 404, "message": ""}, status=404
            )
        response = await handler(request, token)
        response.headers.update(headers)
        return response

    @staticmethod
    def _bad(status: int, message: str) -> web.Response:
        reason = {400: "Bad Request", 403: "Forbidden", 409: "Conflict"}.get(status, "Error")
        return web.json_response(
            {"error": reason, "status": status, "message": message}, status=status
        )

    def _sub_totals(self, client_id: str) -> dict[str, int]:
        mine = [s for s in self.subs.values() if s.client_id == client_id]
        return {"total": len(mine), "total_cost": sum(s.cost for s in mine), "max_total_cost": 10}

    async def _sub_create(self, request: web.Request, token: Token) -> web.Response:
        body = await request.json()
        transport = body.get("transport") or {}
        if transport.get("method") != "websocket":
            return self._bad(400, "transport method must be websocket")
        session = self.sessions.get(transport.get("session_id", ""))
        if session is None or session.closed:
            return self._bad(
                400, "websocket transport session does not exist or has already disconnected"
            )
        same_session = [s for s in self.subs.values() if s.session_id == session.id]
        if len(same_session) >= 300:
            return self._bad(429, "number of websocket transports exceeded")
        for sub in same_session:
            if sub.type == body["type"] and sub.condition == body["condition"]:
                return self._bad(409, "subscription already exists")
        if token.user_id not in body["condition"].values():
            # Websocket subscriptions need a user token of the user named in the condition.
            return self._refuse(body, 403, "subscription missing proper authorization")
        versions = SUBSCRIPTION_VERSIONS.get(body["type"])
        if versions is not None and str(body.get("version")) not in versions:
            return self._refuse(body, 400, "invalid subscription version")
        needed = SUBSCRIPTION_SCOPES.get(body["type"], ())
        lacking = needed and not set(needed) & set(token.scopes)
        if lacking or body["type"] in self.forbid:
            return self._refuse(body, 403, "subscription missing proper authorization")
        sub = Sub(
            id=str(uuid.uuid4()),
            type=body["type"],
            version=str(body["version"]),
            condition=dict(body["condition"]),
            session_id=session.id,
            client_id=CLIENT_ID,
            user_id=token.user_id,
            created_at=twitch_time(),
        )
        self.subs[sub.id] = sub
        session.subscribed.set()
        return web.json_response(
            {"data": [sub.to_json()], **self._sub_totals(CLIENT_ID)}, status=202
        )

    def _refuse(self, body: dict[str, Any], status: int, message: str) -> web.Response:
        self.refused.append((str(body.get("type")), status))
        return self._bad(status, message)

    async def _sub_list(self, request: web.Request, token: Token) -> web.Response:
        data = [s.to_json() for s in self.subs.values() if s.client_id == CLIENT_ID]
        return web.json_response({"data": data, **self._sub_totals(CLIENT_ID), "pagination": {}})

    async def _sub_delete(self, request: web.Request, token: Token) -> web.Response:
        if self.subs.pop(request.query.get("id", ""), None) is None:
            return web.json_response(
                {"error": "Not Found", "status": 404, "message": ""}, status=404
            )
        return web.Response(status=204)

    async def _streams(self, request: web.Request, token: Token) -> web.Response:
        ids = request.query.getall("user_id", [])
        data = []
        for uid in ids:
            user = self.users.get(uid)
            if user and user.live:
                data.append(
                    {
                        "id": f"stream-{uid}",
                        "user_id": uid,
                        "user_login": user.login,
                        "user_name": user.display_name,
                        "game_id": user.category_id,
                        "game_name": user.category,
                        "type": "live",
                        "title": user.title,
                        "viewer_count": user.viewers,
                        "started_at": user.started_at,
                        "language": "en",
                        "thumbnail_url": "",
                        "tag_ids": [],
                        "tags": [],
                        "is_mature": False,
                    }
                )
        return web.json_response({"data": data, "pagination": {}})

    def _user_json(self, user: FakeUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "login": user.login,
            "display_name": user.display_name,
            "type": "",
            "broadcaster_type": "affiliate",
            "description": "",
            "profile_image_url": "",
            "offline_image_url": "",
            "view_count": 0,
            "created_at": "2016-12-14T20:32:28Z",
        }

    async def _users(self, request: web.Request, token: Token) -> web.Response:
        ids = request.query.getall("id", []) or (
            [] if "login" in request.query else [token.user_id]
        )
        logins = request.query.getall("login", [])
        found = [u for u in self.users.values() if u.id in ids or u.login in logins]
        return web.json_response({"data": [self._user_json(u) for u in found]})

    async def _channels(self, request: web.Request, token: Token) -> web.Response:
        data = []
        for uid in request.query.getall("broadcaster_id", []):
            user = self.users.get(uid)
            if user:
                data.append(
                    {
                        "broadcaster_id": uid,
                        "broadcaster_login": user.login,
                        "broadcaster_name": user.display_name,
                        "broadcaster_language": "en",
                        "game_id": user.category_id,
                        "game_name": user.category,
                        "title": user.title,
                        "delay": 0,
                        "tags": [],
                        "content_classification_labels": [],
                        "is_branded_content": False,
                    }
                )
        return web.json_response({"data": data})

    async def _followers(self, request: web.Request, token: Token) -> web.Response:
        user = self.users.get(request.query.get("broadcaster_id", ""))
        if user is None:
            return self._bad(400, "broadcaster_id is required")
        return web.json_response({"total": user.followers, "data": [], "pagination": {}})

    async def _chat_send(self, request: web.Request, token: Token) -> web.Response:
        body = await request.json()
        if body.get("sender_id") != token.user_id:
            return self._bad(403, "sender_id must match the user token")
        if not body.get("message"):
            return self._bad(400, "message is required")
        message_id = str(uuid.uuid4())
        if self.chat_drops:  # Twitch answers 200 and says why it did not post the message
            code, message = self.chat_drops.pop(0)
            drop = {"code": code, "message": message}
            return web.json_response(
                {"data": [{"message_id": message_id, "is_sent": False, "drop_reason": drop}]}
            )
        self.sent_chat.append({**body, "message_id": message_id})
        return web.json_response(
            {"data": [{"message_id": message_id, "is_sent": True, "drop_reason": None}]}
        )


def chat_event(
    text: str, *, message_id: str | None = None, broadcaster_id: str = "1337"
) -> dict[str, Any]:
    """A ``channel.chat.message`` event in Twitch's shape, for pushing from tests and the bench."""
    event = copy.deepcopy(load_payload("chat_message")["payload"]["event"])
    event.update(
        broadcaster_user_id=broadcaster_id,
        message_id=message_id or str(uuid.uuid4()),
        message={
            "text": text,
            "fragments": [
                {"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}
            ],
        },
        cheer=None,
    )
    return event
