"""Signing in to a platform through the Streampai account service, for the platforms whose token
exchange needs an app secret a desktop app cannot keep (Kick, Facebook): the service holds the
secret and does the exchange. The steps are the same for each:

1. ``POST /v1/platforms/{platform}/authorize`` → the platform's consent page, which the browser
   opens — on this computer or any other.
2. The platform sends the browser to the service's callback; the service exchanges the code.
3. The desktop learns it from ``GET /v1/platforms/{platform}/authorize/{state}``, asked every
   2 s, or at once when the live channel brings ``{"type": "{platform}_authorized"}``; the answer
   hands the platform's token over (once).

What the handed-over answer means (a channel's tokens to keep, a user token to list Pages with) is
the platform's own: its authenticator subclasses :class:`ServiceSignIn` and says it in
``_connected``. All of it needs a Streampai account: without one, :class:`AccountRequired` says
so, naming the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, ClassVar

import httpx

from streampai_desktop import __version__
from streampai_desktop.core.errors import EXIT_NOT_CONNECTED, UserFacingError
from streampai_desktop.platforms.base import AuthFailed, NotReady, SignInExpired
from streampai_desktop.platforms.flows import SignedInAccount
from streampai_desktop.platforms.service_relay import ServiceAccess, SignedOut, relay_for
from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 15.0
POLL_INTERVAL_S = 2.0  # how often a sign-in asks the service, when no poke comes first


def account_needed(label: str) -> str:
    """What :class:`AccountRequired` says for the platform called ``label``."""
    return (
        f"Connecting {label} needs a Streampai account: sign in under Account first "
        "(in a terminal: streampai-desktop account signin)."
    )


class AccountRequired(AuthFailed):
    """This computer is not signed in to a Streampai account, which the platform goes through
    (the message names the platform: :func:`account_needed`)."""

    title = "Streampai account needed"
    exit_code = EXIT_NOT_CONNECTED


class PlatformNotConfigured(UserFacingError):
    """The account service has no app set up for the platform (a self-hosted service without
    its keys)."""

    exit_code = EXIT_NOT_CONNECTED

    def __init__(self, label: str, message: str) -> None:
        super().__init__(message)
        self.title = f"{label} is not available"


def service_error(response: httpx.Response) -> tuple[str, str]:
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


def service_json(response: httpx.Response) -> dict[str, Any]:
    """The service's answer as a JSON object; anything else is :class:`NotReady`."""
    try:
        body = response.json()
    except ValueError:
        raise NotReady("the account service sent something that is not JSON") from None
    if not isinstance(body, dict):
        raise NotReady("the account service sent an unexpected answer")
    return body


