"""The pages' one handle on the running :class:`~streampai_desktop.app.App`.

It owns the bus listeners (event feed, overlay presence) and the tasks started from buttons, wraps
the app's actions (change port, new tokens, theme, demo) and announces their results as signals,
so every page that shows a URL, a port or the demo state updates together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from streampai_desktop.secrets import API_TOKEN, OVERLAY_TOKEN
from streampai_desktop.ui.tasks import TaskSet
from streampai_desktop.ui.viewmodels.event_feed import EventFeed
from streampai_desktop.ui.viewmodels.overlays import OverlayPresence

if TYPE_CHECKING:
    from streampai_desktop.app import App

log = logging.getLogger("streampai_desktop.ui")
T = TypeVar("T")


class AppViewModel(QObject):
    """Signals and actions over the running app, for the main window and its pages."""

    server_changed = Signal()  # port or running state: status bar, URLs
    urls_changed = Signal()  # port or overlay token changed: OBS needs the new URLs
    demo_changed = Signal(bool)
    theme_changed = Signal(str)

    def __init__(self, app: App, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.tasks = TaskSet()
        self.feed = EventFeed(app.bus, app.recent_events, self)
        self.presence = OverlayPresence(app.bus, app.server.hub.connected_counts(), self)
        self._closed = False

    def start(self) -> None:
        self.feed.start()
        self.presence.start()

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run an action from a click; its errors reach the error dialog."""
        return self.tasks.spawn(coro, name)

    # --- what the pages show ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.app.port

    @property
    def server_running(self) -> bool:
        return bool(self.app.server.running)

    @property
    def demo_on(self) -> bool:
        return self.app.demo is not None

    def overlay_urls(self) -> dict[str, str]:
        return self.app.overlay_urls()

    # --- actions ----------------------------------------------------------------------------------

    async def change_port(self, port: int) -> None:
        """Move the overlay server; raises PortInUseError / SettingsError for the page to show."""
        try:
            await self.app.change_port(port)
        finally:
            # Success or not, the server restarted: re-read where it runs and who is connected.
            self.presence.set_counts(self.app.server.hub.connected_counts())
            self.server_changed.emit()
        self.urls_changed.emit()

    async def regenerate_token(self, which: str) -> None:
        if which not in (OVERLAY_TOKEN, API_TOKEN):
            raise ValueError(f"unknown token {which!r}")
        await self.app.regenerate_token(which)
        if which == OVERLAY_TOKEN:
            self.urls_changed.emit()

    async def set_theme(self, theme: str) -> None:
        saved = await self.app.save_setting("theme", theme)
        self.theme_changed.emit(saved)

    async def set_demo(self, on: bool) -> None:
        await self.app.set_demo(on)
        self.demo_changed.emit(self.demo_on)

    async def set_demo_when_offline(self, on: bool) -> None:
        await self.app.save_setting("demo_when_offline", on)

    # --- shutdown ---------------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop listening and cancel running actions (the app itself keeps running)."""
        if self._closed:
            return
        self._closed = True
        await self.tasks.cancel_all()
        await self.feed.close()
        await self.presence.close()

    async def shutdown(self) -> None:
        """Close the view-models, then stop the app. Idempotent."""
        await self.close()
        await self.app.shutdown()
