"""The calls the Kick connector makes to Kick's public API (``api.kick.com/public/v1``) through
httpx, with errors turned into the boundary's kinds.

* 401 → the access token is renewed once (through the account service) and the call repeated;
  still 401 → :class:`AuthFailed`.
* 429, 5xx, timeouts, refused connections → :class:`NotReady` (``Retry-After`` when Kick gave one).
* Sending chat: Kick's refusals (400 too long or empty, 403 banned or not allowed) →
  :class:`ChatNotSent` in Kick's words.
"""

from __future__ import annotations

from typing import Any

import httpx

from streampai_desktop.platforms.base import AuthFailed, ChatNotSent, NotReady
from streampai_desktop.platforms.kick.auth import Tokens

CHAT_MAX_LENGTH = 500  # POST /public/v1/chat refuses longer content


def _message(response: httpx.Response) -> str:
    """Kick's own words for a refusal (``{"message": …}``), else the status."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        text = body.get("message") or body.get("error")
        if isinstance(text, str) and text:
            return text
    return f"HTTP {response.status_code}"


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class KickApi:
    """One connector's API session (one httpx client, one token source)."""

    def __init__(self, api_url: str, tokens: Tokens, http: httpx.AsyncClient) -> None:
        self._base = f"{api_url.rstrip('/')}/public/v1"
        self._tokens = tokens
        self._http = http

    async def _send(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        for attempt in (0, 1):
            access = await self._tokens.access(force_refresh=attempt == 1)
            try:
                response = await self._http.request(
                    method,
                    f"{self._base}/{path}",
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {access}"},
                )
            except httpx.HTTPError as exc:
                raise NotReady(f"Kick is not reachable ({type(exc).__name__})") from exc
            if response.status_code != 401:
                break
        if response.status_code == 401:
            raise AuthFailed("Kick no longer accepts this sign-in; sign in again.")
        if response.status_code == 429 or response.status_code >= 500:
            raise NotReady(
                f"Kick answered HTTP {response.status_code} ({_message(response)})",
                retry_after=_retry_after(response),
            )
        return response

    async def livestream(self, broadcaster_user_id: str) -> dict[str, Any] | None:
        """The channel's live stream (viewers, title, category, start), or None when offline."""
        response = await self._send(
            "GET", "livestreams", params={"broadcaster_user_id": broadcaster_user_id}
        )
        if response.status_code != 200:
            raise NotReady(f"Kick did not list the live stream ({_message(response)})")
        try:
            data = response.json().get("data") or []
        except (ValueError, AttributeError):
            raise NotReady("Kick sent a livestreams answer the app cannot read") from None
        mine = [
            s
            for s in data
            if isinstance(s, dict) and str(s.get("broadcaster_user_id")) == broadcaster_user_id
        ]
        return mine[0] if mine else None

    async def send_chat(self, broadcaster_user_id: str, text: str) -> str:
        """Post ``text`` to the channel's chat as the signed-in user; Kick's message id."""
        if len(text) > CHAT_MAX_LENGTH:
            raise ChatNotSent(f"Kick chat messages are at most {CHAT_MAX_LENGTH} characters.")
        body = {"type": "user", "content": text, "broadcaster_user_id": int(broadcaster_user_id)}
        response = await self._send("POST", "chat", body=body)
        if response.status_code in (400, 403, 404, 422):
            raise ChatNotSent(f"Kick did not send the message: {_message(response)}.")
        if response.status_code >= 300:
            raise NotReady(f"Kick answered HTTP {response.status_code} ({_message(response)})")
        try:
            data = response.json().get("data") or {}
        except (ValueError, AttributeError):
            data = {}
        if data.get("is_sent") is False:
            raise ChatNotSent("Kick did not send the message.")
        return str(data.get("message_id") or "")
