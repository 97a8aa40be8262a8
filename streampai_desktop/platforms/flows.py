"""Generic sign-in drivers, one per :class:`~streampai_desktop.platforms.spec.SignInKind`.

A platform supplies the platform-specific steps (its authenticator, named in its spec); the
driver runs the flow the same way for every platform and tells the caller what to show through
``show`` — the window draws it, the CLI prints it:

* device code: "enter code ABCD-EFGH at twitch.tv/activate" (RFC 8628);
* browser with a loopback redirect and PKCE (RFC 8252 + RFC 7636): "your browser opened …".

Authenticators save the tokens to the keyring themselves; the driver only ever sees who signed in.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import logging
import secrets
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from streampai_desktop.core.errors import EXIT_USAGE, UserFacingError
from streampai_desktop.platforms.base import AuthFailed, SignInExpired
from streampai_desktop.platforms.spec import PlatformSpec, SignInKind

log = logging.getLogger(__name__)

BROWSER_TIMEOUT_S = 600.0  # how long the loopback redirect waits for the streamer


@dataclass(frozen=True, slots=True)
class SignedInAccount:
    """Who signed in (the tokens are already in the keyring)."""

    platform_user_id: str
    login: str
    display_name: str


@dataclass(frozen=True, slots=True)
class DeviceCodeStep:
    """Type ``user_code`` at ``verification_uri`` before ``expires_at`` (time.monotonic())."""

    user_code: str
    verification_uri: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class BrowserStep:
    """The platform's consent page at ``url``; ``opened`` says whether a browser was started."""

    url: str
    opened: bool


SignInStep = DeviceCodeStep | BrowserStep
ShowStep = Callable[[SignInStep], Awaitable[None]]
OpenBrowser = Callable[[str], bool]


class DeviceCodeAuthenticator(Protocol):
    async def start(self) -> DeviceCodeStep: ...

    async def wait(self, step: DeviceCodeStep) -> SignedInAccount:
        """Poll until approved; AuthFailed when denied or expired."""
        ...

    async def close(self) -> None: ...


class BrowserAuthenticator(Protocol):
    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str: ...

    async def exchange(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> SignedInAccount: ...

    async def close(self) -> None: ...


async def run_device_code(auth: DeviceCodeAuthenticator, show: ShowStep) -> SignedInAccount:
    step = await auth.start()
    await show(step)
    return await auth.wait(step)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


_DONE_PAGE = (
    "<!doctype html><meta charset='utf-8'><title>Streampai Desktop</title>"
    "<p style='font:16px sans-serif'>{}</p>"
)


async def run_browser_pkce(
    auth: BrowserAuthenticator,
    show: ShowStep,
    *,
    open_browser: OpenBrowser = webbrowser.open,
    timeout_s: float = BROWSER_TIMEOUT_S,
) -> SignedInAccount:
    """Open the consent page; a one-shot server on 127.0.0.1 receives the redirect."""
    from aiohttp import web  # the overlay server already depends on aiohttp

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    result: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def callback(request: web.Request) -> web.Response:
        query = request.query
        if query.get("state") != state:
            # Not our redirect (a stale tab, or someone else's): ignore it, keep waiting.
            return web.Response(status=400, text="This sign-in link is not the current one.")
        if "error" in query:
            reason = query.get("error_description") or query["error"]
            if not result.done():
                result.set_exception(AuthFailed(f"Sign-in was not approved ({reason})."))
            message = "Sign-in was cancelled. You can close this tab."
        else:
            if not result.done():
                result.set_result(query.get("code", ""))
            message = "Signed in. You can close this tab and go back to Streampai Desktop."
        return web.Response(text=_DONE_PAGE.format(html.escape(message)), content_type="text/html")

    app = web.Application()
    app.router.add_get("/callback", callback)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        redirect_uri = f"http://127.0.0.1:{port}/callback"
        url = auth.authorize_url(redirect_uri=redirect_uri, state=state, code_challenge=challenge)
        opened = await asyncio.to_thread(open_browser, url)
        await show(BrowserStep(url, bool(opened)))
        try:
            code = await asyncio.wait_for(result, timeout_s)
        except TimeoutError:
            raise SignInExpired("Sign-in timed out in the browser; start again.") from None
        if not code:
            raise AuthFailed("The platform sent no sign-in code; start again.")
        return await auth.exchange(code=code, code_verifier=verifier, redirect_uri=redirect_uri)
    finally:
        await runner.cleanup()


class FlowNotAvailable(UserFacingError, LookupError):
    """The platform cannot be signed in to from this version."""

    title = "Not available yet"
    exit_code = EXIT_USAGE


async def sign_in(
    spec: PlatformSpec,
    show: ShowStep,
    *,
    settings: Any,
    secrets: Any,
    open_browser: OpenBrowser = webbrowser.open,
) -> SignedInAccount:
    """Run ``spec``'s sign-in flow with its authenticator; tokens end up in the keyring."""
    if not spec.available:
        raise FlowNotAvailable(f"{spec.label} cannot be connected in this version yet.")
    auth = spec.load_authenticator()(settings=settings, secrets=secrets)
    try:
        if spec.sign_in is SignInKind.DEVICE_CODE:
            return await run_device_code(auth, show)
        if spec.sign_in is SignInKind.BROWSER_PKCE:
            return await run_browser_pkce(auth, show, open_browser=open_browser)
        # Sign-in through the account service (a client secret the desktop cannot hold) comes
        # with the first platform that needs it (Kick); no available spec declares it yet.
        raise FlowNotAvailable(f"{spec.label}: sign-in through the account service is not built")
    finally:
        await auth.close()
