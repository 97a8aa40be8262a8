"""Demo mode on and off: demo chat and alerts for the overlays while no channel is connected."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event
from streampai_desktop.core.notices import DemoChanged, publish_notice

if TYPE_CHECKING:  # imported when the demo first starts: a connected streamer never needs it
    from streampai_desktop.stream.demo import DemoSource

log = logging.getLogger(__name__)


NO_ACCOUNT_REASON = (
    "Demo mode is on because no account is connected: demo chat and alerts are being sent to "
    "your overlays."
)
FORCED_REASON = "Demo mode is on (--demo)."


class DemoControl:
    def __init__(self, bus: EventBus, submit: Callable[[Event], Awaitable[bool]]) -> None:
        self.bus = bus
        self._submit = submit
        self._source: DemoSource | None = None
        self.reason = ""  # why it is on, for the window and the log

    @property
    def on(self) -> bool:
        return self._source is not None

    async def set(self, on: bool, reason: str = "") -> None:
        if on and self._source is None:
            from streampai_desktop.stream.demo import DemoSource

            self._source = DemoSource(self._submit)
            self._source.start()
            self.reason = reason or self.reason
        elif not on and self._source is not None:
            source, self._source = self._source, None
            await source.stop()
            self.reason = ""
        else:
            return
        publish_notice(self.bus, DemoChanged(self.on, self.reason))

    async def start(self, forced: bool | None, *, has_account: bool, when_offline: bool) -> None:
        """At start-up: on when asked (``--demo``), or (``forced`` None) when no account is
        connected and the streamer has not switched demo-when-offline off."""
        if forced is None:
            wanted, reason = (not has_account and when_offline), NO_ACCOUNT_REASON
        else:
            wanted, reason = forced, FORCED_REASON
        if wanted:
            await self.set(True, reason)
            log.info("%s", reason)
