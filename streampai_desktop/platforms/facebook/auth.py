"""Facebook sign-in through the Streampai account service; the Page's token lives only in the
keyring.

Facebook's code exchange needs the app secret, which a desktop app cannot keep, so the account
service does it (``streampai_cloud``'s Facebook endpoints). Signing in:

1. ``POST /v1/platforms/facebook/authorize`` → Facebook's Login dialog, which the browser opens —
   on this computer or any other.
2. Facebook sends the browser to the service's callback; the service exchanges the code (adding
   the secret) and swaps the user token for a long-lived one.
3. The desktop learns it from ``GET /v1/platforms/facebook/authorize/{state}``, asked every 2 s,
   or at once when the live channel brings ``{"type": "facebook_authorized"}``; the answer hands
   the user token over (once).
4. With it the desktop checks what the streamer allowed (``/me/permissions``), lists their Pages
   (``/me/accounts``, each with its own Page token) and asks which one streams (one: no
   question); that Page's token goes to the keyring. The user token is not kept.

A Page token from a long-lived user token does not expire; when Facebook refuses it anyway
(error 190: the password changed, the app was removed) or a permission is taken back (10, 200),
the connector says "needs sign-in" with the permission named. There is no refresh.

All of it needs a Streampai account: without one, :class:`AccountRequired` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from streampai_desktop import __version__
from streampai_desktop.core.errors import EXIT_NOT_CONNECTED, UserFacingError
from streampai_desktop.platforms.base import AuthFailed, NotReady, SignInExpired
from streampai_desktop.platforms.facebook.client import (
    COMMENT_PERMISSION,
    LIST_PERMISSION,
    READ_PERMISSION,
    GraphEndpoints,
    graph_error,
)
from streampai_desktop.platforms.flows import Ask, Choice, ChoiceStep, SignedInAccount
from streampai_desktop.platforms.service_relay import ServiceAccess, SignedOut, relay_for
from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 15.0
POLL_INTERVAL_S = 2.0  # how often a sign-in asks the service, when no poke comes first
NOT_CONFIGURED = "facebook_not_configured"  # the service has no Facebook app (id and secret)
AUTHORIZED_POKE = "facebook_authorized"  # the live channel: a sign-in's callback completed
# Without these the app cannot list the Pages or read a live video's comments at all.
REQUIRED = (LIST_PERMISSION, READ_PERMISSION)
# Without this the Page's comments are read but the app cannot comment as the Page.
OPTIONAL = {COMMENT_PERMISSION: "commenting as the Page"}

ACCOUNT_NEEDED = (
    "Connecting Facebook needs a Streampai account: sign in under Account first "
    "(in a terminal: streampai-desktop account signin)."
)


class AccountRequired(AuthFailed):
    """This computer is not signed in to a Streampai account, which Facebook goes through."""

    title = "Streampai account needed"
    exit_code = EXIT_NOT_CONNECTED


class FacebookNotConfigured(UserFacingError):
    """The account service has no Facebook app set up (a self-hosted service without one)."""

    title = "Facebook is not available"
    exit_code = EXIT_NOT_CONNECTED


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


class FacebookService:
    """The account service's Facebook endpoints, called as this computer's Streampai sign-in."""

    def __init__(self, access: ServiceAccess, http: httpx.AsyncClient) -> None:
        self.access = access
        self._http = http

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """An authorised call; a 401 renews the account token once. Answers the caller reads
        (2xx, 4xx) come back; 429 and 5xx raise NotReady."""
        if not await self.access.signed_in():
            raise AccountRequired(ACCOUNT_NEEDED)
        url = f"{self.access.base_url}{path}"
        response: httpx.Response | None = None
        for renew in (False, True):
            try:
                token = await self.access.bearer(renew=renew)
            except SignedOut:
                raise AccountRequired(ACCOUNT_NEEDED) from None
            headers = {
                "Authorization": f"Bearer {token}",
                "Streampai-Client-Version": __version__,
            }
            try:
                response = await self._http.request(method, url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                raise NotReady(
                    f"the Streampai account service is not reachable ({type(exc).__name__})"
                ) from exc
            if response.status_code != 401:
                break
        assert response is not None
        if response.status_code == 401:
            raise AccountRequired(ACCOUNT_NEEDED)
        code, message = _error(response) if response.status_code >= 400 else ("", "")
        if code == NOT_CONFIGURED:
            raise FacebookNotConfigured(
                f"The Streampai account service at {self.access.base_url} cannot connect "
                f"Facebook ({message or 'no Facebook app is set up there'})."
            )
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After", "")
            raise NotReady(
                f"the account service could not answer ({message or response.status_code})",
                retry_after=float(retry) if retry.isdigit() else None,
            )
        return response

    async def authorize(self) -> dict[str, Any]:
        response = await self.request("POST", "/v1/platforms/facebook/authorize", {})
        if response.status_code >= 300:
            raise AuthFailed(f"Facebook sign-in could not start: {_error(response)[1]}.")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise NotReady("the account service sent an unexpected answer")
        return body

    async def authorize_status(self, state: str) -> tuple[int, dict[str, Any]]:
        response = await self.request("GET", f"/v1/platforms/facebook/authorize/{state}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}


# --- the Page's token ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageToken:
    """A Page's token and what the sign-in that gave it did not allow (by permission name)."""

    token: str
    user_id: str = ""
    declined: tuple[str, ...] = ()


