"""Sync routes: push a batch of mutations, pull changes above a cursor."""

from __future__ import annotations

from aiohttp import web

from streampai_cloud import sync
from streampai_cloud.auth import require_auth, verify_token
from streampai_cloud.keys import CONFIG, ENGINE
from streampai_cloud.validation import query_int, read_object

routes = web.RouteTableDef()


@routes.post("/v1/sync/push")
async def push(request: web.Request) -> web.Response:
    verify_token(request)  # refuse early, before reading a large body
    body_in = await read_object(request)
    async with request.app[ENGINE].begin() as conn:
        me = await require_auth(request, conn)
        batch = sync.parse_batch(body_in, request.app[CONFIG].push_max_batch)
        body = await sync.push(conn, me.account_id, batch)
    return web.json_response(body)


@routes.get("/v1/sync/pull")
async def pull(request: web.Request) -> web.Response:
    cfg = request.app[CONFIG]
    async with request.app[ENGINE].connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            me = await require_auth(request, conn)
            since = query_int(request, "since", 0, 0, sync.MAX_SEQ)
            limit = query_int(request, "limit", min(500, cfg.pull_max_limit), 1, cfg.pull_max_limit)
            # Apps from before per-setting sync do not ask for it: they get whole configs.
            per_setting = request.query.get("per_setting", "") in ("1", "true")
            body = await sync.pull(conn, me.account_id, since, limit, per_setting)
    return web.json_response(body)
