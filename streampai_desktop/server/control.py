"""The overlay service: the running overlay server, its port and its tokens.

Moving the port starts the new server before the old one stops (if the new port is taken,
nothing changed and OBS keeps its connection); a new overlay token disconnects every page that
used the old one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from streampai_desktop.secrets import API_TOKEN, OVERLAY_TOKEN, SecretStore
from streampai_desktop.server.app import OverlayServer, PortInUseError
from streampai_desktop.server.context import ServerContext, Tokens
from streampai_desktop.server.hub import OverlayHub
from streampai_desktop.server.preview import PreviewSessions
from streampai_desktop.server.urls import overlay_url, preview_url

# Asked when the overlay port is taken: return the port to use instead (saved), or None to give up.
PortInUseHandler = Callable[[PortInUseError], Awaitable[int | None]]
SavePort = Callable[[int], Awaitable[int]]


class OverlayService:
    """``context`` is what every server gets (its ``port`` is where the first one listens);
    ``save_port`` stores a new port and returns it."""

    def __init__(self, context: ServerContext, secrets: SecretStore, save_port: SavePort) -> None:
        self._context = context
        self._secrets = secrets
        self.tokens: Tokens = context.tokens
        self._save_port = save_port
        self.server: OverlayServer | None = None

    def _context_for(self, port: int) -> ServerContext:
        return dataclasses.replace(self._context, port=port)

    @property
    def port(self) -> int:
        assert self.server is not None, "the overlay server has not started"
        return self.server.ctx.port

    @property
    def hub(self) -> OverlayHub:
        assert self.server is not None, "the overlay server has not started"
        return self.server.hub

    @property
    def previews(self) -> PreviewSessions:
        """The settings editor's preview sessions (shared by every server of this service)."""
        return self._context.previews

    def preview_url(self, widget_id: str, preview_id: str) -> str:
        """The URL of a preview page: the overlay page, showing only its preview session."""
        return preview_url(self.port, widget_id, self.tokens.overlay, preview_id)

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    async def start(self, on_port_in_use: PortInUseHandler | None = None) -> None:
        port = self._context.port
        while True:
            server = OverlayServer(self._context_for(port))
            try:
                await server.start()
                self.server = server
                return
            except PortInUseError as exc:
                replacement = await on_port_in_use(exc) if on_port_in_use else None
                if replacement is None:
                    raise
                port = await self._save_port(replacement)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()

    def showing_pages(self, widget_type: str, visible_only: bool) -> int:
        if self.server is None or not self.server.running:
            return 0
        return self.server.hub.showing_pages(widget_type, visible_only=visible_only)

    def connected_counts(self) -> dict[str, int]:
        return self.server.hub.connected_counts() if self.server else {}

    def urls(self, widget_ids: list[str]) -> dict[str, str]:
        """Widget instance id → the URL to paste into an OBS browser source."""
        return {w: overlay_url(self.port, w, self.tokens.overlay) for w in widget_ids}

    async def change_port(self, port: int) -> None:
        """Move the overlay server to ``port`` (saved); on PortInUseError it stays where it was."""
        if port == self.port:
            return
        candidate = OverlayServer(self._context_for(port))
        await candidate.start()
        previous, self.server = self.server, candidate
        if previous is not None:
            await previous.stop()
        await self._save_port(port)

    async def regenerate_token(self, which: str) -> str:
        """New overlay or API token; old overlay URLs stop working and open pages disconnect."""
        if which not in (OVERLAY_TOKEN, API_TOKEN):
            raise ValueError(f"unknown token {which!r}")
        value = await self._secrets.regenerate_token(which)
        if which == OVERLAY_TOKEN:
            self.tokens.overlay = value
            if self.server is not None:
                await self.server.hub.disconnect_all(4401, "token changed")
        else:
            self.tokens.api = value
        return value
