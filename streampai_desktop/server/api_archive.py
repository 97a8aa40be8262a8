"""The local API's export and import routes: what ``streampai-desktop export`` / ``import`` use
while the app runs (an import must go through the running app, which holds the widgets in memory
and pushes the additions to the overlays and to sync).

The zip travels as a path on this computer, not in the request body: the caller is a process of
the same user on the same machine, and an export with media can be far larger than a request
may be. Only absolute paths ending in ``.zip`` are accepted, so a token holder cannot make the
app overwrite some other kind of file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from streampai_desktop.core.errors import EXIT_USAGE, UserFacingError, UserMessage, describe
from streampai_desktop.server.api import json_body, require_api_token
from streampai_desktop.server.api_control import failure
from streampai_desktop.server.context import CONTEXT

if TYPE_CHECKING:
    from streampai_desktop.archive.service import ArchiveService


def _service(request: web.Request) -> ArchiveService:
    archive = request.app[CONTEXT].archive
    if archive is None:
        raise web.HTTPServiceUnavailable(text='{"error": "export and import are not running"}')
    return archive


async def _zip_path(request: web.Request) -> Path | None:
    """The body's absolute ``.zip`` path, or None when it sent none."""
    body = await json_body(request)
    raw = body.get("path") if isinstance(body, dict) else None
    if not isinstance(raw, str) or not raw.lower().endswith(".zip") or not Path(raw).is_absolute():
        return None
    return Path(raw)


def _not_understood() -> web.Response:
    text = 'Send {"path": "/absolute/path/to/file.zip"}.'
    return failure(UserMessage("Not understood", text, EXIT_USAGE), 422)


@require_api_token
async def post_export(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/export {"path"} — write widgets, preferences and media to the zip."""
    archive, path = _service(request), await _zip_path(request)
    if path is None:
        return _not_understood()
    try:
        summary = await archive.export(path)
    except (UserFacingError, OSError) as exc:
        return failure(describe(exc), 422)
    return web.json_response({**summary.to_json(), "message": summary.sentence()})


@require_api_token
async def post_import(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/import {"path"} — check the whole zip, then add its widgets (new ids where
    taken), media and preferences; 422 with the reason, and nothing changed, when unusable."""
    archive, path = _service(request), await _zip_path(request)
    if path is None:
        return _not_understood()
    try:
        summary = await archive.import_(path)
    except (UserFacingError, OSError) as exc:
        return failure(describe(exc), 422)
    return web.json_response({**summary.to_json(), "message": summary.sentence(path)})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/api/v1/export", post_export)
    router.add_post("/api/v1/import", post_import)
