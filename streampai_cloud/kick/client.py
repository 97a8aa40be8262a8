"""The service's side of Kick's API: the token endpoint (with the client secret), the current user,
event subscriptions with an app access token, and the webhook public key.

Two errors at the boundary: :class:`KickRefused` (Kick said no to this request: a bad code or
refresh token) and :class:`KickUnavailable` (Kick could not be reached, failed, or answered
something unreadable: try again later).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from streampai_cloud.config import CloudConfig
from streampai_cloud.errors import PlatformRefused, PlatformUnavailable

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=10)
# An app token is renewed this long before Kick says it expires, so none is used as it expires.
APP_TOKEN_MARGIN_S = 60


class KickRefused(PlatformRefused):
    """Kick refused the request (4xx): the code, refresh token or grant is not valid."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail, "Kick")


class KickUnavailable(PlatformUnavailable):
    """Kick could not be reached, failed (5xx, 429) or answered something the service cannot
    read. Nothing is known to be wrong with the request: try again later."""


@dataclass(frozen=True)
class KickTokens:
    """A token answer from Kick's `/oauth/token`."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    token_type: str

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "token_type": self.token_type,
        }


@dataclass(frozen=True)
class KickUser:
    user_id: int
    name: str


def int_field(value: Any) -> int | None:
    """An integer field of a Kick answer: Kick documents some (`expires_in`) as strings in places
    and sends numbers elsewhere."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _detail(body: Any, text: str) -> str:
    """A short, token-free description of an error answer (Kick's `error`/`message` fields)."""
    if isinstance(body, dict):
        for key in ("error_description", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:200]
    return text[:200] or "no details"


