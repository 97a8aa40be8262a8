"""Widget types: one spec module per widget, collected in a registry.

A spec says what a widget is called, which bus topics its overlay page listens to, what its
default config looks like, how its settings form is laid out and which test events it offers.
Everything else (overlay route, HTML entry and URL, settings page, test buttons, previews, sync)
is derived from the spec, so adding a widget is its module here (plus its registry line) and its
Vue component under overlays/src/{type}/.
"""

from streampai_desktop.widgets.registry import WIDGETS, get_widget
from streampai_desktop.widgets.spec import WidgetSpec

__all__ = ["WIDGETS", "WidgetSpec", "get_widget"]
