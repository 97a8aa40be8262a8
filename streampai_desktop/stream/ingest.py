"""The one path every event takes: dedupe, then the event log (batched), then the bus.

Platforms deliver at least once, and a reconnect can replay what was already seen; the
(platform, id) key makes sure a replayed follow does not show a second alert. Dedupe is in memory
over a bounded window (recent keys), which is what a reconnect replays; the event log's unique
index catches anything older. Writes to SQLite are batched by a background worker so the hot path
(connector → bus → overlay socket) never waits on the disk.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.bus import TOPIC_CHAT, TOPIC_EVENTS, EventBus
from streampai_desktop.core.events import CHAT_TOPIC_KINDS, Event
from streampai_desktop.core.worker import Worker

log = logging.getLogger(__name__)

DEDUPE_WINDOW = 50_000
BATCH_MAX = 500
BATCH_INTERVAL = 0.25  # seconds; an event is on disk within this long of arriving
PENDING_LIMIT = 100_000  # beyond this the log falls behind on purpose rather than eat memory

WriteBatch = Callable[[Sequence[Event]], Awaitable[None]]


class EventIngest:
    """Accepts events from connectors, the demo source and the local API."""

    def __init__(self, bus: EventBus, write_batch: WriteBatch | None = None) -> None:
        self.bus = bus
        self._write_batch = write_batch
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._pending: list[Event] = []
        # Disk full, database locked: the writer keeps the events and retries, waiting longer.
        self._retry = Backoff(BATCH_INTERVAL * 2, 30.0)
        self._writer = Worker("event-log writer", self._write_loop, grace=10.0, logger=log)
        self.duplicates = 0
        self.unlogged = 0  # events the log could not keep (disk full, pending overflow)

    def start(self) -> None:
        if self._write_batch is not None:
            self._writer.start()

    async def stop(self) -> None:
        """Stop the writer, then flush what is still pending to the event log."""
        if not self._writer.running:
            return
        await self._writer.stop()
        await self._flush()

    def submit_nowait(self, event: Event) -> bool:
        """Process one event; False when it is a duplicate of one already seen."""
        key = event.dedupe_key
        if key in self._seen:
            self.duplicates += 1
            log.debug("duplicate %s %s dropped", event.kind, key)
            return False
        self._seen[key] = None
        if len(self._seen) > DEDUPE_WINDOW:
            self._seen.popitem(last=False)
        if self._write_batch is not None:
            if len(self._pending) < PENDING_LIMIT:
                self._pending.append(event)
                if len(self._pending) >= BATCH_MAX:
                    self._writer.wake()
            else:
                self.unlogged += 1
        self.bus.publish(TOPIC_EVENTS, event)
        if event.kind in CHAT_TOPIC_KINDS:
            self.bus.publish(TOPIC_CHAT, event)
        # Alertable events reach the overlays through the alert queue (core/alerts.py), which
        # reads them from ``events`` and decides when each one shows.
        return True

    async def submit(self, event: Event) -> bool:
        """Async form of :meth:`submit_nowait`, for callers that take an awaitable."""
        return self.submit_nowait(event)

    async def _write_loop(self) -> None:
        delay = BATCH_INTERVAL
        while await self._writer.sleep(delay):
            if await self._flush():
                self._retry.reset()
                delay = BATCH_INTERVAL
            else:
                delay = self._retry.next_delay()

    async def _flush(self) -> bool:
        """Write what is pending; on failure put it back (bounded) and return False."""
        if not self._pending or self._write_batch is None:
            return True
        batch, self._pending = self._pending, []
        try:
            await self._write_batch(batch)
        except Exception as exc:
            room = max(0, PENDING_LIMIT - len(self._pending))
            kept = batch[:room]
            self.unlogged += len(batch) - len(kept)
            self._pending[:0] = kept
            log.error(
                "could not write %d event(s) to the event log (%s); will retry",
                len(batch),
                exc,
            )
            return False
        return True
