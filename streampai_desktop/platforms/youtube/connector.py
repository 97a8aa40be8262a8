"""The YouTube connector: find the live broadcast, read its chat in real time, count viewers.

* **Discovery.** While not live, ``liveBroadcasts?broadcastStatus=active&broadcastType=all`` once a
  minute (1 unit); errors back off like every connector (``core/backoff.py``).
* **Chat.** While live, the server-streaming ``liveChat/messages/stream`` (one call per connection,
  not per message). After a drop the stream is reopened with the last ``nextPageToken`` seen in
  a *complete* response, so nothing is lost; a message seen twice (a response cut mid-object and
  sent again, the switch between stream and list) is dropped by its id. When the stream endpoint
  is not there (404, a proxy answering HTML) or keeps dropping before delivering anything, the
  connector polls ``liveChat/messages`` at YouTube's ``pollingIntervalMillis`` and tries the
  stream again later.
* **Viewers.** ``videos?part=liveStreamingDetails`` once a minute while live; less often from
  80% of the day's quota, not at all from 90% (``quota.py``), so chat keeps what is left.
* **End.** A ``chatEndedEvent``, ``offlineAt``, ``liveChatEnded``/``liveChatNotFound`` or an
  ``actualEndTime`` → offline, and discovery resumes.
* **Quota.** The status line says how many units were used today (``quota.py``).
  ``quotaExceeded`` → the status "YouTube quota used up until HH:MM" and a wait until the
  Pacific-midnight reset; then everything resumes by itself. The day's count and that state
  outlive a restart (``quota_keeper.py``, in the app's store, per client id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.events import (
    EventError,
    Platform,
    StreamOffline,
    StreamOnline,
    ViewerCount,
)
from streampai_desktop.platforms.base import (
    ChatNotSent,
    ConnectorDeps,
    ConnectorState,
    NotReady,
)
from streampai_desktop.platforms.session_loop import SessionLoop
from streampai_desktop.platforms.youtube import mapping
from streampai_desktop.platforms.youtube.auth import (
    HTTP_TIMEOUT_S,
    Tokens,
    TokenStore,
    YouTubeEndpoints,
    revoke,
)
from streampai_desktop.platforms.youtube.client import (
    ChatGone,
    QuotaExceeded,
    StreamUnavailable,
    YouTubeApi,
)
from streampai_desktop.platforms.youtube.quota import (
    DEFAULT_UNITS_PER_DAY,
    QuotaBudget,
    budget_for,
)
from streampai_desktop.platforms.youtube.quota_keeper import QuotaKeeper
from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)

CHAT_MAX_LENGTH = 200  # liveChatMessages.insert refuses longer text
SEEN_IDS = 5000  # message ids remembered for dedupe (a few minutes of a busy chat)


@dataclass(frozen=True, slots=True)
class YouTubeOptions:
    discovery_interval_s: float = 60.0
    viewers_interval_s: float = 60.0
    min_poll_interval_s: float = 1.0  # a floor under pollingIntervalMillis
    stream_retry_s: float = 300.0  # while polling, try the stream again this often
    stream_drops_before_polling: int = 3  # drops in a row with nothing delivered
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0


class YouTubeConnector(SessionLoop):
    """See the module docstring; implements :class:`~streampai_desktop.platforms.base.Connector`."""

    platform = Platform.YOUTUBE
    label = "YouTube"

    def __init__(
        self,
        account_id: str,
        channel_id: str,
        deps: ConnectorDeps,
        endpoints: YouTubeEndpoints,
        secrets: SecretStore,
        options: YouTubeOptions | None = None,
        budget: QuotaBudget | None = None,
    ) -> None:
        self.options = options or YouTubeOptions()
        super().__init__(deps, Backoff(self.options.backoff_base_s, self.options.backoff_cap_s))
        self.account_id = account_id
        self.channel_id = channel_id
        self.endpoints = endpoints
        self.store = TokenStore(secrets, channel_id)
        self.chat_id: str | None = None
        self.page_token: str | None = None
        self.reading = "none"  # "stream" or "polling", for the status line and tests
        self.budget = budget or budget_for(endpoints.client_id, scope=deps.kept)
        self.quota_keeper = QuotaKeeper(self.budget, deps.kept, endpoints.client_id)
        self._connected_as = "Connected."  # what the CONNECTED status says before the units
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._delivered = False  # whether the current stream connection delivered anything
        self._api: YouTubeApi | None = None

    # --- lifecycle (the run loop is SessionLoop's) ------------------------------------------------

    async def run(self) -> None:
        # Today's units spent before a restart still count, and a quota Google said was used
        # up stays used up: the first session knows before it makes a call.
        await self.quota_keeper.load()
        keeper = asyncio.create_task(
            self.quota_keeper.keep_saved(self._show_quota), name="youtube-quota-keeper"
        )
        try:
            await super().run()
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            await self.quota_keeper.save()

    async def sign_out(self) -> None:
        await self.stop()
        await revoke(self.endpoints, self.store)

    async def send_chat(self, text: str) -> None:
        if len(text) > CHAT_MAX_LENGTH:
            raise ChatNotSent(f"YouTube chat messages are at most {CHAT_MAX_LENGTH} characters.")
        api, chat_id = self._api, self.chat_id
        if api is None or chat_id is None:
            raise ChatNotSent("YouTube chat is not open: there is no live stream right now.")
        try:
            await api.send_chat(chat_id, text)
        except ChatGone:
            raise ChatNotSent(
                "YouTube did not send the message: the live chat has ended."
            ) from None
        except QuotaExceeded as exc:
            # The project's units are gone for every call, not only this one: count it so.
            self.budget.used_up()
            await self.quota_keeper.save()
            raise ChatNotSent(f"YouTube did not send the message: {exc}.") from None
        except NotReady as exc:
            raise ChatNotSent(
                f"YouTube did not send the message ({exc}); try again in a moment."
            ) from None

    # --- one session ------------------------------------------------------------------------------

    async def _session(self) -> None:
        if not self.budget.exhausted:  # (used up earlier today, maybe before a restart)
            try:
                await self._watch_channel()
                return
            except QuotaExceeded:
                self.budget.used_up()
                await self.quota_keeper.save()
        # Nothing can be done until the reset: say until when, then start again.
        resets_at = self.budget.resets_at()
        reason = f"YouTube quota used up until {resets_at.astimezone().strftime('%H:%M')}."
        log.warning("%s", reason)
        self._set_state(ConnectorState.ERROR, reason, resets_at)
        await self._pause(max(1.0, self.budget.seconds_to_reset()))

    async def _watch_channel(self) -> None:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            tokens = Tokens(self.endpoints, self.store, http)
            api = YouTubeApi(self.endpoints, tokens, http, self.budget)
            self._api = api
            try:
                while not self._stop.is_set():
                    broadcast = await api.active_broadcast()
                    self.backoff.reset()
                    if broadcast is None:
                        self._connected("Waiting for a live stream.")
                        self._patch_stream(live=False, started_at=None, viewers=None)
                        await self._pause(self.options.discovery_interval_s)
                        continue
                    await self._live(api, broadcast)
            finally:
                self._api = None

    def _connected(self, what: str) -> None:
        self._connected_as = what
        self._set_state(ConnectorState.CONNECTED, f"{what} {self.budget.summary()}.")

    def _show_quota(self) -> None:
        """The units used today moved (a stream connection, a poll): the status line says so
        now, not at the next viewer count a minute later."""
        if self.status.state is ConnectorState.CONNECTED:
            self._connected(self._connected_as)

    async def _live(self, api: YouTubeApi, broadcast: dict[str, Any]) -> None:
        snippet = broadcast.get("snippet") or {}
        chat_id = str(snippet.get("liveChatId") or "")
        video_id = str(broadcast["id"])
        if chat_id != self.chat_id:
            self.chat_id, self.page_token = chat_id, None
        started = mapping.parse_time(snippet.get("actualStartTime")) or datetime.now(UTC)
        was_live = self.stream.live
        self._patch_stream(live=True, title=str(snippet.get("title") or ""), started_at=started)
        if not was_live:
            await self.deps.submit(
                StreamOnline(
                    platform=Platform.YOUTUBE,
                    id=f"online:{video_id}",
                    at=started,
                    title=self.stream.title,
                )
            )
        self._connected("Live.")
        chat = asyncio.create_task(self._read_chat(api, chat_id), name="youtube-chat")
        viewers = asyncio.create_task(self._poll_viewers(api, video_id), name="youtube-viewers")
        try:
            done, _ = await asyncio.wait({chat, viewers}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (chat, viewers):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if self._stop.is_set():
            return
        # The chat ended (or the video did): the stream is over.
        self._patch_stream(live=False, started_at=None, viewers=None)
        self.chat_id, self.page_token = None, None
        self.reading = "none"
        now = datetime.now(UTC)
        await self.deps.submit(
            StreamOffline(platform=Platform.YOUTUBE, id=f"offline:{video_id}", at=now)
        )

    # --- chat -------------------------------------------------------------------------------------

    async def _read_chat(self, api: YouTubeApi, chat_id: str) -> None:
        """Until the chat ends: stream, falling back to polling; returns when it ended."""
        drops = 0
        try:
            while not self._stop.is_set():
                self.reading = "stream"
                try:
                    delivered = await self._stream_once(api, chat_id)
                except StreamUnavailable as exc:
                    log.info("YouTube chat stream unavailable (%s): polling instead", exc)
                    await self._poll_for(api, chat_id, self.options.stream_retry_s)
                    continue
                except NotReady as exc:
                    if isinstance(exc, QuotaExceeded):
                        raise
                    drops = 0 if self._delivered else drops + 1
                    log.info("YouTube chat stream dropped (%s); resuming", exc)
                    if drops >= self.options.stream_drops_before_polling:
                        drops = 0
                        await self._poll_for(api, chat_id, self.options.stream_retry_s)
                    else:
                        await self._pause(min(self.options.backoff_cap_s, 0.2 * 2**drops))
                    continue
                if delivered is None:
                    return  # the chat ended
                drops = 0
        except ChatGone:
            return

    async def _stream_once(self, api: YouTubeApi, chat_id: str) -> bool | None:
        """One streaming connection; None when the chat ended, else whether anything came."""
        self._delivered = False
        async for response in api.chat_stream(chat_id, self.page_token):
            if await self._take(response):
                return None
            self._delivered = True
        return True  # YouTube closed the connection: open the next one from the token

    async def _poll_for(self, api: YouTubeApi, chat_id: str, seconds: float) -> None:
        """List-polling at YouTube's pace for ``seconds``; ChatGone when the chat ended."""
        self.reading = "polling"
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while not self._stop.is_set() and loop.time() < until:
            response = await api.chat_page(chat_id, self.page_token)
            if await self._take(response):
                raise ChatGone("chatEndedEvent")
            wait_ms = float(response.get("pollingIntervalMillis") or 5000)
            await self._pause(max(self.options.min_poll_interval_s, wait_ms / 1000))

    async def _take(self, response: dict[str, Any]) -> bool:
        """Deliver one list response's new messages; True when the chat ended."""
        ended = bool(response.get("offlineAt"))
        for item in response.get("items") or ():
            # The id, plus a jewel gift's combo count: its resends as the combo grows are new.
            key = mapping.delivery_key(item)
            if not key or key in self._seen:
                continue
            self._remember(key)
            ended = ended or mapping.is_chat_end(item)
            try:
                events = mapping.map_message(item)
            except (EventError, KeyError, TypeError, ValueError) as exc:
                # One message YouTube shaped differently must not take the chat down.
                log.warning("ignored a YouTube chat message the app cannot read: %r", exc)
                continue
            for event in events:
                if isinstance(event, StreamOffline):
                    continue  # the connector reports the end once, after the chat stops
                await self.deps.submit(event)
        # Only after the whole response is delivered: a drop before this line resumes before it.
        if response.get("nextPageToken"):
            self.page_token = str(response["nextPageToken"])
        return ended

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)

    # --- viewers ----------------------------------------------------------------------------------

    async def _poll_viewers(self, api: YouTubeApi, video_id: str) -> None:
        """Viewers once a minute; returns when the video says the stream ended."""
        while not self._stop.is_set():
            interval = self.budget.optional_interval(self.options.viewers_interval_s)
            if interval is None:
                # Low on quota: chat gets what is left; look again after a while.
                self._connected("Live; viewer count paused to save quota.")
                await self._pause(self.options.viewers_interval_s)
                continue
            try:
                details = await api.live_details(video_id)
            except QuotaExceeded:
                raise
            except NotReady as exc:
                # The viewer count is optional: a failed poll waits for the next one.
                log.info("YouTube viewer count not available right now: %s", exc)
                await self._pause(self.options.viewers_interval_s)
                continue
            if details.get("actualEndTime"):
                return
            if details.get("concurrentViewers") is not None:
                viewers = int(details["concurrentViewers"])
                self._patch_stream(viewers=viewers)
                now = datetime.now(UTC)
                await self.deps.submit(
                    ViewerCount(
                        platform=Platform.YOUTUBE,
                        id=f"viewers:{video_id}:{int(now.timestamp())}",
                        at=now,
                        viewers=viewers,
                    )
                )
            self._connected("Live.")  # the units used today move on while live
            await self._pause(interval)


def quota_per_day(settings: Any) -> int:
    """The ``youtube_quota_per_day`` setting (a raised quota), or Google's default."""
    try:
        value = int(str(settings.get("youtube_quota_per_day")).replace(",", "").strip())
    except (KeyError, TypeError, ValueError):
        return DEFAULT_UNITS_PER_DAY
    return value if value > 0 else DEFAULT_UNITS_PER_DAY


def create_connector(
    account: Any,
    deps: ConnectorDeps,
    *,
    settings: Any = None,
    secrets: SecretStore,
    endpoints: YouTubeEndpoints | None = None,
    options: YouTubeOptions | None = None,
) -> YouTubeConnector:
    """The registry's factory: a connector for a store ``Account`` of platform ``youtube``."""
    if endpoints is None:
        endpoints = YouTubeEndpoints.from_settings(settings) if settings else YouTubeEndpoints()
    per_day = quota_per_day(settings) if settings else DEFAULT_UNITS_PER_DAY
    budget = budget_for(endpoints.client_id, per_day, scope=deps.kept)
    return YouTubeConnector(
        account.id, account.platform_user_id, deps, endpoints, secrets, options, budget
    )
