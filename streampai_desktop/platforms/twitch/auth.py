"""Twitch sign-in with the OAuth device code flow, and the keyring as the only token store.

The app is a public client (no secret ships), which is exactly what Twitch's device code flow is
for: we show the user a code and a button that opens ``verification_uri``; meanwhile we poll the
token endpoint (``authorization_pending`` → keep polling, ``slow_down`` → poll less often) until
Twitch hands us the token pair. Tokens go to :class:`TokenStore` (the OS keyring via
:class:`~streampai_desktop.secrets.SecretStore`); sign-out deletes them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from streampai_desktop.platforms.base import AuthFailed, NotReady, SignInExpired
from streampai_desktop.platforms.flows import DeviceCodeStep, SignedInAccount
from streampai_desktop.platforms.twitch._twitchio import HTTPException, OAuth, Route, Scopes
from streampai_desktop.platforms.twitch.client import (
    TokenPair,
    TwitchEndpoints,
    configure_endpoints,
)
from streampai_desktop.secrets import SecretStore

SCOPES: tuple[str, ...] = (
    "user:read:chat",  # channel.chat.message / message_delete / clear / clear_user_messages
    "user:write:chat",  # sending chat from the app
    "moderator:read:followers",  # channel.follow v2 and the follower count
    "channel:read:subscriptions",  # subscribe / subscription.message / subscription.gift
    "bits:read",  # channel.cheer
    "channel:read:redemptions",  # channel-point redemptions
    "channel:read:hype_train",  # channel.hype_train.begin/progress/end v2: the hype train alerts
    "channel:read:polls",  # channel.poll.begin/progress/end: the current poll and its votes
    "channel:read:predictions",  # channel.prediction.*: the current prediction and its bets
    "moderator:read:shoutouts",  # channel.shoutout.create/receive: shoutouts given and received
    "channel:read:ads",  # channel.ad_break.begin: the ad break countdown
    "channel:read:goals",  # channel.goal.begin/progress/end: creator goals
    "channel:read:charity",  # channel.charity_campaign.donate: the charity donation alert
)
"""What the app asks for, and why (shown on the consent page by Twitch). An account signed in
before a scope was added keeps what it granted: the connector subscribes to what its token
allows and its status asks the streamer to sign in again for the rest."""

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def token_key(platform_user_id: str) -> str:
    """The keyring entry holding one Twitch account's token pair."""
    return f"twitch:{platform_user_id}:tokens"


