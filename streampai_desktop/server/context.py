"""What the server needs from the rest of the app, as one typed object (no string-keyed dicts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event


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
    # The app's ingest path (dedupe → event log → bus); returns False for a duplicate.
    submit_event: Callable[[Event], Awaitable[bool]]
    # The current config of a widget type, for the page that just subscribed.
    widget_config: Callable[[str], Awaitable[dict[str, Any]]]
    # Read-only facts for GET /api/v1/status.
    status: Callable[[], dict[str, Any]] = field(default=lambda: {})
    server_id: str = ""


CONTEXT: web.AppKey[ServerContext] = web.AppKey("context", ServerContext)
