"""How many overlay pages (OBS browser sources) are connected, per widget, live."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.bus import TOPIC_APP, EventBus, Message
from streampai_desktop.ui.viewmodels.listener import BusListener


class OverlayPresence(BusListener):
    """Tracks the hub's ``{"type": "overlays", "connected": {...}}`` announcements."""

    changed = Signal(object)  # dict[str, int]: widget type → connected pages

    def __init__(
        self, bus: EventBus, initial: Mapping[str, int], parent: QObject | None = None
    ) -> None:
        super().__init__(bus, [TOPIC_APP], name="ui-overlay-presence", maxsize=100, parent=parent)
        self._counts: dict[str, int] = dict(initial)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """Replace the counts (also used after the server moved to another port)."""
        new = {str(k): int(v) for k, v in counts.items()}
        if new != self._counts:
            self._counts = new
            self.changed.emit(self.counts)

    def handle(self, message: Message) -> None:
        payload = message.payload
        if isinstance(payload, dict) and payload.get("type") == "overlays":
            connected = payload.get("connected")
            if isinstance(connected, dict):
                self.set_counts(connected)
