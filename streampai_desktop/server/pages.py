"""Overlay pages and their static assets (the Vite bundle shipped inside the package)."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from aiohttp import web

from streampai_desktop.server.context import CONTEXT
from streampai_desktop.server.security import token_matches, unauthorized
from streampai_desktop.widgets import get_widget
from streampai_desktop.widgets.media import resolve_media

OVERLAY_DIST = Path(__file__).resolve().parent / "overlay_dist"
# Python 3.11's table lacks these; without them fonts go out as application/octet-stream.
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("font/woff", ".woff")
_ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


async def overlay_page(request: web.Request) -> web.StreamResponse:
    """GET /overlay/{widget}?token=… — the widget's page, for an OBS browser source."""
    ctx = request.app[CONTEXT]
    if not token_matches(request.query.get("token"), ctx.tokens.overlay):
        return unauthorized(json_body=False)
    found = ctx.widget(request.match_info["widget"])
    spec = get_widget(found.type) if found else None
    if spec is None:
        raise web.HTTPNotFound(text="No such widget. Copy its URL again from Streampai Desktop.")
    page = ctx.overlay_dist / f"{spec.type}.html"
    try:
        html = page.read_text(encoding="utf-8")
    except FileNotFoundError:
        return web.Response(
            status=503,
            text="The overlay pages are not built. Run `make overlays` in the source checkout.",
        )
    return web.Response(text=html, content_type="text/html")


async def overlay_asset(request: web.Request) -> web.StreamResponse:
    """GET /overlay/assets/{name} — hashed JS/CSS/fonts from the bundle (no user data, no token)."""
    name = request.match_info["name"]
    if not _ASSET_NAME.fullmatch(name):
        raise web.HTTPNotFound()
    assets = (request.app[CONTEXT].overlay_dist / "assets").resolve()
    path = (assets / name).resolve()
    if path.parent != assets or not path.is_file():
        raise web.HTTPNotFound()
    # Vite puts a content hash in every asset name, so a changed file always has a new URL.
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})


async def overlay_media(request: web.Request) -> web.StreamResponse:
    """GET /overlay/media/{where}/{name}?token=… — an alert's image, video or sound."""
    ctx = request.app[CONTEXT]
    if not token_matches(request.query.get("token"), ctx.tokens.overlay):
        return unauthorized(json_body=False)
    ref = f"{request.match_info['where']}/{request.match_info['name']}"
    found = resolve_media(ctx.data_dir, ref)
    if found is None:
        raise web.HTTPNotFound()
    path, content_type = found
    # Ranges matter here: Chromium streams video and audio with Range requests.
    return web.FileResponse(
        path, headers={"Content-Type": content_type, "Cache-Control": "private, max-age=3600"}
    )


async def overlay_emote(request: web.Request) -> web.StreamResponse:
    """GET /overlay/emotes/{platform}/{emote_id}?token=… — a chat emote, cached locally."""
    ctx = request.app[CONTEXT]
    if not token_matches(request.query.get("token"), ctx.tokens.overlay):
        return unauthorized(json_body=False)
    found = await ctx.emotes.get(request.match_info["platform"], request.match_info["emote_id"])
    if found is None:
        raise web.HTTPNotFound()
    path, content_type = found
    return web.FileResponse(
        path, headers={"Content-Type": content_type, "Cache-Control": "private, max-age=86400"}
    )


async def overlay_service_worker(request: web.Request) -> web.StreamResponse:
    """GET /overlay/sw.js — the overlays' service worker. It keeps a copy of each page and its
    assets in the browser, so an OBS source that loads before the app is running still shows the
    page, which then connects as soon as the app appears. Code only: no token, nothing private."""
    path = request.app[CONTEXT].overlay_dist / "sw.js"
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "text/javascript",
            # A new app version's worker must be picked up at once, not after a day.
            "Cache-Control": "no-cache",
        },
    )
