"""A dummy platform declared by the tests alone: the proof that a platform is a folder + a spec.

Nothing in ``streampai_desktop`` knows it. :func:`dummy_platform` registers its spec for one test
(and removes it after); the app must then show it on the Platforms page, in settings and in
diagnostics, sign in through the generic browser + PKCE driver, and carry its connector's events
to the overlays.

Its "browser" (:func:`consenting_browser`) does what a real one does after the streamer clicks
"Authorize": it follows the platform's redirect to the app's loopback address with the code and
the state. The authenticator checks the PKCE verifier against the challenge (RFC 7636 §4.6), so
a driver that mixed them up would fail here.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.core.events import ChatMessage, Platform, User
from streampai_desktop.platforms import registry
from streampai_desktop.platforms.base import (
    AuthFailed,
    ConnectorDeps,
    ConnectorState,
    ConnectorStatus,
    StreamInfo,
)
from streampai_desktop.platforms.flows import SignedInAccount
from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

PLATFORM_ID = "dummy"
API_URL_KEY = "dummy_api_url"
API_URL_ENV = "STREAMPAI_DUMMY_API_URL"
CHAT_LIMIT = 50
GREETING = "hello from the dummy platform"

SPEC = PlatformSpec(
    id=PLATFORM_ID,
    label="Dummy Live",
    brings="Chat from a platform that exists only in the tests.",
    capabilities=Capabilities(chat_max_length=CHAT_LIMIT, follows=True),
    sign_in=SignInKind.BROWSER_PKCE,
    endpoints=(Endpoint(API_URL_KEY, "Dummy API", "https://api.dummy.invalid", API_URL_ENV),),
    connector=f"{__name__}:create_connector",
    authenticator=f"{__name__}:create_authenticator",
)


@dataclass
class DummyWorld:
    """What happened on the dummy platform's side, for the tests to assert."""

    consent_urls: list[str] = field(default_factory=list)
    exchanged: list[dict[str, str]] = field(default_factory=list)
    sent_chat: list[str] = field(default_factory=list)
    settings_seen: list[str] = field(default_factory=list)


WORLD = DummyWorld()


@contextmanager
def dummy_platform() -> Iterator[DummyWorld]:
    """Register the dummy platform for the length of a test."""
    global WORLD
    WORLD = DummyWorld()
    registry.register(SPEC)
    try:
        yield WORLD
    finally:
        registry.unregister(PLATFORM_ID)


# --- sign-in: the browser + PKCE flow kind's platform part ---------------------------------------


class DummyAuthenticator:
    def __init__(self, settings: Any) -> None:
        self.api_url = str(settings.get(API_URL_KEY))
        self._challenge = ""

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        self._challenge = code_challenge
        query = urllib.parse.urlencode(
            {
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.api_url}/authorize?{query}"

    async def exchange(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> SignedInAccount:
        digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") != self._challenge:
            raise AuthFailed("PKCE verifier does not match the challenge")
        WORLD.exchanged.append({"code": code, "redirect_uri": redirect_uri})
        return SignedInAccount("dummy-42", "dummy_streamer", "Dummy_Streamer")

    async def close(self) -> None:
        pass


def create_authenticator(*, settings: Any, secrets: Any) -> DummyAuthenticator:
    return DummyAuthenticator(settings)


def consenting_browser(url: str) -> bool:
    """A browser whose user approves at once: the platform redirects to the loopback address."""
    WORLD.consent_urls.append(url)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    back = f"{query['redirect_uri']}?" + urllib.parse.urlencode(
        {"code": "dummy-code", "state": query["state"]}
    )

    def follow_redirect() -> None:
        with urllib.request.urlopen(back, timeout=10) as response:
            response.read()

    threading.Thread(target=follow_redirect, name="dummy-browser", daemon=True).start()
    return True


# --- the connector -------------------------------------------------------------------------------


class DummyConnector:
    def __init__(self, account: Any, deps: ConnectorDeps, settings: Any) -> None:
        self.platform = Platform(PLATFORM_ID)
        self.account_id = account.id
        self._deps = deps
        self._stop = asyncio.Event()
        WORLD.settings_seen.append(str(settings.get(API_URL_KEY)))

    async def run(self) -> None:
        self._deps.on_state(ConnectorStatus(ConnectorState.CONNECTED))
        self._deps.on_stream(StreamInfo(live=True, title="Dummy stream", viewers=7))
        await self._deps.submit(
            ChatMessage(
                platform=self.platform,
                id="dummy-chat-1",
                at=datetime.now(UTC),
                user=User(id="v1", login="viewer_one", display_name="Viewer_One"),
                text=GREETING,
            )
        )
        await self._stop.wait()

    async def stop(self) -> None:
        self._stop.set()

    async def send_chat(self, text: str) -> None:
        WORLD.sent_chat.append(text)

    async def sign_out(self) -> None:
        pass


def create_connector(
    account: Any, deps: ConnectorDeps, *, settings: Any, secrets: Any
) -> DummyConnector:
    return DummyConnector(account, deps, settings)
