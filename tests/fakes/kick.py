"""A fake Kick on 127.0.0.1: its OAuth 2.1 server, the public API the app uses, and its webhooks.

It follows Kick's developer docs (KickEngineering/KickDevDocs) for who does what:

* OAuth (:attr:`FakeKick.auth_url`, the ``https://id.kick.com`` role): ``GET /oauth/authorize``
  needs ``response_type=code``, ``client_id``, ``redirect_uri``, ``scope``, ``state`` and a PKCE
  ``code_challenge`` with ``code_challenge_method=S256``, and redirects the browser at once as
  the fake's signed-in user (:attr:`FakeKick.user`) to ``redirect_uri?code=…&state=…`` (or
  ``?error=access_denied&state=…`` after :meth:`~FakeKick.deny_next`). ``POST /oauth/token``
  (form body) always needs the client secret: ``authorization_code`` (single-use code, same
  ``redirect_uri``, ``code_verifier`` whose S256 hash is the challenge), ``refresh_token`` (Kick
  rotates both tokens: the old refresh token stops working) and ``client_credentials`` (an App
  Access Token: no refresh token, no user). ``POST /oauth/revoke?token=…&token_hint_type=…`` and
  ``POST /oauth/token/introspect``. Errors are OAuth JSON (``{"error", "error_description"}``):
  401 ``invalid_client``, 400 ``invalid_request`` / ``invalid_grant`` /
  ``unsupported_grant_type``.
* Public API (:attr:`FakeKick.api_url`, the ``https://api.kick.com`` role, under
  ``/public/v1``): ``users``, ``channels``, ``livestreams``, ``chat`` (500 characters at most),
  ``events/subscriptions`` (GET/POST/DELETE) and ``public-key``. Answers are Kick's envelope
  ``{"data": …, "message": "OK"}``; errors ``{"data": {}, "message": …}`` with 400, 401 (no,
  unknown, revoked or expired bearer token), 403 (a scope the token lacks) or 404.
* Webhooks: :meth:`FakeKick.send_webhook` POSTs a JSON body with Kick's ``Kick-Event-*`` headers,
  signed with :data:`tests.fakes.kick_keys.PRIVATE_KEY` (whose public half ``public-key``
  serves) over ``f"{message_id}.{timestamp}.{body}"``. :meth:`FakeKick.emit` is Kick's own
  behaviour: it delivers to the app's :attr:`~FakeKick.webhook_url` only when a subscription for
  that broadcaster and event exists. :meth:`FakeKick.payload_for` builds a documented example
  (``kick_payloads/``) with the fake's broadcaster in it.

Both hosts are one server, under different path prefixes (``/id`` and ``/api``) so a client that
mixes the two hosts up fails here as it would against Kick.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes import kick_keys

PAYLOADS = Path(__file__).with_name("kick_payloads")
CLIENT_ID = "01JKICKTESTCLIENT0000000000"
CLIENT_SECRET = "kick-test-client-secret-4f1c2a"
APP_ID = "01JKICKTESTAPP000000000000"
MAX_CHAT_LENGTH = 500

# Every event the app subscribes to (all version 1), as Kick names them.
EVENT_TYPES = (
    "chat.message.sent",
    "channel.followed",
    "channel.subscription.renewal",
    "channel.subscription.gifts",
    "channel.subscription.new",
    "channel.reward.redemption.updated",
    "livestream.status.updated",
    "livestream.metadata.updated",
    "moderation.banned",
    "kicks.gifted",
)

# The scope each user-token call needs (App Access Tokens have none and read public data).
SCOPE_USERS = "user:read"
SCOPE_CHAT = "chat:write"
SCOPE_EVENTS = "events:subscribe"

CATEGORIES = {
    "Just Chatting": 15,
    "Slots & Casino": 28,
    "Minecraft": 4,
    "Fortnite": 5,
    "Counter-Strike 2": 9,
}

_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_EMOTE = re.compile(r"\[emote:(\d+):([^\]]*)\]")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid() -> str:
    """A ULID (26 Crockford base32 characters: 48-bit milliseconds, 80 random bits), as Kick's
    message and subscription ids are."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def rfc3339(when: datetime | None = None) -> str:
    """Seconds precision with ``Z``, the form of the timestamps in Kick's examples."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: unpadded base64url of the verifier's SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def load_payload(event_type: str) -> dict[str, Any]:
    """Kick's documented example for ``event_type`` from ``kick_payloads/``, as is."""
    path = PAYLOADS / f"{event_type}.json"
    if not path.is_file():
        raise KeyError(f"no documented Kick payload for {event_type!r}")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def emotes_in(content: str) -> list[dict[str, Any]]:
    """The ``emotes`` list Kick sends beside ``content``: each ``[emote:id:name]`` token's
    inclusive start/end character positions, grouped by emote id in order of appearance."""
    found: dict[str, list[dict[str, int]]] = {}
    for match in _EMOTE.finditer(content):
        found.setdefault(match.group(1), []).append({"s": match.start(), "e": match.end() - 1})
    return [{"emote_id": emote_id, "positions": spots} for emote_id, spots in found.items()]


