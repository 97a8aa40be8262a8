"""Alert planning for the alert queue: which Alert Box instances show an event, and how.

The queue (``core/alerts.py``) decides *when*; this decides *what*, from the Alert Box
instances' configs (variations resolved here, in the app, so every instance of one config shows
the same alert), and tells the queue its gap and wait limit from the first Alert Box.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from streampai_desktop.core.alerts import AlertPlan, QueueSettings
from streampai_desktop.core.events import Event
from streampai_desktop.widgets import alert_box
from streampai_desktop.widgets.instances import WidgetInstance

ALERT_BOX = alert_box.SPEC.type
# How many pages of a widget type can show something now: (widget type, visible_only) → count.
ShowingPages = Callable[[str, bool], int]


class AlertPlanner:
    def __init__(self, widgets: Mapping[str, WidgetInstance], showing_pages: ShowingPages) -> None:
        self._widgets = widgets
        self._showing_pages = showing_pages

    def _boxes(self) -> list[WidgetInstance]:
        return [w for w in self._widgets.values() if w.type == ALERT_BOX]

    def _primary(self) -> dict[str, Any]:
        first = self._widgets.get(ALERT_BOX)
        return first.config if first is not None else {}

    def plan(self, event: Event, alert_id: str) -> AlertPlan | None:
        """Each alert box instance's resolved settings; None when none of them shows it."""
        frames: dict[str, dict[str, Any]] = {}
        duration = 0
        for box in self._boxes():
            # Seeded per alert and instance: a replay or a reconnect draws the same variation.
            rng = random.Random(f"{alert_id}:{box.id}")
            # What the overlays show: never a picked file that is not on this computer yet.
            resolved = alert_box.resolve(box.overlay_config, event, rng)
            if resolved is not None:
                frames[box.id] = {"settings": resolved.settings, "variation": resolved.variation}
                duration = max(duration, int(resolved.settings["duration_ms"]))
        return AlertPlan(duration, frames) if frames else None

    def queue_settings(self) -> QueueSettings:
        config = self._primary()
        return QueueSettings(
            gap_ms=config.get("gap_ms", 1000), max_wait_s=config.get("max_wait_s", 600)
        )

    def can_show(self) -> bool:
        """An alert box page is open (and, if the streamer asked, its OBS source is visible)."""
        hold = bool(self._primary().get("hold_when_hidden", False))
        return self._showing_pages(ALERT_BOX, hold) > 0
