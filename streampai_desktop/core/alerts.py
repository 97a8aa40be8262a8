"""The alert queue: the app, not the page, decides which alert shows when.

One alert at a time, in arrival order, with a configurable gap; pause/resume, skip the current
alert, replay any past event, clear. Every alert box page gets the same ``AlertShow`` at the same
moment, so two OBS scenes never disagree, and the UI can show what is on screen now.

While no alert box is open (OBS closed, the source hidden and "hold while hidden" on) alerts wait;
one that has waited longer than the configured limit is moved to ``missed`` rather than shown
long after the fact. Settings are resolved when an alert is shown, so a change made while alerts
wait applies to them.

What becomes of each event's alert (waiting, shown, skipped, cleared, missed, or off because no
alert box shows it) is published as an ``AlertOutcome`` notice: the Events page's status column.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.bus import TOPIC_ALERTS, TOPIC_EVENTS, EventBus
from streampai_desktop.core.events import Event, Subscription
from streampai_desktop.core.notices import (
    AlertOutcome,
    AlertOutcomeKind,
    AlertQueueChanged,
    publish_notice,
)
from streampai_desktop.core.worker import Worker

log = logging.getLogger(__name__)

MAX_PENDING = 1000
MAX_MISSED = 500


@dataclass(frozen=True, slots=True)
class AlertPlan:
    """How one alert shows: how long, and each alert box instance's resolved settings."""

    duration_ms: int
    frames: dict[str, dict[str, Any]]  # instance id → {"settings": …, "variation": …}


@dataclass(frozen=True, slots=True)
class AlertShow:
    """Published on ``alerts``: show this alert now."""

    alert_id: str
    event: Event
    plan: AlertPlan


@dataclass(frozen=True, slots=True)
class AlertSkip:
    """Published on ``alerts``: hide this alert now."""

    alert_id: str


@dataclass(slots=True)
class QueuedAlert:
    alert_id: str
    event: Event
    queued_at: float
    replay: bool = False


@dataclass(slots=True)
class QueueSettings:
    gap_ms: int = 1000
    max_wait_s: int = 600


Resolver = Callable[[Event, str], AlertPlan | None]


@dataclass(slots=True)
class _Now:
    item: QueuedAlert
    ends_at: float
    skipped: asyncio.Event = field(default_factory=asyncio.Event)


