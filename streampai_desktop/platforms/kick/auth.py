"""Kick sign-in through the Streampai account service; Kick's tokens live only in the keyring.

Kick's token exchange and refresh need the app's client secret, which a desktop app cannot keep,
so the account service does both (``streampai_cloud``'s Kick endpoints). Signing in goes as
``service_signin`` describes (Kick's consent page carries the service's state and PKCE
challenge); the answer hands over the tokens (once), which go to the keyring.

:class:`Tokens` renews the access token a minute before it runs out through ``POST
/v1/platforms/kick/refresh``; the service answering ``kick_sign_in_required`` (Kick refused the
refresh token: revoked, or unused too long) is :class:`AuthFailed`, "needs sign-in".

All of it needs a Streampai account: without one, :class:`AccountRequired` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import httpx

from streampai_desktop.platforms.base import AuthFailed, NotReady
from streampai_desktop.platforms.flows import SignedInAccount
from streampai_desktop.platforms.service_signin import (
    HTTP_TIMEOUT_S,
    AccountRequired,
    PlatformNotConfigured,
    PlatformService,
    ServiceSignIn,
    account_needed,
    service_error,
    service_json,
)
from streampai_desktop.platforms.token_store import TokenSet
from streampai_desktop.platforms.token_store import TokenStore as SharedTokenStore
from streampai_desktop.secrets import SecretStore

__all__ = [
    "ACCOUNT_NEEDED",
    "HTTP_TIMEOUT_S",
    "AccountRequired",
    "KickAuthenticator",
    "KickEndpoints",
    "KickNotConfigured",
    "KickService",
    "TokenSet",
    "TokenStore",
    "Tokens",
    "create_authenticator",
    "revoke",
    "token_key",
]

REFRESH_MARGIN_S = 60.0  # renew this long before the access token runs out
SIGN_IN_REQUIRED = "kick_sign_in_required"  # the service: Kick refused the refresh token
NOT_CONNECTED = "kick_not_connected"  # the service has no Kick channel for this account

ACCOUNT_NEEDED = account_needed("Kick")
KickNotConfigured = PlatformNotConfigured  # the service has no Kick app (id and secret)


@dataclass(frozen=True, slots=True)
class KickEndpoints:
    """Where Kick lives (settings, overridable by environment variables)."""

    api_url: str = "https://api.kick.com"
    auth_url: str = "https://id.kick.com"

    @classmethod
    def from_settings(cls, settings: Any) -> KickEndpoints:
        return cls(
            api_url=str(settings.get("kick_api_url")).rstrip("/"),
            auth_url=str(settings.get("kick_auth_url")).rstrip("/"),
        )


class KickService(PlatformService):
    """The account service's Kick endpoints, called as this computer's Streampai sign-in."""

    platform = "kick"
    label = "Kick"
    cannot_connect = "cannot connect Kick yet"
    platform_sign_in_required = SIGN_IN_REQUIRED

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        response = await self.request(
            "POST", "/v1/platforms/kick/refresh", {"refresh_token": refresh_token}
        )
        if response.status_code in (400, 401):
            raise AuthFailed(
                "Kick no longer accepts this sign-in (revoked or expired); sign in again."
            )
        if response.status_code >= 300:
            raise NotReady(
                "the account service could not renew the Kick sign-in "
                f"({service_error(response)[1]})"
            )
        return service_json(response)

    async def ensure_subscriptions(self) -> dict[str, Any]:
        """Ask the service to (re)subscribe to the connected channel's events; their status."""
        response = await self.request("POST", "/v1/platforms/kick/subscriptions", {})
        if response.status_code >= 300 and service_error(response)[0] == NOT_CONNECTED:
            # The service has no Kick channel for this account (disconnected elsewhere, or
            # another Streampai account): only a new sign-in gives it one.
            raise AuthFailed(
                "Your Streampai account has no Kick channel connected any more; sign in to "
                "Kick again."
            )
        if response.status_code >= 300:
            raise NotReady(
                "the account service could not subscribe to Kick's events "
                f"({service_error(response)[1]})"
            )
        return service_json(response)


# --- tokens ----------------------------------------------------------------------------------


def tokens_from_service(body: dict[str, Any], previous: TokenSet | None = None) -> TokenSet:
    """The service's token fields (``access_token``, ``refresh_token``, ``expires_in``)."""
    try:
        return TokenSet(
            access=str(body["access_token"]),
            refresh=str(body.get("refresh_token") or (previous.refresh if previous else "")),
            expires_at=time.time() + float(body.get("expires_in") or 3600),
        )
    except (KeyError, TypeError, ValueError):
        raise NotReady("the account service sent no usable Kick token") from None


def token_key(user_id: str) -> str:
    """The keyring entry holding one Kick channel's tokens."""
    return f"kick:{user_id}:tokens"


class TokenStore(SharedTokenStore):
    """One Kick channel's tokens in the secret store."""

    def __init__(self, secrets: SecretStore, user_id: str) -> None:
        super().__init__(secrets, token_key(user_id))


class Tokens:
    """A fresh Kick access token on demand; renews (and saves) before expiry or after a 401."""

    def __init__(self, service: KickService, store: TokenStore) -> None:
        self._service = service
        self._store = store
        self._tokens: TokenSet | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0

    async def access(self, *, force_refresh: bool = False) -> str:
        async with self._lock:
            if self._tokens is None:
                self._tokens = await self._store.load()
                if self._tokens is None:
                    raise AuthFailed("Not signed in to Kick; sign in to connect.")
            if force_refresh or self._tokens.expires_at - time.time() < REFRESH_MARGIN_S:
                body = await self._service.refresh(self._tokens.refresh)
                self._tokens = tokens_from_service(body, self._tokens)
                await self._store.save(self._tokens)
                self.refreshes += 1
            return self._tokens.access


async def revoke(auth_url: str, store: TokenStore) -> None:
    """Sign out: ask Kick to revoke the refresh token (best effort: it needs no client secret),
    then forget the tokens."""
    tokens = await store.load()
    if tokens is not None:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            # Offline: the local tokens go anyway; the app can be removed on Kick's side.
            with contextlib.suppress(httpx.HTTPError):
                await http.post(
                    f"{auth_url.rstrip('/')}/oauth/revoke",
                    params={"token": tokens.refresh, "token_hint_type": "refresh_token"},
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
    await store.delete()


# --- signing in ------------------------------------------------------------------------------


class KickAuthenticator(ServiceSignIn):
    """A Kick sign-in through the account service, for ``flows.run_via_service``; the tokens
    it hands over go to the keyring."""

    service_type = KickService

    async def _connected(self, body: dict[str, Any]) -> SignedInAccount:
        who = body.get("user") or {}
        if not isinstance(who, dict) or not who.get("user_id"):
            raise NotReady("the account service did not say which Kick channel signed in")
        user_id = str(who["user_id"])
        name = str(who.get("name") or user_id)
        await TokenStore(self._secrets, user_id).save(tokens_from_service(body))
        return SignedInAccount(user_id, name, name)


def create_authenticator(*, settings: Any, secrets: SecretStore) -> KickAuthenticator:
    """The spec's sign-in factory."""
    return KickAuthenticator(secrets)
