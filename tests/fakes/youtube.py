"""A fake YouTube on 127.0.0.1: Google's OAuth device flow and the Data API calls the app makes.

It follows Google's documented protocol closely enough that the app's httpx client cannot tell
the difference:

* OAuth (``/oauth``, the stand-in for ``https://oauth2.googleapis.com``): ``POST /device/code``
  (``device_code``, ``user_code``, ``verification_url`` — Google's spelling —, ``expires_in``,
  ``interval``); ``POST /token`` with ``grant_type=urn:ietf:params:oauth:grant-type:device_code``
  answering ``authorization_pending`` (HTTP 428), ``slow_down`` (403) when polled faster than the
  interval, ``access_denied`` (403), ``expired_token`` (400), and the token pair; the client secret
  of an installed app is required, as Google does; ``grant_type=refresh_token`` (Google keeps the
  refresh token: the answer has only a new access token) and ``invalid_grant`` once revoked;
  ``POST /revoke``.
* Data API (``/youtube/v3``): ``channels?mine=true``, ``liveBroadcasts``
  (``broadcastStatus=active``),
  ``videos?part=liveStreamingDetails`` (``concurrentViewers`` as a string, ``actualEndTime`` once
  ended), ``liveChat/messages`` list (``pollingIntervalMillis``, ``nextPageToken``, ``offlineAt``)
  and insert, and the server-streaming ``liveChat/messages/stream``. Errors in Google's JSON shape
  (``error.errors[].reason``): 401, 403 ``quotaExceeded`` / ``liveChatEnded`` / ``forbidden``,
  404 ``liveChatNotFound``, 5xx. Tests inject them: :attr:`FakeYouTube.fail_next` (the next
  call to a path fails once with a status and reason), :attr:`~FakeYouTube.quota_exceeded`,
  :attr:`~FakeYouTube.slow_down_next`, :meth:`~FakeYouTube.expire_device`,
  :meth:`~FakeYouTube.deny_device`; each device code records its polls and answers.
* The stream sends ``LiveChatMessageListResponse`` objects concatenated, newline-delimited or as
  one JSON array (:attr:`FakeYouTube.framing`), cut into chunks of :attr:`chunk_size` bytes so an
  object is split across reads, and can drop mid-object (:meth:`drop_streams`). A first request
  without ``pageToken`` (list or stream) starts with the recent history (:attr:`backlog`).

Page tokens are positions in the chat's message log, so resuming with the last ``nextPageToken``
continues exactly where the client was, as YouTube's do. Each call's quota cost is counted in
:attr:`units` (YouTube's published costs).
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

PAYLOADS = Path(__file__).with_name("youtube_payloads")
CLIENT_ID = "streampai-test.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-installed-app-secret"
CHANNEL_ID = "UCstreamer000000000000001"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

# Quota units per call, from YouTube's quota cost table.
COSTS = {
    "channels": 1,
    "liveBroadcasts": 1,
    "videos": 1,
    "liveChat/messages": 5,
    "liveChat/messages:insert": 50,
    "liveChat/messages/stream": 5,
}


def load_payload(name: str) -> dict[str, Any]:
    """A recorded ``liveChatMessage`` resource from ``youtube_payloads/``."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text("utf-8"))
    return data


def rfc3339(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).isoformat().replace("+00:00", "Z")


def text_message(
    text: str, message_id: str | None = None, author: str = "Viewer"
) -> dict[str, Any]:
    """A ``textMessageEvent`` like the recorded one, with ``text`` and a fresh (or given) id."""
    item = load_payload("text_message")
    item["id"] = message_id or f"LCC.{secrets.token_hex(8)}"
    item["snippet"]["displayMessage"] = text
    item["snippet"]["textMessageDetails"] = {"messageText": text}
    item["snippet"]["publishedAt"] = rfc3339()
    item["authorDetails"]["displayName"] = author
    return item


@dataclass
class Token:
    access: str
    refresh: str
    expires_at: float  # time.monotonic()
    channel_id: str = CHANNEL_ID


@dataclass
class Device:
    device_code: str
    user_code: str
    expires_at: float
    interval: float
    approved_for: str | None = None
    denied: bool = False
    last_poll: float = 0.0
    polls: list[tuple[float, str]] = field(default_factory=list)  # (monotonic, answer) each


@dataclass
class Chat:
    """One live chat: the message log (page tokens are positions in it) and its readers."""

    id: str
    video_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