class AlertQueue:
    """Takes alertable events from the bus and shows them one at a time."""

    def __init__(
        self,
        bus: EventBus,
        resolve: Resolver,
        settings: Callable[[], QueueSettings],
        can_show: Callable[[], bool],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self._resolve = resolve
        self._settings = settings
        self._can_show = can_show
        self._clock = clock
        self.pending: deque[QueuedAlert] = deque()
        self.missed: deque[QueuedAlert] = deque(maxlen=MAX_MISSED)
        self.now: _Now | None = None
        self.paused = False
        self.shown = 0
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._events = bus.subscribe([TOPIC_EVENTS], maxsize=10_000, name="alert-queue")
        # Both loops hold nothing worth finishing (grace 0); a bug in one is logged and the loop
        # comes back, so one bad event never ends the alerts for the rest of the stream.
        self._workers = [
            Worker("alert queue intake", self._take_events, restart=Backoff(0.5, 30.0), grace=0),
            Worker("alert queue", self._run, restart=Backoff(0.5, 30.0), grace=0),
        ]

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        for worker in self._workers:
            worker.start()

    async def stop(self) -> None:
        self._events.close()
        for worker in self._workers:
            await worker.stop()

    # --- controls (the Dashboard's buttons) -------------------------------------------------------

    def enqueue(self, event: Event, *, replay: bool = False) -> bool:
        """Queue an alertable event; False when no alert box would show it (off, below minimum)."""
        if not event.alertable:
            return False
        alert_id = f"a{next(self._ids)}-{event.id}"
        if self._resolve(event, alert_id) is None:
            log.debug(
                "%s %s is not shown by any alert box (off or below minimum)", event.kind, event.id
            )
            gifted = isinstance(event, Subscription) and event.is_gift
            self._outcome(event, "gifted" if gifted else "off", replay=replay)
            return False
        if len(self.pending) >= MAX_PENDING:
            dropped = self.pending.popleft()
            self.missed.append(dropped)
            log.warning(
                "alert queue full: %s from %s recorded as missed",
                dropped.event.kind,
                dropped.event.actor_name,
            )
            self._outcome(dropped.event, "missed", replay=dropped.replay)
        self.pending.append(QueuedAlert(alert_id, event, self._clock(), replay))
        self._outcome(event, "waiting", replay=replay)
        self._notify()
        return True

    def replay(self, event: Event) -> bool:
        """Show a past event again (the Events page's Replay)."""
        return self.enqueue(event, replay=True)

    def skip(self) -> None:
        """Hide the alert on screen now; the next one follows after the gap."""
        if self.now is not None:
            self.now.skipped.set()

    def pause(self) -> None:
        self.paused = True
        self._notify()

    def resume(self) -> None:
        self.paused = False
        self._notify()

    def clear(self) -> int:
        """Drop every waiting alert (not the one on screen); returns how many."""
        dropped = list(self.pending)
        self.pending.clear()
        for item in dropped:
            self._outcome(item.event, "cleared", replay=item.replay)
        self._notify()
        return len(dropped)

    def state(self) -> dict[str, Any]:
        now = self.now
        return {
            "type": "alert_queue",
            "now": None
            if now is None
            else {
                "alert_id": now.item.alert_id,
                "kind": now.item.event.kind,
                "name": now.item.event.actor_name,
                "event_id": now.item.event.id,
            },
            "pending": len(self.pending),
            "paused": self.paused,
            "missed": len(self.missed),
            "shown": self.shown,
        }

    # --- internals --------------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        publish_notice(self.bus, AlertQueueChanged(self.state()))

    def _outcome(self, event: Event, outcome: AlertOutcomeKind, *, replay: bool) -> None:
        publish_notice(self.bus, AlertOutcome(event.platform.value, event.id, outcome, replay))

    def poke(self) -> None:
        """Something the queue waits on changed (an alert box connected, a source was shown)."""
        self._changed.set()

    async def _take_events(self) -> None:
        async for message in self._events:
            event = message.payload
            if isinstance(event, Event) and event.alertable:
                self.enqueue(event)

    def _expire_waiting(self) -> None:
        limit = self._settings().max_wait_s
        now = self._clock()
        expired = False
        while self.pending and now - self.pending[0].queued_at > limit:
            item = self.pending.popleft()
            self.missed.append(item)
            self._outcome(item.event, "missed", replay=item.replay)
            expired = True
            log.warning(
                "no alert box was open for %d s: %s from %s recorded as missed",
                limit,
                item.event.kind,
                item.event.actor_name,
            )
        if expired:
            self._notify()

    async def _wait_until_showable(self) -> QueuedAlert:
        while True:
            self._expire_waiting()
            if self.pending and not self.paused and self._can_show():
                return self.pending.popleft()
            self._changed.clear()
            # Wake on a change, or now and then to expire alerts that have waited too long.
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._changed.wait()

    async def _run(self) -> None:
        while True:
            item = await self._wait_until_showable()
            plan = self._resolve(item.event, item.alert_id)
            if plan is None:  # switched off while it waited
                self._outcome(item.event, "off", replay=item.replay)
                self._notify()
                continue
            current = _Now(item, self._clock() + plan.duration_ms / 1000)
            self.now = current
            self.shown += 1
            self.bus.publish(TOPIC_ALERTS, AlertShow(item.alert_id, item.event, plan))
            self._outcome(item.event, "shown", replay=item.replay)
            self._notify()
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(plan.duration_ms / 1000):
                    await current.skipped.wait()
            if current.skipped.is_set():
                self.bus.publish(TOPIC_ALERTS, AlertSkip(item.alert_id))
                self._outcome(item.event, "skipped", replay=item.replay)
            self.now = None
            self._notify()
            await asyncio.sleep(self._settings().gap_ms / 1000)
