"""The aiohttp application factory and its runner, bound to 127.0.0.1 only."""

from __future__ import annotations

import errno
import logging
import socket

from aiohttp import web

from streampai_desktop.core.errors import EXIT_PORT_IN_USE, UserFacingError
from streampai_desktop.server import api, api_archive, api_control, api_obs, pages
from streampai_desktop.server.context import CONTEXT, ServerContext
from streampai_desktop.server.hub import OverlayHub
from streampai_desktop.server.security import host_and_origin_guard, security_headers
from streampai_desktop.server.urls import HOST

log = logging.getLogger(__name__)

HUB: web.AppKey[OverlayHub] = web.AppKey("hub", OverlayHub)
MAX_REQUEST_BYTES = 256 * 1024


def create_app(ctx: ServerContext) -> web.Application:
    """The overlay server: pages, assets, the overlay WebSocket and the local API."""
    app = web.Application(
        middlewares=[security_headers, host_and_origin_guard], client_max_size=MAX_REQUEST_BYTES
    )
    app[CONTEXT] = ctx
    hub = OverlayHub(ctx.bus, ctx.on_presence)
    app[HUB] = hub

    async def start_hub(app: web.Application) -> None:
        hub.start()

    async def close_hub(app: web.Application) -> None:
        await hub.close()

    app.on_startup.append(start_hub)
    app.on_shutdown.append(close_hub)

    r = app.router
    r.add_get("/healthz", api.healthz)
    # Registration order matters: the socket and assets before the catch-all widget page.
    r.add_get("/overlay/ws", hub.handle)
    r.add_get("/overlay/assets/{name}", pages.overlay_asset)
    r.add_get("/overlay/sw.js", pages.overlay_service_worker)
    r.add_get("/overlay/media/{where:builtin|user}/{name}", pages.overlay_media)
    r.add_get("/overlay/emotes/{platform}/{emote_id}", pages.overlay_emote)
    r.add_get("/overlay/{widget}", pages.overlay_page)
    r.add_post("/api/v1/events", api.post_event)
    r.add_get("/api/v1/status", api.get_status)
    r.add_post("/api/v1/alerts/{action}", api.post_alert_control)
    r.add_get("/api/v1/widgets", api.get_widgets)
    r.add_post("/api/v1/window/raise", api.post_window_raise)
    r.add_put("/api/v1/widgets/{widget_id}/config", api.put_widget_config)
    api_control.add_routes(r)
    api_archive.add_routes(r)
    api_obs.add_routes(r)
    return app


class PortInUseError(UserFacingError):
    """The overlay port is taken by another program; ``suggestion`` is a free one to offer."""

    title = "Overlay port in use"
    exit_code = EXIT_PORT_IN_USE

    def __init__(self, port: int, suggestion: int | None) -> None:
        self.port = port
        self.suggestion = suggestion
        hint = f" Port {suggestion} is free." if suggestion else ""
        super().__init__(
            f"Port {port} is already in use by another program, so the overlay server cannot "
            f"start there.{hint} Your OBS browser sources use this port: if you pick another, "
            "copy the overlay URLs into OBS again."
        )


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def find_free_port_near(port: int, attempts: int = 50) -> int | None:
    """The first free port after ``port`` (to offer, never to use silently)."""
    for candidate in range(port + 1, min(port + 1 + attempts, 65536)):
        if port_is_free(candidate):
            return candidate
    return None


class OverlayServer:
    """Runs :func:`create_app` on 127.0.0.1:{port} in the current event loop."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.app = create_app(ctx)
        self._runner: web.AppRunner | None = None

    @property
    def hub(self) -> OverlayHub:
        return self.app[HUB]

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Bind and serve; :class:`PortInUseError` when the port is taken."""
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        # reuse_address lets a restarted app take its port back from TIME_WAIT sockets at once
        # (on Windows it would allow two binds; aiohttp leaves it off there).
        site = web.TCPSite(runner, HOST, self.ctx.port, reuse_address=None)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            if exc.errno in (errno.EADDRINUSE, errno.EACCES, getattr(errno, "WSAEADDRINUSE", -1)):
                raise PortInUseError(self.ctx.port, find_free_port_near(self.ctx.port)) from None
            raise
        self._runner = runner
        log.info("overlay server listening on http://%s:%d", HOST, self.ctx.port)

    async def stop(self) -> None:
        """Close every overlay socket and stop listening; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("overlay server stopped")
