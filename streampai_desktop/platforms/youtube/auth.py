"""YouTube sign-in with Google's OAuth device flow; tokens live only in the keyring.

Google allows the ``youtube`` scope for "TV and limited-input device" clients, which is what a
desktop app that shows a code is. Google's flow is RFC 8628 with two differences that matter:
the answer says ``verification_url`` (not ``verification_uri``), and the token request carries
the installed app's client secret, which Google documents as not confidential (it ships in every
copy). ``authorization_pending`` (HTTP 428) → keep polling; ``slow_down`` (403) → poll five
seconds less often; ``access_denied`` / ``expired_token`` → the sign-in ends.

:class:`Tokens` hands out an access token, refreshing it a minute before it expires (Google's
live one hour); a refused refresh (``invalid_grant``: revoked in the Google account, or unused for
six months) is :class:`AuthFailed`, which the Platforms page shows as "needs sign-in".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import httpx

from streampai_desktop.platforms.base import AuthFailed, NotReady, SignInExpired
from streampai_desktop.platforms.flows import DeviceCodeStep, SignedInAccount
from streampai_desktop.platforms.token_store import TokenSet
from streampai_desktop.platforms.token_store import TokenStore as SharedTokenStore
from streampai_desktop.secrets import SecretStore

SCOPE = "https://www.googleapis.com/auth/youtube"  # read and send chat, read broadcasts
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_MARGIN_S = 60.0  # refresh this long before the access token runs out
HTTP_TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class YouTubeEndpoints:
    """Where Google lives, and our OAuth client (settings, overridable by env variables)."""

    auth_url: str = "https://oauth2.googleapis.com"
    api_url: str = "https://youtube.googleapis.com/youtube/v3"
    client_id: str = "streampai-desktop.apps.googleusercontent.com"
    client_secret: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> YouTubeEndpoints:
        return cls(
            auth_url=str(settings.get("youtube_auth_url")).rstrip("/"),
            api_url=str(settings.get("youtube_api_url")).rstrip("/"),
            client_id=str(settings.get("youtube_client_id")),
            client_secret=str(settings.get("youtube_client_secret")),
        )


def token_key(channel_id: str) -> str:
    """The keyring entry holding one YouTube channel's tokens."""
    return f"youtube:{channel_id}:tokens"


class TokenStore(SharedTokenStore):
    """One YouTube channel's tokens in the secret store."""

    def __init__(self, secrets: SecretStore, channel_id: str) -> None:
        super().__init__(secrets, token_key(channel_id))


def _oauth_error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error") or response.status_code)
    except ValueError:
        return str(response.status_code)


