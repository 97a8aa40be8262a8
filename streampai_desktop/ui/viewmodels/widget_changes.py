"""Widget config changes as Qt signals, so an open editor hears a save made elsewhere."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.bus import EventBus, Message
from streampai_desktop.core.notices import WidgetConfigChanged, notice_topics
from streampai_desktop.ui.viewmodels.listener import BusListener


class WidgetChanges(BusListener):
    """Re-announces every ``WidgetConfigChanged`` notice."""

    changed = Signal(object)  # the WidgetConfigChanged notice

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(
            bus, notice_topics(WidgetConfigChanged), name="ui-widget-changes", parent=parent
        )

    def handle(self, message: Message) -> None:
        if isinstance(message.payload, WidgetConfigChanged):
            self.changed.emit(message.payload)
