"""Connecting Kick through the service: sign-in with the app's secret, token refresh, webhook
subscriptions and the relay's status.

Sign-in (OAuth 2.1 with PKCE; the client secret never leaves the service):

1. `POST /v1/platforms/kick/authorize` (a signed-in device) → `{state, authorization_url,
   expires_in}`. The PKCE verifier stays here, under the state, for AUTHORIZATION_TTL. The
   steps Kick shares with Facebook are platform_signin.py's.
2. The streamer opens the URL (in any browser, on any device), allows the app on Kick, and Kick
   sends the browser to `GET /v1/platforms/kick/callback?code&state`, which exchanges the code
   (secret + verifier), learns whose channel it is, and shows "Kick is connected". The state is
   single use: a reload of the page, or a replayed link, changes nothing.
3. The devices hear `{"type": "kick_authorized", "state"}` on /v1/live; the one that asked (or a
   polling one) takes the tokens once with `GET /v1/platforms/kick/authorize/{state}`.

The desktop keeps the tokens (keyring) and refreshes them through `POST
/v1/platforms/kick/refresh`, where the service adds the secret. The service keeps no Kick token
beyond the hand-over: a database or backup that leaked would otherwise hand every streamer's
chat and channel to whoever holds it, and the service needs none to relay webhooks (those come
to it signed, and subscriptions use the app's own token).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from streampai_cloud import platform_signin
from streampai_cloud.auth import require_auth
from streampai_cloud.db import kick_accounts, kick_audit, kick_broadcasters, kick_subscriptions
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import CONFIG, ENGINE, KICK, LIMITER
from streampai_cloud.kick.client import KickClient, KickRefused, KickUnavailable, int_field
from streampai_cloud.platform_signin import Callback, Connected, SignInPlatform
from streampai_cloud.validation import read_object, required_string

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_KICK_TOKEN_CHARS = 4096

# The events relayed to the desktop (issue #15), all at version 1 as Kick documents them.
SUBSCRIBED_EVENTS: tuple[tuple[str, int], ...] = (
    ("chat.message.sent", 1),
    ("channel.followed", 1),
    ("channel.subscription.new", 1),
    ("channel.subscription.renewal", 1),
    ("channel.subscription.gifts", 1),
    ("channel.reward.redemption.updated", 1),
    ("livestream.status.updated", 1),
    ("livestream.metadata.updated", 1),
    ("moderation.banned", 1),
    ("kicks.gifted", 1),
)

# Per account: refreshes and subscription checks (each costs a call to Kick made with the app's
# credentials, which Kick rate limits per app; sign-ins are limited in platform_signin).
REFRESH_LIMIT, REFRESH_WINDOW = 120, 3600
SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW = 60, 3600


def kick_client(request: web.Request) -> KickClient:
    """The process's Kick client, or 503 kick_not_configured when the service has no Kick app."""
    if not request.app[CONFIG].kick_configured:
        raise ApiError(
            503,
            "kick_not_configured",
            "This Streampai service has no Kick app configured, so Kick cannot be connected "
            "through it.",
        )
    return request.app[KICK]


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def audit(
    conn: AsyncConnection,
    account_id: uuid.UUID,
    device_id: uuid.UUID | None,
    action: str,
    outcome: str,
    broadcaster_user_id: int | None = None,
) -> None:
    """One line of what the service did with Kick for an account (never a token)."""
    await conn.execute(
        insert(kick_audit).values(
            account_id=account_id,
            device_id=device_id,
            action=action,
            outcome=outcome[:500],
            broadcaster_user_id=broadcaster_user_id,
        )
    )


# --- sign-in (platform_signin.py: the steps Kick and Facebook share) ---------------------------


def _handover_fields(sealed: dict[str, Any]) -> dict[str, Any]:
    # Sealed as {"tokens", "user"}: the shape sign-ins started before platform_signin had, so
    # one in progress during an upgrade is still handed over.
    return {**sealed["tokens"], "user": sealed["user"]}


SIGN_IN = SignInPlatform("kick", "Kick", present=_handover_fields, audit=audit)


