"""The table of widget types the app knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streampai_desktop.core.bus import TOPIC_ALERTS, TOPIC_CHAT


@dataclass(frozen=True, slots=True)
class WidgetSpec:
    """What the app needs to know about one widget type."""

    type: str  # also the overlay page name: /overlay/{type}
    title: str
    description: str
    topics: tuple[str, ...]  # bus topics the overlay page receives
    defaults: dict[str, Any] = field(default_factory=dict)


ALERT_BOX = WidgetSpec(
    type="alert_box",
    title="Alert Box",
    description="Follows, subs, gifts, cheers, raids, donations and more, one at a time.",
    topics=(TOPIC_ALERTS,),
    defaults={"duration_ms": 5000},
)

CHAT_BOX = WidgetSpec(
    type="chat_box",
    title="Chat Box",
    description="Chat from every connected platform in one box.",
    topics=(TOPIC_CHAT,),
    defaults={"max_messages": 50},
)

WIDGETS: dict[str, WidgetSpec] = {spec.type: spec for spec in (ALERT_BOX, CHAT_BOX)}


def get_widget(widget_type: str) -> WidgetSpec | None:
    """The spec for ``widget_type``, or None when there is no such widget."""
    return WIDGETS.get(widget_type)
