"""YouTube sign-in through the generic device-code driver, against the fake Google OAuth."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from streampai_desktop.platforms.base import AuthFailed, SignInExpired
from streampai_desktop.platforms.flows import DeviceCodeStep, SignInStep, sign_in
from streampai_desktop.platforms.registry import get_platform
from streampai_desktop.platforms.youtube.auth import TokenStore, YouTubeEndpoints, revoke
from streampai_desktop.secrets import SecretStore
from streampai_desktop.settings import Settings
from tests.fakes.youtube import CHANNEL_ID, CLIENT_ID, CLIENT_SECRET, FakeYouTube


@pytest.fixture
async def youtube(free_port: int) -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube(free_port) as fake:
        yield fake


def settings_for(youtube: FakeYouTube, **extra: str) -> Settings:
    return Settings(
        environ={
            "STREAMPAI_YOUTUBE_AUTH_URL": youtube.auth_url,
            "STREAMPAI_YOUTUBE_API_URL": youtube.api_url,
            "STREAMPAI_YOUTUBE_CLIENT_ID": CLIENT_ID,
            "STREAMPAI_YOUTUBE_CLIENT_SECRET": CLIENT_SECRET,
            **extra,
        }
    )


def test_the_spec_declares_the_device_flow_and_documented_endpoints() -> None:
    spec = get_platform("youtube")
    assert spec.available and spec.sign_in.value == "device_code"
    defaults = {e.env: e.default for e in spec.endpoints}
    assert defaults["STREAMPAI_YOUTUBE_AUTH_URL"] == "https://oauth2.googleapis.com"
    assert defaults["STREAMPAI_YOUTUBE_API_URL"] == "https://youtube.googleapis.com/youtube/v3"
    assert spec.capabilities.chat_max_length == 200


async def test_device_flow_shows_the_code_and_saves_the_tokens(
    youtube: FakeYouTube, secrets: SecretStore
) -> None:
    shown: list[SignInStep] = []

    async def show(step: SignInStep) -> None:
        shown.append(step)
        # The streamer takes a moment on google.com/device: a few authorization_pending first.
        asyncio.get_running_loop().call_later(0.4, youtube.approve_device, step.user_code)  # type: ignore[union-attr]

    who = await sign_in(
        get_platform("youtube"), show, settings=settings_for(youtube), secrets=secrets
    )
    (step,) = shown
    assert isinstance(step, DeviceCodeStep)
    assert step.verification_uri == "https://www.google.com/device"
    assert (who.platform_user_id, who.login, who.display_name) == (
        CHANNEL_ID,
        "@coolstreamer",
        "Cool Streamer",
    )
    saved = await TokenStore(secrets, CHANNEL_ID).load()
    assert saved is not None and saved.access in youtube.tokens

    await revoke(
        YouTubeEndpoints(youtube.auth_url, youtube.api_url), TokenStore(secrets, CHANNEL_ID)
    )
    assert youtube.revoked == [saved.refresh]
    assert await TokenStore(secrets, CHANNEL_ID).load() is None


async def test_declined_expired_and_wrong_client_say_so(
    youtube: FakeYouTube, secrets: SecretStore
) -> None:
    spec = get_platform("youtube")

    async def decline(step: SignInStep) -> None:
        youtube.deny_device(step.user_code)  # type: ignore[union-attr]

    with pytest.raises(AuthFailed, match="declined"):
        await sign_in(spec, decline, settings=settings_for(youtube), secrets=secrets)

    youtube.device_expires_s = 0.5

    async def wait(step: SignInStep) -> None:
        return None

    with pytest.raises(SignInExpired, match="expired"):
        await sign_in(spec, wait, settings=settings_for(youtube), secrets=secrets)

    wrong = settings_for(youtube, STREAMPAI_YOUTUBE_CLIENT_ID="someone-else")
    with pytest.raises(AuthFailed, match="client id"):
        await sign_in(spec, wait, settings=wrong, secrets=secrets)
    assert await TokenStore(secrets, CHANNEL_ID).load() is None
