"""The Kick connector: Kick's events relayed by the account service, the stream from the public API.

* **Events.** Kick delivers events only as webhooks to a public URL, which is the account service.
  At the start of each session the connector asks the service to make sure Kick's subscriptions
  for this channel exist (``POST /v1/platforms/kick/subscriptions``; Kick drops subscriptions
  whose deliveries keep failing, so again every few hours), then takes the ``kick_event`` frames
  the service relays over the live channel (``cloud/relay.py``). Each is mapped, ingested, and
  only then acknowledged (``{"type": "ack_kick", "up_to": id}``), so one that arrived while this
  computer was off comes on the next connection; a copy (a resend, Kick delivering twice) is
  dropped by Kick's message id.
* **Stream.** Kick's ``livestream.status.updated`` says live or offline, ``metadata.updated`` the
  title and category; ``GET /public/v1/livestreams`` gives the viewers once a minute while live,
  and every few minutes while not, in case a delivery is late or lost.
* **Chat.** ``POST /public/v1/chat`` as the signed-in user, 500 characters.
* **Health.** The Platforms row says how many event subscriptions are active, when the last event
  came, and that Kick's own deliveries can lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
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
)
from streampai_desktop.platforms.kick import mapping
from streampai_desktop.platforms.kick.auth import (
    HTTP_TIMEOUT_S,
    AccountRequired,
    KickEndpoints,
    KickNotConfigured,
    KickService,
    Tokens,
    TokenStore,
    revoke,
)
from streampai_desktop.platforms.kick.client import CHAT_MAX_LENGTH, KickApi
from streampai_desktop.platforms.service_relay import ServiceAccess, ServiceRelay, relay_for
from streampai_desktop.platforms.session_loop import SessionLoop
from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)

EVENT_FRAME = "kick_event"  # what the live channel brings: one relayed webhook
ACK_FRAME = "ack_kick"  # what acknowledges them, up to an id
SEEN_IDS = 5000  # Kick message ids remembered for dedupe
LAG_NOTE = "Kick's own deliveries can lag."


@dataclass(frozen=True, slots=True)
class KickOptions:
    tick_s: float = 60.0  # the status line and, while live, the viewer count
    offline_poll_s: float = 300.0  # while not live, is it live after all? (a late delivery)
    resubscribe_s: float = 6 * 3600.0
    not_configured_wait_s: float = 300.0
    account_recheck_s: float = 2.0  # signed out of Streampai: how often to look for a sign-in
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0


class KickConnector(SessionLoop):
    """See the module docstring; implements :class:`~streampai_desktop.platforms.base.Connector`."""

    platform = Platform.KICK
    label = "Kick"

    def __init__(
        self,
        account_id: str,
        broadcaster_user_id: str,
        deps: ConnectorDeps,
        *,
        secrets: SecretStore,
        endpoints: KickEndpoints,
        options: KickOptions | None = None,
    ) -> None:
        self.options = options or KickOptions()
        super().__init__(deps, Backoff(self.options.backoff_base_s, self.options.backoff_cap_s))
        self.account_id = account_id
        self.broadcaster_user_id = broadcaster_user_id
        self.secrets = secrets
        self.endpoints = endpoints
        self.relay: ServiceRelay = relay_for(secrets)
        self.store = TokenStore(secrets, broadcaster_user_id)
        self.subscribed: set[str] = set()  # the Kick event types the service says are active
        self.last_event_at: datetime | None = None
        self.events_received = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._api: KickApi | None = None
        self._stream_changed = asyncio.Event()  # a delivery said live/offline: poll now

    # --- the Connector protocol (the run loop is SessionLoop's) ---------------------------------

    async def sign_out(self) -> None:
        await self.stop()
        await revoke(self.endpoints.auth_url, self.store)

    async def send_chat(self, text: str) -> None:
        if len(text) > CHAT_MAX_LENGTH:
            raise ChatNotSent(f"Kick chat messages are at most {CHAT_MAX_LENGTH} characters.")
        api = self._api
        if api is None:
            raise ChatNotSent("Kick is not connected right now; try again once it is.")
        try:
            await api.send_chat(self.broadcaster_user_id, text)
        except NotReady as exc:
            raise ChatNotSent(f"Kick did not send the message ({exc}); try again.") from None
        except AuthFailed as exc:
            raise ChatNotSent(f"Kick did not send the message: {exc}") from None

    # --- one session ------------------------------------------------------------------------------

    async def _session(self) -> None:
        access = await self._account_access()
        if access is None:
            return  # stopped while waiting
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            service = KickService(access, http)
            tokens = Tokens(service, self.store)
            try:
                await tokens.access()  # signed in to Kick (renewed now if due)?
                await self._connect(service, KickApi(self.endpoints.api_url, tokens, http))
            except KickNotConfigured as exc:
                # Not ours to fix by retrying fast: say so, and look again in a while.
                self._set_state(ConnectorState.ERROR, str(exc))
                await self._pause(self.options.not_configured_wait_s)
            except AccountRequired as exc:
                # This computer signed out of Streampai, which Kick's events come through: say
                # so, and come back by itself once it signs in again (no "Sign in again" to
                # Kick: Kick's own sign-in is still good).
                self._set_state(ConnectorState.ERROR, f"{exc} Kick comes back by itself then.")
                while not self._stop.is_set() and not await access.signed_in():
                    await self._pause(self.options.account_recheck_s)

    async def _account_access(self) -> ServiceAccess | None:
        """The app's Streampai sign-in; the app attaches it just after starting the
        connectors, so the first session may wait a moment. None when stopped first."""
        if self.relay.access is not None:
            return self.relay.access
        waiting = asyncio.ensure_future(self.relay.wait_for_access())
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({waiting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiting, stopped):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return self.relay.access if not self._stop.is_set() else None

    async def _connect(self, service: KickService, api: KickApi) -> None:
        await self._subscribe(service)
        self.backoff.reset()
        unsubscribe = await self.relay.subscribe(EVENT_FRAME, self._on_frame)
        self._api = api
        try:
            await self._watch(service, api)
        finally:
            unsubscribe()
            self._api = None

    async def _subscribe(self, service: KickService) -> None:
        status = await service.ensure_subscriptions()
        self.subscribed = {
            str(s.get("event"))
            for s in status.get("subscriptions") or ()
            if isinstance(s, dict)
            and s.get("event")
            # The account's other Kick channels have their own.
            and str(s.get("broadcaster_user_id", self.broadcaster_user_id))
            == self.broadcaster_user_id
        }
        last = mapping.parse_time(status.get("last_event_at"))
        if last is not None and (self.last_event_at is None or last > self.last_event_at):
            self.last_event_at = last

    async def _watch(self, service: KickService, api: KickApi) -> None:
        loop = asyncio.get_running_loop()
        next_subscribe = loop.time() + self.options.resubscribe_s
        next_offline_poll = 0.0
        while not self._stop.is_set():
            if self.stream.live or loop.time() >= next_offline_poll:
                await self._poll_stream(api)
                next_offline_poll = loop.time() + self.options.offline_poll_s
            if loop.time() >= next_subscribe:
                try:
                    await self._subscribe(service)
                    next_subscribe = loop.time() + self.options.resubscribe_s
                except NotReady as exc:  # the ones Kick has keep working: try again next tick
                    log.info("Kick subscriptions not renewed right now: %s", exc)
            self._show_health()
            if await self._wait_for_change(self.options.tick_s):
                next_offline_poll = 0.0  # a delivery said the stream started or ended

    async def _wait_for_change(self, seconds: float) -> bool:
        """Sleep ``seconds``, or less when stopped or a delivery changed the stream: True then."""
        self._stream_changed.clear()
        waits = {
            asyncio.ensure_future(self._stop.wait()),
            asyncio.ensure_future(self._stream_changed.wait()),
        }
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await wait
        return self._stream_changed.is_set()

    def _show_health(self) -> None:
        if not self.relay.is_connected:
            reason = (
                "Waiting for the live channel to your Streampai account; Kick's events arrive "
                "once it is back."
            )
        else:
            wanted = set(mapping.MAPPERS)
            active = len(wanted & self.subscribed)
            subscriptions = f"{active} of {len(wanted)} Kick event subscriptions active"
            if self.last_event_at is None:
                last = "no event received yet"
            else:
                last = f"last event at {self.last_event_at.astimezone().strftime('%H:%M')}"
            live = "Live. " if self.stream.live else ""
            reason = f"{live}{subscriptions}; {last}. {LAG_NOTE}"
        if self.status.state is not ConnectorState.CONNECTED or self.status.reason != reason:
            self._set_state(ConnectorState.CONNECTED, reason)

    # --- the stream -------------------------------------------------------------------------------

    async def _poll_stream(self, api: KickApi) -> None:
        try:
            stream = await api.livestream(self.broadcaster_user_id)
        except NotReady as exc:
            # The viewer count can wait: the events keep coming through the service.
            log.info("Kick stream state not available right now: %s", exc)
            return
        now = datetime.now(UTC)
        if stream is None:
            if self.stream.live:  # ended, and Kick's delivery saying so has not come (yet)
                await self._went_offline(self.stream.started_at, now)
            return
        fields = mapping.livestream_fields(stream)
        was_live = self.stream.live
        if was_live and self.stream.started_at is not None:
            fields.pop("started_at", None)  # the delivery's start names the broadcast
        self._patch_stream(**fields)
        if not was_live:
            await self._went_online(now)
        if self.stream.viewers is not None:
            await self.deps.submit(
                ViewerCount(
                    platform=Platform.KICK,
                    id=f"viewers:{self.broadcaster_user_id}:{int(now.timestamp())}",
                    at=now,
                    viewers=self.stream.viewers,
                )
            )

    async def _went_online(self, now: datetime) -> None:
        started = self.stream.started_at
        await self.deps.submit(
            StreamOnline(
                platform=Platform.KICK,
                id=mapping.online_id(self.broadcaster_user_id, started),
                at=started or now,
                title=self.stream.title,
                category=self.stream.category,
            )
        )

    async def _went_offline(self, started: datetime | None, now: datetime) -> None:
        self._patch_stream(live=False, started_at=None, viewers=None)
        await self.deps.submit(
            StreamOffline(
                platform=Platform.KICK,
                id=mapping.offline_id(self.broadcaster_user_id, started),
                at=now,
            )
        )

    # --- relayed events ---------------------------------------------------------------------------

    async def _on_frame(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """One ``kick_event`` frame: ingest it (once), then the acknowledgement to send; None
        when it is another channel's (an account may connect several)."""
        relayed = frame.get("event")
        if not isinstance(relayed, dict):
            return None
        if str(relayed.get("broadcaster_user_id")) != self.broadcaster_user_id:
            return None
        relay_id = relayed.get("id")
        # An ack the service cannot read would close the channel: none for a frame without id.
        valid_id = isinstance(relay_id, int) and not isinstance(relay_id, bool) and relay_id >= 0
        ack = {"type": ACK_FRAME, "up_to": relay_id} if valid_id else None
        self.last_event_at = datetime.now(UTC)
        self.events_received += 1
        message_id = str(relayed.get("message_id") or "")
        if message_id in self._seen:
            return ack  # a copy: acknowledged again, ingested once
        if message_id:
            self._seen[message_id] = None
            if len(self._seen) > SEEN_IDS:
                self._seen.popitem(last=False)
        event_type = relayed.get("event_type")
        try:
            patch = mapping.stream_patch(relayed)
            events = mapping.map_event(relayed)
        except (EventError, KeyError, TypeError, ValueError, AttributeError) as exc:
            # Acknowledged anyway: one event Kick shaped differently would never become valid.
            log.warning("ignored a Kick %s event the app cannot read: %r", event_type, exc)
            return ack
        was_live = self.stream.live
        if patch:
            self._patch_stream(**patch)
        for event in events:
            if isinstance(event, StreamOnline):
                if was_live:
                    continue  # the poll saw it first
                event = dataclasses.replace(
                    event, title=self.stream.title, category=self.stream.category
                )
            elif isinstance(event, StreamOffline) and not was_live:
                continue
            await self.deps.submit(event)
        if self.stream.live != was_live:
            self._stream_changed.set()
        return ack


def create_connector(
    account: Any,
    deps: ConnectorDeps,
    *,
    settings: Any = None,
    secrets: SecretStore,
    endpoints: KickEndpoints | None = None,
    options: KickOptions | None = None,
) -> KickConnector:
    """The registry's factory: a connector for a store ``Account`` of platform ``kick``."""
    if endpoints is None:
        endpoints = KickEndpoints.from_settings(settings) if settings else KickEndpoints()
    return KickConnector(
        account.id,
        account.platform_user_id,
        deps,
        secrets=secrets,
        endpoints=endpoints,
        options=options,
    )
