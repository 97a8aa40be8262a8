"""Widget types: one spec module per widget, collected in a registry.

A spec says what a widget is called, which bus topics its overlay page listens to and what its
default config looks like. Everything else (overlay route and URL, settings page, sync, previews)
is derived from the spec, so adding a widget touches a Vue component and one module here.
"""

from streampai_desktop.widgets.registry import WIDGETS, WidgetSpec, get_widget

__all__ = ["WIDGETS", "WidgetSpec", "get_widget"]
