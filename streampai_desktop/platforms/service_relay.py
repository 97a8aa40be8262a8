"""Platforms that go through the Streampai account service: what it relays for them, handed from
the live channel to their code, and the account sign-in they call the service with.

Some platforms can only be reached through the account service: Kick sends its events as webhooks
to a public URL and needs a client secret for its tokens, so the service receives the one, keeps
the other and relays each event over the live channel (``cloud/live.py``) with at-least-once
delivery. The live channel knows no platform: a frame of a type it does not handle itself goes
to :meth:`ServiceRelay.dispatch`, which hands it to the handlers subscribed to that type (Kick's
connector subscribes to ``kick_event``) and sends back the reply a handler gives (its
acknowledgement, given only after the event went through ingest). A frame that arrives while
nobody is subscribed (the backlog a reconnect brings while the connectors are still starting)
waits, a bounded number per type, for the first subscriber.

The account side is the cloud layer's: the app's account service attaches its sign-in
(:class:`ServiceAccess`) when it is built, and so does the terminal for a sign-in while the app
is stopped. There is one relay per secret store, since a sign-in is the one whose refresh token
that store holds: the app's account service and its connectors, built with the same store, find
each other whichever starts first.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Frame = dict[str, Any]
# A subscriber: the frame → the reply to send on the live channel (an ack), or None when the
# frame is not its to handle (another subscriber's channel).
Handler = Callable[[Frame], Awaitable[Frame | None]]
Send = Callable[[Frame], Awaitable[None]]

WAITING_PER_TYPE = 1000  # frames kept for a type nobody handles yet (oldest dropped first)
# An acknowledgement says "everything up to this id": in a burst the last one says it all, and
# each one sent is a database transaction on the service (17% of its CPU in a chat flood when
# every event had its own). One goes out at once, then at most one per this long, the latest.
ACK_COALESCE_S = 0.05


class SignedOut(Exception):
    """This computer has no usable Streampai sign-in (never signed in, signed out, revoked)."""


class ServiceAccess(Protocol):
    """What platform code may do with this computer's Streampai sign-in."""

    @property
    def base_url(self) -> str:
        """The account service's address, without a trailing slash."""
        ...

    async def signed_in(self) -> bool: ...

    async def bearer(self, *, renew: bool = False) -> str:
        """A current access token (``renew``: a new one, the last was refused);
        :class:`SignedOut` without a usable sign-in, ``NotReady`` when the service cannot be
        asked now."""
        ...


class ServiceRelay:
    """Relayed frames by type → their subscribers; the attached account sign-in."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._waiting: dict[str, deque[Frame]] = {}
        self._access: ServiceAccess | None = None
        self._attached = asyncio.Event()
        self._send: Send | None = None
        self._acks: dict[str, Frame] = {}  # the latest acknowledgement per type, not sent yet
        self._ack_timer: asyncio.TimerHandle | None = None
        self._last_ack_at = float("-inf")  # the event loop's clock
        self._ack_sending: set[asyncio.Task[None]] = set()  # keep references until done

    # --- the account sign-in ----------------------------------------------------------------------

    def attach(self, access: ServiceAccess) -> None:
        self._access = access
        self._attached.set()

    def detach(self, access: ServiceAccess) -> None:
        if self._access is access:
            self._access = None
            self._attached.clear()

    @property
    def access(self) -> ServiceAccess | None:
        """The attached sign-in, None while no account service is there."""
        return self._access

    async def wait_for_access(self) -> ServiceAccess:
        """The attached sign-in, once there is one (the app builds its account service after
        starting the connectors)."""
        while self._access is None:
            await self._attached.wait()
        return self._access

    # --- relayed frames ---------------------------------------------------------------------------

    def connected(self, send: Send | None) -> None:
        """The live channel is open (``send`` writes a frame on it) or closed (None)."""
        self._send = send
        # Acknowledgements not sent on a closed channel are not sent on the next one: the
        # service sends those frames again there, and their handler's dedupe drops them.
        self._acks.clear()
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None

    @property
    def is_connected(self) -> bool:
        """Whether the live channel is open, so relayed frames can arrive now."""
        return self._send is not None

    async def subscribe(self, frame_type: str, handler: Handler) -> Callable[[], None]:
        """Hand ``frame_type`` frames to ``handler``, first those that waited for one; returns
        the function that unsubscribes."""
        waiting = self._waiting.get(frame_type)
        # Frames that come in while the waiting ones are handled queue behind them, so the
        # handler sees them in the order the service sent them.
        while waiting:
            frame = waiting.popleft()
            try:
                reply = await handler(frame)
            except Exception:
                log.exception("a relayed %s frame could not be handled", frame_type)
                continue  # not acknowledged: the service sends it again on the next connection
            await self._reply(reply)
        self._handlers.setdefault(frame_type, []).append(handler)

        def unsubscribe() -> None:
            handlers = self._handlers.get(frame_type, [])
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    async def dispatch(self, frame: Frame) -> None:
        """One frame from the live channel: to the first subscriber that takes it (its reply is
        sent back), or kept until one subscribes."""
        frame_type = str(frame.get("type"))
        handlers = self._handlers.get(frame_type)
        if not handlers:
            waiting = self._waiting.setdefault(frame_type, deque(maxlen=WAITING_PER_TYPE))
            waiting.append(frame)
            return
        for handler in list(handlers):
            try:
                reply = await handler(frame)
            except Exception:
                # Not acknowledged: the service sends it again on the next connection.
                log.exception("a relayed %s frame could not be handled", frame_type)
                return
            if reply is not None:
                await self._reply(reply)
                return

    async def _reply(self, reply: Frame | None) -> None:
        # No channel open: the frame stays unacknowledged, so the service sends it again on the
        # next connection, and the handler's dedupe drops the copy.
        if reply is None or self._send is None:
            return
        if "up_to" in reply:  # cumulative: in a burst, only the latest needs to go
            loop = asyncio.get_running_loop()
            if self._ack_timer is None and loop.time() - self._last_ack_at >= ACK_COALESCE_S:
                self._last_ack_at = loop.time()  # the first of a burst, or a lone event: now
            else:
                self._acks[str(reply.get("type"))] = reply
                if self._ack_timer is None:
                    when = self._last_ack_at + ACK_COALESCE_S
                    self._ack_timer = loop.call_at(when, self._flush_acks)
                return
        await self._send_now(reply)

    async def flush_acks(self) -> None:
        """Send the acknowledgements held back now (the channel is about to close)."""
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        acks, self._acks = list(self._acks.values()), {}
        for ack in acks:
            await self._send_now(ack)

    def _flush_acks(self) -> None:
        self._ack_timer = None
        self._last_ack_at = asyncio.get_running_loop().time()
        acks, self._acks = list(self._acks.values()), {}
        for ack in acks:
            task = asyncio.create_task(self._send_now(ack))
            self._ack_sending.add(task)
            task.add_done_callback(self._ack_sending.discard)

    async def _send_now(self, reply: Frame) -> None:
        if self._send is None:
            return
        try:
            await self._send(reply)
        except (ConnectionError, RuntimeError) as exc:
            log.info("live channel: reply not sent (%s); the frame comes again", exc)


_RELAYS: weakref.WeakKeyDictionary[Any, ServiceRelay] = weakref.WeakKeyDictionary()


def relay_for(secrets: Any) -> ServiceRelay:
    """The relay of everything signed in with ``secrets`` (a
    :class:`~streampai_desktop.secrets.SecretStore`), created on first use."""
    relay = _RELAYS.get(secrets)
    if relay is None:
        relay = _RELAYS[secrets] = ServiceRelay()
    return relay
