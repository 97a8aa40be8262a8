"""Generic sign-in drivers, one per :class:`~streampai_desktop.platforms.spec.SignInKind`.

A platform supplies the platform-specific steps (its authenticator, named in its spec); the
driver runs the flow the same way for every platform and tells the caller what to show through
``show`` — the window draws it, the CLI prints it:

* device code: "enter code ABCD-EFGH at twitch.tv/activate" (RFC 8628);
* browser with a loopback redirect and PKCE (RFC 8252 + RFC 7636): "your browser opened …";
* through the account service, which holds the platform's client secret and receives the
  redirect: the same "your browser opened …" (the browser may be on any device), then the
  authenticator waits for the service to say the platform answered.

When one sign-in reaches several channels (a Facebook user manages several Pages), the
authenticator asks which one with a :class:`ChoiceStep`: the window lists them; the terminal
answers with ``--page NAME|ID`` (``choice``), and without it lists them and stops with a usage
error. With one channel there is nothing to ask.

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class Choice:
    """One channel a sign-in may connect (a Facebook Page): its id, name and a detail line."""

    id: str
    label: str
    detail: str = ""


def _future() -> asyncio.Future[Choice]:
    return asyncio.get_running_loop().create_future()


@dataclass(frozen=True, slots=True, eq=False)
class ChoiceStep:
    """Pick one of ``choices``; whoever shows the step sets ``answer`` (the window, on a click).
    ``option`` is the terminal's option that answers it ahead (``page``: ``--page``)."""

    prompt: str
    option: str
    choices: tuple[Choice, ...]
    answer: asyncio.Future[Choice] = field(default_factory=_future)

    def choose(self, choice: Choice) -> None:
        if not self.answer.done():
            self.answer.set_result(choice)


SignInStep = DeviceCodeStep | BrowserStep | ChoiceStep
ShowStep = Callable[[SignInStep], Awaitable[None]]
OpenBrowser = Callable[[str], bool]


Ask = Callable[[ChoiceStep], Awaitable[Choice]]


class ChoiceNeeded(UserFacingError):
    """The sign-in reaches several channels and nobody said which (a terminal without
    ``--page``), or the one named is not among them."""

    title = "Choose one"
    exit_code = EXIT_USAGE

    @classmethod
    def listing(cls, step: ChoiceStep, problem: str = "") -> ChoiceNeeded:
        named = "; ".join(f"{c.label} (id {c.id})" for c in step.choices)
        lead = f"{problem} " if problem else ""
        return cls(
            f"{lead}{step.prompt} {named}. Choose one with --{step.option} NAME or "
            f"--{step.option} ID."
        )


def pick(step: ChoiceStep, wanted: str) -> Choice:
    """The choice ``wanted`` names: its id, else its label in any case; ChoiceNeeded when none
    or more than one fits."""
    wanted = wanted.strip()
    by_id = [c for c in step.choices if c.id == wanted]
    if by_id:
        return by_id[0]
    by_label = [c for c in step.choices if c.label.casefold() == wanted.casefold()]
    if len(by_label) == 1:
        return by_label[0]
    if by_label:
        raise ChoiceNeeded.listing(step, f"More than one is called {wanted!r}: use its id.")
    raise ChoiceNeeded.listing(step, f"There is none called {wanted!r}.")


def asker(show: ShowStep, choice: str | None = None) -> Ask:
    """How a flow asks: the ``choice`` given ahead when there is one, the only choice when
    there is one, else the step is shown and its answer awaited."""

    async def ask(step: ChoiceStep) -> Choice:
        if choice is not None:
            return pick(step, choice)
        if len(step.choices) == 1:
            return step.choices[0]
        await show(step)
        return await step.answer

    return ask


def describe_choices(choices: Sequence[Choice]) -> list[dict[str, str]]:
    return [{"id": c.id, "label": c.label, "detail": c.detail} for c in choices]


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


class ServiceAuthenticator(Protocol):
    async def start(self) -> str:
        """Ask the service for a sign-in; the platform's consent page to open."""
        ...

    async def wait(self) -> SignedInAccount:
        """Until the service has the platform's answer; AuthFailed when denied or expired."""
        ...

    async def close(self) -> None: ...


class ChoosingAuthenticator(Protocol):
    async def choose(self, signed_in: SignedInAccount, ask: Ask) -> SignedInAccount:
        """After the platform answered: which of the signed-in account's channels to connect
        (``ask`` when there are several); the account that connects, its tokens saved."""
        ...


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


async def run_via_service(
    auth: ServiceAuthenticator,
    show: ShowStep,
    *,
    open_browser: OpenBrowser = webbrowser.open,
    choice: str | None = None,
) -> SignedInAccount:
    """Open the consent page the account service prepared; its callback gets the answer. An
    authenticator that can reach several channels then asks which (``choice``: named ahead)."""
    url = await auth.start()
    opened = await asyncio.to_thread(open_browser, url)
    await show(BrowserStep(url, bool(opened)))
    who = await auth.wait()
    choose = getattr(auth, "choose", None)
    if choose is not None:
        chosen: SignedInAccount = await choose(who, asker(show, choice))
        return chosen
    return who


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
    choice: str | None = None,
) -> SignedInAccount:
    """Run ``spec``'s sign-in flow with its authenticator; tokens end up in the keyring.
    ``choice`` names the channel ahead when the sign-in may reach several (``--page``)."""
    if not spec.available:
        raise FlowNotAvailable(f"{spec.label} cannot be connected in this version yet.")
    auth = spec.load_authenticator()(settings=settings, secrets=secrets)
    try:
        if spec.sign_in is SignInKind.DEVICE_CODE:
            return await run_device_code(auth, show)
        if spec.sign_in is SignInKind.BROWSER_PKCE:
            return await run_browser_pkce(auth, show, open_browser=open_browser)
        return await run_via_service(auth, show, open_browser=open_browser, choice=choice)
    finally:
        await auth.close()
