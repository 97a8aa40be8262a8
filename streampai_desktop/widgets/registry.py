"""The table of widget types the app knows: one line per widget module's ``SPEC``.

The overlay build reads the same list through overlays/widgets.json (written by
``python -m streampai_desktop.widgets.manifest``), so a new line here needs that file regenerated;
tests/unit/test_overlay_entries.py says so when it was not.
"""

from __future__ import annotations

from streampai_desktop.widgets import alert_box, chat_box
from streampai_desktop.widgets.spec import WidgetSpec

WIDGETS: dict[str, WidgetSpec] = {spec.type: spec for spec in (alert_box.SPEC, chat_box.SPEC)}


def get_widget(widget_type: str) -> WidgetSpec | None:
    """The spec for ``widget_type``, or None when there is no such widget."""
    return WIDGETS.get(widget_type)
