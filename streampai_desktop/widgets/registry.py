"""The table of widget types the app knows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streampai_desktop.core.bus import TOPIC_ALERTS, TOPIC_CHAT
from streampai_desktop.widgets import alert_box, chat_box
from streampai_desktop.widgets.schema import Field, Sections

Repair = Callable[[Any], tuple[dict[str, Any], dict[str, str]]]


@dataclass(frozen=True, slots=True)
class WidgetSpec:
    """What the app needs to know about one widget type."""

    type: str  # also the overlay page name: /overlay/{type}
    title: str
    description: str
    topics: tuple[str, ...]  # bus topics the overlay page receives
    defaults: dict[str, Any]
    # (usable config, problems): bad values replaced by defaults; an empty dict means valid.
    repair: Repair
    # The top-level settings, in form order (the Alert Box adds a per-type editor of its own).
    fields: tuple[Field, ...] = ()
    sections: Sections = ()  # how the generated form groups ``fields``

    def validate(self, config: Any) -> dict[str, Any]:
        """The cleaned config, or ConfigError naming every bad value (for the settings form)."""
        from streampai_desktop.widgets.schema import ConfigError

        cleaned, problems = self.repair(config)
        if problems:
            raise ConfigError(problems)
        return cleaned


ALERT_BOX = WidgetSpec(
    type="alert_box",
    title="Alert Box",
    description="Follows, subs, gifts, cheers, raids, donations and more, one at a time.",
    topics=(TOPIC_ALERTS,),
    defaults=alert_box.defaults(),
    repair=alert_box.repair,
    fields=alert_box.QUEUE_FIELDS,
)

CHAT_BOX = WidgetSpec(
    type="chat_box",
    title="Chat Box",
    description="Chat from every connected platform in one box.",
    topics=(TOPIC_CHAT,),
    defaults=chat_box.defaults(),
    repair=chat_box.repair,
    fields=chat_box.FIELDS,
    sections=chat_box.SECTIONS,
)

WIDGETS: dict[str, WidgetSpec] = {spec.type: spec for spec in (ALERT_BOX, CHAT_BOX)}


def get_widget(widget_type: str) -> WidgetSpec | None:
    """The spec for ``widget_type``, or None when there is no such widget."""
    return WIDGETS.get(widget_type)