class TokenStore:
    """One account's Twitch tokens in the secret store (JSON ``{"access", "refresh"}``)."""

    def __init__(self, secrets: SecretStore, platform_user_id: str) -> None:
        self._secrets = secrets
        self.key = token_key(platform_user_id)

    async def load(self) -> TokenPair | None:
        raw = await self._secrets.get(self.key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return TokenPair(access=str(data["access"]), refresh=str(data["refresh"]))
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry: the same as signed out

    async def save(self, tokens: TokenPair) -> None:
        await self._secrets.set(
            self.key, json.dumps({"access": tokens.access, "refresh": tokens.refresh})
        )

    async def delete(self) -> None:
        await self._secrets.delete(self.key)


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """What the Platforms page shows while the user approves on twitch.tv."""

    user_code: str
    verification_uri: str
    device_code: str
    interval_s: float
    expires_at: float  # time.monotonic()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The result of a sign-in: who it is, and the tokens (already saved)."""

    user_id: str
    login: str
    tokens: TokenPair


ShowCode = Callable[[DeviceCode], Awaitable[None]]


class DeviceSignIn:
    """One device-code sign-in attempt: :meth:`start`, show the code, then :meth:`wait`."""

    def __init__(self, endpoints: TwitchEndpoints, scopes: tuple[str, ...] = SCOPES) -> None:
        configure_endpoints(endpoints)
        self._endpoints = endpoints
        self._scopes = Scopes(list(scopes))
        self._session = aiohttp.ClientSession()
        self._oauth = OAuth(client_id=endpoints.client_id, session=self._session)

    async def close(self) -> None:
        await self._oauth.close()
        await self._session.close()

    async def start(self) -> DeviceCode:
        try:
            data = await self._oauth.device_code_flow(scopes=self._scopes)
        except HTTPException as exc:
            raise NotReady(f"Twitch refused to start sign-in (HTTP {exc.status})") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise NotReady(f"Twitch is not reachable ({type(exc).__name__})") from exc
        return DeviceCode(
            user_code=data["user_code"],
            verification_uri=data["verification_uri"],
            device_code=data["device_code"],
            interval_s=float(data.get("interval", 5)),
            expires_at=time.monotonic() + float(data.get("expires_in", 1800)),
        )

    async def wait(self, code: DeviceCode) -> SignedIn:
        """Poll until the user approved; :class:`AuthFailed` when denied or the code expired."""
        interval = code.interval_s
        params = {
            "client_id": self._endpoints.client_id,
            "scopes": self._scopes.urlsafe(),
            "device_code": code.device_code,
            "grant_type": DEVICE_GRANT,
        }
        while time.monotonic() < code.expires_at:
            await asyncio.sleep(interval)
            route = Route("POST", "/oauth2/token", use_id=True, params=dict(params))
            try:
                data = await self._oauth.request_json(route)
            except HTTPException as exc:
                message = str((exc.extra or {}).get("message", "")).lower()
                if exc.status == 400 and message == "authorization_pending":
                    continue
                if exc.status == 400 and message == "slow_down":
                    interval += 5  # RFC 8628 §3.5: add five seconds for every slow_down
                    continue
                if exc.status == 400 and message in ("invalid device code", "expired_token"):
                    # Twitch answers "invalid device code" once the code has run out (RFC 8628
                    # names it expired_token): the code came from Twitch, so that is the cause.
                    raise SignInExpired("The Twitch sign-in code expired; start again.") from exc
                raise AuthFailed(
                    f"Twitch sign-in did not complete ({message or exc.status})."
                ) from exc
            except (aiohttp.ClientError, OSError):
                continue  # a network blip while the user is on twitch.tv: keep polling
            tokens = TokenPair(access=data["access_token"], refresh=data["refresh_token"])
            validated = await self._oauth.validate_token(tokens.access)
            return SignedIn(
                user_id=validated.user_id or "", login=validated.login or "", tokens=tokens
            )
        raise SignInExpired("The Twitch sign-in code expired; start again.")


async def sign_in(
    endpoints: TwitchEndpoints, secrets: SecretStore, show_code: ShowCode
) -> SignedIn:
    """The whole flow: start, ``show_code`` (UI), wait, save the tokens to the keyring."""
    flow = DeviceSignIn(endpoints)
    try:
        code = await flow.start()
        await show_code(code)
        result = await flow.wait(code)
    finally:
        await flow.close()
    await TokenStore(secrets, result.user_id).save(result.tokens)
    return result


class TwitchAuthenticator:
    """The device-code steps for the generic driver (``platforms/flows.py``)."""

    def __init__(self, endpoints: TwitchEndpoints, secrets: SecretStore) -> None:
        self._flow = DeviceSignIn(endpoints)
        self._secrets = secrets
        self._codes: dict[str, DeviceCode] = {}

    async def start(self) -> DeviceCodeStep:
        code = await self._flow.start()
        self._codes[code.user_code] = code
        return DeviceCodeStep(code.user_code, code.verification_uri, code.expires_at)

    async def wait(self, step: DeviceCodeStep) -> SignedInAccount:
        result = await self._flow.wait(self._codes[step.user_code])
        await TokenStore(self._secrets, result.user_id).save(result.tokens)
        return SignedInAccount(result.user_id, result.login, result.login)

    async def close(self) -> None:
        await self._flow.close()


def create_authenticator(*, settings: Any, secrets: SecretStore) -> TwitchAuthenticator:
    """The spec's sign-in factory."""
    return TwitchAuthenticator(TwitchEndpoints.from_settings(settings), secrets)


async def sign_out(secrets: SecretStore, platform_user_id: str) -> None:
    """Forget the account's tokens (the keyring entry)."""
    await TokenStore(secrets, platform_user_id).delete()
