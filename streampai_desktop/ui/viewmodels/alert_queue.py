"""The alert queue as the Dashboard shows it: what is on screen, what waits, what was missed.

The queue (``core/alerts.py``) publishes its state (an ``AlertQueueChanged`` notice) after every
change; this view-model keeps the latest one and passes the Dashboard's buttons through to the
queue.
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.alerts import AlertQueue
from streampai_desktop.core.bus import EventBus, Message
from streampai_desktop.core.notices import AlertQueueChanged, notice_topics
from streampai_desktop.ui.viewmodels.listener import BusListener


class AlertQueueModel(BusListener):
    """The queue's latest state (``AlertQueue.state()``), and its controls."""

    changed = Signal(object)  # the state dict

    def __init__(self, bus: EventBus, queue: AlertQueue, parent: QObject | None = None) -> None:
        # Only the newest state matters, so a small inbox that drops the oldest is enough.
        super().__init__(
            bus, notice_topics(AlertQueueChanged), name="ui-alert-queue", maxsize=50, parent=parent
        )
        self._queue = queue
        self.state: dict[str, Any] = queue.state()

    def handle(self, message: Message) -> None:
        payload = message.payload
        if isinstance(payload, AlertQueueChanged):
            self.state = dict(payload.state)
            self.changed.emit(self.state)

    @property
    def paused(self) -> bool:
        return bool(self.state.get("paused"))

    @property
    def pending(self) -> int:
        return int(self.state.get("pending", 0))

    def waiting(self, limit: int) -> list[tuple[str, str]]:
        """The next ``limit`` waiting alerts as (kind, who), next first.

        Read from the queue itself (the published state only counts them); the queue runs on
        this same event loop, so the read sees one consistent moment.
        """
        return [
            (item.event.kind, item.event.actor_name)
            for item in itertools.islice(self._queue.pending, limit)
        ]

    def skip(self) -> None:
        self._queue.skip()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self._queue.pause()
        else:
            self._queue.resume()

    def clear(self) -> int:
        return self._queue.clear()
