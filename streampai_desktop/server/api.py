"""The local API (``/api/v1``, Bearer api token, JSON in and out) for the app's own test buttons
and for other tools on this computer (stream decks, bots). Documented in the README."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from streampai_desktop import __version__
from streampai_desktop.core.events import EventError, event_from_json
from streampai_desktop.server.context import CONTEXT
from streampai_desktop.server.security import bearer_token, token_matches, unauthorized
from streampai_desktop.widgets.schema import ConfigError

log = logging.getLogger(__name__)

ApiHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def require_api_token(handler: ApiHandler) -> ApiHandler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not token_matches(bearer_token(request), request.app[CONTEXT].tokens.api):
            return unauthorized(json_body=True)
        return await handler(request)

    return guarded


async def json_body(request: web.Request) -> Any:
    # Requiring a JSON content type also stops plain HTML forms on other sites (no preflight).
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text=json.dumps({"error": "send JSON with Content-Type: application/json"}),
            content_type="application/json",
        )
    try:
        return await request.json(loads=strict_json)
    except NotJsonNumber as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"the body is not valid JSON: {exc}"}),
            content_type="application/json",
        ) from None
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "the body is not valid JSON"}),
            content_type="application/json",
        ) from None


class NotJsonNumber(ValueError):
    """NaN, Infinity or a number too large for a float: Python's parser takes them, JSON has
    no such numbers, and the account service refuses a config holding one."""


def _refuse_constant(text: str) -> float:
    raise NotJsonNumber(f"{text} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to infinity
        raise NotJsonNumber(f"{text[:40]} is too large a number")
    return value


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses what is not JSON: NaN, Infinity, numbers that overflow."""
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)


@require_api_token
async def post_event(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/events — inject an event (a test alert unless ``"test": false`` is sent)."""
    body = await json_body(request)
    if isinstance(body, dict):
        body.setdefault("test", True)
    try:
        event = event_from_json(body)
    except EventError as exc:
        return _error(422, str(exc))
    accepted = await request.app[CONTEXT].ingest.submit(event)
    return web.json_response(
        {"id": event.id, "kind": event.kind, "accepted": accepted, "duplicate": not accepted},
        status=202 if accepted else 200,
    )


@require_api_token
async def get_status(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/status — read-only facts about the running app."""
    ctx = request.app[CONTEXT]
    body = {"version": __version__, **ctx.status()}
    if ctx.account is not None:  # signed in as, online since when, last sync, notices
        body["sync"] = {**body.get("sync", {}), **await ctx.account.sync_report()}
    return web.json_response(body)


@require_api_token
async def get_widgets(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/widgets — every widget instance: id, type, name, config."""
    widgets = request.app[CONTEXT].widgets.values()
    return web.json_response(
        [{"id": w.id, "type": w.type, "name": w.name, "config": w.config} for w in widgets]
    )


@require_api_token
async def put_widget_config(request: web.Request) -> web.StreamResponse:
    """PUT /api/v1/widgets/{id}/config — replace a widget's config; open pages update live.
    422 with ``problems`` (field → reason) when a value is not usable; nothing is saved then."""
    ctx = request.app[CONTEXT]
    widget_id = request.match_info["widget_id"]
    if ctx.widget(widget_id) is None:
        return _error(404, "no such widget")
    body = await json_body(request)
    if not isinstance(body, dict):
        return _error(422, "the config must be a JSON object")
    try:
        cleaned = await ctx.widgets.save_config(widget_id, body, origin="api")
    except ConfigError as exc:
        return web.json_response(
            {"error": "some settings are not usable", "problems": exc.problems}, status=422
        )
    return web.json_response({"id": widget_id, "config": cleaned})


ALERT_ACTIONS = ("skip", "pause", "resume", "clear")


@require_api_token
async def post_alert_control(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/alerts/{skip|pause|resume|clear} — the Dashboard's queue buttons, for
    stream decks and bots; returns the queue's state afterwards."""
    action = request.match_info["action"]
    alerts = request.app[CONTEXT].alerts
    if action not in ALERT_ACTIONS or alerts is None:
        return _error(404, f"unknown action; use one of {', '.join(ALERT_ACTIONS)}")
    getattr(alerts, action)()
    return web.json_response(alerts.state())


@require_api_token
async def post_window_raise(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/window/raise — a second launch asks the running app to show its window."""
    if not request.app[CONTEXT].raise_window():
        return _error(409, "this instance has no window (headless)")
    return web.Response(status=204)


async def healthz(request: web.Request) -> web.StreamResponse:
    """GET /healthz — open, for OBS-side checks and start-up probes; says nothing private."""
    return web.json_response({"ok": True, "version": __version__})
