"""The service's side of Facebook's Graph API: the code exchange and the long-lived token swap (both
need the app secret), and whose token it is.

Two errors at the boundary, as for Kick: :class:`FacebookRefused` (Graph said no to this
request: a used or expired code, a wrong secret) and :class:`FacebookUnavailable` (Graph could not
be reached, failed, rate limited the app, or answered something unreadable: try again later).

The app secret travels in the query of `GET /oauth/access_token`, as Facebook documents it, so
no URL of these calls is ever logged or chained into an exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from streampai_cloud.config import CloudConfig
from streampai_cloud.errors import PlatformRefused, PlatformUnavailable

TIMEOUT = aiohttp.ClientTimeout(total=10)
# Graph error codes that say "not now" rather than "no" (Facebook's error code reference:
# temporary issue, and the app, user, Page and custom rate limits).
RETRY_LATER_CODES = frozenset({2, 4, 17, 32, 341, 613})


class FacebookRefused(PlatformRefused):
    """Graph refused the request (4xx with an error object): the code or token is not valid, or
    the app's credentials are wrong."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail, "Facebook")


class FacebookUnavailable(PlatformUnavailable):
    """Graph could not be reached, failed (5xx), rate limited the app or answered something the
    service cannot read. Nothing is known to be wrong with the request: try again later."""


@dataclass(frozen=True)
class FacebookSignIn:
    """What a completed sign-in hands to the desktop."""

    access_token: str  # a long-lived user token (about 60 days)
    expires_in: int | None  # seconds; None when Facebook does not say
    user_id: str  # app-scoped
    name: str

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "user": {"id": self.user_id, "name": self.name},
        }


def _graph_error(body: Any) -> tuple[int | None, str]:
    """A Graph error object's code and a short, token-free description."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, "no details"
    code = error.get("code")
    message = error.get("message")
    text = message[:200] if isinstance(message, str) and message else "no details"
    return (code if isinstance(code, int) and not isinstance(code, bool) else None), text


def _expires_in(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


class FacebookClient:
    """One per service process: an HTTP session and nothing else."""

    def __init__(self, config: CloudConfig) -> None:
        self._config = config
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=TIMEOUT)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("FacebookClient.start() was not called")
        return self._http

    async def _get(
        self, path: str, what: str, params: dict[str, str], token: str | None = None
    ) -> dict[str, Any]:
        """The JSON object a Graph GET answers; FacebookRefused / FacebookUnavailable otherwise."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{self._config.facebook_graph_url}{path}"
        try:
            async with self.http.get(url, params=params, headers=headers) as resp:
                text = await resp.text(errors="replace")
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            # `from None`: the exception would carry the URL, and with it the secret.
            raise FacebookUnavailable(
                f"{what}: Facebook could not be reached ({type(exc).__name__})"
            ) from None
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        if status >= 400:
            code, detail = _graph_error(body)
            if status >= 500 or status == 429 or code in RETRY_LATER_CODES:
                raise FacebookUnavailable(f"{what}: Facebook answered HTTP {status}: {detail}")
            raise FacebookRefused(status, detail)
        if not isinstance(body, dict):
            raise FacebookUnavailable(f"{what}: Facebook's answer is not a JSON object")
        return body

    async def _token(self, params: dict[str, str], what: str) -> tuple[str, int | None]:
        cfg = self._config
        body = await self._get(
            "/oauth/access_token",
            what,
            {**params, "client_id": cfg.facebook_app_id, "client_secret": cfg.facebook_app_secret},
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise FacebookUnavailable(f"{what}: Facebook's token answer has no access_token")
        return token, _expires_in(body.get("expires_in"))

    async def sign_in(self, code: str) -> FacebookSignIn:
        """The code the callback got → a short-lived user token → a long-lived one, and whose."""
        short, _ = await self._token(
            {"redirect_uri": self._config.facebook_callback_url, "code": code},
            "exchanging the code",
        )
        token, expires_in = await self._token(
            {"grant_type": "fb_exchange_token", "fb_exchange_token": short},
            "getting a long-lived token",
        )
        me = await self._get("/me", "reading the Facebook user", {"fields": "id,name"}, token)
        user_id, name = me.get("id"), me.get("name")
        if not isinstance(user_id, str) or not user_id:
            raise FacebookUnavailable("reading the Facebook user: Facebook's answer names no user")
        return FacebookSignIn(
            access_token=token,
            expires_in=expires_in,
            user_id=user_id,
            name=name if isinstance(name, str) and name else user_id,
        )
