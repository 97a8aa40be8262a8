"""The widget service: widget instances and config editing, for the window, the local API and
sync alike.

Every change goes through here: it is validated against the widget's spec, saved (with its sync
outbox entry, in one transaction) and announced as a typed notice; the same notice goes to the
widget's config topic, which the overlay hub forwards to that widget's open pages, so OBS shows
the change without a reload. An open editor hears changes made elsewhere (the local API, another
computer) through the notice's ``origin``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from streampai_desktop.core.bus import EventBus, widget_config_topic
from streampai_desktop.core.notices import (
    ChangeOrigin,
    WidgetConfigChanged,
    WidgetsChanged,
    publish_notice,
)
from streampai_desktop.store import Database
from streampai_desktop.store import operations as ops
from streampai_desktop.widgets import instances
from streampai_desktop.widgets.instances import WidgetInstance, showing_available_media
from streampai_desktop.widgets.media import has_media, import_media
from streampai_desktop.widgets.registry import WIDGETS

RunDb = Callable[..., Awaitable[Any]]


class WidgetService(Mapping[str, WidgetInstance]):
    """The widget instances (a read-only mapping: id → instance) and every way to change them."""

    def __init__(self, bus: EventBus, db: Database, run_db: RunDb, data_dir: Path) -> None:
        self.bus = bus
        self._db = db
        self._run_db = run_db
        self._data_dir = data_dir
        self._instances: dict[str, WidgetInstance] = {}
        # Called after every local edit (the sync engine pushes it); set once sync exists.
        self.on_local_edit: Callable[[], None] = lambda: None
        # Called after any config change (the alert queue re-reads its gap and what can show).
        self.on_saved: Callable[[], None] = lambda: None

    async def load(self) -> None:
        loaded = await self._run_db(instances.load_widgets, self._db)
        self._instances = {w.id: self._showing(w) for w in loaded}

    def _showing(self, widget: WidgetInstance) -> WidgetInstance:
        """``widget`` with what its overlays show: picked files not on this computer yet (a
        synced config) replaced by built-in defaults until they arrive."""
        return showing_available_media(widget, has_media(self._data_dir))

    # --- Mapping -------------------------------------------------------------------------------

    def __getitem__(self, widget_id: str) -> WidgetInstance:
        return self._instances[widget_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._instances)

    def __len__(self) -> int:
        return len(self._instances)

    def ordered(self) -> list[WidgetInstance]:
        """Grouped by type in registry order, first instances first, then by name."""
        order = {t: i for i, t in enumerate(WIDGETS)}
        return sorted(
            self._instances.values(),
            key=lambda w: (order.get(w.type, len(order)), w.id != w.type, w.name.lower()),
        )

    def next_name(self, widget_type: str) -> str:
        """ "Chat Box 2", "Chat Box 3", …: the first name of that shape not taken yet."""
        title = WIDGETS[widget_type].title
        taken = {w.name for w in self._instances.values()}
        number = 2
        while f"{title} {number}" in taken:
            number += 1
        return f"{title} {number}"

    # --- changes ---------------------------------------------------------------------------------

    async def save_config(
        self, widget_id: str, config: dict[str, Any], *, origin: ChangeOrigin = "editor"
    ) -> dict[str, Any]:
        """Validate, persist and push a widget's config to every open page of that widget.

        Raises :class:`~streampai_desktop.widgets.schema.ConfigError` (nothing saved) when a
        value is not usable; returns the cleaned config.
        """
        widget = self._instances[widget_id]
        cleaned = WIDGETS[widget.type].validate(config)
        await self._run_db(ops.save_widget_config, self._db, widget_id, cleaned)
        self._instances[widget_id] = self._showing(replace(widget, config=cleaned))
        self._announce(self._instances[widget_id], origin)
        self.on_local_edit()
        return cleaned

    async def create(self, widget_type: str, name: str | None = None) -> WidgetInstance:
        """Another instance of a widget type, with its own URL and settings."""
        widget = await self._run_db(
            instances.create_widget, self._db, widget_type, name or self.next_name(widget_type)
        )
        self._instances[widget.id] = widget
        self._changed()
        return widget

    async def rename(self, widget_id: str, name: str) -> None:
        cleaned = await self._run_db(instances.rename_widget, self._db, widget_id, name)
        self._instances[widget_id] = replace(self._instances[widget_id], name=cleaned)
        self._changed()

    async def delete(self, widget_id: str) -> None:
        """Remove an extra instance (the first of each type stays: its URL is the stable one)."""
        widget = self._instances[widget_id]
        if widget.id == widget.type:
            raise ValueError("the first widget of each type cannot be deleted")
        await self._run_db(ops.delete_widget, self._db, widget_id)
        del self._instances[widget_id]
        self._changed()

    async def import_media(self, source: Path, kinds: tuple[str, ...]) -> str:
        """Copy a picked image/video/sound into the data folder; returns its media ref.
        Raises :class:`~.media.MediaError` with a message for the streamer."""
        return await asyncio.to_thread(import_media, self._data_dir, source, kinds)

    async def reload(self) -> None:
        """Re-read after another computer's changes landed, or its media did: changed configs
        reach open pages and editors (origin "sync"), and so does a picked file that arrived
        (the pages switch from the built-in default to it); added or removed instances are
        announced."""
        loaded = await self._run_db(instances.load_widgets, self._db)
        fresh = {w.id: self._showing(w) for w in loaded}
        previous, self._instances = self._instances, fresh
        for widget_id, widget in fresh.items():
            old = previous.get(widget_id)
            if (
                old is None
                or old.config != widget.config
                or old.overlay_config != widget.overlay_config
            ):
                self._announce(widget, "sync")
        if {(w.id, w.name) for w in fresh.values()} != {(w.id, w.name) for w in previous.values()}:
            publish_notice(self.bus, WidgetsChanged())

    def _announce(self, widget: WidgetInstance, origin: ChangeOrigin) -> None:
        notice = WidgetConfigChanged(
            widget.id, widget.type, widget.config, origin, shown_config=widget.shown_config
        )
        publish_notice(self.bus, notice)
        # The same notice on the widget's own topic: the overlay hub sends it to that widget's
        # open pages only.
        self.bus.publish(widget_config_topic(widget.id), notice)
        self.on_saved()

    def _changed(self) -> None:
        publish_notice(self.bus, WidgetsChanged())
        self.on_local_edit()