async def _post_form(client: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    try:
        return await client.post(url, data=data)
    except httpx.HTTPError as exc:
        raise NotReady(f"Google is not reachable ({type(exc).__name__})") from exc


class Tokens:
    """A fresh access token on demand; refreshes (and saves) before expiry or after a 401."""

    def __init__(self, endpoints: YouTubeEndpoints, store: TokenStore, http: httpx.AsyncClient):
        self._endpoints = endpoints
        self._store = store
        self._http = http
        self._tokens: TokenSet | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0

    async def access(self, *, force_refresh: bool = False) -> str:
        async with self._lock:
            if self._tokens is None:
                self._tokens = await self._store.load()
                if self._tokens is None:
                    raise AuthFailed("Not signed in to YouTube; sign in to connect.")
            if force_refresh or self._tokens.expires_at - time.time() < REFRESH_MARGIN_S:
                self._tokens = await self._refresh(self._tokens)
            return self._tokens.access

    async def _refresh(self, tokens: TokenSet) -> TokenSet:
        response = await _post_form(
            self._http,
            f"{self._endpoints.auth_url}/token",
            {
                "client_id": self._endpoints.client_id,
                "client_secret": self._endpoints.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh,
            },
        )
        if response.status_code in (400, 401):
            error = _oauth_error(response)
            raise AuthFailed(
                "YouTube access was revoked or has expired; sign in again."
                if error == "invalid_grant"
                else f"Google refused to renew the YouTube sign-in ({error}); sign in again."
            )
        if response.status_code != 200:
            raise NotReady(f"Google could not renew the sign-in (HTTP {response.status_code})")
        data = response.json()
        fresh = TokenSet(
            access=str(data["access_token"]),
            # Google keeps the refresh token unless it sends a new one.
            refresh=str(data.get("refresh_token") or tokens.refresh),
            expires_at=time.time() + float(data.get("expires_in", 3600)),
        )
        await self._store.save(fresh)
        self.refreshes += 1
        return fresh


@dataclass(frozen=True, slots=True)
class _DeviceCode:
    device_code: str
    interval_s: float
    expires_at: float  # time.monotonic()


class YouTubeAuthenticator:
    """The device-code steps for the generic driver (``platforms/flows.py``)."""

    def __init__(self, endpoints: YouTubeEndpoints, secrets: SecretStore) -> None:
        self._endpoints = endpoints
        self._secrets = secrets
        self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S)
        self._codes: dict[str, _DeviceCode] = {}

    async def start(self) -> DeviceCodeStep:
        response = await _post_form(
            self._http,
            f"{self._endpoints.auth_url}/device/code",
            {"client_id": self._endpoints.client_id, "scope": SCOPE},
        )
        if response.status_code != 200:
            error = _oauth_error(response)
            if error in ("invalid_client", "unauthorized_client"):
                raise AuthFailed(
                    f"Google does not accept this app's YouTube client id ({error}); "
                    "check the YouTube client id setting."
                )
            raise NotReady(f"Google refused to start sign-in (HTTP {response.status_code})")
        data = response.json()
        expires_at = time.monotonic() + float(data.get("expires_in", 1800))
        code = _DeviceCode(str(data["device_code"]), float(data.get("interval", 5)), expires_at)
        user_code = str(data["user_code"])
        self._codes[user_code] = code
        uri = str(data.get("verification_url") or data.get("verification_uri"))
        return DeviceCodeStep(user_code, uri, expires_at)

    async def wait(self, step: DeviceCodeStep) -> SignedInAccount:
        code = self._codes[step.user_code]
        tokens = await self._poll(code)
        who = await self._whoami(tokens.access)
        await TokenStore(self._secrets, who.platform_user_id).save(tokens)
        return who

    async def _poll(self, code: _DeviceCode) -> TokenSet:
        interval = code.interval_s
        form = {
            "client_id": self._endpoints.client_id,
            "client_secret": self._endpoints.client_secret,
            "device_code": code.device_code,
            "grant_type": DEVICE_GRANT,
        }
        while time.monotonic() < code.expires_at:
            await asyncio.sleep(interval)
            try:
                response = await self._http.post(f"{self._endpoints.auth_url}/token", data=form)
            except httpx.HTTPError:
                continue  # a network blip while the streamer is on google.com/device
            if response.status_code == 200:
                data = response.json()
                return TokenSet(
                    access=str(data["access_token"]),
                    refresh=str(data["refresh_token"]),
                    expires_at=time.time() + float(data.get("expires_in", 3600)),
                )
            error = _oauth_error(response)
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += 5  # RFC 8628 §3.5
                continue
            if error == "expired_token":
                break
            if error == "access_denied":
                raise AuthFailed("YouTube sign-in was declined on the Google page.")
            raise AuthFailed(f"YouTube sign-in did not complete ({error}).")
        raise SignInExpired("The YouTube sign-in code expired; start again.")

    async def _whoami(self, access: str) -> SignedInAccount:
        try:
            response = await self._http.get(
                f"{self._endpoints.api_url}/channels",
                params={"part": "snippet", "mine": "true"},
                headers={"Authorization": f"Bearer {access}"},
            )
        except httpx.HTTPError as exc:
            raise NotReady(f"YouTube is not reachable ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise NotReady(
                f"YouTube did not say which channel signed in (HTTP {response.status_code})"
            )
        items = response.json().get("items") or []
        if not items:
            raise AuthFailed(
                "This Google account has no YouTube channel; create one, then sign in."
            )
        channel = items[0]
        snippet = channel.get("snippet") or {}
        title = str(snippet.get("title") or channel["id"])
        handle = str(snippet.get("customUrl") or title)
        return SignedInAccount(str(channel["id"]), handle, title)

    async def close(self) -> None:
        await self._http.aclose()


def create_authenticator(*, settings: Any, secrets: SecretStore) -> YouTubeAuthenticator:
    """The spec's sign-in factory."""
    return YouTubeAuthenticator(YouTubeEndpoints.from_settings(settings), secrets)


async def revoke(endpoints: YouTubeEndpoints, store: TokenStore) -> None:
    """Sign out: ask Google to revoke the grant (best effort), then forget the tokens."""
    tokens = await store.load()
    if tokens is not None:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            # Offline: the local tokens go anyway; the grant can be removed on Google's side.
            with contextlib.suppress(httpx.HTTPError):
                await http.post(f"{endpoints.auth_url}/revoke", data={"token": tokens.refresh})
    await store.delete()
