"""Connecting Kick through the service: sign-in with the app's secret, token refresh, webhook
subscriptions and the relay's status.

Sign-in (OAuth 2.1 with PKCE; the client secret never leaves the service):

1. `POST /v1/platforms/kick/authorize` (a signed-in device) → `{state, authorization_url,
   expires_in}`. The PKCE verifier stays here, under the state, for AUTHORIZATION_TTL.
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
import html
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from streampai_cloud.auth import require_auth
from streampai_cloud.db import (
    kick_accounts,
    kick_audit,
    kick_authorizations,
    kick_broadcasters,
    kick_subscriptions,
)
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import CONFIG, ENGINE, KICK, LIMITER
from streampai_cloud.kick.client import KickClient, KickRefused, KickUnavailable, int_field
from streampai_cloud.kick.sealing import seal, unseal
from streampai_cloud.live_notify import notify
from streampai_cloud.validation import read_object, required_string

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

AUTHORIZATION_TTL = timedelta(minutes=10)
MAX_STATE_CHARS = 200
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

# Per account: sign-ins started, refreshes and subscription checks (each costs a call to Kick
# made with the app's credentials, which Kick rate limits per app).
AUTHORIZE_LIMIT, AUTHORIZE_WINDOW = 20, 600
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


def state_digest(state: str) -> str:
    """States are kept as their SHA-256: a copy of the table cannot answer a callback."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


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


async def _prune_authorizations(conn: AsyncConnection) -> None:
    # Expired sign-ins (and any tokens nobody picked up) go as soon as anyone starts or ends one.
    await conn.execute(
        delete(kick_authorizations).where(kick_authorizations.c.expires_at < func.now())
    )


# --- 1. start ----------------------------------------------------------------------------------


@routes.post("/v1/platforms/kick/authorize")
async def authorize(request: web.Request) -> web.Response:
    kick_client(request)
    cfg = request.app[CONFIG]
    me = await require_auth(request)
    await request.app[LIMITER].hit(
        f"kick-authorize:{me.account_id}", AUTHORIZE_LIMIT, AUTHORIZE_WINDOW, "Kick sign-ins"
    )
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 asks for 43 to 128
    async with request.app[ENGINE].begin() as conn:
        await _prune_authorizations(conn)
        await conn.execute(
            insert(kick_authorizations).values(
                state_hash=state_digest(state),
                account_id=me.account_id,
                device_id=me.device_id,
                code_verifier=verifier,
                expires_at=func.now() + AUTHORIZATION_TTL,
            )
        )
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
    return web.json_response(
        {
            "state": state,
            "authorization_url": f"{cfg.kick_auth_url}/oauth/authorize?{query}",
            "expires_in": int(AUTHORIZATION_TTL.total_seconds()),
        }
    )


# --- 2. the browser comes back -----------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;
color:#1f2328}}h1{{font-size:1.4rem}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(status: int, title: str, text: str) -> web.Response:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text))
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={
            # The page runs nothing and loads nothing; its URL holds the code, so it is never
            # sent on as a referrer.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Referrer-Policy": "no-referrer",
        },
    )


_RESTART = "Start connecting Kick again from Streampai."


async def _fail(request: web.Request, claimed: Any, state: str, code: str, message: str) -> None:
    """Record why a sign-in ended without tokens, and poke the account's devices."""
    async with request.app[ENGINE].begin() as conn:
        await conn.execute(
            update(kick_authorizations)
            .where(kick_authorizations.c.state_hash == state_digest(state))
            .values(status="failed", error_code=code, error_message=message)
        )
        await audit(conn, claimed.account_id, claimed.device_id, "connect", code)
        await notify(
            conn, {"kind": "kick_authorized", "account_id": claimed.account_id, "state": state}
        )


