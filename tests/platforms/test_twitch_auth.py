"""Device code sign-in against the fake Twitch's OAuth endpoints, tokens in the keyring."""

from __future__ import annotations

import asyncio

import pytest

from streampai_desktop.platforms.base import AuthFailed, SignInExpired
from streampai_desktop.platforms.twitch import auth
from streampai_desktop.platforms.twitch.client import TwitchEndpoints
from streampai_desktop.secrets import SecretStore
from tests.fakes.twitch import FakeTwitch


async def test_device_flow_signs_in_and_saves_tokens(
    twitch: FakeTwitch, endpoints: TwitchEndpoints, secrets: SecretStore
) -> None:
    shown: list[auth.DeviceCode] = []

    async def show_code(code: auth.DeviceCode) -> None:
        shown.append(code)

        async def approve_later() -> None:
            await asyncio.sleep(1.5)  # the user is on twitch.tv for a moment: pending polls
            twitch.approve_device(code.user_code)

        asyncio.get_running_loop().create_task(approve_later())

    result = await auth.sign_in(endpoints, secrets, show_code)
    assert shown and shown[0].verification_uri.startswith("https://www.twitch.tv/activate")
    assert (result.user_id, result.login) == ("1337", "cool_streamer")
    saved = await auth.TokenStore(secrets, "1337").load()
    assert saved == result.tokens
    assert set(twitch.tokens[saved.access].scopes) == set(auth.SCOPES)

    await auth.sign_out(secrets, "1337")
    assert await auth.TokenStore(secrets, "1337").load() is None


async def test_slow_down_makes_the_flow_poll_less_often(
    twitch: FakeTwitch, endpoints: TwitchEndpoints
) -> None:
    twitch.device_interval_s = 2  # the client polls every 1 s: too fast → slow_down
    flow = auth.DeviceSignIn(endpoints)
    try:
        code = await flow.start()
        code = auth.DeviceCode(
            code.user_code, code.verification_uri, code.device_code, 1.0, code.expires_at
        )
        twitch.approve_device(code.user_code)
        twitch.devices[code.device_code]["approved_by"] = None
        waiting = asyncio.create_task(flow.wait(code))
        await asyncio.sleep(2.5)
        twitch.approve_device(code.user_code)
        result = await asyncio.wait_for(waiting, 15)
    finally:
        await flow.close()
    assert result.user_id == "1337"


async def test_a_code_twitch_no_longer_knows_is_reported_as_expired(
    twitch: FakeTwitch, endpoints: TwitchEndpoints
) -> None:
    # Twitch answers "invalid device code" for a code that ran out: start again, exit code 8.
    flow = auth.DeviceSignIn(endpoints)
    try:
        code = await flow.start()
        bogus = auth.DeviceCode(code.user_code, code.verification_uri, "nope", 0.1, code.expires_at)
        with pytest.raises(SignInExpired, match="expired; start again") as raised:
            await flow.wait(bogus)
        assert isinstance(raised.value, AuthFailed) and raised.value.exit_code == 8
    finally:
        await flow.close()
