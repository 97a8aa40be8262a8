"""Keeps the app connected to OBS: connects when OBS starts (backing off 1 s → 30 s while it is
not running), reconnects when OBS quits or restarts, and says where it stands.

States (:attr:`ObsConnection.state`), each with :attr:`~ObsConnection.error` saying why when
there is a reason:

- ``"disconnected"``: not started, stopped, or the streamer disconnected us in OBS's session list
  (we do not reconnect on our own then, as the protocol asks);
- ``"connecting"``: an attempt is under way;
- ``"connected"``: :attr:`~ObsConnection.client` and :attr:`~ObsConnection.info` are there;
- ``"auth_failed"``: OBS refused the password or wants one. Trying the same password again cannot
  help and makes OBS pop up "authentication failed" each time, so the next attempt waits until
  the password or address changes (:meth:`~ObsConnection.reconnect_now`, or seen at the next
  check, every backoff cap);
- ``"unreachable"``: OBS is not running, its websocket is off, or something else answers on the
  port; retried with backoff.

Handlers given to :meth:`ObsConnection.on_event` stay subscribed across reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.obs.client import (
    EventHandler,
    EventSubscription,
    ObsClient,
    ObsInfo,
    RequestResult,
)
from streampai_desktop.obs.errors import (
    ObsAuthFailed,
    ObsBadUrl,
    ObsError,
    ObsSessionKicked,
    ObsTimeout,
    ObsUnreachable,
)
from streampai_desktop.obs.local import obs_process_running

log = logging.getLogger(__name__)

ObsState = Literal["disconnected", "connecting", "connected", "auth_failed", "unreachable"]

_SESSION_INVALIDATED = 4011


class ObsConnection:
    """A supervisor around :class:`~streampai_desktop.obs.client.ObsClient`.

    ``url_provider`` and ``password_provider`` are asked before every attempt, so a changed
    setting is used at the next one (:meth:`reconnect_now` makes that at once).
    """

    def __init__(
        self,
        url_provider: Callable[[], str],
        password_provider: Callable[[], str | None],
        *,
        events: int = EventSubscription.ALL_LOW_VOLUME,
        request_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        backoff: Backoff | None = None,
        on_state: Callable[[ObsState], None] | None = None,
        obs_running: Callable[[], bool] = obs_process_running,
    ) -> None:
        self._url_provider = url_provider
        self._password_provider = password_provider
        self.events = events
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.backoff = backoff or Backoff(base=1.0, cap=30.0)
        self.on_state = on_state
        """Called with the new state on every change (from the event loop)."""
        self._obs_running = obs_running
        self.state: ObsState = "disconnected"
        self.error: ObsError | None = None
        """Why the state is not "connected", when there is a reason (its message is for the
        streamer)."""
        self.info: ObsInfo | None = None
        self.client: ObsClient | None = None
        self._handlers: list[EventHandler] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._state_changed = asyncio.Event()
        # The (url, password) OBS refused: not tried again until one of them changes.
        self._held: tuple[str, str | None] | None = None
        self._last_logged: tuple[ObsState, str] | None = None

    def __repr__(self) -> str:
        return f"<ObsConnection {self.state}>"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def next_attempt_at(self) -> datetime | None:
        """When the next attempt is due while OBS is unreachable (for "retrying at …")."""
        return self.backoff.next_attempt_at if self.state == "unreachable" else None

    # --- control ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting (and keep at it) on the running event loop."""
        if self.running:
            return
        self._held = None
        self._task = asyncio.create_task(self._run(), name="obs connection")
        self._task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        """Disconnect and stop reconnecting; state "disconnected"."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._drop_client()
        self.error = None
        self._set_state("disconnected")

    def reconnect_now(self) -> None:
        """Try at once with the current settings: after the streamer fixed the password or the
        address, or pressed "Retry". A connected client is closed and connected again (so new
        settings apply); a stopped connection is started."""
        self._held = None
        self.backoff.reset()
        if not self.running:
            self.start()
        self._wake.set()

    async def wait_connected(self, within: float) -> ObsClient:
        """The connected client, waiting up to ``within`` seconds. Raises the reason when it
        cannot be (at once for a refused password; else after ``within``)."""
        try:
            async with asyncio.timeout(within):
                while True:
                    if self.state == "connected" and self.client is not None:
                        return self.client
                    if not self.running or self._still_held():
                        break  # refused with these very settings: waiting cannot help
                    await self._state_changed.wait()
        except TimeoutError:
            pass
        error = self.error
        if error is not None:
            raise type(error)(str(error))
        raise ObsTimeout(f"OBS did not connect within {within:g} s.")

    def _still_held(self) -> bool:
        if self._held is None:
            return False
        try:
            return (self._url_provider(), self._password_provider()) == self._held
        except Exception:
            return False  # the loop logs it on its next pass

    # --- requests and events ------------------------------------------------------------------

    def _connected_client(self, what: str) -> ObsClient:
        client = self.client
        if client is None or not client.connected:
            reason = f" {self.error}" if self.error is not None else ""
            raise ObsUnreachable(f"Not connected to OBS, so {what} cannot be sent.{reason}")
        return client

    async def request(
        self, request_type: str, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """:meth:`ObsClient.request` on the current connection (:class:`ObsUnreachable` when
        there is none)."""
        return await self._connected_client(request_type).request(request_type, data)

    async def batch(
        self, requests: list[tuple[str, dict[str, Any] | None]], *, halt_on_failure: bool = False
    ) -> list[RequestResult]:
        client = self._connected_client("the requests")
        return await client.batch(requests, halt_on_failure=halt_on_failure)

    def on_event(self, handler: EventHandler) -> Callable[[], None]:
        """``handler(event_type, event_data)`` for OBS's events, across reconnects; returns the
        unsubscribe function."""
        self._handlers.append(handler)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._handlers.remove(handler)

        return unsubscribe

    def _forward(self, event_type: str, data: dict[str, Any]) -> None:
        for handler in list(self._handlers):
            try:
                handler(event_type, data)
            except Exception:
                log.exception("OBS event handler failed on %s", event_type)

    # --- the loop -----------------------------------------------------------------------------

    def _set_state(self, state: ObsState) -> None:
        if state == self.state:
            return
        self.state = state
        # One line per change of situation, not one per attempt while OBS is closed all day.
        reason = str(self.error) if self.error is not None and state != "connected" else ""
        if state == "connecting" or (state, reason) == self._last_logged:
            log.debug("OBS: %s", state)
        else:
            self._last_logged = (state, reason)
            if state == "connected" and self.info is not None:
                log.info("OBS: connected (OBS %s)", self.info.obs_version)
            else:
                log.info("OBS: %s%s", state, f": {reason}" if reason else "")
        changed, self._state_changed = self._state_changed, asyncio.Event()
        changed.set()
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception:
                log.exception("OBS state callback failed")

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless :meth:`reconnect_now` wakes us first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _drop_client(self) -> None:
        client, self.client = self.client, None
        self.info = None
        if client is not None:
            await client.close()

    async def _run(self) -> None:
        while True:
            try:
                settings = (self._url_provider(), self._password_provider())
            except Exception:
                # The settings or the keyring failed: a bug or a locked keyring; keep trying.
                log.exception("could not read the OBS connection settings")
                self.error = ObsError("Streampai could not read its OBS settings; see the log.")
                self._set_state("unreachable")
                await self._pause(self.backoff.next_delay())
                continue
            if settings == self._held:
                # Refused with exactly these settings: wait for them to change.
                await self._pause(self.backoff.cap)
                continue
            self._held = None
            self._set_state("connecting")
            try:
                client = ObsClient(
                    settings[0],
                    settings[1],
                    events=self.events,
                    request_timeout=self.request_timeout,
                    connect_timeout=self.connect_timeout,
                    obs_running=self._obs_running,
                )
                info = await client.connect()
            except (ObsAuthFailed, ObsBadUrl, ObsSessionKicked) as exc:
                # Retrying cannot help until the streamer changes something.
                self._held = settings
                self.error = exc
                if isinstance(exc, ObsAuthFailed):
                    self._set_state("auth_failed")
                elif isinstance(exc, ObsSessionKicked):
                    self._set_state("disconnected")
                else:
                    self._set_state("unreachable")
                continue
            except ObsError as exc:
                self.error = exc
                delay = self.backoff.next_delay()
                self._set_state("unreachable")
                await self._pause(delay)
                continue
            self.backoff.reset()
            self.client, self.info, self.error = client, info, None
            unsubscribe = client.on_event(self._forward)
            self._set_state("connected")
            # A wake that came during the attempt stays set: new settings, reconnect at once.
            closed = asyncio.ensure_future(client.closed.wait())
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait((closed, woken), return_when=asyncio.FIRST_COMPLETED)
            finally:
                closed.cancel()
                woken.cancel()
                unsubscribe()
            self._wake.clear()
            ended_by_obs = client.closed.is_set()
            await self._drop_client()
            if ended_by_obs and client.close_code == _SESSION_INVALIDATED:
                self._held = settings
                self.error = ObsSessionKicked()
                self._set_state("disconnected")
            elif ended_by_obs:
                log.info("OBS closed the connection (code %s); reconnecting", client.close_code)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the OBS connection loop crashed", exc_info=task.exception())
