"""An in-process publish/subscribe bus with topics and bounded per-subscriber queues.

Topics (DESIGN.md §1): ``events`` (every event), ``chat`` (chat messages), ``alerts`` (alertable
events), ``widget_config:{widget}`` (a widget's new config), ``app`` (app-level notices such as
"overlay connected"). Publishing never blocks and never awaits: the hot path from a connector to
the overlay sockets must not wait for a slow reader. Each subscriber has its own bounded queue; when
it is full the *oldest* message is dropped for that subscriber only (a live overlay cares about
what is happening now), and the drop is counted and logged (at most once per second per
subscriber, so a stuck reader cannot flood the log either).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000
_DROP_LOG_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class Message:
    """One delivery: the topic it was published on and what was published."""

    topic: str
    payload: Any


class Subscription:
    """A subscriber's bounded inbox. Iterate it with ``async for``; close it when done."""

    def __init__(self, bus: EventBus, topics: frozenset[str], maxsize: int, name: str) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._bus = bus
        self.topics = topics
        self.name = name
        self.maxsize = maxsize
        self._queue: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self.dropped = 0
        self._last_drop_log = 0.0

    def __repr__(self) -> str:
        return (
            f"<Subscription {self.name!r} topics={sorted(self.topics)} queued={len(self._queue)}>"
        )

    @property
    def closed(self) -> bool:
        return self._closed

    def qsize(self) -> int:
        return len(self._queue)

    def _deliver(self, message: Message) -> None:
        if self._closed:
            return
        if len(self._queue) >= self.maxsize:
            self._queue.popleft()
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_drop_log >= _DROP_LOG_INTERVAL:
                self._last_drop_log = now
                log.warning(
                    "subscriber %r is not keeping up: %d message(s) dropped so far (limit %d)",
                    self.name,
                    self.dropped,
                    self.maxsize,
                )
        self._queue.append(message)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self) -> Message | None:
        """The next message, or None when the inbox is empty."""
        return self._queue.popleft() if self._queue else None

    async def get(self) -> Message:
        """Wait for the next message; raise ``StopAsyncIteration`` once closed and drained."""
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        return await self.get()

    def add_topics(self, *topics: str) -> None:
        """Also receive ``topics`` from now on (e.g. the config topic of a widget just opened)."""
        new = frozenset(topics) - self.topics
        if new and not self._closed:
            self.topics |= new
            for topic in new:
                self._bus._by_topic.setdefault(topic, []).append(self)

    def close(self) -> None:
        """Stop receiving; a pending ``get`` ends once what is queued is read."""
        if not self._closed:
            self._closed = True
            self._bus._remove(self)
            self._wake()


class EventBus:
    """Topic-based fan-out to bounded subscriber inboxes. Not thread-safe: use it from the loop."""

    def __init__(self) -> None:
        self._by_topic: dict[str, list[Subscription]] = {}
        self.published = 0

    def subscribe(
        self, topics: Iterable[str], *, maxsize: int = DEFAULT_QUEUE_SIZE, name: str = ""
    ) -> Subscription:
        """A new inbox receiving every later message on any of ``topics``."""
        topic_set = frozenset([topics] if isinstance(topics, str) else topics)
        if not topic_set:
            raise ValueError("subscribe to at least one topic")
        sub = Subscription(self, topic_set, maxsize, name or f"subscriber-{id(self)}")
        for topic in topic_set:
            self._by_topic.setdefault(topic, []).append(sub)
        return sub

    def publish(self, topic: str, payload: Any) -> int:
        """Deliver ``payload`` to every subscriber of ``topic``; return how many got it."""
        self.published += 1
        subs = self._by_topic.get(topic)
        if not subs:
            return 0
        message = Message(topic, payload)
        for sub in subs:
            sub._deliver(message)
        return len(subs)

    def subscriber_count(self, topic: str) -> int:
        return len(self._by_topic.get(topic, ()))

    def _remove(self, sub: Subscription) -> None:
        for topic in sub.topics:
            subs = self._by_topic.get(topic)
            if subs and sub in subs:
                subs.remove(sub)
                if not subs:
                    del self._by_topic[topic]


# Topic names in one place, so a typo is an AttributeError rather than a silent non-delivery.
# (App notices have one topic per notice class: see core/notices.py.)
TOPIC_EVENTS = "events"
TOPIC_CHAT = "chat"
TOPIC_ALERTS = "alerts"


def widget_config_topic(widget: str) -> str:
    return f"widget_config:{widget}"
