"""Widget instances as the app sees them: stored rows checked against their widget's spec.

Blocking functions for the database thread; :class:`~streampai_desktop.widgets.service.
WidgetService` is their asynchronous face for the rest of the app.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from streampai_desktop.store import Database
from streampai_desktop.store import operations as ops
from streampai_desktop.widgets.media import with_available_media
from streampai_desktop.widgets.registry import WIDGETS
from streampai_desktop.widgets.schema import clean_name

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WidgetInstance:
    """One configured widget: its own URL (``/overlay/{id}``), name and config."""

    id: str
    type: str
    name: str
    config: dict[str, Any]  # as stored and edited
    # What overlays are sent when it differs from ``config``: picked files this computer does
    # not have yet replaced by the built-in defaults (see :func:`showing_available_media`).
    shown_config: dict[str, Any] | None = None

    @property
    def overlay_config(self) -> dict[str, Any]:
        """The config overlay pages and the alert planner use (never the editor)."""
        return self.config if self.shown_config is None else self.shown_config


def load_widgets(db: Database) -> list[WidgetInstance]:
    """Every widget instance, creating the first one of each type. Saved configs are repaired:
    a value this version cannot use falls back to its default with a warning, so a damaged
    config never leaves an overlay blank."""
    rows = ops.ensure_widgets(db, [(s.type, s.title, s.defaults) for s in WIDGETS.values()])
    instances = []
    for row in rows:
        spec = WIDGETS.get(row.widget_type)
        if spec is None:
            log.info("ignoring widget %s of unknown type %s", row.id, row.widget_type)
            continue
        config, problems = spec.repair(row.config)
        for where, problem in problems.items():
            log.warning("%s %r: %s (%s); using the default", spec.title, row.name, problem, where)
        instances.append(WidgetInstance(row.id, row.widget_type, row.name, config))
    return instances


def new_widget_id(widget_type: str) -> str:
    """A fresh id for another instance of ``widget_type`` (``chat_box-2f9c1a``): the first
    instance's id is the type itself, so its URL never changes."""
    return f"{widget_type}-{uuid.uuid4().hex[:6]}"


def create_widget(db: Database, widget_type: str, name: str) -> WidgetInstance:
    """A new instance of ``widget_type`` with default settings and its own URL."""
    spec = WIDGETS[widget_type]
    name = clean_name(name) or spec.title
    widget_id = new_widget_id(widget_type)
    ops.create_widget(db, widget_type, widget_id, name, spec.defaults)
    return WidgetInstance(widget_id, widget_type, name, spec.defaults)


def rename_widget(db: Database, widget_id: str, name: str) -> str:
    """Rename an instance; returns the cleaned name (ValueError when nothing is left)."""
    name = clean_name(name)
    if not name:
        raise ValueError("a widget needs a name")
    ops.rename_widget(db, widget_id, name)
    return name


def showing_available_media(widget: WidgetInstance, have: Callable[[str], bool]) -> WidgetInstance:
    """``widget`` with what its overlays show worked out again for the media this computer has
    (``have(ref)``): a synced config may name a file that has not arrived yet."""
    spec = WIDGETS.get(widget.type)
    shown = with_available_media(widget.config, spec.defaults if spec else {}, have)
    return replace(widget, shown_config=None if shown is widget.config else shown)
