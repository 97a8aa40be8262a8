"""Helix and OAuth through twitchio 3, pointed at configurable endpoints.

Why some things are done the way they are:

* **Base URLs.** twitchio 3.3 has no per-client option for its endpoints: every Helix and id
  request is built by ``twitchio.http.Route`` from the class constants ``Route.BASE`` and
  ``Route.ID_BASE``. :func:`configure_endpoints` sets those two constants from settings. They are
  process-wide; that is fine because the app has one set of Twitch endpoints at a time.
* **EventSub.** twitchio's own EventSub websocket is *not* used (see ``eventsub.py``): its URL is a
  module constant, it hands out parsed models without the raw payload, and it reconnects on its own
  hidden schedule, so the app could not show "reconnecting, next attempt at …" nor own the backoff.
* **Tokens.** twitchio's ``load_tokens``/``save_tokens`` hooks are overridden so tokens go to the
  keyring (:class:`~.auth.TokenStore`), never to twitchio's ``.tio.tokens.json``; a refresh done by
  twitchio on a 401 is saved at once (refresh tokens of public clients are single use).
* **429.** twitchio raises on a 429 without the ``Ratelimit-Reset`` header, so a trace hook on
  our aiohttp session remembers it and :meth:`TwitchApi.request` waits until then and retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp

from streampai_desktop.platforms.base import AuthFailed, NotReady
from streampai_desktop.platforms.twitch._twitchio import (
    HTTPException,
    InvalidTokenException,
    Route,
    twitchio,
)

log = logging.getLogger(__name__)

# A placeholder until the Streampai public client is registered on dev.twitch.tv; the
# ``twitch_client_id`` setting (STREAMPAI_TWITCH_CLIENT_ID) overrides it.
DEFAULT_CLIENT_ID = "streampai-desktop"
MAX_429_RETRIES = 3
MAX_429_WAIT_S = 60.0


@dataclass(frozen=True, slots=True)
class TwitchEndpoints:
    """Where Twitch lives: EventSub WebSocket, Helix and OAuth base URLs, and our client id."""

    eventsub_url: str = "wss://eventsub.wss.twitch.tv/ws"
    api_url: str = "https://api.twitch.tv/helix"
    auth_url: str = "https://id.twitch.tv/oauth2"
    client_id: str = DEFAULT_CLIENT_ID

    @classmethod
    def from_settings(cls, settings: Any) -> TwitchEndpoints:
        try:
            client_id = str(settings.get("twitch_client_id") or DEFAULT_CLIENT_ID)
        except KeyError:  # the setting is added by the integration patch
            client_id = DEFAULT_CLIENT_ID
        return cls(
            eventsub_url=settings.get("twitch_eventsub_url"),
            api_url=settings.get("twitch_api_url"),
            auth_url=settings.get("twitch_auth_url"),
            client_id=client_id,
        )


def configure_endpoints(endpoints: TwitchEndpoints) -> None:
    """Point twitchio's request builder at ``endpoints`` (see the module docstring)."""
    auth = endpoints.auth_url.rstrip("/")
    if not auth.endswith("/oauth2"):
        raise ValueError(f"the Twitch OAuth URL must end in /oauth2, got {auth!r}")
    Route.BASE = endpoints.api_url.rstrip("/") + "/"
    # twitchio's id routes are paths like "/oauth2/token" below ID_BASE.
    Route.ID_BASE = auth.removesuffix("oauth2")


class MissingPermission(AuthFailed):
    """Twitch refused one request because the sign-in lacks a scope (HTTP 403). The sign-in
    itself still works: a connector skips what needs the scope and asks to sign in again."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: str


TokenSaver = Callable[[TokenPair], Awaitable[None]]


class _RateLimitTrace:
    """Remembers the last ``Ratelimit-Reset`` (epoch seconds) Helix sent."""

    def __init__(self) -> None:
        self.reset_at: float | None = None
        self.config = aiohttp.TraceConfig()
        self.config.on_request_end.append(self._on_end)

    async def _on_end(self, _s: Any, _ctx: SimpleNamespace, params: Any) -> None:
        reset = params.response.headers.get("Ratelimit-Reset")
        if reset and reset.isdigit():
            self.reset_at = float(reset)

    def wait_s(self) -> float:
        if self.reset_at is None:
            return 1.0
        return min(MAX_429_WAIT_S, max(0.05, self.reset_at - time.time()))


class _Client(twitchio.Client):
    """twitchio's client with its token persistence pointed at our keyring saver."""

    def __init__(self, *, saver: TokenSaver, **options: Any) -> None:
        super().__init__(**options)
        self._saver = saver

    async def load_tokens(self, path: str | None = None, /) -> None:
        # Tokens are added explicitly by TwitchApi.open; twitchio must not read its JSON file.
        return None

    async def save_tokens(self, path: str | None = None, /) -> None:
        for data in self.tokens.values():
            await self._saver(TokenPair(data["token"], data["refresh"]))

    async def event_token_refreshed(self, payload: Any) -> None:
        log.info("Twitch token refreshed for user %s", payload.user_id)
        await self._saver(TokenPair(payload.token, payload.refresh_token))


