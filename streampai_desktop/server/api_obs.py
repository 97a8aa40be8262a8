"""The local API's OBS routes, for stream decks, bots and ``streampai-desktop obs``: OBS's status,
switching scenes, starting and stopping the stream and the recording, and the connection
settings. Same token and rules as the rest of ``/api/v1`` (README, "Local API").

Failures answer ``{"error", "title", "exit_code"}`` like the control routes: 503 while OBS is not
connected (the sentence says why: not running, WebSocket off, wrong password), 409 when OBS's
state does not allow it (already streaming, no such scene), 502 when OBS refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from streampai_desktop.core.errors import EXIT_USAGE, UserMessage, describe
from streampai_desktop.obs.errors import (
    ObsAuthFailed,
    ObsBadUrl,
    ObsError,
    ObsSessionKicked,
    ObsUnreachable,
)
from streampai_desktop.obs.service import ObsNotPossible, ObsStatus, repairs_json
from streampai_desktop.server.api import json_body, require_api_token
from streampai_desktop.server.api_control import failure
from streampai_desktop.server.context import CONTEXT

if TYPE_CHECKING:
    from streampai_desktop.obs.service import ObsService

# How long POST /obs/connect waits for OBS to answer with the new settings.
CONNECT_WAIT_S = 5.0

_STATUS: list[tuple[type[BaseException], int]] = [
    (ObsBadUrl, 422),
    (ObsNotPossible, 409),
    (ObsUnreachable, 503),
    (ObsAuthFailed, 503),
    (ObsSessionKicked, 503),
    (ObsError, 502),
]


def _obs(request: web.Request) -> ObsService:
    service = request.app[CONTEXT].obs
    if service is None:
        raise web.HTTPServiceUnavailable(text='{"error": "OBS control is not running"}')
    return service


def _obs_failure(exc: ObsError) -> web.Response:
    status = next(code for kind, code in _STATUS if isinstance(exc, kind))
    return failure(describe(exc), status)


def _answer(status: ObsStatus) -> web.Response:
    return web.json_response(status.to_json())


@require_api_token
async def get_obs(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/obs — connected?, versions, scene and scenes, streaming and recording (with
    timecode, kbps and dropped frames while streaming), and why not connected."""
    return _answer(_obs(request).status)


@require_api_token
async def post_scene(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/obs/scene {"scene": NAME} — switch OBS's program scene."""
    body = await json_body(request)
    scene = body.get("scene") if isinstance(body, dict) else None
    if not isinstance(scene, str) or not scene:
        return failure(
            UserMessage("Not understood", 'Send {"scene": "name of the scene"}.', EXIT_USAGE), 422
        )
    try:
        return _answer(await _obs(request).set_scene(scene))
    except ObsError as exc:
        return _obs_failure(exc)


def _output_route(
    action: Callable[[ObsService], Awaitable[ObsStatus]], doc: str
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @require_api_token
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            return _answer(await action(_obs(request)))
        except ObsError as exc:
            return _obs_failure(exc)

    handler.__doc__ = doc
    return handler


post_stream_start = _output_route(lambda s: s.start_stream(), "POST /api/v1/obs/stream/start")
post_stream_stop = _output_route(lambda s: s.stop_stream(), "POST /api/v1/obs/stream/stop")
post_record_start = _output_route(lambda s: s.start_record(), "POST /api/v1/obs/record/start")
post_record_stop = _output_route(lambda s: s.stop_record(), "POST /api/v1/obs/record/stop")


@require_api_token
async def post_connect(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/obs/connect {"url"?, "password"?} — save where OBS is (the password goes to
    the keyring; "" removes it) and connect at once; answers the status once connected, or the
    reason it could not within a few seconds (the settings are saved either way)."""
    body = await json_body(request) if request.can_read_body else {}
    if not isinstance(body, dict):
        body = {}
    url, password = body.get("url"), body.get("password")
    if not (url is None or isinstance(url, str)) or not (
        password is None or isinstance(password, str)
    ):
        message = 'Send {"url": "ws://127.0.0.1:4455", "password": "…"} (both optional).'
        return failure(UserMessage("Not understood", message, EXIT_USAGE), 422)
    try:
        return _answer(await _obs(request).connect_with(url, password, within=CONNECT_WAIT_S))
    except ObsError as exc:
        return _obs_failure(exc)


@require_api_token
async def post_repair(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/obs/repair — point every OBS browser source showing one of this app's
    overlays (any port, any token) at its current URL; answers what changed (no URLs: they hold
    the overlay token)."""
    from streampai_desktop.obs.overlay_sources import repair_sources
    from streampai_desktop.server.urls import overlay_url

    ctx = request.app[CONTEXT]
    urls = {w: overlay_url(ctx.port, w, ctx.tokens.overlay) for w in ctx.widgets}
    try:
        repairs = await repair_sources(_obs(request).connection, urls)
    except ObsError as exc:
        return _obs_failure(exc)
    return web.json_response(repairs_json(repairs))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/api/v1/obs", get_obs)
    router.add_post("/api/v1/obs/scene", post_scene)
    router.add_post("/api/v1/obs/stream/start", post_stream_start)
    router.add_post("/api/v1/obs/stream/stop", post_stream_stop)
    router.add_post("/api/v1/obs/record/start", post_record_start)
    router.add_post("/api/v1/obs/record/stop", post_record_stop)
    router.add_post("/api/v1/obs/connect", post_connect)
    router.add_post("/api/v1/obs/repair", post_repair)