class KickClient:
    """One per service process: an HTTP session, the cached app token and nothing else."""

    def __init__(self, config: CloudConfig) -> None:
        self._config = config
        self._http: aiohttp.ClientSession | None = None
        self._app_token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._app_token_lock = asyncio.Lock()

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=TIMEOUT)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("KickClient.start() was not called")
        return self._http

    async def _request(self, method: str, url: str, *, what: str, **kwargs: Any) -> tuple[int, Any]:
        """(status, JSON body or None) of a call; KickUnavailable for anything but an answer
        below 500 (429 included: Kick is rate limiting us, the request itself is fine)."""
        try:
            async with self.http.request(method, url, **kwargs) as resp:
                text = await resp.text(errors="replace")
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KickUnavailable(
                f"{what}: Kick could not be reached ({type(exc).__name__})"
            ) from exc
        body: Any = None
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        if status >= 500 or status == 429:
            raise KickUnavailable(f"{what}: Kick answered HTTP {status}: {_detail(body, text)}")
        if status >= 400:
            raise KickRefused(status, _detail(body, text))
        return status, body

    # --- OAuth (id.kick.com) ------------------------------------------------------------------

    async def _token(self, form: dict[str, str], what: str) -> dict[str, Any]:
        cfg = self._config
        form = {**form, "client_id": cfg.kick_client_id, "client_secret": cfg.kick_client_secret}
        _, body = await self._request(
            "POST", f"{cfg.kick_auth_url}/oauth/token", data=form, what=what
        )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise KickUnavailable(f"{what}: Kick's token answer has no access_token")
        return body

    @staticmethod
    def _tokens(body: dict[str, Any], what: str) -> KickTokens:
        refresh = body.get("refresh_token")
        expires_in = int_field(body.get("expires_in"))
        if not isinstance(refresh, str) or not refresh or expires_in is None:
            raise KickUnavailable(f"{what}: Kick's token answer lacks refresh_token or expires_in")
        scope = body.get("scope")
        token_type = body.get("token_type")
        return KickTokens(
            access_token=body["access_token"],
            refresh_token=refresh,
            expires_in=expires_in,
            scope=scope if isinstance(scope, str) else "",
            token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
        )

    async def exchange_code(self, code: str, code_verifier: str) -> KickTokens:
        """The streamer's tokens for the authorization code the callback got (PKCE + secret)."""
        body = await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._config.kick_callback_url,
                "code_verifier": code_verifier,
            },
            "exchanging the code",
        )
        return self._tokens(body, "exchanging the code")

    async def refresh(self, refresh_token: str) -> KickTokens:
        """New tokens for a refresh token (Kick rotates the refresh token too)."""
        body = await self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, "refreshing"
        )
        return self._tokens(body, "refreshing")

    async def app_token(self, *, renew: bool = False) -> str:
        """An app access token (client credentials), cached until shortly before it expires.
        Per process: each process asks Kick for its own, which Kick allows."""
        async with self._app_token_lock:
            now = time.monotonic()
            if not renew and self._app_token is not None and self._app_token[1] > now:
                return self._app_token[0]
            body = await self._token({"grant_type": "client_credentials"}, "getting an app token")
            expires_in = int_field(body.get("expires_in")) or 0
            token: str = body["access_token"]
            self._app_token = (token, now + max(0, expires_in - APP_TOKEN_MARGIN_S))
            return token

    # --- Public API (api.kick.com) ------------------------------------------------------------

    async def current_user(self, access_token: str) -> KickUser:
        """Who a user access token belongs to (`GET /public/v1/users` without ids)."""
        _, body = await self._request(
            "GET",
            f"{self._config.kick_api_url}/public/v1/users",
            headers={"Authorization": f"Bearer {access_token}"},
            what="reading the Kick user",
        )
        data = body.get("data") if isinstance(body, dict) else None
        first = data[0] if isinstance(data, list) and data else None
        user_id = int_field(first.get("user_id")) if isinstance(first, dict) else None
        if not isinstance(first, dict) or user_id is None:
            raise KickUnavailable("reading the Kick user: Kick's answer names no user")
        name = first.get("name")
        return KickUser(user_id, name if isinstance(name, str) and name else str(user_id))

    async def _with_app_token(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """A public API call with the app token; a 401 renews the token once (Kick may have
        revoked it before its expiry)."""
        url = f"{self._config.kick_api_url}/public/v1{path}"
        for renew in (False, True):
            token = await self.app_token(renew=renew)
            headers = {"Authorization": f"Bearer {token}"}
            try:
                _, body = await self._request(method, url, headers=headers, what=what, **kwargs)
                return body
            except KickRefused as exc:
                if exc.status != 401 or renew:
                    raise
        raise AssertionError("unreachable")

    async def subscriptions(self, broadcaster_user_id: int) -> list[dict[str, Any]]:
        """The app's webhook subscriptions for a channel: `{id, event, version, ...}` each."""
        body = await self._with_app_token(
            "GET",
            "/events/subscriptions",
            "listing subscriptions",
            params={"broadcaster_user_id": str(broadcaster_user_id)},
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise KickUnavailable("listing subscriptions: Kick's answer has no data list")
        mine = []
        for item in data:
            if not isinstance(item, dict):
                continue
            owner = int_field(item.get("broadcaster_user_id"))
            # The filter is Kick's; an answer that ignores it must not list another channel's.
            if owner is not None and owner != broadcaster_user_id:
                continue
            mine.append(item)
        return mine

    async def subscribe(
        self, broadcaster_user_id: int, events: list[tuple[str, int]]
    ) -> list[dict[str, Any]]:
        """Subscribe the app's webhook to `events` of a channel; Kick answers per event with its
        `subscription_id` or an `error`."""
        body = await self._with_app_token(
            "POST",
            "/events/subscriptions",
            "subscribing",
            json={
                "broadcaster_user_id": broadcaster_user_id,
                "events": [{"name": name, "version": version} for name, version in events],
                "method": "webhook",
            },
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise KickUnavailable("subscribing: Kick's answer has no data list")
        return [item for item in data if isinstance(item, dict)]

    async def public_key_pem(self) -> str:
        """The PEM of the key Kick signs webhooks with (`GET /public/v1/public-key`)."""
        _, body = await self._request(
            "GET", self._config.kick_public_key_endpoint, what="fetching Kick's public key"
        )
        data = body.get("data") if isinstance(body, dict) else None
        pem = data.get("public_key") if isinstance(data, dict) else None
        if not isinstance(pem, str) or "PUBLIC KEY" not in pem:
            raise KickUnavailable("fetching Kick's public key: the answer holds no PEM key")
        return pem
