"""The shared shape of a view-model: one bus subscription read by one asyncio task it owns."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from PySide6.QtCore import QObject

from streampai_desktop.core.bus import EventBus, Message


class BusListener(QObject):
    """Reads ``topics`` from the bus and calls :meth:`handle` for each message on the GUI thread.

    Under qasync the loop *is* the Qt thread, so ``handle`` may touch widgets and emit signals
    directly. A failing ``handle`` is reported and the listener keeps going: one odd payload must
    not freeze a page for the rest of the session.
    """

    def __init__(
        self,
        bus: EventBus,
        topics: Iterable[str],
        *,
        name: str,
        maxsize: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._subscription = bus.subscribe(topics, maxsize=maxsize, name=name)
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        async for message in self._subscription:
            try:
                self.handle(message)
            except Exception as exc:
                loop.call_exception_handler(
                    {"message": f"{self._name} could not handle a message", "exception": exc}
                )

    def handle(self, message: Message) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Unsubscribe and stop the reading task (safe to call twice)."""
        self._subscription.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
