"""Overlay pages and their static assets (the Vite bundle shipped inside the package)."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from streampai_desktop.server.context import CONTEXT
from streampai_desktop.server.security import token_matches, unauthorized
from streampai_desktop.widgets import get_widget

OVERLAY_DIST = Path(__file__).resolve().parent / "overlay_dist"
_ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


async def overlay_page(request: web.Request) -> web.StreamResponse:
    """GET /overlay/{widget}?token=… — the widget's page, for an OBS browser source."""
    ctx = request.app[CONTEXT]
    if not token_matches(request.query.get("token"), ctx.tokens.overlay):
        return unauthorized(json_body=False)
    spec = get_widget(request.match_info["widget"])
    if spec is None:
        raise web.HTTPNotFound(text="No such widget.")
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
