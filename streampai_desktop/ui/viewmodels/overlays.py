"""How many overlay pages (OBS browser sources) are connected, per type and instance, live."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.bus import EventBus, Message
from streampai_desktop.core.notices import OverlayPresence as PresenceNotice
from streampai_desktop.core.notices import notice_topics
from streampai_desktop.ui.viewmodels.listener import BusListener


class OverlayPresence(BusListener):
    """Tracks the hub's ``{"type": "overlays", "connected": {...}, "instances": {...}}``."""

    changed = Signal(object)  # dict[str, int]: widget type → connected pages
    instances_changed = Signal(object)  # dict[str, int]: widget instance id → connected pages

    def __init__(
        self,
        bus: EventBus,
        initial: Mapping[str, int],
        parent: QObject | None = None,
        *,
        instances: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(
            bus,
            notice_topics(PresenceNotice),
            name="ui-overlay-presence",
            maxsize=100,
            parent=parent,
        )
        self._counts: dict[str, int] = dict(initial)
        self._instances: dict[str, int] = dict(instances or {})

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    @property
    def instances(self) -> dict[str, int]:
        return dict(self._instances)

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def set_counts(
        self, counts: Mapping[str, int], instances: Mapping[str, int] | None = None
    ) -> None:
        """Replace the counts (also used after the server moved to another port)."""
        new = {str(k): int(v) for k, v in counts.items()}
        if new != self._counts:
            self._counts = new
            self.changed.emit(self.counts)
        if instances is not None:
            per_instance = {str(k): int(v) for k, v in instances.items()}
            if per_instance != self._instances:
                self._instances = per_instance
                self.instances_changed.emit(self.instances)

    def handle(self, message: Message) -> None:
        payload = message.payload
        if isinstance(payload, PresenceNotice):
            self.set_counts(payload.connected, payload.instances)
