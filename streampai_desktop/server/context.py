"""What the server needs from the rest of the app, as one typed object (no string-keyed dicts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event
from streampai_desktop.server.emotes import EmoteCache


@dataclass(slots=True)
class Tokens:
    """The live tokens; regenerating one replaces the value here and in the secret store."""

    overlay: str
    api: str


@dataclass(slots=True)
class ServerContext:
    bus: EventBus
    port: int
    tokens: Tokens
    overlay_dist: Path
    data_dir: Path  # picked media live under it
    emotes: EmoteCache
    # The app's ingest path (dedupe → event log → bus); returns False for a duplicate.
    submit_event: Callable[[Event], Awaitable[bool]]
    # A widget instance id → (widget type, current config), or None when there is no such widget.
    widget_lookup: Callable[[str], tuple[str, dict[str, Any]] | None]
    # Alert queue controls for stream decks: "skip" | "pause" | "resume" | "clear" → queue state.
    alert_control: Callable[[str], dict[str, Any]] = field(default=lambda action: {})
    # Widgets for GET/PUT /api/v1/widgets: list them, and save one's config (raises ConfigError).
    list_widgets: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])
    save_widget_config: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]] | None = None
    # Brings the main window to the front (a second launch asks for it); False when headless.
    raise_window: Callable[[], bool] = field(default=lambda: False)
    # Read-only facts for GET /api/v1/status.
    status: Callable[[], dict[str, Any]] = field(default=lambda: {})
    server_id: str = ""
    # Called when an overlay connects, disconnects or is shown/hidden in OBS (the alert queue
    # waits for a visible alert box).
    on_presence: Callable[[], None] = field(default=lambda: None)


CONTEXT: web.AppKey[ServerContext] = web.AppKey("context", ServerContext)