class PlatformService:
    """One platform's endpoints on the account service (``/v1/platforms/{platform}/…``), called
    as this computer's Streampai sign-in. A subclass names the platform."""

    platform: ClassVar[str]  # "kick": the path segment, and the prefix of the service's codes
    label: ClassVar[str]  # "Kick": what the streamer's messages call it
    cannot_connect: ClassVar[str]  # the not-configured message's "cannot connect Kick yet"
    # The service's 401 code for "the platform refused its own token": an answer for the caller,
    # not a refused account token to renew.
    platform_sign_in_required: ClassVar[str | None] = None

    def __init__(self, access: ServiceAccess, http: httpx.AsyncClient) -> None:
        self.access = access
        self._http = http

    @property
    def account_needed(self) -> str:
        return account_needed(self.label)

    async def _token(self, *, renew: bool = False) -> str:
        try:
            return await self.access.bearer(renew=renew)
        except SignedOut:
            raise AccountRequired(self.account_needed) from None

    def _is_platform_401(self, response: httpx.Response) -> bool:
        return (
            response.status_code == 401
            and self.platform_sign_in_required is not None
            and service_error(response)[0] == self.platform_sign_in_required
        )

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """An authorised call; a 401 other than the platform's own renews the account token
        once. Answers the caller reads (2xx, the platform's 401, other 4xx) come back; the rest
        raise."""
        if not await self.access.signed_in():
            raise AccountRequired(self.account_needed)
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
            if response.status_code != 401 or self._is_platform_401(response):
                break
        assert response is not None
        if response.status_code == 401 and not self._is_platform_401(response):
            raise AccountRequired(self.account_needed)
        code, message = service_error(response) if response.status_code >= 400 else ("", "")
        if code == f"{self.platform}_not_configured":
            raise PlatformNotConfigured(
                self.label,
                f"The Streampai account service at {self.access.base_url} {self.cannot_connect} "
                f"({message or f'no {self.label} app is set up there'}).",
            )
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After", "")
            raise NotReady(
                f"the account service could not answer ({message or response.status_code})",
                retry_after=float(retry) if retry.isdigit() else None,
            )
        return response

    async def authorize(self) -> dict[str, Any]:
        """Start a sign-in: the service's ``state``, ``authorization_url`` and ``expires_in``."""
        response = await self.request("POST", f"/v1/platforms/{self.platform}/authorize", {})
        if response.status_code >= 300:
            raise AuthFailed(f"{self.label} sign-in could not start: {service_error(response)[1]}.")
        return service_json(response)

    async def authorize_status(self, state: str) -> tuple[int, dict[str, Any]]:
        response = await self.request("GET", f"/v1/platforms/{self.platform}/authorize/{state}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}


class ServiceSignIn:
    """The steps of a sign-in through the account service, for ``flows.run_via_service``; a
    subclass names its :class:`PlatformService` and says what the handed-over answer means."""

    service_type: ClassVar[type[PlatformService]]

    def __init__(self, secrets: SecretStore, *, poll_interval_s: float = POLL_INTERVAL_S) -> None:
        self._secrets = secrets
        self._relay = relay_for(secrets)
        self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S)
        self._service: PlatformService | None = None
        self._poll_interval_s = poll_interval_s
        self._state: str | None = None
        self._deadline = 0.0
        self._poked = asyncio.Event()
        self._unsubscribe: Any = None

    @property
    def _label(self) -> str:
        return self.service_type.label

    async def _on_poke(self, frame: dict[str, Any]) -> None:
        if self._state is not None and frame.get("state") == self._state:
            self._poked.set()

    async def start(self) -> str:
        # The app's account service (or the terminal's, while the app is stopped) is attached.
        access = self._relay.access
        if access is None or not await access.signed_in():
            raise AccountRequired(account_needed(self._label))
        self._service = self.service_type(access, self._http)
        # Listen before asking: a quick approval's poke must not come before anyone listens.
        poke = f"{self.service_type.platform}_authorized"
        self._unsubscribe = await self._relay.subscribe(poke, self._on_poke)
        body = await self._service.authorize()
        try:
            self._state = str(body["state"])
            url = str(body["authorization_url"])
        except KeyError:
            raise NotReady(
                f"the account service did not say where to sign in to {self._label}"
            ) from None
        expires_in = float(body.get("expires_in") or 600)
        self._deadline = asyncio.get_running_loop().time() + expires_in
        return url

    async def wait(self) -> SignedInAccount:
        """Until the service hands the platform's token over: who signed in."""
        assert self._state is not None and self._service is not None, "start() first"
        loop = asyncio.get_running_loop()
        while loop.time() < self._deadline:
            # Cleared before asking: a poke that comes while the answer is on its way counts.
            self._poked.clear()
            try:
                status, body = await self._service.authorize_status(self._state)
            except NotReady as exc:
                # A network blip while the streamer is on the platform's page: ask again shortly.
                log.info(
                    "%s sign-in: the service did not answer (%s); asking again", self._label, exc
                )
                status, body = 202, {}
            if status == 200 and body.get("status") == "connected":
                return await self._connected(body)
            if status == 404:
                raise SignInExpired(
                    f"The {self._label} sign-in is no longer known to the service; start again."
                )
            if status >= 400:
                raise AuthFailed(self._failure(body))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(
                    max(0.0, min(self._poll_interval_s, self._deadline - loop.time()))
                ):
                    await self._poked.wait()
        raise SignInExpired(f"The {self._label} sign-in was not completed in time; start again.")

    async def _connected(self, body: dict[str, Any]) -> SignedInAccount:
        """The service's "connected" answer (with the platform's token) → who signed in."""
        raise NotImplementedError

    def _failure(self, body: dict[str, Any]) -> str:
        error = body.get("error")
        code = str(error.get("code") if isinstance(error, dict) else error or "")
        message = str(
            (error.get("message") if isinstance(error, dict) else None) or body.get("message") or ""
        )
        if code in ("access_denied", f"{self.service_type.platform}_access_denied"):
            return f"{self._label} sign-in was declined on {self._label}'s page."
        return (
            f"{self._label} sign-in did not complete: "
            f"{message or code or 'the service refused it'}."
        )

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._http.aclose()
