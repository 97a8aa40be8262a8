"""OBS for the pages: the latest status (from the service's ``ObsStatusChanged`` notices) as a Qt
signal, and the controls (scene, stream, record, where OBS is)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.bus import EventBus, Message
from streampai_desktop.core.notices import ObsStatusChanged, notice_topics
from streampai_desktop.obs.service import ObsStatus
from streampai_desktop.ui.viewmodels.listener import BusListener

if TYPE_CHECKING:
    from streampai_desktop.obs.service import ObsService

# How long the Settings card's "Connect" waits for OBS before it shows why not.
CONNECT_WAIT_S = 5.0


class ObsModel(BusListener):
    """The app's OBS service as the Dashboard and Settings → OBS show it."""

    changed = Signal(object)  # ObsStatus

    def __init__(self, bus: EventBus, service: ObsService, parent: QObject | None = None) -> None:
        # Only the newest status matters: a small inbox is enough.
        super().__init__(
            bus, notice_topics(ObsStatusChanged), name="ui-obs", maxsize=50, parent=parent
        )
        self.service = service

    @property
    def status(self) -> ObsStatus:
        return self.service.status

    @property
    def url_source(self) -> str:
        return self.service.url_source

    @property
    def has_password(self) -> bool:
        return self.service.has_password

    def handle(self, message: Message) -> None:
        if isinstance(message.payload, ObsStatusChanged):
            # The service's own latest, not the notice's: a queued older one is stale.
            self.changed.emit(self.service.status)

    async def connect_obs(self, url: str | None, password: str | None) -> ObsStatus:
        """Save the address/password and connect; raises why not (an ObsError)."""
        return await self.service.connect_with(url, password, within=CONNECT_WAIT_S)

    async def set_scene(self, scene: str) -> None:
        await self.service.set_scene(scene)

    async def set_streaming(self, on: bool) -> None:
        await (self.service.start_stream() if on else self.service.stop_stream())

    async def set_recording(self, on: bool) -> None:
        await (self.service.start_record() if on else self.service.stop_record())