class FakeYouTube:
    """See the module docstring; tests drive it with :meth:`go_live`, :meth:`post`,
    :meth:`end_stream`, :meth:`drop_streams` and the flags below."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.runner: web.AppRunner | None = None
        self.token_ttl_s = 3600.0
        self.device_expires_s = 1800.0
        self.device_interval_s = 0.1
        self.polling_interval_ms = 100
        # Recent history a first request (no pageToken) gets. YouTube sends "some or all of the
        # chat history" up to ``maxResults`` (200 to 2000, default 500): never fewer than 200, so
        # messages posted just before a reader's first connection still reach it.
        self.backlog = 500
        self.framing = "concatenated"  # or "ndjson" or "array"
        self.chunk_size = 0  # 0: one write per object; n: the bytes cut into n-byte writes
        self.stream_enabled = True  # False: the stream endpoint answers 404 (a proxy, an outage)
        self.stream_lifetime_s = 0.0  # >0: YouTube ends each stream connection after this long
        self.quota_exceeded = False
        self.fail_next: list[tuple[str, int, str]] = []  # (path prefix, status, reason), once each
        self.slow_down_next = 0  # the next n device-code polls answer slow_down, however paced
        self.units = 0
        self.calls: list[str] = []  # "GET liveChat/messages", … in order
        self.stream_connections: list[str | None] = []  # the pageToken each stream opened with
        self.tokens: dict[str, Token] = {}
        self.refresh_index: dict[str, Token] = {}
        self.devices: dict[str, Device] = {}
        self.revoked: list[str] = []
        self.chats: dict[str, Chat] = {}
        self.broadcast: dict[str, Any] | None = None
        self.viewers = 0
        self.ended_at: datetime | None = None
        self.inserted: list[dict[str, Any]] = []
        self._streams: dict[web.StreamResponse, web.Request] = {}
        self._drop_mid_object = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeYouTube:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.base}/oauth"

    @property
    def api_url(self) -> str:
        return f"{self.base}/youtube/v3"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/oauth/device/code", self._device_code)
        app.router.add_post("/oauth/token", self._token)
        app.router.add_post("/oauth/revoke", self._revoke)
        app.router.add_get("/youtube/v3/channels", self._channels)
        app.router.add_get("/youtube/v3/liveBroadcasts", self._broadcasts)
        app.router.add_get("/youtube/v3/videos", self._videos)
        app.router.add_get("/youtube/v3/liveChat/messages", self._chat_list)
        app.router.add_post("/youtube/v3/liveChat/messages", self._chat_insert)
        app.router.add_get("/youtube/v3/liveChat/messages/stream", self._chat_stream)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self.drop_streams(mid_object=False)
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    # --- control --------------------------------------------------------------------------------

    def issue_token(self, channel_id: str = CHANNEL_ID, ttl_s: float | None = None) -> Token:
        token = Token(
            access=f"ya29.{secrets.token_urlsafe(24)}",
            refresh=f"1//{secrets.token_urlsafe(24)}",
            expires_at=time.monotonic() + (self.token_ttl_s if ttl_s is None else ttl_s),
            channel_id=channel_id,
        )
        self.tokens[token.access] = token
        self.refresh_index[token.refresh] = token
        return token

    def approve_device(self, user_code: str, channel_id: str = CHANNEL_ID) -> None:
        for device in self.devices.values():
            if device.user_code == user_code:
                device.approved_for = channel_id
                return
        raise KeyError(user_code)

    def deny_device(self, user_code: str) -> None:
        for device in self.devices.values():
            if device.user_code == user_code:
                device.denied = True

    def device(self, user_code: str) -> Device:
        return next(d for d in self.devices.values() if d.user_code == user_code)

    def expire_device(self, user_code: str) -> None:
        """Google's side of the code runs out (whatever ``expires_in`` told the app)."""
        self.device(user_code).expires_at = 0.0

    def revoke_all(self) -> None:
        """The streamer removed the app's access in their Google account."""
        self.tokens.clear()
        self.refresh_index.clear()

    def go_live(self, title: str = "Live now!", viewers: int = 12) -> Chat:
        chat = Chat(id=f"Cg0KC{secrets.token_hex(6)}", video_id=f"v{secrets.token_hex(5)}")
        self.chats[chat.id] = chat
        self.viewers = viewers
        self.ended_at = None
        self.broadcast = {
            "kind": "youtube#liveBroadcast",
            "etag": secrets.token_hex(8),
            "id": chat.video_id,
            "snippet": {
                "publishedAt": rfc3339(),
                "channelId": CHANNEL_ID,
                "title": title,
                "description": "",
                "actualStartTime": rfc3339(),
                "liveChatId": chat.id,
                "isDefaultBroadcast": False,
            },
            "status": {"lifeCycleStatus": "live", "privacyStatus": "public"},
        }
        return chat

    @property
    def chat(self) -> Chat:
        assert self.broadcast is not None, "not live"
        return self.chats[self.broadcast["snippet"]["liveChatId"]]

    async def post(self, *items: dict[str, Any]) -> None:
        """Messages appear in the live chat (readers of the stream get them at once)."""
        chat = self.chat
        async with chat.changed:
            for item in items:
                item = json.loads(json.dumps(item))
                item["snippet"]["liveChatId"] = chat.id
                chat.messages.append(item)
            chat.changed.notify_all()

    async def post_recorded(self, *names: str) -> None:
        await self.post(*(load_payload(n) for n in names))

    async def end_stream(self) -> None:
        """The streamer ends the broadcast: a ``chatEndedEvent``, then the chat is gone."""
        chat = self.chat
        await self.post(load_payload("chat_ended"))
        async with chat.changed:
            chat.ended = True
            chat.changed.notify_all()
        self.ended_at = datetime.now(UTC)
        self.broadcast = None

    async def drop_streams(self, mid_object: bool = True) -> None:
        """Cut every open stream: after half of the next object (``mid_object``), or now."""
        if mid_object and self._streams:
            self._drop_mid_object.set()
            return
        for request in list(self._streams.values()):
            if request.transport is not None:
                request.transport.close()
        self._streams.clear()

    # --- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, reason: str, message: str = "", domain: str = "") -> web.Response:
        domain = domain or _DOMAINS.get(reason, "youtube")
        body = {
            "error": {
                "code": status,
                "message": message or reason,
                "errors": [{"message": message or reason, "domain": domain, "reason": reason}],
            }
        }
        return web.json_response(body, status=status)

    @staticmethod
    def _oauth_error(status: int, error: str, description: str = "") -> web.Response:
        return web.json_response({"error": error, "error_description": description}, status=status)

    def _check(self, request: web.Request, name: str) -> tuple[Token | None, web.Response | None]:
        """Authorisation, forced failures and quota for a Data API call."""
        self.calls.append(f"{request.method} {name}")
        for i, (prefix, status, reason) in enumerate(self.fail_next):
            if name.startswith(prefix):
                del self.fail_next[i]
                return None, self._error(status, reason)
        auth = request.headers.get("Authorization", "")
        token = self.tokens.get(auth.removeprefix("Bearer "))
        if token is None or token.expires_at < time.monotonic():
            return None, self._error(
                401, "authError", "Request had invalid authentication credentials."
            )
        if self.quota_exceeded:
            return None, self._error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your quota.",
                "youtube.quota",
            )
        self.units += COSTS.get(name, 1)
        return token, None

    def _chat_for(self, request: web.Request) -> tuple[Chat | None, web.Response | None]:
        chat = self.chats.get(request.query.get("liveChatId", ""))
        if chat is None:
            return None, self._error(
                404, "liveChatNotFound", "The live chat was not found.", "youtube.liveChat"
            )
        if (
            chat.ended
            and request.query.get("pageToken")
            and self._position(chat, request) >= len(chat.messages)
        ):
            return None, self._error(
                403, "liveChatEnded", "The live chat is no longer live.", "youtube.liveChat"
            )
        return chat, None

    def _position(self, chat: Chat, request: web.Request) -> int:
        token = request.query.get("pageToken")
        if token and token.startswith("p"):
            return max(0, min(int(token[1:]), len(chat.messages)))
        return max(0, len(chat.messages) - self.backlog)

    def _page(self, chat: Chat, start: int, end: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "youtube#liveChatMessageListResponse",
            "etag": secrets.token_hex(8),
            "pollingIntervalMillis": self.polling_interval_ms,
            "pageInfo": {"totalResults": end - start, "resultsPerPage": end - start},
            "nextPageToken": f"p{end}",
            "items": chat.messages[start:end],
        }
        if chat.ended and self.ended_at is not None:
            body["offlineAt"] = rfc3339(self.ended_at)
        return body

    # --- OAuth ----------------------------------------------------------------------------------

    async def _device_code(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != CLIENT_ID:
            return self._oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if "youtube" not in str(form.get("scope", "")):
            return self._oauth_error(400, "invalid_scope")
        device = Device(
            device_code=secrets.token_urlsafe(32),
            user_code=f"{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
            expires_at=time.monotonic() + self.device_expires_s,
            interval=self.device_interval_s,
        )
        self.devices[device.device_code] = device
        return web.json_response(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_url": "https://www.google.com/device",
                "expires_in": int(self.device_expires_s),
                "interval": self.device_interval_s,
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._oauth_error(401, "invalid_client", "Unauthorized")
        grant = form.get("grant_type")
        if grant == DEVICE_GRANT:
            return self._device_grant(str(form.get("device_code", "")))
        if grant == "refresh_token":
            old = self.refresh_index.get(str(form.get("refresh_token", "")))
            if old is None:
                return self._oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            fresh = Token(
                access=f"ya29.{secrets.token_urlsafe(24)}",
                refresh=old.refresh,
                expires_at=time.monotonic() + self.token_ttl_s,
                channel_id=old.channel_id,
            )
            self.tokens.pop(old.access, None)
            self.tokens[fresh.access] = fresh
            self.refresh_index[fresh.refresh] = fresh
            return web.json_response(
                {
                    "access_token": fresh.access,
                    "expires_in": int(self.token_ttl_s),
                    "scope": "https://www.googleapis.com/auth/youtube",
                    "token_type": "Bearer",
                }
            )
        return self._oauth_error(400, "unsupported_grant_type")

    def _device_grant(self, device_code: str) -> web.Response:
        device = self.devices.get(device_code)
        if device is None:
            return self._oauth_error(400, "invalid_grant", "Malformed auth code.")
        status, error = self._device_answer(device)
        device.polls.append((time.monotonic(), error or "tokens"))
        if error or device.approved_for is None:
            return self._oauth_error(status, error)
        del self.devices[device_code]
        token = self.issue_token(device.approved_for)
        return web.json_response(
            {
                "access_token": token.access,
                "expires_in": int(self.token_ttl_s),
                "refresh_token": token.refresh,
                "scope": "https://www.googleapis.com/auth/youtube",
                "token_type": "Bearer",
            }
        )

    def _device_answer(self, device: Device) -> tuple[int, str]:
        """Google's answer to one poll of the token endpoint: (status, error), or (200, "")."""
        now = time.monotonic()
        if now > device.expires_at:
            return 400, "expired_token"
        if device.denied:
            return 403, "access_denied"
        too_soon = now - device.last_poll < device.interval * 0.5
        device.last_poll = now
        if too_soon or self.slow_down_next > 0:
            self.slow_down_next = max(0, self.slow_down_next - 1)
            return 403, "slow_down"
        if device.approved_for is None:
            return 428, "authorization_pending"
        return 200, ""

    async def _revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        value = str(request.query.get("token") or form.get("token") or "")
        token = self.tokens.get(value) or self.refresh_index.get(value)
        if token is None:
            return self._oauth_error(400, "invalid_token", "Token expired or revoked")
        self.revoked.append(value)
        self.tokens.pop(token.access, None)
        self.refresh_index.pop(token.refresh, None)
        return web.Response(status=200)

    # --- Data API -------------------------------------------------------------------------------

    async def _channels(self, request: web.Request) -> web.Response:
        token, error = self._check(request, "channels")
        if error is not None or token is None:
            return error or self._error(401, "authError")
        item = {
            "kind": "youtube#channel",
            "id": token.channel_id,
            "snippet": {"title": "Cool Streamer", "customUrl": "@coolstreamer"},
        }
        return web.json_response({"kind": "youtube#channelListResponse", "items": [item]})

    async def _broadcasts(self, request: web.Request) -> web.Response:
        _token, error = self._check(request, "liveBroadcasts")
        if error is not None:
            return error
        if request.query.get("broadcastStatus") != "active":
            return self._error(400, "incompatibleParameters")
        items = [self.broadcast] if self.broadcast is not None else []
        return web.json_response({"kind": "youtube#liveBroadcastListResponse", "items": items})

    async def _videos(self, request: web.Request) -> web.Response:
        _token, error = self._check(request, "videos")
        if error is not None:
            return error
        video_id = request.query.get("id", "")
        chat = next((c for c in self.chats.values() if c.video_id == video_id), None)
        if chat is None:
            return web.json_response({"kind": "youtube#videoListResponse", "items": []})
        details: dict[str, Any] = {"actualStartTime": rfc3339()}
        if chat.ended:
            details["actualEndTime"] = rfc3339(self.ended_at)
        else:
            details["concurrentViewers"] = str(self.viewers)
            details["activeLiveChatId"] = chat.id
        item = {"kind": "youtube#video", "id": video_id, "liveStreamingDetails": details}
        return web.json_response({"kind": "youtube#videoListResponse", "items": [item]})

    async def _chat_list(self, request: web.Request) -> web.Response:
        _token, error = self._check(request, "liveChat/messages")
        if error is not None:
            return error
        chat, error = self._chat_for(request)
        if error is not None or chat is None:
            return error or self._error(404, "liveChatNotFound")
        start = self._position(chat, request)
        return web.json_response(self._page(chat, start, len(chat.messages)))

    async def _chat_insert(self, request: web.Request) -> web.Response:
        _token, error = self._check(request, "liveChat/messages:insert")
        if error is not None:
            return error
        body = await request.json()
        snippet = body.get("snippet") or {}
        chat = self.chats.get(snippet.get("liveChatId", ""))
        if chat is None:
            return self._error(404, "liveChatNotFound", domain="youtube.liveChat")
        if chat.ended:
            return self._error(403, "liveChatEnded", domain="youtube.liveChat")
        text = (snippet.get("textMessageDetails") or {}).get("messageText", "")
        if not text or len(text) > 200:
            return self._error(400, "messageTextInvalid" if text else "messageTextRequired")
        item = text_message(text, author="Cool Streamer")
        item["authorDetails"]["isChatOwner"] = True
        self.inserted.append(item)
        await self.post(item)
        return web.json_response(item)

    async def _chat_stream(self, request: web.Request) -> web.StreamResponse:
        if not self.stream_enabled:
            self.calls.append("GET liveChat/messages/stream")
            return web.Response(status=404, text="Not Found")
        _token, error = self._check(request, "liveChat/messages/stream")
        if error is not None:
            return error
        chat, error = self._chat_for(request)
        if error is not None or chat is None:
            return error or self._error(404, "liveChatNotFound")
        self.stream_connections.append(request.query.get("pageToken"))
        response = web.StreamResponse(headers={"Content-Type": "application/json; charset=UTF-8"})
        await response.prepare(request)
        self._streams[response] = request
        position = self._position(chat, request)
        first = True
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + self.stream_lifetime_s if self.stream_lifetime_s else None
        try:
            if self.framing == "array":
                await response.write(b"[")
            while True:
                if not first:
                    news = functools.partial(_has_news, chat, position)
                    try:
                        async with chat.changed, asyncio.timeout_at(ends_at):
                            await chat.changed.wait_for(news)
                    except TimeoutError:
                        break  # the connection's lifetime is over: a clean end of the body
                end = len(chat.messages)
                if end > position or first:
                    body = json.dumps(self._page(chat, position, end)).encode()
                    await self._write_object(request, response, body, first)
                    position, first = end, False
                if chat.ended and position >= len(chat.messages):
                    break
                if ends_at is not None and loop.time() >= ends_at:
                    break
            if self.framing == "array":
                await response.write(b"]")
            await response.write_eof()
        except (ConnectionResetError, _Dropped):
            pass
        finally:
            self._streams.pop(response, None)
        return response

    async def _write_object(
        self, request: web.Request, response: web.StreamResponse, body: bytes, first: bool
    ) -> None:
        if self.framing == "array" and not first:
            body = b",\n" + body
        elif self.framing == "ndjson":
            body = body + b"\n"
        if self._drop_mid_object.is_set():
            self._drop_mid_object.clear()
            await response.write(body[: len(body) // 2])
            await asyncio.sleep(0.05)
            if request.transport is not None:
                request.transport.close()
            raise _Dropped
        size = self.chunk_size or len(body)
        for i in range(0, len(body), size):
            await response.write(body[i : i + size])
            if self.chunk_size:
                await asyncio.sleep(0)


# The ``domain`` Google puts beside a reason (the rest say "youtube" or "global").
_DOMAINS = {
    "quotaExceeded": "youtube.quota",
    "liveChatEnded": "youtube.liveChat",
    "liveChatNotFound": "youtube.liveChat",
    "liveChatDisabled": "youtube.liveChat",
    "rateLimitExceeded": "youtube.liveChat",
    "backendError": "global",
}


def _has_news(chat: Chat, position: int) -> bool:
    return len(chat.messages) > position or chat.ended


class _Dropped(Exception):
    """The fake cut the connection on purpose."""


__all__ = [
    "CHANNEL_ID",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FakeYouTube",
    "load_payload",
    "text_message",
]
