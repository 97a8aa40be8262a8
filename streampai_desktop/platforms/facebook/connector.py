"""The Facebook connector: find the Page's live video, read its comments and reactions in real
time, count viewers, comment as the Page.

* **Discovery.** While not live, ``{page-id}/live_videos?broadcast_status=["LIVE"]`` once a
  minute; errors back off like every connector, and Facebook's rate limits (4, 17, 32, 613) wait
  as long as its usage header says (``client.py``).
* **Stream state.** A live video → live, with its title and start; its ``live_views`` once a
  minute into the viewer chart; its status no longer ``LIVE`` (or the video gone) → offline, and
  discovery resumes.
* **Comments.** Server-Sent Events from ``{live-video-id}/live_comments`` (``comment_rate`` from
  the settings, default ``ten_per_second``), mapped to chat messages. Facebook's events carry no
  ids and a dropped connection loses what came meanwhile (its FAQ says so), so after every
  reconnect the connector reads the newest comments (``GET …/comments``) back to the last one it
  has, while the new connection is already open: nothing is lost, and a comment that comes both
  ways is dropped by its id. Should Facebook send event ids, ``Last-Event-ID`` goes along.
* **Reactions.** Server-Sent Events from ``{live-video-id}/live_reactions``: running totals per
  type, so a reconnect neither loses nor counts twice; what came in each second is one
  :class:`~streampai_desktop.core.events.ReactionsTally` with the totals (the Dashboard's card,
  widgets).
* **Commenting.** ``POST {live-video-id}/comments`` as the Page (needs
  ``pages_manage_engagement``; without it the status asks to sign in again to allow it).
* **Sign-in.** The Page's token, from the keyring; Facebook refusing it (190) or a permission
  taken back (10, 200) → "needs sign-in", with the permission named.
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
    AuthFailed,
    ChatNotSent,
    ConnectorDeps,
    ConnectorState,
    NotReady,
    permissions_prompt,
)
from streampai_desktop.platforms.facebook import mapping
from streampai_desktop.platforms.facebook.auth import (
    HTTP_TIMEOUT_S,
    OPTIONAL,
    PageToken,
    PageTokenStore,
)
from streampai_desktop.platforms.facebook.client import (
    COMMENT_FIELDS,
    COMMENT_PERMISSION,
    GraphApi,
    GraphEndpoints,
    GraphRefused,
    PermissionMissing,
)
from streampai_desktop.platforms.session_loop import SessionLoop
from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)

COMMENT_RATES = ("one_per_two_seconds", "ten_per_second", "one_hundred_per_second")
DEFAULT_COMMENT_RATE = "ten_per_second"
CHAT_MAX_LENGTH = 8000  # Facebook refuses longer comments
SEEN_IDS = 5000  # comment ids remembered for dedupe
CATCH_UP_MAX = 500  # comments read back after a drop, at most
GONE_SUBCODE = 33  # Graph: the object does not exist (a deleted live video)


@dataclass(frozen=True, slots=True)
class FacebookOptions:
    discovery_interval_s: float = 60.0
    viewers_interval_s: float = 60.0
    tally_interval_s: float = 1.0  # one reactions tally per second with reactions in it
    rate_limit_wait_s: float = 300.0  # a rate limit whose end Facebook did not say
    comment_rate: str = DEFAULT_COMMENT_RATE
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0


def comment_rate(settings: Any) -> tuple[str, str]:
    """The ``facebook_comment_rate`` setting, and what is wrong with it ("" when nothing): an
    unknown value is not sent (Facebook would refuse every connection), the default is."""
    value = str(settings.get("facebook_comment_rate") or "").strip().lower()
    if value in COMMENT_RATES:
        return value, ""
    return DEFAULT_COMMENT_RATE, (
        f"The comment rate {value!r} is not one of {', '.join(COMMENT_RATES)}; "
        f"using {DEFAULT_COMMENT_RATE}."
    )


class FacebookConnector(SessionLoop):
    """See the module docstring; implements :class:`~streampai_desktop.platforms.base.Connector`."""

    platform = Platform.FACEBOOK
    label = "Facebook"

    def __init__(
        self,
        account_id: str,
        page_id: str,
        deps: ConnectorDeps,
        *,
        secrets: SecretStore,
        endpoints: GraphEndpoints,
        options: FacebookOptions | None = None,
        page_name: str = "",
        setting_problem: str = "",
    ) -> None:
        self.options = options or FacebookOptions()
        super().__init__(deps, Backoff(self.options.backoff_base_s, self.options.backoff_cap_s))
        self.account_id = account_id
        self.page_id = page_id
        self.page_name = page_name or "your Page"
        self.endpoints = endpoints
        self.store = PageTokenStore(secrets, page_id)
        self.setting_problem = setting_problem
        self.video_id: str | None = None
        self.reconnects = 0  # SSE connections opened again after a drop (for the status, tests)
        self._declined: tuple[str, ...] = ()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tally: mapping.ReactionTally | None = None
        self._saw_offline = False  # discovery found the Page not live since the app started
        self._api: GraphApi | None = None

    # --- the Connector protocol (the run loop is SessionLoop's) ---------------------------------

    async def sign_out(self) -> None:
        # Nothing to revoke: the app's access is the streamer's to remove in Facebook's settings
        # (removing it here would sign out every computer). The token is forgotten.
        await self.stop()
        await self.store.delete()

    async def send_chat(self, text: str) -> None:
        if len(text) > CHAT_MAX_LENGTH:
            raise ChatNotSent(f"Facebook comments are at most {CHAT_MAX_LENGTH} characters.")
        if COMMENT_PERMISSION in self._declined:
            raise ChatNotSent(
                f"The Facebook sign-in did not allow {COMMENT_PERMISSION}, which commenting as "
                "the Page needs: sign in again and allow it."
            )
        api, video_id = self._api, self.video_id
        if api is None or video_id is None:
            raise ChatNotSent("Facebook comments are open while the Page is live.")
        try:
            await api.post_comment(video_id, text)
        except PermissionMissing as exc:
            raise ChatNotSent(str(exc)) from None
        except GraphRefused as exc:
            raise ChatNotSent(f"Facebook did not post the comment: {exc}") from None
        except NotReady as exc:
            raise ChatNotSent(f"Facebook did not post the comment ({exc}); try again.") from None
        except AuthFailed as exc:
            raise ChatNotSent(f"Facebook did not post the comment: {exc}") from None

    # --- one session ------------------------------------------------------------------------------

    async def _session(self) -> None:
        page = await self.store.load()
        if page is None:
            raise AuthFailed("Not signed in to Facebook; sign in to connect your Page.")
        self._declined = page.declined
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            api = GraphApi(
                self.endpoints, page.token, http, rate_limit_wait_s=self.options.rate_limit_wait_s
            )
            self._api = api
            try:
                await self._watch(api, page)
            finally:
                self._api = None

    def _connected(self, what: str) -> None:
        missing = [OPTIONAL[p] for p in self._declined if p in OPTIONAL]
        # "Sign in again to allow: …" first: the Platforms page offers the button for it.
        reason = permissions_prompt(missing) or what
        if self.setting_problem:
            reason = f"{reason} {self.setting_problem}"
        if self.status.state is not ConnectorState.CONNECTED or self.status.reason != reason:
            self._set_state(ConnectorState.CONNECTED, reason)

    async def _watch(self, api: GraphApi, page: PageToken) -> None:
        while not self._stop.is_set():
            try:
                video = await api.live_video(self.page_id)
            except GraphRefused as exc:
                raise NotReady(f"Facebook did not list the Page's live videos ({exc})") from None
            self.backoff.reset()
            if video is None:
                if self.stream.live:  # it ended while the app was not looking (a restart)
                    await self._went_offline(self.video_id or "")
                self._saw_offline = True
                self._connected(f"Waiting for a live video on {self.page_name}.")
                await self._pause(self.options.discovery_interval_s)
                continue
            await self._live(api, video)

    async def _live(self, api: GraphApi, video: dict[str, Any]) -> None:
        video_id = str(video["id"])
        fresh = video_id != self.video_id
        if fresh:
            self.video_id = video_id
            # Found going live (the app saw the Page offline first): every reaction counts.
            # Found already live: the first totals are what came before the app was watching.
            self._tally = mapping.ReactionTally(video_id, {} if self._saw_offline else None)
        started = mapping.video_started(video) or datetime.now(UTC)
        was_live = self.stream.live
        self._patch_stream(
            live=True, title=str(video.get("title") or ""), started_at=started, viewers=None
        )
        if not was_live:
            await self.deps.submit(
                StreamOnline(
                    platform=Platform.FACEBOOK,
                    id=mapping.online_id(video_id),
                    at=started,
                    title=self.stream.title,
                )
            )
        await self._viewers(mapping.live_views(video), video_id)
        self._connected(f"Live on {self.page_name}.")
        # Comments since the video started, when the app saw it go live; after a restart in
        # the middle of a stream, only what comes from now on.
        catch_up = fresh and self._saw_offline
        tasks = {
            asyncio.create_task(self._comments(api, video_id, catch_up), name="fb-comments"),
            asyncio.create_task(self._reactions(api, video_id), name="fb-reactions"),
            asyncio.create_task(self._tallies(), name="fb-reactions-tally"),
            asyncio.create_task(self._watch_video(api, video_id), name="fb-video"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._flush_tally()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if self._stop.is_set():
            return
        await self._went_offline(video_id)

    async def _went_offline(self, video_id: str) -> None:
        self._patch_stream(live=False, started_at=None, viewers=None)
        await self.deps.submit(
            StreamOffline(
                platform=Platform.FACEBOOK,
                id=mapping.offline_id(video_id),
                at=datetime.now(UTC),
            )
        )

    # --- the video: viewers, and its end ---------------------------------------------------------

    async def _watch_video(self, api: GraphApi, video_id: str) -> None:
        """Viewers once a minute; returns when the video is no longer live."""
        while not self._stop.is_set():
            wait = self.options.viewers_interval_s
            await self._pause(wait)
            if self._stop.is_set():
                return
            try:
                video = await api.video(video_id)
            except GraphRefused as exc:
                if exc.subcode == GONE_SUBCODE:
                    return  # the video was deleted: the stream is over
                log.info("Facebook live video not readable right now: %s", exc)
                continue
            except NotReady as exc:
                # The viewer count can wait; a rate limit is waited out before the next call.
                log.info("Facebook viewer count not available right now: %s", exc)
                if exc.retry_after:
                    await self._pause(exc.retry_after)
                continue
            if str(video.get("status") or "LIVE") != "LIVE":
                return
            await self._viewers(mapping.live_views(video), video_id)

    async def _viewers(self, viewers: int | None, video_id: str) -> None:
        if viewers is None:
            return
        self._patch_stream(viewers=viewers)
        now = datetime.now(UTC)
        await self.deps.submit(
            ViewerCount(
                platform=Platform.FACEBOOK,
                id=f"viewers:{video_id}:{int(now.timestamp())}",
                at=now,
                viewers=viewers,
            )
        )

    # --- comments -------------------------------------------------------------------------------

    async def _comments(self, api: GraphApi, video_id: str, catch_up: bool) -> None:
        """Read the live comments until cancelled, reconnecting after each drop."""
        params = {"comment_rate": self.options.comment_rate, "fields": COMMENT_FIELDS}
        backoff = Backoff(0.2, self.options.backoff_cap_s)
        last_event_id: str | None = None
        first = True
        while not self._stop.is_set():
            read_back = catch_up if first else True

            async def opened(read_back: bool = read_back) -> None:
                if read_back:
                    await self._catch_up(api, video_id)

            try:
                async for event_id, raw in api.stream(
                    video_id,
                    "live_comments",
                    params,
                    last_event_id=last_event_id,
                    on_open=opened,
                ):
                    last_event_id = event_id or last_event_id
                    backoff.reset()
                    await self._deliver(raw)
                backoff.reset()  # Facebook ended it (its 4-hour limit): again at once
            except NotReady as exc:
                delay = backoff.next_delay(exc.retry_after)
                log.info("Facebook comments stream dropped (%s); again in %.1f s", exc, delay)
                await self._pause(delay)
            except GraphRefused as exc:
                if exc.subcode == GONE_SUBCODE:
                    return  # the video is gone: the stream is over
                raise NotReady(f"Facebook refused the comments stream ({exc})") from None
            first = False
            self.reconnects += 1

    async def _catch_up(self, api: GraphApi, video_id: str) -> None:
        """What came while no connection was open, oldest first."""
        try:
            missed = await api.recent_comments(video_id, self._seen, CATCH_UP_MAX)
        except (NotReady, GraphRefused) as exc:
            log.info("Facebook comments missed during a drop not read back: %s", exc)
            return
        for raw in missed:
            await self._deliver(raw)

    async def _deliver(self, raw: dict[str, Any]) -> None:
        comment_id = str(raw.get("id") or "")
        if not comment_id or comment_id in self._seen:
            return
        self._seen[comment_id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        try:
            message = mapping.comment(raw, self.page_id)
        except (EventError, KeyError, TypeError, ValueError) as exc:
            # One comment Facebook shaped differently must not take the chat down.
            log.warning("ignored a Facebook comment the app cannot read: %r", exc)
            return
        await self.deps.submit(message)

    # --- reactions ------------------------------------------------------------------------------

    async def _reactions(self, api: GraphApi, video_id: str) -> None:
        params = {"fields": "reaction_stream"}
        backoff = Backoff(0.2, self.options.backoff_cap_s)
        while not self._stop.is_set():
            try:
                async for _, raw in api.stream(video_id, "live_reactions", params):
                    backoff.reset()
                    if self._tally is not None:
                        self._tally.add(mapping.reaction_totals(raw))
                backoff.reset()
            except NotReady as exc:
                delay = backoff.next_delay(exc.retry_after)
                log.info("Facebook reactions stream dropped (%s); again in %.1f s", exc, delay)
                await self._pause(delay)
            except GraphRefused as exc:
                if exc.subcode == GONE_SUBCODE:
                    return
                raise NotReady(f"Facebook refused the reactions stream ({exc})") from None

    async def _tallies(self) -> None:
        while not self._stop.is_set():
            await self._pause(self.options.tally_interval_s)
            await self._flush_tally()

    async def _flush_tally(self) -> None:
        tally = self._tally.take(datetime.now(UTC)) if self._tally is not None else None
        if tally is not None:
            await self.deps.submit(tally)


def create_connector(
    account: Any,
    deps: ConnectorDeps,
    *,
    settings: Any = None,
    secrets: SecretStore,
    endpoints: GraphEndpoints | None = None,
    options: FacebookOptions | None = None,
) -> FacebookConnector:
    """The registry's factory: a connector for a store ``Account`` of platform ``facebook``
    (its ``platform_user_id`` is the Page's id)."""
    problem = ""
    if endpoints is None:
        endpoints = GraphEndpoints.from_settings(settings) if settings else GraphEndpoints()
    if options is None:
        rate = DEFAULT_COMMENT_RATE
        if settings is not None:
            rate, problem = comment_rate(settings)
        options = FacebookOptions(comment_rate=rate)
    return FacebookConnector(
        account.id,
        account.platform_user_id,
        deps,
        secrets=secrets,
        endpoints=endpoints,
        options=options,
        page_name=getattr(account, "display_name", "") or getattr(account, "login", ""),
        setting_problem=problem,
    )
