"""What the server needs from the rest of the app, as one typed object (no string-keyed dicts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from streampai_desktop.core.bus import EventBus
from streampai_desktop.server.emotes import EmoteCache
from streampai_desktop.server.preview import PreviewSessions
from streampai_desktop.widgets.media import has_media

if TYPE_CHECKING:
    from streampai_desktop.archive.service import ArchiveService
    from streampai_desktop.cloud.service import AccountService
    from streampai_desktop.core.alerts import AlertQueue
    from streampai_desktop.obs.service import ObsService
    from streampai_desktop.stream.connections import PlatformService
    from streampai_desktop.stream.ingest import EventIngest
    from streampai_desktop.widgets.instances import WidgetInstance
    from streampai_desktop.widgets.service import WidgetService


@dataclass(slots=True)
class Tokens:
    """The live tokens; regenerating one replaces the value here and in the secret store."""

    overlay: str
    api: str


@dataclass(slots=True)
class ServerContext:
    """The services the server uses, handed over by the composition root (``app.py``)."""

    bus: EventBus
    port: int
    tokens: Tokens
    overlay_dist: Path
    data_dir: Path  # picked media live under it
    emotes: EmoteCache
    # The app's ingest path (dedupe → event log → bus): ``submit`` is False for a duplicate.
    ingest: EventIngest
    # Widget instances by id, and config saves from the local API (``WidgetService``).
    widgets: WidgetService
    # The alert queue: its state for the local API, and skip/pause/resume/clear.
    alerts: AlertQueue | None = None
    # Platform accounts, sign-ins and chat; the Streampai account and sync (the local API's
    # platform, chat and account routes; None in tests that serve overlays only).
    platforms: PlatformService | None = None
    account: AccountService | None = None
    # Backups, export and import (the local API's /export and /import).
    archive: ArchiveService | None = None
    # OBS: its status and controls (the local API's /obs routes).
    obs: ObsService | None = None
    # Read-only facts for GET /api/v1/status (the app's own summary).
    status: Callable[[], dict[str, Any]] = field(default=lambda: {})
    # Brings the main window to the front (a second launch asks for it); False when headless.
    raise_window: Callable[[], bool] = field(default=lambda: False)
    server_id: str = ""
    # Called when an overlay connects, disconnects or is shown/hidden in OBS (the alert queue
    # waits for a visible alert box).
    on_presence: Callable[[], None] = field(default=lambda: None)
    # The settings editor's preview pages (server/preview.py): shared by every server made from
    # this context (``dataclasses.replace`` keeps the same object).
    previews: PreviewSessions = field(default_factory=PreviewSessions)

    def __post_init__(self) -> None:
        self.previews.have_media = has_media(self.data_dir)

    def widget(self, widget_id: str) -> WidgetInstance | None:
        return self.widgets.get(widget_id)


CONTEXT: web.AppKey[ServerContext] = web.AppKey("context", ServerContext)