@routes.post("/v1/platforms/kick/authorize")
async def authorize(request: web.Request) -> web.Response:
    kick_client(request)
    cfg = request.app[CONFIG]
    me = await require_auth(request)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 asks for 43 to 128
    state = await platform_signin.start(request, SIGN_IN, me, code_verifier=verifier)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": cfg.kick_client_id,
            "redirect_uri": cfg.kick_callback_url,
            "scope": cfg.kick_scopes,
            "state": state,
            "code_challenge": _pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return platform_signin.started(state, f"{cfg.kick_auth_url}/oauth/authorize?{query}")


@routes.get("/v1/platforms/kick/callback")
async def callback(request: web.Request) -> web.Response:
    kick = request.app[KICK]

    async def exchange(claimed: Callback) -> Connected:
        if claimed.code_verifier is None:
            raise KickRefused(400, "the sign-in kept no PKCE verifier")
        tokens = await kick.exchange_code(claimed.code, claimed.code_verifier)
        user = await kick.current_user(tokens.access_token)

        async def record(conn: AsyncConnection) -> None:
            # The channel's webhooks go to the account that signed in as it last.
            stmt = pg_insert(kick_broadcasters).values(
                broadcaster_user_id=user.user_id, account_id=claimed.account_id, name=user.name
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[kick_broadcasters.c.broadcaster_user_id],
                    set_={
                        "account_id": stmt.excluded.account_id,
                        "name": stmt.excluded.name,
                        "connected_at": func.now(),
                    },
                )
            )
            await conn.execute(
                pg_insert(kick_accounts)
                .values(account_id=claimed.account_id)
                .on_conflict_do_nothing()
            )
            await audit(
                conn, claimed.account_id, claimed.device_id, "connect", "connected", user.user_id
            )

        return Connected(
            handover={
                "tokens": tokens.as_json(),
                "user": {"user_id": user.user_id, "name": user.name},
            },
            page_text=f"Streampai can now use your Kick channel {user.name}.",
            record=record,
        )

    configured = request.app[CONFIG].kick_configured
    return await platform_signin.callback(request, SIGN_IN, configured, exchange)


@routes.get("/v1/platforms/kick/authorize/{state}")
async def handover(request: web.Request) -> web.Response:
    kick_client(request)
    me = await require_auth(request)
    return await platform_signin.hand_over(request, SIGN_IN, me)


# --- refresh -----------------------------------------------------------------------------------


@routes.post("/v1/platforms/kick/refresh")
async def refresh(request: web.Request) -> web.Response:
    kick = kick_client(request)
    me = await require_auth(request)
    body = await read_object(request)
    token = required_string(body, "refresh_token", min_len=1, max_len=MAX_KICK_TOKEN_CHARS)
    await request.app[LIMITER].hit(
        f"kick-refresh:{me.account_id}", REFRESH_LIMIT, REFRESH_WINDOW, "Kick token refreshes"
    )
    engine = request.app[ENGINE]
    try:
        tokens = await kick.refresh(token)
    except KickRefused as exc:
        async with engine.begin() as conn:
            await audit(conn, me.account_id, me.device_id, "refresh", f"refused: {exc.detail}")
        raise ApiError(
            401,
            "kick_sign_in_required",
            "Kick no longer accepts this sign-in; connect Kick again.",
        ) from None
    except KickUnavailable as exc:
        log.warning("Kick token refresh failed: %s", exc)
        raise ApiError(
            502,
            "kick_unavailable",
            "Kick could not be reached; try again in a minute.",
            headers={"Retry-After": "30"},
        ) from None
    async with engine.begin() as conn:
        await audit(conn, me.account_id, me.device_id, "refresh", "ok")
    return web.json_response(tokens.as_json())


# --- subscriptions and status ------------------------------------------------------------------


async def _status_body(conn: AsyncConnection, account_id: uuid.UUID) -> dict[str, Any]:
    channels = list(
        await conn.execute(
            select(kick_broadcasters)
            .where(kick_broadcasters.c.account_id == account_id)
            .order_by(kick_broadcasters.c.connected_at)
        )
    )
    subs = list(
        await conn.execute(
            select(kick_subscriptions)
            .join(
                kick_broadcasters,
                kick_broadcasters.c.broadcaster_user_id == kick_subscriptions.c.broadcaster_user_id,
            )
            .where(kick_broadcasters.c.account_id == account_id)
            .order_by(kick_subscriptions.c.broadcaster_user_id, kick_subscriptions.c.event)
        )
    )
    last = (
        await conn.execute(
            select(kick_accounts.c.last_event_at).where(kick_accounts.c.account_id == account_id)
        )
    ).scalar_one_or_none()
    return {
        "connected": [{"user_id": c.broadcaster_user_id, "name": c.name} for c in channels],
        "subscriptions": [
            {
                "event": s.event,
                "version": s.version,
                "id": s.subscription_id,
                "broadcaster_user_id": s.broadcaster_user_id,
                "checked_at": s.checked_at.isoformat(),
            }
            for s in subs
        ],
        "last_event_at": last.isoformat() if last is not None else None,
    }