class TwitchApi:
    """The Helix calls the app makes, for one signed-in user."""

    def __init__(self, endpoints: TwitchEndpoints, saver: TokenSaver) -> None:
        configure_endpoints(endpoints)
        self._trace = _RateLimitTrace()
        self._session = aiohttp.ClientSession(trace_configs=[self._trace.config])
        self.client = _Client(
            saver=saver,
            client_id=endpoints.client_id,
            session=self._session,
            fetch_client_user=False,
        )
        self.user_id = ""
        self.login = ""
        self.scopes: list[str] = []
        self.waited_429_s = 0.0  # total time spent waiting out rate limits (shown in logs)

    async def open(self, tokens: TokenPair) -> None:
        """Validate (refreshing if needed) ``tokens``; :class:`AuthFailed` when Twitch refuses."""
        try:
            validated = await self.client.add_token(tokens.access, tokens.refresh)
        except InvalidTokenException as exc:
            raise AuthFailed("Twitch no longer accepts this sign-in; sign in again.") from exc
        except HTTPException as exc:
            raise _translate(exc) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise NotReady(f"Twitch is not reachable ({type(exc).__name__})") from exc
        if not validated.user_id:
            raise AuthFailed("The saved Twitch token is not a user token; sign in again.")
        self.user_id = validated.user_id
        self.login = validated.login or ""
        self.scopes = list(validated.scopes)

    async def close(self) -> None:
        # Every refresh is saved the moment it happens (event_token_refreshed); saving again on
        # close would race a sign-out and write deleted tokens back into the keyring.
        await self.client.close(save_tokens=False)
        await self._session.close()

    async def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> Any:
        """One Helix request as the signed-in user, waiting out 429s as Twitch says."""
        for attempt in range(MAX_429_RETRIES + 1):
            route = Route(
                method,  # type: ignore[arg-type]
                path,
                params=dict(params or {}),
                json=json if json is not None else {},
                # Name the token explicitly: twitchio would otherwise fall back to an app token,
                # which a public client does not have. After a refresh, tokens[] has the new one.
                headers={"Authorization": f"Bearer {self.client.tokens[self.user_id]['token']}"},
                token_for=self.user_id,
            )
            try:
                if self.user_id not in self.client.tokens:
                    raise AuthFailed("Twitch no longer accepts this sign-in; sign in again.")
                return await self.client.http.request_json(route)
            except HTTPException as exc:
                if exc.status == 429 and attempt < MAX_429_RETRIES:
                    wait = self._trace.wait_s()
                    self.waited_429_s += wait
                    log.warning("Twitch rate limit on %s; waiting %.1f s as told", path, wait)
                    await asyncio.sleep(wait)
                    continue
                raise _translate(exc, self._trace.wait_s()) from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise NotReady(f"Twitch is not reachable ({type(exc).__name__})") from exc
        raise AssertionError("unreachable")

    # --- the endpoints the app uses ------------------------------------------------------------

    async def channel(self, broadcaster_id: str) -> dict[str, Any] | None:
        data = await self.request("GET", "channels", params={"broadcaster_id": broadcaster_id})
        return _first_row(data)

    async def stream(self, user_id: str) -> dict[str, Any] | None:
        """The live stream of ``user_id``, or None when offline."""
        data = await self.request("GET", "streams", params={"user_id": user_id})
        return _first_row(data)

    async def follower_count(self, broadcaster_id: str) -> int:
        data = await self.request(
            "GET", "channels/followers", params={"broadcaster_id": broadcaster_id, "first": 1}
        )
        return int(data.get("total") or 0)

    async def user(self, user_id: str) -> dict[str, Any] | None:
        data = await self.request("GET", "users", params={"id": user_id})
        return _first_row(data)

    async def subscribe(
        self, sub_type: str, version: str, condition: dict[str, str], session_id: str
    ) -> dict[str, Any]:
        body = {
            "type": sub_type,
            "version": version,
            "condition": condition,
            "transport": {"method": "websocket", "session_id": session_id},
        }
        data = await self.request("POST", "eventsub/subscriptions", json=body)
        return _required_row(data, "eventsub/subscriptions")

    async def send_chat(self, broadcaster_id: str, text: str) -> dict[str, Any]:
        body = {"broadcaster_id": broadcaster_id, "sender_id": self.user_id, "message": text}
        data = await self.request("POST", "chat/messages", json=body)
        return _required_row(data, "chat/messages")


def _first_row(data: dict[str, Any]) -> dict[str, Any] | None:
    """Helix answers ``{"data": [row, ...]}``; the first row, or None when there is none."""
    rows = data.get("data")
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        return rows[0]
    return None


def _required_row(data: dict[str, Any], endpoint: str) -> dict[str, Any]:
    row = _first_row(data)
    if row is None:
        raise NotReady(f"Twitch answered {endpoint} without the expected data")
    return row


def _translate(exc: HTTPException, retry_after: float | None = None) -> Exception:
    """twitchio's HTTPException → our boundary errors."""
    path = getattr(exc.route, "path", "") if exc.route else ""
    message = str((exc.extra or {}).get("message", "")) if isinstance(exc.extra, dict) else ""
    if exc.status == 401 or (exc.status == 400 and "oauth2/token" in path):
        # A 401 twitchio could not fix by refreshing, or a refresh Twitch refused.
        return AuthFailed("Twitch no longer accepts this sign-in; sign in again.")
    if exc.status == 403:
        return MissingPermission(
            f"Twitch refused access ({message or 'missing permission'}); sign in again."
        )
    if exc.status == 429:
        return NotReady("Twitch rate limit reached", retry_after=retry_after)
    if exc.status >= 500:
        return NotReady(f"Twitch had a problem (HTTP {exc.status})")
    return exc