@routes.get("/v1/platforms/kick/callback")
async def callback(request: web.Request) -> web.Response:
    cfg = request.app[CONFIG]
    if not cfg.kick_configured:
        return _page(503, "Kick is not set up here", "This Streampai service has no Kick app.")
    kick = request.app[KICK]
    state = request.query.get("state", "")
    if not state or len(state) > MAX_STATE_CHARS:
        return _page(400, "This link is not complete", f"It carries no sign-in. {_RESTART}")
    async with request.app[ENGINE].begin() as conn:
        # Claim the sign-in: only the first callback for a state gets its verifier (a second
        # one waits on the row lock, then finds it no longer pending).
        claimed = (
            await conn.execute(
                select(
                    kick_authorizations.c.account_id,
                    kick_authorizations.c.device_id,
                    kick_authorizations.c.code_verifier,
                )
                .where(
                    kick_authorizations.c.state_hash == state_digest(state),
                    kick_authorizations.c.status == "pending",
                    kick_authorizations.c.expires_at > func.now(),
                )
                .with_for_update()
            )
        ).one_or_none()
        if claimed is not None:
            await conn.execute(
                update(kick_authorizations)
                .where(kick_authorizations.c.state_hash == state_digest(state))
                .values(status="exchanging", code_verifier=None)
            )
    if claimed is None or claimed.code_verifier is None:
        return _page(
            400,
            "This sign-in link is not valid any more",
            f"It expired or was already used. {_RESTART}",
        )
    verifier: str = claimed.code_verifier
    error = request.query.get("error")
    code = request.query.get("code", "")
    if error or not code:
        if error == "access_denied":
            await _fail(request, claimed, state, "kick_access_denied", "Kick access was declined.")
            return _page(200, "Kick was not connected", f"You declined on Kick. {_RESTART}")
        detail = (request.query.get("error_description") or error or "no code")[:200]
        await _fail(request, claimed, state, "kick_sign_in_failed", f"Kick said: {detail}")
        return _page(400, "Kick was not connected", f"Kick said: {detail}. {_RESTART}")
    try:
        tokens = await kick.exchange_code(code[:2000], verifier)
        user = await kick.current_user(tokens.access_token)
    except KickRefused as exc:
        log.warning("Kick refused a sign-in's code: %s", exc.detail)
        await _fail(request, claimed, state, "kick_sign_in_failed", f"Kick refused: {exc.detail}")
        return _page(400, "Kick was not connected", f"Kick refused the sign-in. {_RESTART}")
    except KickUnavailable as exc:
        log.warning("Kick sign-in failed: %s", exc)
        await _fail(request, claimed, state, "kick_unavailable", "Kick could not be reached.")
        return _page(502, "Kick was not connected", f"Kick could not be reached. {_RESTART}")
    handover = {"tokens": tokens.as_json(), "user": {"user_id": user.user_id, "name": user.name}}
    async with request.app[ENGINE].begin() as conn:
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
            pg_insert(kick_accounts).values(account_id=claimed.account_id).on_conflict_do_nothing()
        )
        await conn.execute(
            update(kick_authorizations)
            .where(kick_authorizations.c.state_hash == state_digest(state))
            .values(
                status="connected",
                handover=seal(cfg.secret, state_digest(state), handover),
                # The desktop gets the whole window to pick the tokens up, from now.
                expires_at=func.now() + AUTHORIZATION_TTL,
            )
        )
        await audit(
            conn, claimed.account_id, claimed.device_id, "connect", "connected", user.user_id
        )
        await notify(
            conn, {"kind": "kick_authorized", "account_id": claimed.account_id, "state": state}
        )
    return _page(
        200,
        "Kick is connected — you can close this page",
        f"Streampai can now use your Kick channel {user.name}.",
    )


# --- 3. the desktop takes the tokens -----------------------------------------------------------


def _failed(status: int, code: str, message: str) -> web.Response:
    body = {"status": "failed", "error": {"code": code, "message": message}}
    return web.json_response(body, status=status)


_FAILURE_STATUS = {"kick_access_denied": 403}


@routes.get("/v1/platforms/kick/authorize/{state}")
async def handover(request: web.Request) -> web.Response:
    kick_client(request)
    cfg = request.app[CONFIG]
    me = await require_auth(request)
    state = request.match_info["state"]
    digest = state_digest(state[:MAX_STATE_CHARS])
    async with request.app[ENGINE].begin() as conn:
        await _prune_authorizations(conn)
        row = (
            await conn.execute(
                select(kick_authorizations)
                .where(
                    kick_authorizations.c.state_hash == digest,
                    # Another account's sign-in looks exactly like one that does not exist.
                    kick_authorizations.c.account_id == me.account_id,
                )
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            return _failed(
                404,
                "authorization_not_found",
                "No Kick sign-in is waiting under this state: it expired, was already taken, "
                "or was never started by this account.",
            )
        if row.status in ("pending", "exchanging"):
            return web.json_response({"status": "pending"}, status=202)
        if row.status == "failed":
            code = row.error_code or "kick_sign_in_failed"
            return _failed(_FAILURE_STATUS.get(code, 409), code, row.error_message or "")
        # Handed over once, then forgotten.
        await conn.execute(
            delete(kick_authorizations).where(kick_authorizations.c.state_hash == digest)
        )
        await audit(conn, me.account_id, me.device_id, "handover", "taken")
    opened = unseal(cfg.secret, digest, row.handover or b"")
    if opened is None:
        # Sealed under another STREAMPAI_CLOUD_SECRET (rotated mid-sign-in): nothing to give.
        return _failed(
            409, "kick_sign_in_failed", f"The sign-in could not be completed. {_RESTART}"
        )
    return web.json_response({"status": "connected", **opened["tokens"], "user": opened["user"]})


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
