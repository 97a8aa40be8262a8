"""The application factory: `create_app(config)` wires engine, tokens, limiter, live hub, routes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from streampai_cloud import api_auth, api_donations, api_live, api_media, api_sync
from streampai_cloud.client_version import client_version_middleware
from streampai_cloud.config import CloudConfig
from streampai_cloud.db import create_engine
from streampai_cloud.errors import error_middleware
from streampai_cloud.facebook import api as facebook_api
from streampai_cloud.facebook.client import FacebookClient
from streampai_cloud.headers import secure_headers
from streampai_cloud.keys import (
    ACCESS_TOKENS,
    CONFIG,
    ENGINE,
    FACEBOOK,
    HUB,
    KICK,
    KICK_VERIFIER,
    LIMITER,
    MEDIA_STORE,
    PASSWORDS,
    REFRESH_TOKENS,
)
from streampai_cloud.kick import api as kick_api
from streampai_cloud.kick import events as kick_events
from streampai_cloud.kick import webhooks as kick_webhooks
from streampai_cloud.kick.client import KickClient
from streampai_cloud.kick.signature import WebhookVerifier
from streampai_cloud.live import LiveHub
from streampai_cloud.media import open_media_store
from streampai_cloud.openapi import build_openapi
from streampai_cloud.ratelimit import RateLimiter
from streampai_cloud.security import AccessTokens, Passwords, RefreshTokens
from streampai_cloud.validation import MAX_BODY_BYTES

log = logging.getLogger(__name__)


async def _database(app: web.Application) -> AsyncIterator[None]:
    cfg = app[CONFIG]
    engine = create_engine(cfg.database_url, cfg.pool_size)
    app[ENGINE] = engine
    app[LIMITER] = RateLimiter(engine)

    async def load_kick_event(account_id: uuid.UUID, seq: int) -> str | None:
        return await kick_events.load_message(engine, account_id, seq)

    hub = LiveHub(cfg.database_url, load_kick_event)
    await hub.start()
    app[HUB] = hub
    yield
    await hub.stop()
    await engine.dispose()


async def _media_store(app: web.Application) -> AsyncIterator[None]:
    store = app[MEDIA_STORE]
    await store.start()
    log.info("media are stored in the %s", store.description)
    yield
    await store.close()


async def _platform_clients(app: web.Application) -> AsyncIterator[None]:
    kick, facebook = app[KICK], app[FACEBOOK]
    await kick.start()
    await facebook.start()
    yield
    await facebook.close()
    await kick.close()


async def _close_live_sockets(app: web.Application) -> None:
    # Open WebSockets would otherwise hold graceful shutdown until its timeout.
    if HUB in app:
        await app[HUB].close_all(WSCloseCode.GOING_AWAY)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(request: web.Request) -> web.Response:
    cfg = request.app[CONFIG]
    return web.json_response(
        build_openapi(kick=cfg.kick_configured, facebook=cfg.facebook_configured)
    )


def create_app(config: CloudConfig) -> web.Application:
    """A service process. All state lives in PostgreSQL, so any number may run side by side."""
    app = web.Application(
        middlewares=[error_middleware, client_version_middleware], client_max_size=MAX_BODY_BYTES
    )
    app[CONFIG] = config
    app[PASSWORDS] = Passwords(
        config.argon2_time_cost, config.argon2_memory_kib, config.argon2_parallelism
    )
    app[ACCESS_TOKENS] = AccessTokens(config.secret, config.access_token_ttl)
    app[REFRESH_TOKENS] = RefreshTokens(config.secret)
    # Media uploads are streamed (request.content), so client_max_size, which caps bodies read
    # whole, does not limit them; their limits are the plan's (api_media).
    app[MEDIA_STORE] = open_media_store(config)
    # The platforms' clients (and Kick's webhook key cache) exist even without their app
    # configured: then their endpoints answer 503 before using them.
    kick = KickClient(config)
    app[KICK] = kick
    app[KICK_VERIFIER] = WebhookVerifier(kick.public_key_pem)
    app[FACEBOOK] = FacebookClient(config)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_media_store)
    app.cleanup_ctx.append(_platform_clients)
    app.on_shutdown.append(_close_live_sockets)
    app.on_response_prepare.append(secure_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/v1/openapi.json", openapi)
    for module in (
        api_auth,
        api_sync,
        api_donations,
        api_live,
        api_media,
        kick_api,
        kick_webhooks,
        facebook_api,
    ):
        app.router.add_routes(module.routes)
    return app
