"""The calls the Facebook connector makes: the Graph API through httpx, live comments and
reactions as Server-Sent Events through httpx-sse, with Graph's errors turned into the
boundary's kinds.

Graph answers an error as ``{"error": {"message", "type", "code", "error_subcode",
"is_transient"}}``:

* 190 (the token expired, was invalidated, or the app was removed) → :class:`AuthFailed`;
* 10 and 200-299 (a permission missing or taken back) → :class:`PermissionMissing`, an
  ``AuthFailed`` that names the permission (from Facebook's message, else the one the call needs);
* 4, 17, 32, 613 (rate limits: the app's, the user's, the Page's) → :class:`NotReady` that waits
  as long as Facebook's usage header says (``estimated_time_to_regain_access``, minutes), else
  ``rate_limit_wait_s``;
* 5xx, 1, 2 and anything Graph marks ``is_transient`` → :class:`NotReady`;
* anything else → :class:`GraphRefused` (the call itself is wrong: a video that is gone, a
  comment Facebook will not take).

The access token goes in the ``Authorization`` header, never in a URL, so no log line (httpx
logs URLs) carries it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

from streampai_desktop.platforms.base import AuthFailed, NotReady

READ_PERMISSION = "pages_read_engagement"  # live videos, comments, reactions of the Page
LIST_PERMISSION = "pages_show_list"  # the user's Pages (/me/accounts)
COMMENT_PERMISSION = "pages_manage_engagement"  # comment as the Page
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
COMMENT_FIELDS = "from{name,id},message,created_time,id"
VIDEO_FIELDS = "id,title,status,creation_time,broadcast_start_time,live_views"

# Permission names in Facebook's messages: "requires the 'pages_read_engagement' permission",
# "to perform this action (pages_manage_engagement)".
_PERMISSION = re.compile(r"\b((?:pages|publish|business|read|manage|instagram)_[a-z_]+)\b")


class PermissionMissing(AuthFailed):
    """Facebook refused a call for a permission the sign-in lacks (not given, or taken back)."""

    title = "Facebook permission missing"

    def __init__(self, permission: str, message: str) -> None:
        super().__init__(message)
        self.permission = permission


class GraphRefused(Exception):
    """Facebook refused the call itself (code 100: a video or comment that is not there, a
    parameter it does not take); ``subcode`` 33 is "does not exist"."""

    def __init__(self, code: int, subcode: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode


@dataclass(frozen=True, slots=True)
class GraphEndpoints:
    """Where Facebook lives (settings, overridable by environment variables)."""

    api_url: str = "https://graph.facebook.com/v21.0"
    streaming_url: str = "https://streaming-graph.facebook.com"

    @classmethod
    def from_settings(cls, settings: Any) -> GraphEndpoints:
        return cls(
            api_url=str(settings.get("facebook_api_url")).rstrip("/"),
            streaming_url=str(settings.get("facebook_streaming_url")).rstrip("/"),
        )


def _regain_after(response: httpx.Response) -> float | None:
    """Seconds until Facebook lets the app call again, from its usage headers, if it says."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        float(entry.get("estimated_time_to_regain_access") or 0)
        for entries in (usage.values() if isinstance(usage, dict) else ())
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    return max(minutes) * 60.0 if minutes and max(minutes) > 0 else None


