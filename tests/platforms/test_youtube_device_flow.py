"""Google's device-flow answers while the streamer is on google.com/device (RFC 8628 §3.5):
``authorization_pending`` keeps polling at the interval, ``slow_down`` polls five seconds less
often, ``expired_token`` from Google ends the sign-in at once, ``access_denied`` after a wait too.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from streampai_desktop.platforms.base import AuthFailed, SignInExpired
from streampai_desktop.platforms.flows import DeviceCodeStep, SignInStep, sign_in
from streampai_desktop.platforms.registry import get_platform
from streampai_desktop.platforms.youtube.auth import TokenStore
from streampai_desktop.secrets import SecretStore
from tests.fakes.youtube import CHANNEL_ID, Device, FakeYouTube
from tests.platforms.test_youtube_auth import settings_for

INTERVAL_S = 0.1


@pytest.fixture
async def youtube(free_port: int) -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube(free_port) as fake:
        fake.device_interval_s = INTERVAL_S
        yield fake


def answers(device: Device) -> list[str]:
    return [answer for _at, answer in device.polls]


def gaps(device: Device) -> list[float]:
    times = [at for at, _answer in device.polls]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_pending_keeps_polling_at_googles_interval_until_approved(
    youtube: FakeYouTube, secrets: SecretStore
) -> None:
    devices: list[Device] = []

    async def show(step: SignInStep) -> None:
        assert isinstance(step, DeviceCodeStep)
        devices.append(youtube.device(step.user_code))
        # The streamer types the code on google.com/device half a second later.
        asyncio.get_running_loop().call_later(0.5, youtube.approve_device, step.user_code)

    who = await sign_in(
        get_platform("youtube"), show, settings=settings_for(youtube), secrets=secrets
    )
    assert who.platform_user_id == CHANNEL_ID
    (device,) = devices
    *waiting, last = answers(device)
    assert last == "tokens"
    assert len(waiting) >= 2 and set(waiting) == {"authorization_pending"}
    # Never faster than Google asked (which would earn a slow_down).
    assert min(gaps(device)) >= INTERVAL_S * 0.9
    assert await TokenStore(secrets, CHANNEL_ID).load() is not None


async def test_slow_down_adds_five_seconds_to_the_interval(
    youtube: FakeYouTube, secrets: SecretStore
) -> None:
    devices: list[Device] = []
    youtube.slow_down_next = 1

    async def show(step: SignInStep) -> None:
        assert isinstance(step, DeviceCodeStep)
        devices.append(youtube.device(step.user_code))
        youtube.approve_device(step.user_code)  # approved at once: only the pace is in the way

    await sign_in(get_platform("youtube"), show, settings=settings_for(youtube), secrets=secrets)
    (device,) = devices
    assert answers(device) == ["slow_down", "tokens"]
    (gap,) = gaps(device)
    assert INTERVAL_S + 5 - 0.1 <= gap < INTERVAL_S + 5 + 1.0
    assert await TokenStore(secrets, CHANNEL_ID).load() is not None


async def test_google_expiring_the_code_ends_the_sign_in_at_once(
    youtube: FakeYouTube, secrets: SecretStore
) -> None:
    devices: list[Device] = []

    async def show(step: SignInStep) -> None:
        assert isinstance(step, DeviceCodeStep)
        devices.append(youtube.device(step.user_code))
        # The app thinks the code has 30 minutes left; Google says it expired.
        asyncio.get_running_loop().call_later(0.3, youtube.expire_device, step.user_code)

    with pytest.raises(SignInExpired, match="expired; start again"):
        await sign_in(
            get_platform("youtube"), show, settings=settings_for(youtube), secrets=secrets
        )
    (device,) = devices
    assert answers(device)[-1] == "expired_token"
    polls = len(device.polls)
    await asyncio.sleep(INTERVAL_S * 4)
    assert len(device.polls) == polls, "no polling after Google said the code expired"
    assert await TokenStore(secrets, CHANNEL_ID).load() is None


async def test_declining_after_a_wait_ends_the_sign_in_with_why(
    youtube: FakeYouTube, secrets: SecretStore
) -> None:
    devices: list[Device] = []

    async def show(step: SignInStep) -> None:
        assert isinstance(step, DeviceCodeStep)
        devices.append(youtube.device(step.user_code))
        asyncio.get_running_loop().call_later(0.3, youtube.deny_device, step.user_code)

    with pytest.raises(AuthFailed, match="declined on the Google page"):
        await sign_in(
            get_platform("youtube"), show, settings=settings_for(youtube), secrets=secrets
        )
    (device,) = devices
    assert "authorization_pending" in answers(device)
    assert answers(device)[-1] == "access_denied"
    assert await TokenStore(secrets, CHANNEL_ID).load() is None