def viewer(
    user_id: int = 987654321,
    username: str = "sender_name",
    *,
    badges: list[dict[str, Any]] | None = None,
    color: str = "#FF5733",
    verified: bool = False,
) -> dict[str, Any]:
    """A Kick user as webhook payloads describe one (``sender``, ``follower``, ``gifter``…)."""
    slug = username.lower().replace(" ", "_")
    return {
        "is_anonymous": False,
        "user_id": user_id,
        "username": username,
        "is_verified": verified,
        "profile_picture": f"https://files.kick.com/images/user/{user_id}/profile.webp",
        "channel_slug": slug,
        "identity": None if badges is None else {"username_color": color, "badges": badges},
    }


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` over ``base``: dicts merge key by key, anything else (lists, None) replaces."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


@dataclass
class KickUser:
    user_id: int
    name: str
    email: str = ""
    profile_picture: str = ""

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "_")

    def as_broadcaster(self) -> dict[str, Any]:
        """The ``broadcaster`` object of a webhook payload."""
        return {
            "is_anonymous": False,
            "user_id": self.user_id,
            "username": self.name,
            "is_verified": True,
            "profile_picture": self.profile_picture,
            "channel_slug": self.slug,
            "identity": None,
        }


@dataclass
class Token:
    access: str
    refresh: str | None  # None for App Access Tokens
    kind: str  # "user" or "app"
    scope: str
    expires_at: float  # time.monotonic()
    user_id: int | None = None  # the signed-in user of a user token
    client_id: str = CLIENT_ID

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str
    user_id: int
    expires_at: float


@dataclass
class Subscription:
    id: str
    broadcaster_user_id: int
    event: str
    version: int
    method: str = "webhook"
    app_id: str = APP_ID
    created_at: str = field(default_factory=rfc3339)
    updated_at: str = field(default_factory=rfc3339)

    def to_json(self) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "broadcaster_user_id": self.broadcaster_user_id,
            "created_at": self.created_at,
            "event": self.event,
            "id": self.id,
            "method": self.method,
            "updated_at": self.updated_at,
            "version": self.version,
        }


@dataclass
class Live:
    title: str
    viewers: int
    category: dict[str, Any]
    started_at: str
    language: str = "en"
    mature: bool = False


@dataclass
class Delivery:
    """One webhook request the fake sent, and the receiver's answer."""

    url: str
    event_type: str
    message_id: str
    headers: dict[str, str]
    body: bytes
    status: int


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeKick:
    """See the module docstring. Knobs: :attr:`user`, :meth:`set_live`, :meth:`set_offline`,
    :meth:`fail_next`, :meth:`deny_next`, :attr:`token_ttl_s`, :attr:`redirect_uris`,
    :attr:`webhook_url`. Records: :attr:`calls`, :attr:`sent_chat`, :attr:`subscriptions`,
    :attr:`authorize_requests`, :attr:`token_requests`, :attr:`revoked`, :attr:`deliveries`."""

    def __init__(
        self,
        port: int,
        *,
        user: KickUser | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
    ) -> None:
        self.port = port
        self.runner: web.AppRunner | None = None
        self.user = user or KickUser(
            123456789,
            "CoolStreamer",
            email="streamer@example.com",
            profile_picture="https://files.kick.com/images/user/123456789/profile.webp",
        )
        self.users: dict[int, KickUser] = {}  # other channels the API knows, by user id
        self.private_key = private_key or kick_keys.PRIVATE_KEY
        self.public_key_pem = (
            kick_keys.PUBLIC_KEY_PEM if private_key is None else kick_keys.public_pem(private_key)
        )
        self.token_ttl_s = 7200.0
        self.code_ttl_s = 600.0
        # Redirect URIs registered in the app's Kick settings (exact match); empty: any.
        self.redirect_uris: list[str] = []
        # The app's webhook URL (Kick's app settings); emit() delivers there.
        self.webhook_url: str | None = None
        self.live: Live | None = None
        self.tokens: dict[str, Token] = {}
        self.refresh_index: dict[str, Token] = {}
        self.codes: dict[str, AuthCode] = {}
        self.subscriptions: list[Subscription] = []
        self.sent_chat: list[dict[str, Any]] = []  # each POST /chat body, plus message_id, user_id
        self.calls: list[str] = []  # "GET /public/v1/users", "POST /oauth/token", … in order
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []  # the form of each token request
        self.revoked: list[str] = []
        self.deliveries: list[Delivery] = []
        self._fail_next: list[tuple[str, int, str]] = []  # (path prefix, status, message)
        self._deny_next = 0
        self._session: aiohttp.ClientSession | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeKick:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        """Stands in for ``https://id.kick.com``."""
        return f"{self.base}/id"

    @property
    def api_url(self) -> str:
        """Stands in for ``https://api.kick.com``."""
        return f"{self.base}/api"

    @property
    def public_key_url(self) -> str:
        return f"{self.api_url}/public/v1/public-key"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_fail])
        app.router.add_get("/id/oauth/authorize", self._authorize)
        app.router.add_post("/id/oauth/token", self._token)
        app.router.add_post("/id/oauth/revoke", self._revoke)
        app.router.add_post("/id/oauth/token/introspect", self._introspect)
        api = "/api/public/v1"
        app.router.add_post(f"{api}/token/introspect", self._introspect)
        app.router.add_get(f"{api}/users", self._users)
        app.router.add_get(f"{api}/channels", self._channels)
        app.router.add_get(f"{api}/livestreams", self._livestreams)
        app.router.add_post(f"{api}/chat", self._chat)
        app.router.add_get(f"{api}/events/subscriptions", self._subs_list)
        app.router.add_post(f"{api}/events/subscriptions", self._subs_create)
        app.router.add_delete(f"{api}/events/subscriptions", self._subs_delete)
        app.router.add_get(f"{api}/public-key", self._public_key)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    # --- control --------------------------------------------------------------------------------

    def add_user(self, user_id: int, name: str) -> KickUser:
        """Another Kick channel the API can look up (and another identity to sign in as)."""
        user = KickUser(user_id, name)
        self.users[user_id] = user
        return user

    def find_user(self, user_id: int) -> KickUser | None:
        return self.user if user_id == self.user.user_id else self.users.get(user_id)

    def issue_token(
        self,
        user: KickUser | None = None,
        *,
        scope: str = "user:read channel:read chat:write events:subscribe",
        ttl_s: float | None = None,
    ) -> Token:
        """A user token without the browser dance (defaults to the signed-in user)."""
        user = user or self.user
        token = Token(
            access=f"kick_{secrets.token_urlsafe(24)}",
            refresh=f"kickr_{secrets.token_urlsafe(24)}",
            kind="user",
            scope=scope,
            expires_at=time.monotonic() + (self.token_ttl_s if ttl_s is None else ttl_s),
            user_id=user.user_id,
        )
        self._store(token)
        return token

    def issue_app_token(self, ttl_s: float | None = None) -> Token:
        token = Token(
            access=f"kicka_{secrets.token_urlsafe(24)}",
            refresh=None,
            kind="app",
            scope="",
            expires_at=time.monotonic() + (self.token_ttl_s if ttl_s is None else ttl_s),
        )
        self._store(token)
        return token

    def expire_token(self, access: str) -> None:
        self.tokens[access].expires_at = 0.0

    def revoke_all(self) -> None:
        """The streamer removed the app's access in their Kick settings."""
        self.tokens.clear()
        self.refresh_index.clear()

    def deny_next(self, count: int = 1) -> None:
        """The next ``count`` authorizations are refused by the user."""
        self._deny_next += count

    def fail_next(self, path_prefix: str, status: int, message: str = "") -> None:
        """The next request whose path starts with ``path_prefix`` fails once with ``status``.
        The prefix is matched against the path inside the host (``/oauth/token``,
        ``/public/v1/chat``) and inside ``/public/v1`` (``/chat``)."""
        self._fail_next.append((path_prefix, status, message or _REASONS.get(status, "Error")))

    def set_live(
        self,
        title: str = "Live on Kick!",
        viewers: int = 12,
        category: str = "Just Chatting",
        *,
        started_at: datetime | None = None,
    ) -> None:
        category_id = CATEGORIES.get(category, 1000 + len(category))
        self.live = Live(
            title=title,
            viewers=viewers,
            category={
                "id": category_id,
                "name": category,
                "thumbnail": f"https://files.kick.com/images/subcategories/{category_id}/banner",
            },
            started_at=rfc3339(started_at),
        )

    def set_offline(self) -> None:
        self.live = None

    def subscription_for(self, event_type: str, broadcaster_user_id: int) -> Subscription | None:
        return next(
            (
                s
                for s in self.subscriptions
                if s.event == event_type and s.broadcaster_user_id == broadcaster_user_id
            ),
            None,
        )

    def drop_subscriptions(self) -> None:
        """Kick unsubscribed the app (its deliveries failed for over a day)."""
        self.subscriptions.clear()

    def payload_for(self, event_type: str, **overrides: Any) -> dict[str, Any]:
        """Kick's documented example for ``event_type`` with the fake's user as ``broadcaster``,
        fresh ids and timestamps, and ``overrides`` merged in (dicts key by key; see
        :func:`viewer`). A chat ``content`` override gets matching ``emotes`` unless given."""
        payload = load_payload(event_type)
        documented = payload.get("broadcaster") or {}
        payload["broadcaster"] = {
            key: value
            for key, value in self.user.as_broadcaster().items()
            if key in documented or not documented
        }
        now = rfc3339()
        for key in ("created_at", "redeemed_at"):
            if key in payload:
                payload[key] = now
        if event_type == "chat.message.sent":
            payload["message_id"] = str(uuid.uuid4())
            if "content" in overrides and "emotes" not in overrides:
                payload["emotes"] = emotes_in(str(overrides["content"]))
        elif event_type == "channel.reward.redemption.updated":
            payload["id"] = new_ulid()
        elif event_type == "livestream.status.updated":
            payload["started_at"] = now
        elif event_type == "moderation.banned":
            payload["metadata"]["created_at"] = now
        return _merge(payload, overrides)

    # --- webhooks -------------------------------------------------------------------------------

    async def send_webhook(
        self,
        url: str,
        event_type: str,
        payload: dict[str, Any],
        *,
        version: str = "1",
        message_id: str | None = None,
        timestamp: str | datetime | None = None,
        subscription_id: str | None = None,
        tamper: bool = False,
        signing_key: rsa.RSAPrivateKey | None = None,
    ) -> int:
        """POST ``payload`` to ``url`` the way Kick delivers an event; the receiver's status.

        ``tamper``: the body is changed after signing (still valid JSON). ``signing_key``: sign
        with another key (e.g. :data:`kick_keys.FORGER_KEY`) instead of Kick's."""
        message_id = message_id or new_ulid()
        if isinstance(timestamp, datetime):
            timestamp = rfc3339(timestamp)
        timestamp = timestamp or rfc3339()
        if subscription_id is None:
            broadcaster = (payload.get("broadcaster") or {}).get("user_id")
            found = self.subscription_for(event_type, broadcaster) if broadcaster else None
            subscription_id = found.id if found else new_ulid()
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
        signature = kick_keys.sign(signed, signing_key or self.private_key)
        if tamper:
            body = json.dumps({**payload, "tampered": True}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "Kick-Event-Message-Id": message_id,
            "Kick-Event-Subscription-Id": subscription_id,
            "Kick-Event-Signature": signature,
            "Kick-Event-Message-Timestamp": timestamp,
            "Kick-Event-Type": event_type,
            "Kick-Event-Version": version,
        }
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._session.post(url, data=body, headers=headers) as response:
            await response.read()
            status = response.status
        self.deliveries.append(Delivery(url, event_type, message_id, headers, body, status))
        return status

    async def emit(
        self, event_type: str, payload: dict[str, Any] | None = None, **overrides: Any
    ) -> int | None:
        """Kick delivering an event: to :attr:`webhook_url`, and only when the app holds a
        subscription for this event and broadcaster (else nothing is sent: None)."""
        if payload is None:
            payload = self.payload_for(event_type, **overrides)
        broadcaster = int((payload.get("broadcaster") or {}).get("user_id") or 0)
        subscription = self.subscription_for(event_type, broadcaster)
        if self.webhook_url is None or subscription is None:
            return None
        return await self.send_webhook(
            self.webhook_url,
            event_type,
            payload,
            version=str(subscription.version),
            subscription_id=subscription.id,
        )

    # --- plumbing -------------------------------------------------------------------------------

    def _store(self, token: Token) -> None:
        self.tokens[token.access] = token
        if token.refresh is not None:
            self.refresh_index[token.refresh] = token

    @web.middleware
    async def _record_and_fail(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        inner = request.path.removeprefix("/id").removeprefix("/api")
        self.calls.append(f"{request.method} {inner}")
        short = inner.removeprefix("/public/v1")
        for i, (prefix, status, message) in enumerate(self._fail_next):
            if inner.startswith(prefix) or short.startswith(prefix):
                del self._fail_next[i]
                if inner.startswith("/oauth"):
                    return _oauth_error(status, "server_error" if status >= 500 else "", message)
                return _api_error(status, message)
        return await handler(request)

    def _bearer(self, request: web.Request) -> tuple[Token | None, web.Response | None]:
        auth = request.headers.get("Authorization", "")
        token = (
            self.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        )
        if token is None or token.expires_at < time.monotonic():
            return None, _api_error(401, "Unauthorized")
        return token, None

    def _token_json(self, token: Token) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": token.access,
            "token_type": "Bearer",
            "expires_in": int(token.expires_at - time.monotonic() + 0.5),
        }
        if token.kind == "user":
            body["refresh_token"] = token.refresh
            body["scope"] = token.scope
        return body

    # --- OAuth ----------------------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.authorize_requests.append(query)
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != CLIENT_ID:
            return _oauth_error(400, "invalid_client", "Invalid request: unknown client_id")
        if not redirect_uri.startswith(("http://", "https://")) or (
            self.redirect_uris and redirect_uri not in self.redirect_uris
        ):
            return _oauth_error(400, "invalid_request", "Invalid request: redirect_uri")
        for name in ("state", "scope", "code_challenge"):
            if not query.get(name):
                return _oauth_error(400, "invalid_request", f"Invalid request: {name} is required")
        if query.get("response_type") != "code":
            return _oauth_error(400, "unsupported_response_type", "Invalid request")
        if query.get("code_challenge_method") != "S256":
            return _oauth_error(400, "invalid_request", "Invalid request: PKCE S256 is required")
        separator = "&" if "?" in redirect_uri else "?"
        if self._deny_next:
            self._deny_next -= 1
            params = {"error": "access_denied", "state": query["state"]}
            raise web.HTTPFound(redirect_uri + separator + urlencode(params))
        code = AuthCode(
            code=secrets.token_urlsafe(24),
            client_id=CLIENT_ID,
            redirect_uri=redirect_uri,
            scope=query["scope"],
            challenge=query["code_challenge"],
            user_id=self.user.user_id,
            expires_at=time.monotonic() + self.code_ttl_s,
        )
        self.codes[code.code] = code
        params = {"code": code.code, "state": query["state"]}
        raise web.HTTPFound(redirect_uri + separator + urlencode(params))

    async def _token(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            return _oauth_error(400, "invalid_request", "Invalid request: form body expected")
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(form)
        if grant == "refresh_token":
            return self._refresh_grant(form)
        if grant == "client_credentials":
            return web.json_response(self._token_json(self.issue_app_token()))
        return _oauth_error(400, "unsupported_grant_type", "Invalid request")

    def _code_grant(self, form: dict[str, str]) -> web.Response:
        code = self.codes.pop(form.get("code", ""), None)  # single use, right or wrong
        if code is None or code.expires_at < time.monotonic():
            return _oauth_error(400, "invalid_grant", "The authorization code is invalid")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "invalid_grant", "redirect_uri does not match")
        verifier = form.get("code_verifier", "")
        if not _PKCE_VERIFIER.match(verifier) or pkce_challenge(verifier) != code.challenge:
            return _oauth_error(400, "invalid_grant", "PKCE verification failed")
        user = self.find_user(code.user_id) or self.user
        return web.json_response(self._token_json(self.issue_token(user, scope=code.scope)))

    def _refresh_grant(self, form: dict[str, str]) -> web.Response:
        old = self.refresh_index.pop(form.get("refresh_token", ""), None)
        if old is None or old.user_id is None:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid")
        user = self.find_user(old.user_id)
        if user is None:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid")
        return web.json_response(self._token_json(self.issue_token(user, scope=old.scope)))

    async def _revoke(self, request: web.Request) -> web.Response:
        value = request.query.get("token", "")
        if not value:
            return _oauth_error(400, "invalid_request", "Invalid request: token is required")
        self.revoked.append(value)
        token = self.tokens.get(value) or self.refresh_index.get(value)
        if token is not None:  # an unknown token is not an error (RFC 7009)
            self.tokens.pop(token.access, None)
            if token.refresh is not None:
                self.refresh_index.pop(token.refresh, None)
        return web.Response(text="OK")

    async def _introspect(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        token = self.tokens.get(auth.removeprefix("Bearer "))
        if token is None or token.expires_at < time.monotonic():
            return web.json_response({"data": {"active": False}, "message": "OK"})
        data = {
            "active": True,
            "client_id": token.client_id,
            "token_type": token.kind,
            "scope": token.scope,
            "exp": int(time.time() + token.expires_at - time.monotonic()),
        }
        return web.json_response({"data": data, "message": "OK"})

    # --- public API -----------------------------------------------------------------------------

    async def _public_key(self, request: web.Request) -> web.Response:
        return web.json_response({"data": {"public_key": self.public_key_pem}, "message": "OK"})

    async def _users(self, request: web.Request) -> web.Response:
        token, error = self._bearer(request)
        if token is None:
            return error or _api_error(401, "Unauthorized")
        ids = request.query.getall("id", [])
        if not ids:
            if token.user_id is None:
                return _api_error(400, "id is required with an app access token")
            if SCOPE_USERS not in token.scopes:
                return _api_error(403, f"Forbidden: missing scope {SCOPE_USERS}")
            ids = [str(token.user_id)]
        data = []
        for raw in ids:
            user = self.find_user(_int(raw))
            if user is not None:
                item = {
                    "email": user.email if user.user_id == token.user_id else "",
                    "name": user.name,
                    "profile_picture": user.profile_picture,
                    "user_id": user.user_id,
                }
                data.append(item)
        return web.json_response({"data": data, "message": "OK"})

    async def _channels(self, request: web.Request) -> web.Response:
        token, error = self._bearer(request)
        if token is None:
            return error or _api_error(401, "Unauthorized")
        ids = [_int(v) for v in request.query.getall("broadcaster_user_id", [])]
        slugs = request.query.getall("slug", [])
        if ids and slugs:
            return _api_error(400, "use broadcaster_user_id or slug, not both")
        if not ids and not slugs:
            if token.user_id is None:
                return _api_error(400, "broadcaster_user_id or slug is required")
            ids = [token.user_id]
        known = [self.user, *self.users.values()]
        found = [u for u in known if u.user_id in ids or u.slug in slugs]
        return web.json_response({"data": [self._channel(u) for u in found], "message": "OK"})

    def _channel(self, user: KickUser) -> dict[str, Any]:
        live = self.live if user is self.user else None
        category = live.category if live else {"id": 0, "name": "", "thumbnail": ""}
        return {
            "banner_picture": "",
            "broadcaster_user_id": user.user_id,
            "category": category,
            "channel_description": "",
            "slug": user.slug,
            "stream": {
                "is_live": live is not None,
                "is_mature": bool(live and live.mature),
                "language": live.language if live else "",
                "start_time": live.started_at if live else "0001-01-01T00:00:00Z",
                "thumbnail": "",
                "viewer_count": live.viewers if live else 0,
            },
            "stream_title": live.title if live else "",
        }

    async def _livestreams(self, request: web.Request) -> web.Response:
        token, error = self._bearer(request)
        if token is None:
            return error or _api_error(401, "Unauthorized")
        ids = [_int(v) for v in request.query.getall("broadcaster_user_id", [])]
        data = []
        live = self.live
        if live is not None and (not ids or self.user.user_id in ids):
            data.append(
                {
                    "broadcaster_user_id": self.user.user_id,
                    "category": live.category,
                    "channel_id": self.user.user_id + 1,
                    "has_mature_content": live.mature,
                    "language": live.language,
                    "slug": self.user.slug,
                    "started_at": live.started_at,
                    "stream_title": live.title,
                    "thumbnail": "",
                    "viewer_count": live.viewers,
                    "custom_tags": [],
                    "profile_picture": self.user.profile_picture,
                }
            )
        return web.json_response({"data": data, "message": "OK"})

    async def _chat(self, request: web.Request) -> web.Response:
        token, error = self._bearer(request)
        if token is None:
            return error or _api_error(401, "Unauthorized")
        if token.user_id is None or SCOPE_CHAT not in token.scopes:
            return _api_error(403, f"Forbidden: missing scope {SCOPE_CHAT}")
        body = await _json_body(request)
        if body is None:
            return _api_error(400, "invalid JSON body")
        kind = body.get("type")
        content = body.get("content")
        if kind not in ("user", "bot"):
            return _api_error(400, "type must be user or bot")
        if not isinstance(content, str) or not content.strip():
            return _api_error(400, "content is required")
        if len(content) > MAX_CHAT_LENGTH:
            return _api_error(400, f"content must be at most {MAX_CHAT_LENGTH} characters")
        broadcaster = body.get("broadcaster_user_id")
        if kind == "user":
            # A user message names its channel; a bot's always goes to the token's own channel.
            if not isinstance(broadcaster, int) or self.find_user(broadcaster) is None:
                return _api_error(400, "broadcaster_user_id is required for type user")
        else:
            broadcaster = token.user_id
        message_id = str(uuid.uuid4())
        self.sent_chat.append(
            {
                **body,
                "broadcaster_user_id": broadcaster,
                "message_id": message_id,
                "user_id": token.user_id,
            }
        )
        return web.json_response(
            {"data": {"is_sent": True, "message_id": message_id}, "message": "OK"}
        )

    def _may_subscribe(self, token: Token) -> web.Response | None:
        if token.kind == "user" and SCOPE_EVENTS not in token.scopes:
            return _api_error(403, f"Forbidden: missing scope {SCOPE_EVENTS}")
        return None

    def _visible_subs(self, token: Token) -> list[Subscription]:
        """An app token sees all the app's subscriptions; a user token its own channel's."""
        if token.kind == "app":
            return list(self.subscriptions)
        return [s for s in self.subscriptions if s.broadcaster_user_id == token.user_id]

    async def _subs_list(self, request: web.Request) -> web.Response:
        token, error = self._bearer(request)
        if token is None:
            return error or _api_error(401, "Unauthorized")
        subs = self._visible_subs(token)
        if "broadcaster_user_id" in request.query:
            wanted = _int(request.query["broadcaster_user_id"])
            subs = [s for s in subs if s.broadcaster_user_id == wanted]
        return web.json_response({"data": [s.to_json() for s in subs], "message": "OK"})

    async def _subs_create(self, request: web.Request) -> web.Response:
        token, error = self._bearer(request)
        if token is None:
            return error or _api_error(401, "Unauthorized")
        refused = self._may_subscribe(token)
        if refused is not None:
            return refused
        body = await _json_body(request)
        if body is None:
            return _api_error(400, "invalid JSON body")
        events = body.get("events")
        if body.get("method", "webhook") != "webhook":
            return _api_error(400, "method must be webhook")
        if not isinstance(events, list) or not events:
            return _api_error(400, "events is required")
        # An app token subscribes for any channel it names; a user token for its own channel.
        broadcaster = body.get("broadcaster_user_id", token.user_id)
        if not isinstance(broadcaster, int):
            return _api_error(400, "broadcaster_user_id is required with an app access token")
        if token.kind == "user" and broadcaster != token.user_id:
            return _api_error(403, "Forbidden: a user token subscribes to its own channel")
        if self.find_user(broadcaster) is None:
            return _api_error(400, f"unknown broadcaster_user_id {broadcaster}")
        if not all(
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and type(item.get("version")) is int
            for item in events
        ):
            return _api_error(400, "each event needs a name (string) and a version (integer)")
        data = []
        for item in events:
            name, version = item["name"], item["version"]
            if name not in EVENT_TYPES or version != 1:
                data.append(
                    {
                        "error": "event not found",
                        "name": name,
                        "subscription_id": None,
                        "version": version,
                    }
                )
                continue
            sub = self.subscription_for(name, broadcaster)
            if sub is None:
                sub = Subscription(new_ulid(), broadcaster, name, version)
                self.subscriptions.append(sub)
            data.append({"error": "", "name": name, "subscription_id": sub.id, "version": version})
        return web.json_response({"data": data, "message": "OK"})

    async def _subs_delete(self, request: web.Request) -> web.Response:
        token, error = self._bearer(request)
        if token is None:
            return error or _api_error(401, "Unauthorized")
        refused = self._may_subscribe(token)
        if refused is not None:
            return refused
        ids = set(request.query.getall("id", []))
        if not ids:
            return _api_error(400, "id is required")
        visible = {s.id for s in self._visible_subs(token)}
        self.subscriptions = [s for s in self.subscriptions if s.id not in (ids & visible)]
        return web.Response(status=204)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _api_error(status: int, message: str) -> web.Response:
    return web.json_response({"data": {}, "message": message}, status=status)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error or description, "error_description": description}, status=status
    )


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return -1


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "EVENT_TYPES",
    "MAX_CHAT_LENGTH",
    "FakeKick",
    "KickUser",
    "Subscription",
    "emotes_in",
    "load_payload",
    "new_ulid",
    "pkce_challenge",
    "rfc3339",
    "viewer",
]
