"""Every event from the bus, handed to the pages in batches.

A chat flood can publish hundreds of events a second; updating a table and a list per event would
freeze the window. The feed collects what arrives and flushes it at most every ``FLUSH_MS`` in one
``events_arrived`` signal, so the pages do one model update per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from streampai_desktop.core.bus import TOPIC_EVENTS, EventBus, Message
from streampai_desktop.core.events import ChatMessage, Event
from streampai_desktop.ui.viewmodels.listener import BusListener

FLUSH_MS = 75
HISTORY_LIMIT = 500
# The bus drops the oldest messages for a reader that falls this far behind, so a stalled UI
# cannot hold the whole stream in memory.
QUEUE_LIMIT = 10_000


class EventFeed(BusListener):
    """Live events (batched) plus the recent history from the event log."""

    events_arrived = Signal(object)  # list[Event], oldest first
    history_loaded = Signal(object)  # list[Event], newest first
    counters_changed = Signal()

    def __init__(
        self,
        bus: EventBus,
        load_history: Callable[[int], Awaitable[Sequence[Event]]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(
            bus, [TOPIC_EVENTS], name="ui-event-feed", maxsize=QUEUE_LIMIT, parent=parent
        )
        self._load_history = load_history
        self._pending: list[Event] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        self._history_task: asyncio.Task[None] | None = None
        self.history: list[Event] = []
        self.session_events = 0
        self.session_chat = 0
        self.session_alerts = 0

    def start(self) -> None:
        # Subscribed (in __init__) before the history is read, so nothing falls in between;
        # the pages drop anything that shows up in both.
        super().start()
        if self._history_task is None:
            self._history_task = asyncio.get_running_loop().create_task(
                self._read_history(), name="ui-event-history"
            )

    async def _read_history(self) -> None:
        try:
            self.history = list(await self._load_history(HISTORY_LIMIT))
        except Exception as exc:  # the live feed still works without the history
            asyncio.get_running_loop().call_exception_handler(
                {"message": "reading the recent events", "exception": exc}
            )
            return
        self.history_loaded.emit(self.history)

    def handle(self, message: Message) -> None:
        event = message.payload
        if not isinstance(event, Event):
            return
        self._pending.append(event)
        self.session_events += 1
        if isinstance(event, ChatMessage):
            self.session_chat += 1
        elif event.alertable:
            self.session_alerts += 1
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Hand everything pending to the pages now."""
        self._timer.stop()
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self.events_arrived.emit(batch)
        self.counters_changed.emit()

    async def close(self) -> None:
        self._timer.stop()
        task, self._history_task = self._history_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await super().close()
