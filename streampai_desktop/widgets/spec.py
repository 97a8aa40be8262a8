"""What a widget type declares: :class:`WidgetSpec`. Each widget's module defines its ``SPEC``;
the registry lists them.

Everything generic about a widget comes from here: the overlay route and HTML entry (the
``type``), the settings form (``fields``, ``sections``), the editor's tabs, the test buttons and
the preview (``test_events``), validation and repair of stored configs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streampai_desktop.widgets.schema import ConfigError, Field, Sections

Repair = Callable[[Any], tuple[dict[str, Any], dict[str, str]]]


@dataclass(frozen=True, slots=True)
class WidgetSpec:
    """What the app needs to know about one widget type."""

    # Also the overlay page name (/overlay/{type}) and the folder of its Vue component:
    # overlays/src/{type}/{TypeInPascalCase}.vue (see widgets/manifest.py).
    type: str
    title: str
    description: str
    topics: tuple[str, ...]  # bus topics the overlay page receives
    defaults: dict[str, Any]
    # (usable config, problems): bad values replaced by defaults; an empty dict means valid.
    repair: Repair
    # The top-level settings, in form order, and how the generated form groups them.
    fields: tuple[Field, ...] = ()
    sections: Sections = ()
    # The editor's tab of ``fields``: its title and a line above the form.
    settings_tab: str = "Settings"
    settings_note: str = ""
    # The config has per-alert-type settings and variations (``types.{kind}``), edited in an
    # "Alert types" tab before the ``fields`` tab.
    alert_types: bool = False
    # The Test tab: (event kind, label) per test — each is offered in the preview (the draft,
    # that page only) and on stream (the local API, saved settings) —, a line above them, and
    # what the status line says once one is sent on stream ({title} is the label). The preview
    # sends the same kinds in turn, one every ``preview_interval`` seconds. No test events: no
    # Test tab and no preview.
    test_events: tuple[tuple[str, str], ...] = ()
    test_note: str = ""
    test_sent: str = "Sent a test {title}."
    preview_interval: float = 3.0
    # The browser source's width and height to set in OBS (what the page's layout is made for).
    obs_size: tuple[int, int] = (800, 600)

    def validate(self, config: Any) -> dict[str, Any]:
        """The cleaned config, or ConfigError naming every bad value (for the settings form)."""
        cleaned, problems = self.repair(config)
        if problems:
            raise ConfigError(problems)
        return cleaned

    def test_title(self, kind: str) -> str:
        """The label of the test button that sends ``kind`` (``kind`` itself when none does)."""
        return next((title for k, title in self.test_events if k == kind), kind)
