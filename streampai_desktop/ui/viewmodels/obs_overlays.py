"""The overlays in OBS, for the Widgets page and the URL-repair flow: which scenes show each
widget, adding one, and keeping OBS's browser sources on the current URLs.

Built on the app's OBS service (``app.obs``: its connection is the requester, its status says
whether OBS is connected) and :mod:`streampai_desktop.obs.overlay_sources`, which does the work.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from streampai_desktop.obs.errors import ObsError
from streampai_desktop.obs.overlay_sources import (
    AddedSource,
    UrlRepair,
    add_widget_source,
    find_sources,
    repair_sources,
    stale_sources,
)
from streampai_desktop.ui.tasks import TaskSet
from streampai_desktop.widgets import WIDGETS

if TYPE_CHECKING:
    from streampai_desktop.app import App
    from streampai_desktop.obs.service import ObsService, ObsStatus

log = logging.getLogger("streampai_desktop.ui")

ALWAYS_SETTING = "obs_always_update_sources"
# OBS events after which a widget may be in other scenes than before.
_LAYOUT_EVENTS = frozenset(
    {
        "InputCreated",
        "InputRemoved",
        "InputNameChanged",
        "InputSettingsChanged",
        "SceneCreated",
        "SceneRemoved",
        "SceneNameChanged",
        "SceneItemCreated",
        "SceneItemRemoved",
    }
)
REFRESH_DELAY_MS = 300  # one look after a burst of events (a scene collection switch sends many)


class ObsOverlaysModel(QObject):
    """Where each widget is in OBS, kept fresh while OBS is connected."""

    connected_changed = Signal(bool)
    locations_changed = Signal(object)  # dict[str, list[str]]: widget id → scene names
    # OBS (re)connected and some of its sources show an old URL (the token or port changed
    # while OBS was closed, or before this version): the page asks or repairs.
    repair_needed = Signal(object)  # list[UrlRepair]
    always_update_changed = Signal(bool)

    def __init__(self, app: App, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.tasks = TaskSet()
        self.locations: dict[str, list[str]] = {}
        self._connected = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.schedule_refresh)
        self._unsubscribe: list[Any] = []

    @property
    def obs(self) -> ObsService:
        return self.app.obs

    @property
    def connected(self) -> bool:
        return self._connected

    def scenes(self) -> list[str]:
        return list(self.obs.status.scenes)

    def current_scene(self) -> str:
        return self.obs.status.scene or ""

    def start(self) -> None:
        self._unsubscribe.append(self.obs.on_change(self._status_changed))
        self._unsubscribe.append(self.obs.connection.on_event(self._obs_event))
        self._status_changed(self.obs.status)

    async def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._refresh_timer.stop()
        await self.tasks.cancel_all()

    # --- following OBS ------------------------------------------------------------------------

    def _status_changed(self, status: ObsStatus) -> None:
        connected = bool(status.connected)
        if connected == self._connected:
            return
        self._connected = connected
        self.connected_changed.emit(connected)
        if connected:
            self.schedule_refresh()
            self.tasks.spawn(self._check_urls(), "check OBS overlay URLs")
        else:
            self.locations = {}
            self.locations_changed.emit({})

    def _obs_event(self, event_type: str, _data: dict[str, Any]) -> None:
        if event_type in _LAYOUT_EVENTS:
            self._refresh_timer.start()

    def schedule_refresh(self) -> None:
        if self._connected:
            self.tasks.spawn(self.refresh(), "find overlays in OBS")

    async def refresh(self) -> dict[str, list[str]]:
        """Look in OBS for every widget's browser sources; widget id → scenes."""
        try:
            sources = await find_sources(self.obs.connection, self._widget_ids())
        except ObsError as exc:  # OBS went away meanwhile: the status change says so
            log.info("could not look for the overlays in OBS: %s", exc)
            return self.locations
        order = {scene: i for i, scene in enumerate(self.scenes())}
        found: dict[str, list[str]] = {}
        for source in sources:
            scenes = found.setdefault(source.widget_id, [])
            scenes.extend(s for s in source.scenes if s not in scenes)
        for scenes in found.values():
            scenes.sort(key=lambda s: order.get(s, len(order)))
        self.locations = found
        self.locations_changed.emit(dict(found))
        return found

    # --- adding -------------------------------------------------------------------------------

    async def add(self, widget_id: str, scene: str | None = None) -> AddedSource:
        """``widget_id``'s overlay as a browser source in ``scene`` (the current one)."""
        widget = self.app.widgets[widget_id]
        url = self.app.overlay_urls()[widget_id]
        size = WIDGETS[widget.type].obs_size
        added = await add_widget_source(self.obs.connection, widget, url, size, scene)
        await self.refresh()
        return added

    # --- keeping URLs right -------------------------------------------------------------------

    def _widget_ids(self) -> set[str]:
        return {w.id for w in self.app.widgets.ordered()}

    @property
    def always_update(self) -> bool:
        return bool(self.app.settings.get(ALWAYS_SETTING))

    async def set_always_update(self, on: bool) -> None:
        await self.app.preferences.save(ALWAYS_SETTING, on)
        self.always_update_changed.emit(on)

    async def stale(self) -> list[UrlRepair]:
        """The sources in OBS that show an old URL of one of the widgets."""
        urls = self.app.overlay_urls()
        return stale_sources(await find_sources(self.obs.connection, urls.keys()), urls)

    async def repair(self) -> list[UrlRepair]:
        """Update every stale source to its widget's current URL; what changed."""
        repairs = await repair_sources(self.obs.connection, self.app.overlay_urls())
        await self.refresh()
        return repairs

    async def _check_urls(self) -> None:
        try:
            stale = await self.stale()
        except ObsError as exc:
            log.info("could not check the overlay URLs in OBS: %s", exc)
            return
        if stale:
            self.repair_needed.emit(stale)


def report(repairs: list[UrlRepair]) -> str:
    """What the repair changed, for a status line (no tokens)."""
    if not repairs:
        return "Every overlay in OBS already has the current URL."
    done = [r for r in repairs if r.ok]
    failed = [r for r in repairs if not r.ok]
    lines = []
    if done:
        count = f"{len(done)} browser source{'s' if len(done) > 1 else ''}"
        lines.append(f"Updated {count} in OBS: " + "; ".join(r.describe() for r in done) + ".")
    lines.extend(r.describe() for r in failed)
    return " ".join(lines)
