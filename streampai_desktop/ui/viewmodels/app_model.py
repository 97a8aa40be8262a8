"""The pages' one handle on the running :class:`~streampai_desktop.app.App`.

It owns the bus listeners (event feed, overlay presence, alert queue and its outcomes) and the
tasks started from buttons, wraps the app's actions (change port, new tokens, theme, demo, widget
instances and their configs, replays) and announces their results as signals, so every page that
shows a URL, a port, a widget or the demo state updates together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.events import Event
from streampai_desktop.platforms.flows import ShowStep
from streampai_desktop.secrets import API_TOKEN, OVERLAY_TOKEN
from streampai_desktop.ui.hotkeys import Hotkeys
from streampai_desktop.ui.tasks import TaskSet
from streampai_desktop.ui.viewmodels.account import AccountModel
from streampai_desktop.ui.viewmodels.alert_queue import AlertQueueModel
from streampai_desktop.ui.viewmodels.channel_activity import ChannelActivityModel
from streampai_desktop.ui.viewmodels.event_feed import EventFeed
from streampai_desktop.ui.viewmodels.event_table import AlertOutcomeFeed, EventTableModel
from streampai_desktop.ui.viewmodels.obs import ObsModel
from streampai_desktop.ui.viewmodels.obs_overlays import ObsOverlaysModel
from streampai_desktop.ui.viewmodels.overlays import OverlayPresence
from streampai_desktop.ui.viewmodels.streams import StreamsModel
from streampai_desktop.ui.viewmodels.test_events import TestEvents
from streampai_desktop.ui.viewmodels.widget_changes import WidgetChanges

if TYPE_CHECKING:
    from streampai_desktop.app import App
    from streampai_desktop.widgets.instances import WidgetInstance

log = logging.getLogger("streampai_desktop.ui")
T = TypeVar("T")


class AppViewModel(QObject):
    """Signals and actions over the running app, for the main window and its pages."""

    server_changed = Signal()  # port or running state: status bar, URLs
    urls_changed = Signal()  # port or overlay token changed: OBS needs the new URLs
    demo_changed = Signal(bool)
    theme_changed = Signal(str)
    widgets_changed = Signal()  # an instance was added, renamed or deleted
    widget_saved = Signal(str)  # instance id whose config was saved
    synced = Signal()  # another computer's widget configs or preferences arrived

    def __init__(self, app: App, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.tasks = TaskSet()
        self.feed = EventFeed(app.bus, app.recent_events, self)
        hub = app.overlays.hub
        self.presence = OverlayPresence(
            app.bus, hub.connected_counts(), self, instances=hub.connected_instances()
        )
        self.queue = AlertQueueModel(app.bus, app.alerts, self)
        self.hotkeys = Hotkeys(app.preferences, app.alerts, self)
        self.alert_outcomes = AlertOutcomeFeed(app.bus, self)
        # The Events page's rows, collected from the start; the page is built when first shown.
        self.event_table = EventTableModel(parent=self)
        self.feed.events_arrived.connect(self.event_table.add_live)
        self.feed.history_loaded.connect(self.event_table.add_history)
        self.alert_outcomes.outcome.connect(self.event_table.set_outcome)
        self.widget_changes = WidgetChanges(app.bus, self)
        self.test_events = TestEvents(app.overlays)
        self.streams = StreamsModel(app.platforms, self)
        # The poll, prediction, hype train and ad break running on each channel (Dashboard).
        self.activity = ChannelActivityModel(
            app.bus, app.platforms.streams.channel_activity, self.streams, self
        )
        self.account = AccountModel(app.account, app.preferences, self)
        # OBS's status and controls (Dashboard, Settings → OBS).
        self.obs = ObsModel(app.bus, app.obs, self)
        self.account.sync_applied.connect(self._sync_applied)
        # Which scenes show each widget in OBS, "Add to OBS", and URL repair (Widgets, Settings).
        self.obs_overlays = ObsOverlaysModel(app, self)
        self._closed = False
        self._applied_theme = app.settings.theme
        self.theme_changed.connect(self._remember_theme)

    def start(self) -> None:
        self.feed.start()
        self.presence.start()
        self.queue.start()
        self.alert_outcomes.start()
        self.widget_changes.start()
        self.streams.start()
        self.activity.start()
        self.account.start()
        self.obs.start()
        self.hotkeys.start()
        self.obs_overlays.start()

    async def load(self) -> None:
        """What the window needs before it shows (local reads only)."""
        await self.account.load()

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run an action from a click; its errors reach the error dialog."""
        return self.tasks.spawn(coro, name)

    # --- what the pages show ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.app.port

    @property
    def server_running(self) -> bool:
        return self.app.overlays.running

    @property
    def demo_on(self) -> bool:
        return self.app.demo.on

    def overlay_urls(self) -> dict[str, str]:
        return self.app.overlay_urls()

    def widgets(self) -> list[WidgetInstance]:
        """Every widget instance, grouped by type in registry order, first instances first."""
        return self.app.widgets.ordered()

    # --- actions ----------------------------------------------------------------------------------

    async def change_port(self, port: int) -> None:
        """Move the overlay server; raises PortInUseError / SettingsError for the page to show."""
        try:
            await self.app.overlays.change_port(self.app.settings.validate("overlay_port", port))
        finally:
            # Success or not, the server restarted: re-read where it runs and who is connected.
            hub = self.app.overlays.hub
            self.presence.set_counts(hub.connected_counts(), hub.connected_instances())
            self.server_changed.emit()
        self.urls_changed.emit()

    async def regenerate_token(self, which: str) -> None:
        if which not in (OVERLAY_TOKEN, API_TOKEN):
            raise ValueError(f"unknown token {which!r}")
        await self.app.overlays.regenerate_token(which)
        if which == OVERLAY_TOKEN:
            self.urls_changed.emit()

    async def set_theme(self, theme: str) -> None:
        saved = await self.app.preferences.save("theme", theme)
        self.theme_changed.emit(saved)

    async def set_demo(self, on: bool) -> None:
        await self.app.demo.set(on)
        self.demo_changed.emit(self.demo_on)

    async def sign_in(self, platform_id: str, show: ShowStep) -> None:
        """Connect a platform with its own sign-in flow; demo events stop once connected."""
        try:
            await self.streams.sign_in(platform_id, show)
        finally:
            self.demo_changed.emit(self.demo_on)

    async def set_demo_when_offline(self, on: bool) -> None:
        await self.app.preferences.save("demo_when_offline", on)

    def _remember_theme(self, theme: str) -> None:
        self._applied_theme = theme

    def _sync_applied(self) -> None:
        """Widgets may have been added, renamed, deleted or changed; the theme may be new."""
        self.widgets_changed.emit()
        self.urls_changed.emit()
        self.synced.emit()
        theme = self.app.settings.theme
        if theme != self._applied_theme:
            self.theme_changed.emit(theme)

    # --- widget instances -------------------------------------------------------------------------

    async def create_widget(self, widget_type: str) -> WidgetInstance:
        widget = await self.app.widgets.create(widget_type)
        self.widgets_changed.emit()
        self.urls_changed.emit()
        return widget

    async def rename_widget(self, widget_id: str, name: str) -> None:
        await self.app.widgets.rename(widget_id, name)
        self.widgets_changed.emit()

    async def delete_widget(self, widget_id: str) -> None:
        await self.app.widgets.delete(widget_id)
        self.widgets_changed.emit()
        self.urls_changed.emit()

    async def save_widget_config(self, widget_id: str, config: dict[str, Any]) -> dict[str, Any]:
        """Validate, save and push live; raises ConfigError (nothing saved) for the form."""
        cleaned = await self.app.widgets.save_config(widget_id, config)
        self.widget_saved.emit(widget_id)
        return cleaned

    async def import_media(self, path: Path, kinds: tuple[str, ...]) -> str:
        return await self.app.widgets.import_media(path, kinds)

    # --- alerts -----------------------------------------------------------------------------------

    def replay(self, events: Iterable[Event]) -> tuple[int, int]:
        """Queue past events again, oldest first; (queued, not shown because off/below minimum)."""
        alertable = sorted((e for e in events if e.alertable), key=lambda e: e.at)
        queued = sum(1 for e in alertable if self.app.alerts.replay(e))
        return queued, len(alertable) - queued

    # --- shutdown ---------------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop listening and cancel running actions (the app itself keeps running)."""
        if self._closed:
            return
        self._closed = True
        await self.tasks.cancel_all()
        await self.feed.close()
        await self.presence.close()
        await self.queue.close()
        await self.alert_outcomes.close()
        await self.widget_changes.close()
        await self.streams.close()
        await self.activity.close()
        await self.account.close()
        await self.obs.close()
        await self.obs_overlays.close()
        self.hotkeys.close()

    async def shutdown(self) -> None:
        """Close the view-models, then stop the app. Idempotent."""
        await self.close()
        await self.app.shutdown()