def graph_error(
    response: httpx.Response, *, needs: str, rate_limit_wait_s: float
) -> AuthFailed | NotReady | GraphRefused:
    """What a failed Graph answer means; ``needs`` is the permission the call needs."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if response.status_code == 429 or response.status_code >= 500:
            return NotReady(f"Facebook answered HTTP {response.status_code}")
        return GraphRefused(0, None, f"Facebook answered HTTP {response.status_code}")
    try:
        code = int(error.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    subcode = error.get("error_subcode")
    subcode = int(subcode) if isinstance(subcode, int | str) and str(subcode).isdigit() else None
    message = str(error.get("message") or f"error {code}")
    if code == 190:
        return AuthFailed(
            f"Facebook no longer accepts this sign-in ({message}); sign in again to connect "
            "the Page."
        )
    if code in PERMISSION_CODES:
        found = _PERMISSION.search(message)
        permission = found.group(1) if found else needs
        return PermissionMissing(
            permission,
            f"Facebook needs the {permission} permission for this, which the sign-in does not "
            f"give (any more); sign in again and allow it. Facebook said: {message}",
        )
    if code in RATE_LIMIT_CODES:
        wait = _regain_after(response) or rate_limit_wait_s
        return NotReady(f"Facebook's rate limit was reached ({message})", retry_after=wait)
    if response.status_code >= 500 or code in (1, 2) or error.get("is_transient"):
        return NotReady(f"Facebook could not answer now ({message})")
    return GraphRefused(code, subcode, message)


class GraphApi:
    """One Page's session with the Graph API and the streaming host (one httpx client)."""

    def __init__(
        self,
        endpoints: GraphEndpoints,
        page_token: str,
        http: httpx.AsyncClient,
        *,
        rate_limit_wait_s: float = 300.0,
    ) -> None:
        self.endpoints = endpoints
        self._headers = {"Authorization": f"Bearer {page_token}"}
        self._http = http
        self.rate_limit_wait_s = rate_limit_wait_s

    async def _call(
        self,
        method: str,
        path: str,
        *,
        needs: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = await self._http.request(
                method,
                f"{self.endpoints.api_url}/{path}",
                params=params,
                data=data,
                headers=self._headers,
            )
        except httpx.HTTPError as exc:
            raise NotReady(f"Facebook is not reachable ({type(exc).__name__})") from exc
        if response.status_code >= 400:
            raise graph_error(response, needs=needs, rate_limit_wait_s=self.rate_limit_wait_s)
        try:
            body = response.json()
        except ValueError:
            raise NotReady("Facebook sent an answer that is not JSON") from None
        if not isinstance(body, dict):
            raise NotReady("Facebook sent an unexpected answer")
        return body

    async def live_video(self, page_id: str) -> dict[str, Any] | None:
        """The Page's live video now, or None when it is not live."""
        body = await self._call(
            "GET",
            f"{page_id}/live_videos",
            needs=READ_PERMISSION,
            params={"broadcast_status": '["LIVE"]', "fields": VIDEO_FIELDS, "limit": "1"},
        )
        videos = [v for v in body.get("data") or () if isinstance(v, dict) and v.get("id")]
        return videos[0] if videos else None

    async def video(self, video_id: str) -> dict[str, Any]:
        """The live video node (``live_views``, ``status``)."""
        return await self._call(
            "GET", video_id, needs=READ_PERMISSION, params={"fields": VIDEO_FIELDS}
        )

    async def recent_comments(
        self, video_id: str, seen: Any, limit: int = 500
    ) -> list[dict[str, Any]]:
        """The newest comments up to the first one in ``seen`` (a container of ids), oldest
        first: what a dropped stream missed. At most ``limit``."""
        found: list[dict[str, Any]] = []
        params = {
            "order": "reverse_chronological",
            "filter": "stream",  # replies too, as the live stream sends them
            "fields": COMMENT_FIELDS,
            "limit": "100",
        }
        while len(found) < limit:
            body = await self._call(
                "GET", f"{video_id}/comments", needs=READ_PERMISSION, params=params
            )
            page = [c for c in body.get("data") or () if isinstance(c, dict) and c.get("id")]
            for item in page:
                if str(item["id"]) in seen:
                    return found[::-1]
                found.append(item)
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if not page or not (body.get("paging") or {}).get("next") or not after:
                break
            params = {**params, "after": str(after)}
        return found[::-1]

    async def post_comment(self, video_id: str, text: str) -> str:
        """Comment on the live video as the Page; Facebook's comment id."""
        body = await self._call(
            "POST", f"{video_id}/comments", needs=COMMENT_PERMISSION, data={"message": text}
        )
        return str(body.get("id") or "")

    async def stream(
        self,
        video_id: str,
        edge: str,
        params: dict[str, str],
        *,
        last_event_id: str | None = None,
        on_open: Callable[[], Awaitable[None]] | None = None,
    ) -> AsyncIterator[tuple[str | None, dict[str, Any]]]:
        """Each event of an SSE edge (``live_comments``, ``live_reactions``): its id (None when
        Facebook sent none) and its JSON, until Facebook ends the connection (then it returns:
        reconnect). A drop is :class:`NotReady`; Graph's refusals are raised as for any call.
        ``last_event_id`` goes along as ``Last-Event-ID``: Facebook documents no event ids
        today, so this only matters should it send them. ``on_open`` runs once Facebook took
        the connection, before its first event is read (to catch up on what a drop missed)."""
        headers = dict(self._headers)
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        url = f"{self.endpoints.streaming_url}/{video_id}/{edge}"
        # No read timeout: a quiet live video sends nothing for minutes.
        timeout = httpx.Timeout(15.0, read=None)
        try:
            async with aconnect_sse(
                self._http, "GET", url, params=params, headers=headers, timeout=timeout
            ) as source:
                if source.response.status_code >= 400:
                    await source.response.aread()
                    raise graph_error(
                        source.response,
                        needs=READ_PERMISSION,
                        rate_limit_wait_s=self.rate_limit_wait_s,
                    )
                if on_open is not None:
                    await on_open()
                async for sse in source.aiter_sse():
                    if not sse.data:
                        continue
                    try:
                        data = json.loads(sse.data)
                    except ValueError:
                        continue  # not Graph's JSON: nothing to read in it
                    if isinstance(data, dict):
                        if isinstance(data.get("error"), dict):
                            raise graph_error(
                                httpx.Response(400, json=data),
                                needs=READ_PERMISSION,
                                rate_limit_wait_s=self.rate_limit_wait_s,
                            )
                        yield sse.id or None, data
        except SSEError as exc:
            raise NotReady(f"Facebook's {edge} stream is not an event stream ({exc})") from exc
        except httpx.HTTPError as exc:
            raise NotReady(f"Facebook's {edge} stream dropped ({type(exc).__name__})") from exc