async def _ensure_channel(
    kick: KickClient, broadcaster_user_id: int
) -> tuple[dict[tuple[str, int], str], list[dict[str, Any]]]:
    """The channel's subscriptions after subscribing to whatever of SUBSCRIBED_EVENTS it lacked
    ({(event, version): id}), and Kick's per-event refusals."""
    found: dict[tuple[str, int], str] = {}
    for item in await kick.subscriptions(broadcaster_user_id):
        name, version, sub_id = item.get("event"), int_field(item.get("version")), item.get("id")
        if isinstance(name, str) and version is not None and isinstance(sub_id, str):
            found[(name, version)] = sub_id
    missing = [wanted for wanted in SUBSCRIBED_EVENTS if wanted not in found]
    errors: list[dict[str, Any]] = []
    if missing:
        for item in await kick.subscribe(broadcaster_user_id, missing):
            name, version = item.get("name"), int_field(item.get("version"))
            sub_id = item.get("subscription_id")
            if isinstance(name, str) and version is not None and isinstance(sub_id, str) and sub_id:
                found[(name, version)] = sub_id
            else:
                errors.append(
                    {
                        "broadcaster_user_id": broadcaster_user_id,
                        "event": name,
                        "version": version,
                        "message": str(item.get("error") or "Kick did not subscribe it")[:200],
                    }
                )
    return found, errors


@routes.post("/v1/platforms/kick/subscriptions")
async def ensure_subscriptions(request: web.Request) -> web.Response:
    kick = kick_client(request)
    me = await require_auth(request)
    await request.app[LIMITER].hit(
        f"kick-subscribe:{me.account_id}", SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW, "subscription checks"
    )
    engine = request.app[ENGINE]
    async with engine.connect() as conn:
        channels = list(
            await conn.execute(
                select(kick_broadcasters.c.broadcaster_user_id).where(
                    kick_broadcasters.c.account_id == me.account_id
                )
            )
        )
    if not channels:
        raise ApiError(
            409, "kick_not_connected", "No Kick channel is connected to this account; connect Kick."
        )
    errors: list[dict[str, Any]] = []
    for channel in channels:
        broadcaster = channel.broadcaster_user_id
        try:
            found, refused = await _ensure_channel(kick, broadcaster)
        except KickRefused as exc:
            found, refused = {}, [{"broadcaster_user_id": broadcaster, "message": exc.detail}]
        except KickUnavailable as exc:
            log.warning("Kick subscriptions could not be ensured: %s", exc)
            raise ApiError(
                502,
                "kick_unavailable",
                "Kick could not be reached to check the event subscriptions; try again later.",
                headers={"Retry-After": "30"},
            ) from None
        errors.extend(refused)
        async with engine.begin() as conn:
            # What Kick confirmed now replaces what it confirmed last time.
            await conn.execute(
                delete(kick_subscriptions).where(
                    kick_subscriptions.c.broadcaster_user_id == broadcaster
                )
            )
            if found:
                await conn.execute(
                    insert(kick_subscriptions),
                    [
                        {
                            "broadcaster_user_id": broadcaster,
                            "event": event,
                            "version": version,
                            "subscription_id": sub_id,
                        }
                        for (event, version), sub_id in found.items()
                    ],
                )
            outcome = f"{len(found)} active" + (f", {len(refused)} refused" if refused else "")
            await audit(conn, me.account_id, me.device_id, "subscriptions", outcome, broadcaster)
    async with engine.connect() as conn:
        body = await _status_body(conn, me.account_id)
    body["errors"] = errors
    return web.json_response(body)


@routes.get("/v1/platforms/kick/status")
async def status(request: web.Request) -> web.Response:
    kick_client(request)
    me = await require_auth(request)
    async with request.app[ENGINE].connect() as conn:
        return web.json_response(await _status_body(conn, me.account_id))
