"""The YouTube Data API calls the connector makes, through httpx, with errors turned into the
boundary's two kinds plus YouTube's own chat states.

* 401 → the access token is refreshed once and the call repeated; still 401 → :class:`AuthFailed`.
* 403 ``quotaExceeded`` → :class:`QuotaExceeded` (a :class:`NotReady` whose ``retry_after`` is the
  quota's reset, midnight Pacific time).
* 403 ``liveChatEnded`` / 404 ``liveChatNotFound`` → :class:`ChatGone` (the stream ended).
* 403 ``forbidden`` and friends → :class:`AuthFailed` (this sign-in may not read that chat).
* 404 / 405 / 501 on the stream endpoint → :class:`StreamUnavailable` (poll instead).
* 5xx, timeouts, refused connections → :class:`NotReady`.

Each call's quota cost (YouTube's published units) is counted in the :class:`QuotaBudget`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from streampai_desktop.platforms.base import AuthFailed, ChatNotSent, NotReady
from streampai_desktop.platforms.youtube.auth import HTTP_TIMEOUT_S, Tokens, YouTubeEndpoints
from streampai_desktop.platforms.youtube.quota import QuotaBudget, next_reset
from streampai_desktop.platforms.youtube.stream_parser import ObjectStreamParser, StreamFormatError

CHAT_PART = "id,snippet,authorDetails"


class QuotaExceeded(NotReady):
    """The project's daily quota is used up; ``resets_at`` is the next Pacific midnight."""

    def __init__(self, now: datetime | None = None) -> None:
        self.resets_at = next_reset(now or datetime.now(UTC))
        local = self.resets_at.astimezone().strftime("%H:%M")
        wait = (self.resets_at - (now or datetime.now(UTC))).total_seconds()
        super().__init__(f"YouTube quota used up until {local}", retry_after=max(1.0, wait))


class ChatGone(Exception):
    """The live chat ended or no longer exists: the stream is over."""


class StreamUnavailable(Exception):
    """The streaming endpoint is not there (a proxy, an outage): poll the list instead."""


def _reason(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return ""
    errors = error.get("errors") or [{}]
    return str(errors[0].get("reason") or error.get("status") or "")


class YouTubeApi:
    """One connector's API session (one httpx client, one token source)."""

    def __init__(
        self,
        endpoints: YouTubeEndpoints,
        tokens: Tokens,
        http: httpx.AsyncClient,
        budget: QuotaBudget,
    ) -> None:
        self._base = endpoints.api_url
        self._tokens = tokens
        self._http = http
        self.budget = budget

    async def _send(
        self, method: str, path: str, cost: str, params: dict[str, str], body: Any = None
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
                raise NotReady(f"YouTube is not reachable ({type(exc).__name__})") from exc
            self.budget.spend(cost)
            if response.status_code != 401:
                return response
        raise AuthFailed("YouTube no longer accepts this sign-in; sign in again.")

    async def _get(self, path: str, cost: str, params: dict[str, str]) -> dict[str, Any]:
        response = await self._send("GET", path, cost, params)
        raise_for_youtube(response)
        data: dict[str, Any] = response.json()
        return data

    async def active_broadcast(self) -> dict[str, Any] | None:
        """The channel's broadcast that is live now (``all``: "Stream now" ones too), if any."""
        data = await self._get(
            "liveBroadcasts",
            "liveBroadcasts",
            {"part": "snippet,status", "broadcastStatus": "active", "broadcastType": "all"},
        )
        items = data.get("items") or []
        return items[0] if items else None

    async def live_details(self, video_id: str) -> dict[str, Any]:
        data = await self._get("videos", "videos", {"part": "liveStreamingDetails", "id": video_id})
        items = data.get("items") or [{}]
        details: dict[str, Any] = items[0].get("liveStreamingDetails") or {}
        return details

    async def chat_page(self, chat_id: str, page_token: str | None) -> dict[str, Any]:
        params = {"liveChatId": chat_id, "part": CHAT_PART}
        if page_token:
            params["pageToken"] = page_token
        return await self._get("liveChat/messages", "chat_list", params)

    async def chat_stream(
        self, chat_id: str, page_token: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        """The responses of one streaming connection, as they arrive; ends when YouTube closes
        it; :class:`NotReady` on a drop (resume with the last ``nextPageToken``)."""
        params = {"liveChatId": chat_id, "part": CHAT_PART}
        if page_token:
            params["pageToken"] = page_token
        access = await self._tokens.access()
        headers = {"Authorization": f"Bearer {access}"}
        # No read timeout: a quiet chat sends nothing for minutes.
        timeout = httpx.Timeout(HTTP_TIMEOUT_S, read=None)
        url = f"{self._base}/liveChat/messages/stream"
        try:
            async with self._http.stream(
                "GET", url, params=params, headers=headers, timeout=timeout
            ) as response:
                if response.status_code in (404, 405, 501):
                    # Not YouTube answering (a proxy, an endpoint not rolled out): no units.
                    raise StreamUnavailable(f"HTTP {response.status_code}")
                self.budget.spend("chat_stream")
                if response.status_code != 200:
                    await response.aread()
                    if response.status_code == 401:
                        await self._tokens.access(force_refresh=True)
                        raise NotReady("YouTube asked for a fresh sign-in token")
                    raise_for_youtube(response)
                parser = ObjectStreamParser()
                async for chunk in response.aiter_raw():
                    for obj in parser.feed(chunk):
                        if "error" in obj:
                            raise_for_error_body(obj, response.status_code)
                        yield obj
        except StreamFormatError as exc:
            raise StreamUnavailable(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise NotReady(f"the YouTube chat stream dropped ({type(exc).__name__})") from exc

    async def send_chat(self, chat_id: str, text: str) -> None:
        body = {
            "snippet": {
                "liveChatId": chat_id,
                "type": "textMessageEvent",
                "textMessageDetails": {"messageText": text},
            }
        }
        response = await self._send(
            "POST", "liveChat/messages", "chat_insert", {"part": "snippet"}, body
        )
        if response.status_code == 200:
            return
        reason = _reason(response)
        messages = {
            "liveChatEnded": "the live chat has ended",
            "liveChatNotFound": "the live chat has ended",
            "liveChatDisabled": "chat is turned off for this stream",
            "forbidden": "this account may not post in this chat",
            "rateLimitExceeded": "slow mode: wait a moment before sending again",
            "messageTextInvalid": "YouTube refused the text",
        }
        if reason in messages:
            raise ChatNotSent(f"YouTube did not send the message: {messages[reason]}.")
        raise_for_youtube(response)


def raise_for_error_body(body: dict[str, Any], status: int) -> None:
    error = body.get("error") or {}
    errors = error.get("errors") or [{}]
    reason = str(errors[0].get("reason") or error.get("status") or "")
    _raise(int(error.get("code") or status), reason)


def raise_for_youtube(response: httpx.Response) -> None:
    if response.status_code < 300:
        return
    _raise(response.status_code, _reason(response))


def _raise(status: int, reason: str) -> None:
    if reason == "quotaExceeded":
        raise QuotaExceeded()
    if reason in ("liveChatEnded", "liveChatNotFound"):
        raise ChatGone(reason)
    if status == 401:
        raise AuthFailed("YouTube no longer accepts this sign-in; sign in again.")
    if status == 403 and reason in ("forbidden", "insufficientPermissions"):
        raise AuthFailed(
            f"YouTube refused access ({reason}); sign in again with the channel owner."
        )
    raise NotReady(f"YouTube answered HTTP {status}{f' ({reason})' if reason else ''}")
