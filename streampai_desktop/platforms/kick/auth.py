"""Kick sign-in through the Streampai account service; Kick's tokens live only in the keyring.

Kick's token exchange and refresh need the app's client secret, which a desktop app cannot keep,
so the account service does both (``streampai_cloud``'s Kick endpoints). Signing in:

1. ``POST /v1/platforms/kick/authorize`` → Kick's consent page (with the service's state and
   PKCE challenge), which the browser opens — on this computer or any other.
2. Kick sends the browser to the service's callback; the service exchanges the code.
3. The desktop learns it from ``GET /v1/platforms/kick/authorize/{state}``, asked every 2 s, or at
   once when the live channel brings ``{"type": "kick_authorized"}``; the answer hands over the
   tokens (once), which go to the keyring.

:class:`Tokens` renews the access token a minute before it runs out through ``POST
/v1/platforms/kick/refresh``; the service answering ``kick_sign_in_required`` (Kick refused the
refresh token: revoked, or unused too long) is :class:`AuthFailed`, "needs sign-in".

All of it needs a Streampai account: without one, :class:`AccountRequired` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from streampai_desktop import __version__
from streampai_desktop.core.errors import EXIT_NOT_CONNECTED, UserFacingError
from streampai_desktop.platforms.base import AuthFailed, NotReady, SignInExpired
from streampai_desktop.platforms.flows import SignedInAccount
from streampai_desktop.platforms.service_relay import ServiceAccess, SignedOut, relay_for
from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)

REFRESH_MARGIN_S = 60.0  # renew this long before the access token runs out
HTTP_TIMEOUT_S = 15.0
POLL_INTERVAL_S = 2.0  # how often a sign-in asks the service, when no poke comes first
SIGN_IN_REQUIRED = "kick_sign_in_required"  # the service: Kick refused the refresh token
NOT_CONFIGURED = "kick_not_configured"  # the service has no Kick app (id and secret)
NOT_CONNECTED = "kick_not_connected"  # the service has no Kick channel for this account
AUTHORIZED_POKE = "kick_authorized"  # the live channel: a sign-in's callback completed

ACCOUNT_NEEDED = (
    "Connecting Kick needs a Streampai account: sign in under Account first "
    "(in a terminal: streampai-desktop account signin)."
)


class AccountRequired(AuthFailed):
    """This computer is not signed in to a Streampai account, which Kick goes through."""

    title = "Streampai account needed"
    exit_code = EXIT_NOT_CONNECTED


class KickNotConfigured(UserFacingError):
    """The account service has no Kick app set up (a self-hosted service without Kick keys)."""

    title = "Kick is not available"
    exit_code = EXIT_NOT_CONNECTED


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


def _error(response: httpx.Response) -> tuple[str, str]:
    """(code, message) from the service's error body: ``{"error": {"code", "message"}}`` or
    ``{"error": code, "message": …}``."""
    try:
        body = response.json()
    except ValueError:
        return "", f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return "", f"HTTP {response.status_code}"
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or error.get("code") or "")
    return str(error or ""), str(body.get("message") or error or f"HTTP {response.status_code}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise NotReady("the account service sent something that is not JSON") from None
    if not isinstance(body, dict):
        raise NotReady("the account service sent an unexpected answer")
    return body


class KickService:
    """The account service's Kick endpoints, called as this computer's Streampai sign-in."""

    def __init__(self, access: ServiceAccess, http: httpx.AsyncClient) -> None:
        self.access = access
        self._http = http

    async def _token(self, *, renew: bool = False) -> str:
        try:
            return await self.access.bearer(renew=renew)
        except SignedOut:
            raise AccountRequired(ACCOUNT_NEEDED) from None

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """An authorised call; a 401 other than Kick's own renews the account token once.
        Answers the caller reads (2xx, Kick's 401, other 4xx) come back; the rest raise."""
        if not await self.access.signed_in():
            raise AccountRequired(ACCOUNT_NEEDED)
        url = f"{self.access.base_url}{path}"
        response: httpx.Response | None = None
        for renew in (False, True):
            headers = {
                "Authorization": f"Bearer {await self._token(renew=renew)}",
                "Streampai-Client-Version": __version__,
            }
            try:
                response = await self._http.request(method, url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                raise NotReady(
                    f"the Streampai account service is not reachable ({type(exc).__name__})"
                ) from exc
            if response.status_code != 401 or _error(response)[0] == SIGN_IN_REQUIRED:
                break
        assert response is not None
        code, message = _error(response) if response.status_code >= 400 else ("", "")
        if response.status_code == 401 and code != SIGN_IN_REQUIRED:
            raise AccountRequired(ACCOUNT_NEEDED)
        if code == NOT_CONFIGURED:
            raise KickNotConfigured(
                f"The Streampai account service at {self.access.base_url} cannot connect Kick "
                f"yet ({message or 'no Kick app is set up there'})."
            )
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After", "")
            raise NotReady(
                f"the account service could not answer ({message or response.status_code})",
                retry_after=float(retry) if retry.isdigit() else None,
            )
        return response

    async def authorize(self) -> dict[str, Any]:
        response = await self.request("POST", "/v1/platforms/kick/authorize", {})
        if response.status_code >= 300:
            raise AuthFailed(f"Kick sign-in could not start: {_error(response)[1]}.")
        return _json(response)

    async def authorize_status(self, state: str) -> tuple[int, dict[str, Any]]:
        response = await self.request("GET", f"/v1/platforms/kick/authorize/{state}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}

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
                f"the account service could not renew the Kick sign-in ({_error(response)[1]})"
            )
        return _json(response)

    async def ensure_subscriptions(self) -> dict[str, Any]:
        """Ask the service to (re)subscribe to the connected channel's events; their status."""
        response = await self.request("POST", "/v1/platforms/kick/subscriptions", {})
        if response.status_code >= 300 and _error(response)[0] == NOT_CONNECTED:
            # The service has no Kick channel for this account (disconnected elsewhere, or
            # another Streampai account): only a new sign-in gives it one.
            raise AuthFailed(
                "Your Streampai account has no Kick channel connected any more; sign in to "
                "Kick again."
            )
        if response.status_code >= 300:
            raise NotReady(
                f"the account service could not subscribe to Kick's events ({_error(response)[1]})"
            )
        return _json(response)


# --- tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenSet:
    access: str
    refresh: str
    expires_at: float  # wall clock (time.time()), so it survives a restart

    @classmethod
    def from_service(cls, body: dict[str, Any], previous: TokenSet | None = None) -> TokenSet:
        """The service's token fields (``access_token``, ``refresh_token``, ``expires_in``)."""
        try:
            return cls(
                access=str(body["access_token"]),
                refresh=str(body.get("refresh_token") or (previous.refresh if previous else "")),
                expires_at=time.time() + float(body.get("expires_in") or 3600),
            )
        except (KeyError, TypeError, ValueError):
            raise NotReady("the account service sent no usable Kick token") from None


def token_key(user_id: str) -> str:
    """The keyring entry holding one Kick channel's tokens."""
    return f"kick:{user_id}:tokens"


class TokenStore:
    """One channel's tokens in the secret store (JSON)."""

    def __init__(self, secrets: SecretStore, user_id: str) -> None:
        self._secrets = secrets
        self.key = token_key(user_id)

    async def load(self) -> TokenSet | None:
        raw = await self._secrets.get(self.key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return TokenSet(str(data["access"]), str(data["refresh"]), float(data["expires_at"]))
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry: the same as signed out

    async def save(self, tokens: TokenSet) -> None:
        value = {
            "access": tokens.access,
            "refresh": tokens.refresh,
            "expires_at": tokens.expires_at,
        }
        await self._secrets.set(self.key, json.dumps(value))

    async def delete(self) -> None:
        await self._secrets.delete(self.key)


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
                self._tokens = TokenSet.from_service(body, self._tokens)
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


class KickAuthenticator:
    """The steps of a sign-in through the account service, for ``flows.run_via_service``."""

    def __init__(self, secrets: SecretStore, *, poll_interval_s: float = POLL_INTERVAL_S) -> None:
        self._secrets = secrets
        self._relay = relay_for(secrets)
        self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S)
        self._service: KickService | None = None
        self._poll_interval_s = poll_interval_s
        self._state: str | None = None
        self._deadline = 0.0
        self._poked = asyncio.Event()
        self._unsubscribe: Any = None

    async def _on_poke(self, frame: dict[str, Any]) -> None:
        if self._state is not None and frame.get("state") == self._state:
            self._poked.set()

    async def start(self) -> str:
        # The app's account service (or the terminal's, while the app is stopped) is attached.
        access = self._relay.access
        if access is None or not await access.signed_in():
            raise AccountRequired(ACCOUNT_NEEDED)
        self._service = KickService(access, self._http)
        # Listen before asking: a quick approval's poke must not come before anyone listens.
        self._unsubscribe = await self._relay.subscribe(AUTHORIZED_POKE, self._on_poke)
        body = await self._service.authorize()
        try:
            self._state = str(body["state"])
            url = str(body["authorization_url"])
        except KeyError:
            raise NotReady("the account service did not say where to sign in to Kick") from None
        expires_in = float(body.get("expires_in") or 600)
        self._deadline = asyncio.get_running_loop().time() + expires_in
        return url

    async def wait(self) -> SignedInAccount:
        assert self._state is not None and self._service is not None, "start() first"
        loop = asyncio.get_running_loop()
        while loop.time() < self._deadline:
            # Cleared before asking: a poke that comes while the answer is on its way counts.
            self._poked.clear()
            try:
                status, body = await self._service.authorize_status(self._state)
            except NotReady as exc:
                # A network blip while the streamer is on Kick's page: ask again shortly.
                log.info("Kick sign-in: the service did not answer (%s); asking again", exc)
                status, body = 202, {}
            if status == 200 and body.get("status") == "connected":
                return await self._connected(body)
            if status == 404:
                raise SignInExpired(
                    "The Kick sign-in is no longer known to the service; start again."
                )
            if status >= 400:
                raise AuthFailed(_failure(body))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(
                    max(0.0, min(self._poll_interval_s, self._deadline - loop.time()))
                ):
                    await self._poked.wait()
        raise SignInExpired("The Kick sign-in was not completed in time; start again.")

    async def _connected(self, body: dict[str, Any]) -> SignedInAccount:
        who = body.get("user") or {}
        if not isinstance(who, dict) or not who.get("user_id"):
            raise NotReady("the account service did not say which Kick channel signed in")
        user_id = str(who["user_id"])
        name = str(who.get("name") or user_id)
        await TokenStore(self._secrets, user_id).save(TokenSet.from_service(body))
        return SignedInAccount(user_id, name, name)

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._http.aclose()


def _failure(body: dict[str, Any]) -> str:
    error = body.get("error")
    code = str(error.get("code") if isinstance(error, dict) else error or "")
    message = str(
        (error.get("message") if isinstance(error, dict) else None) or body.get("message") or ""
    )
    if code in ("access_denied", "kick_access_denied"):
        return "Kick sign-in was declined on Kick's page."
    return f"Kick sign-in did not complete: {message or code or 'the service refused it'}."


def create_authenticator(*, settings: Any, secrets: SecretStore) -> KickAuthenticator:
    """The spec's sign-in factory."""
    return KickAuthenticator(secrets)