def token_key(page_id: str) -> str:
    """The keyring entry holding one Page's token."""
    return f"facebook:{page_id}:page_token"


class PageTokenStore:
    """One Page's token in the secret store (JSON)."""

    def __init__(self, secrets: SecretStore, page_id: str) -> None:
        self._secrets = secrets
        self.key = token_key(page_id)

    async def load(self) -> PageToken | None:
        raw = await self._secrets.get(self.key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return PageToken(
                str(data["token"]),
                str(data.get("user_id") or ""),
                tuple(str(p) for p in data.get("declined") or ()),
            )
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry: the same as signed out

    async def save(self, page: PageToken) -> None:
        value = {"token": page.token, "user_id": page.user_id, "declined": list(page.declined)}
        await self._secrets.set(self.key, json.dumps(value))

    async def delete(self) -> None:
        await self._secrets.delete(self.key)


# --- signing in ------------------------------------------------------------------------------


async def _graph_get(
    http: httpx.AsyncClient,
    endpoints: GraphEndpoints,
    token: str,
    path: str,
    params: dict[str, str],
) -> dict[str, Any]:
    try:
        response = await http.get(
            f"{endpoints.api_url}/{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise NotReady(f"Facebook is not reachable ({type(exc).__name__})") from exc
    if response.status_code >= 400:
        error = graph_error(response, needs=LIST_PERMISSION, rate_limit_wait_s=60.0)
        if isinstance(error, AuthFailed | NotReady):
            raise error
        raise AuthFailed(f"Facebook did not list your Pages: {error}.")
    try:
        body = response.json()
    except ValueError:
        raise NotReady("Facebook sent an answer that is not JSON") from None
    return body if isinstance(body, dict) else {}


class FacebookAuthenticator:
    """The steps of a sign-in through the account service, for ``flows.run_via_service``, then
    the Page choice (:meth:`choose`)."""

    def __init__(
        self,
        secrets: SecretStore,
        endpoints: GraphEndpoints,
        *,
        poll_interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        self._secrets = secrets
        self._endpoints = endpoints
        self._relay = relay_for(secrets)
        self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S)
        self._service: FacebookService | None = None
        self._poll_interval_s = poll_interval_s
        self._state: str | None = None
        self._deadline = 0.0
        self._poked = asyncio.Event()
        self._unsubscribe: Any = None
        self._user_token: str | None = None

    async def _on_poke(self, frame: dict[str, Any]) -> None:
        if self._state is not None and frame.get("state") == self._state:
            self._poked.set()

    async def start(self) -> str:
        # The app's account service (or the terminal's, while the app is stopped) is attached.
        access = self._relay.access
        if access is None or not await access.signed_in():
            raise AccountRequired(ACCOUNT_NEEDED)
        self._service = FacebookService(access, self._http)
        # Listen before asking: a quick approval's poke must not come before anyone listens.
        self._unsubscribe = await self._relay.subscribe(AUTHORIZED_POKE, self._on_poke)
        body = await self._service.authorize()
        try:
            self._state = str(body["state"])
            url = str(body["authorization_url"])
        except KeyError:
            raise NotReady("the account service did not say where to sign in to Facebook") from None
        expires_in = float(body.get("expires_in") or 600)
        self._deadline = asyncio.get_running_loop().time() + expires_in
        return url

    async def wait(self) -> SignedInAccount:
        """Until the service hands the user token over: who signed in (a person, not yet the
        Page: :meth:`choose` comes next)."""
        assert self._state is not None and self._service is not None, "start() first"
        loop = asyncio.get_running_loop()
        while loop.time() < self._deadline:
            # Cleared before asking: a poke that comes while the answer is on its way counts.
            self._poked.clear()
            try:
                status, body = await self._service.authorize_status(self._state)
            except NotReady as exc:
                log.info("Facebook sign-in: the service did not answer (%s); asking again", exc)
                status, body = 202, {}
            if status == 200 and body.get("status") == "connected":
                return self._connected(body)
            if status == 404:
                raise SignInExpired(
                    "The Facebook sign-in is no longer known to the service; start again."
                )
            if status >= 400:
                raise AuthFailed(_failure(body))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(
                    max(0.0, min(self._poll_interval_s, self._deadline - loop.time()))
                ):
                    await self._poked.wait()
        raise SignInExpired("The Facebook sign-in was not completed in time; start again.")

    def _connected(self, body: dict[str, Any]) -> SignedInAccount:
        token = body.get("access_token")
        who = body.get("user") or {}
        if not isinstance(token, str) or not token:
            raise NotReady("the account service handed over no Facebook token")
        self._user_token = token
        user_id = str(who.get("id") or "") if isinstance(who, dict) else ""
        name = str(who.get("name") or user_id) if isinstance(who, dict) else ""
        return SignedInAccount(user_id, name, name)

    async def choose(self, signed_in: SignedInAccount, ask: Ask) -> SignedInAccount:
        """Check the permissions, list the Pages, ask which one; save its token."""
        assert self._user_token is not None, "wait() first"
        token = self._user_token
        granted = await self._permissions(token)
        missing = [p for p in REQUIRED if granted.get(p) != "granted"]
        if missing:
            raise AuthFailed(
                "The Facebook sign-in did not allow "
                f"{', '.join(missing)}, which Streampai Desktop needs to find your Page's live "
                "videos and read their comments. Connect again and leave "
                f"{'it' if len(missing) == 1 else 'them'} ticked."
            )
        pages = await self._pages(token)
        if not pages:
            raise AuthFailed(
                "Your Facebook account manages no Page. Facebook Live comments reach apps only "
                "from a Page: create one (or get a role on one), then connect again."
            )
        choices = tuple(
            Choice(str(p["id"]), str(p.get("name") or p["id"]), str(p.get("category") or ""))
            for p in pages
        )
        step = ChoiceStep(
            f"{signed_in.display_name or 'Your account'} manages several Facebook Pages: "
            "which one do you stream from?",
            "page",
            choices,
        )
        chosen = await ask(step)
        page = next(p for p in pages if str(p["id"]) == chosen.id)
        declined = tuple(p for p in OPTIONAL if granted.get(p) != "granted")
        await PageTokenStore(self._secrets, chosen.id).save(
            PageToken(str(page["access_token"]), signed_in.platform_user_id, declined)
        )
        return SignedInAccount(chosen.id, chosen.label, chosen.label)

    async def _permissions(self, token: str) -> dict[str, str]:
        body = await _graph_get(self._http, self._endpoints, token, "me/permissions", {})
        return {
            str(p.get("permission")): str(p.get("status"))
            for p in body.get("data") or ()
            if isinstance(p, dict)
        }

    async def _pages(self, token: str) -> list[dict[str, Any]]:
        """Every Page of the user that came with its own token (``/me/accounts``, all pages)."""
        pages: list[dict[str, Any]] = []
        params: dict[str, str] = {"fields": "id,name,category,access_token", "limit": "100"}
        for _ in range(20):  # 2,000 Pages: more is not a streamer's account
            body = await _graph_get(self._http, self._endpoints, token, "me/accounts", params)
            data = body.get("data") or []
            pages.extend(p for p in data if isinstance(p, dict) and p.get("access_token"))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not data or not paging.get("next") or not after:
                break
            params = {**params, "after": str(after)}
        return pages

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._user_token = None
        await self._http.aclose()


def _failure(body: dict[str, Any]) -> str:
    error = body.get("error")
    code = str(error.get("code") if isinstance(error, dict) else error or "")
    message = str(
        (error.get("message") if isinstance(error, dict) else None) or body.get("message") or ""
    )
    if code in ("access_denied", "facebook_access_denied"):
        return "Facebook sign-in was declined on Facebook's page."
    return f"Facebook sign-in did not complete: {message or code or 'the service refused it'}."


def create_authenticator(*, settings: Any, secrets: SecretStore) -> FacebookAuthenticator:
    """The spec's sign-in factory."""
    endpoints = GraphEndpoints.from_settings(settings) if settings else GraphEndpoints()
    return FacebookAuthenticator(secrets, endpoints)
