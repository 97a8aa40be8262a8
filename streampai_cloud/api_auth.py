"""Account routes: register, sign in, refresh (rotating, reuse-detecting), sign out, devices, me."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from streampai_cloud.auth import Principal, require_auth
from streampai_cloud.db import accounts, devices, refresh_tokens
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import (
    ACCESS_TOKENS,
    CONFIG,
    ENGINE,
    LIMITER,
    PASSWORDS,
    REFRESH_TOKENS,
)
from streampai_cloud.live_notify import notify
from streampai_cloud.ratelimit import Hit, client_ip
from streampai_cloud.validation import (
    EMAIL_RE,
    HANDLE_RE,
    invalid,
    parse_uuid,
    read_object,
    required_string,
    string,
)

routes = web.RouteTableDef()


def _now() -> datetime:
    return datetime.now(UTC)


def account_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "email": row.email,
        "handle": row.handle,
        "plan": row.plan,
        "created_at": row.created_at.isoformat(),
    }


def _email(body: dict[str, Any]) -> str:
    email = required_string(body, "email", min_len=3, max_len=320).strip().lower()
    if not EMAIL_RE.fullmatch(email):
        raise invalid("email", "is not an email address")
    return email


def _device_name(body: dict[str, Any]) -> str:
    name = string(body, "device_name", max_len=100, required=False)
    return (name or "").strip() or "Streampai Desktop"


def _default_handle(email: str) -> str:
    stem = re.sub(r"[^a-z0-9_]", "_", email.split("@")[0])[:20].strip("_") or "streamer"
    return (
        f"{stem}_{secrets.token_hex(3)}" if stem[0].isalnum() else f"s{stem}_{secrets.token_hex(3)}"
    )


def _client_ip(request: web.Request) -> str:
    cfg = request.app[CONFIG]
    return client_ip(
        request.remote, request.headers.get("X-Forwarded-For"), cfg.trust_forwarded_for
    )


async def _limit_address(request: web.Request) -> None:
    """Every sign-in and registration from one address, whatever the email."""
    cfg = request.app[CONFIG]
    await request.app[LIMITER].hit(
        f"signin-ip:{_client_ip(request)}",
        cfg.signin_limit_per_ip,
        cfg.signin_window,
        "sign-in attempts from your address",
    )


async def _limit_signin(request: web.Request, email: str) -> list[Hit]:
    """The sign-in limits, built so that failing on purpose cannot lock a streamer out:

    - per address (any email): `signin_limit_per_ip`;
    - per email *and* address: `signin_limit_per_email_ip` — tight, but it only stops the
      address that keeps failing;
    - per email (all addresses): above `signin_limit_per_email` the account is slowed, not
      locked: each address may try it once, then waits 1, 2, 4 ... seconds (capped at
      `signin_slow_max_wait`) between attempts. The streamer's own first attempt always goes
      through; a guesser with many addresses gets one guess per address per wait.

    Returns the email's counted hits, given back when the attempt succeeds (so only failures
    count; counting before the password check keeps parallel guesses from slipping through).
    """
    cfg = request.app[CONFIG]
    limiter = request.app[LIMITER]
    ip = _client_ip(request)
    await _limit_address(request)
    # Buckets name a hash, not the address itself: the table is no list of who signs in.
    key = hashlib.sha256(email.encode()).hexdigest()[:32]
    pair = await limiter.hit(
        f"signin-pair:{key}:{ip}",
        cfg.signin_limit_per_email_ip,
        cfg.signin_window,
        "failed sign-ins to this account from your address",
    )
    account = await limiter.count(f"signin-email:{key}", cfg.signin_window)
    excess = account.hits - cfg.signin_limit_per_email
    if excess > 0:
        wait = min(cfg.signin_slow_max_wait, 2 ** min(excess - 1, 30))
        await limiter.space(
            f"signin-slow:{key}:{ip}",
            wait,
            "This account had many failed sign-ins, so each address must wait between "
            "attempts; try again in {seconds} seconds.",
        )
    return [pair, account]


async def _new_session(
    request: web.Request, conn: AsyncConnection, account_id: uuid.UUID, device_name: str
) -> dict[str, Any]:
    """Create a device (one refresh chain) and its first token pair, inside `conn`'s transaction."""
    device_id = uuid.uuid4()
    # A new device only gets donations from now on; history is not replayed on sign-in.
    latest = (
        await conn.execute(select(accounts.c.donation_seq).where(accounts.c.id == account_id))
    ).scalar_one()
    await conn.execute(
        insert(devices).values(
            id=device_id, account_id=account_id, name=device_name, donation_cursor=latest
        )
    )
    refresh = request.app[REFRESH_TOKENS].new()
    await _store_refresh(request, conn, device_id, refresh)
    return _token_pair(request, account_id, device_id, refresh)


async def _store_refresh(
    request: web.Request, conn: AsyncConnection, device_id: uuid.UUID, token: str
) -> None:
    await conn.execute(
        insert(refresh_tokens).values(
            token_hash=request.app[REFRESH_TOKENS].digest(token),
            device_id=device_id,
            expires_at=_now() + timedelta(seconds=request.app[CONFIG].refresh_token_ttl),
        )
    )


def _token_pair(
    request: web.Request, account_id: uuid.UUID, device_id: uuid.UUID, refresh: str
) -> dict[str, Any]:
    access = request.app[ACCESS_TOKENS]
    return {
        "token_type": "Bearer",
        "access_token": access.issue(account_id, device_id),
        "expires_in": access.ttl,
        "refresh_token": refresh,
        "device_id": str(device_id),
    }


@routes.post("/v1/auth/register")
async def register(request: web.Request) -> web.Response:
    body = await read_object(request)
    email = _email(body)
    password = required_string(body, "password", min_len=8, max_len=1024, controls_ok=True)
    handle = string(body, "handle", min_len=3, max_len=30, required=False)
    if handle is not None and not HANDLE_RE.fullmatch(handle):
        raise invalid(
            "handle", "use 3-30 lower-case letters, digits or _, starting with a letter or digit"
        )
    await _limit_address(request)
    password_hash = await request.app[PASSWORDS].hash(password)
    account_id = uuid.uuid4()
    try:
        async with request.app[ENGINE].begin() as conn:
            row = (
                await conn.execute(
                    insert(accounts)
                    .values(
                        id=account_id,
                        email=email,
                        password_hash=password_hash,
                        handle=handle or _default_handle(email),
                    )
                    .returning(accounts)
                )
            ).one()
            session = await _new_session(request, conn, account_id, _device_name(body))
    except IntegrityError as exc:
        if "handle" in str(exc.orig):
            raise ApiError(409, "handle_taken", "That handle is taken; pick another.") from None
        raise ApiError(409, "email_taken", "An account with this email already exists.") from None
    return web.json_response({"account": account_json(row), **session}, status=201)


@routes.post("/v1/auth/signin")
async def signin(request: web.Request) -> web.Response:
    body = await read_object(request)
    email = _email(body)
    password = required_string(body, "password", min_len=1, max_len=1024, controls_ok=True)
    counted = await _limit_signin(request, email)
    engine = request.app[ENGINE]
    async with engine.connect() as conn:
        row = (await conn.execute(select(accounts).where(accounts.c.email == email))).first()
    if not await request.app[PASSWORDS].verify(row.password_hash if row else None, password):
        raise ApiError(401, "invalid_credentials", "The email or password is wrong.")
    assert row is not None
    await request.app[LIMITER].refund(*counted)
    async with engine.begin() as conn:
        session = await _new_session(request, conn, row.id, _device_name(body))
    return web.json_response({"account": account_json(row), **session})


@routes.post("/v1/auth/refresh")
async def refresh(request: web.Request) -> web.Response:
    body = await read_object(request)
    token = required_string(body, "refresh_token", min_len=1, max_len=200, controls_ok=True)
    tokens = request.app[REFRESH_TOKENS]
    now = _now()
    reused = False
    async with request.app[ENGINE].begin() as conn:
        row = (
            await conn.execute(
                select(
                    refresh_tokens.c.device_id,
                    refresh_tokens.c.expires_at,
                    refresh_tokens.c.used_at,
                    devices.c.account_id,
                    devices.c.revoked_at,
                )
                .join(devices, devices.c.id == refresh_tokens.c.device_id)
                .where(refresh_tokens.c.token_hash == tokens.digest(token))
                # Two refreshes with one token serialise here; the second sees used_at.
                .with_for_update(of=refresh_tokens)
            )
        ).first()
        if row is None:
            raise ApiError(401, "invalid_refresh_token", "Unknown refresh token; sign in again.")
        if row.revoked_at is not None:
            raise ApiError(401, "device_revoked", "This device was signed out; sign in again.")
        if row.expires_at <= now:
            raise ApiError(401, "refresh_token_expired", "The session expired; sign in again.")
        successor = tokens.successor(token)
        if row.used_at is not None:
            grace = timedelta(seconds=request.app[CONFIG].refresh_reuse_grace)
            next_used = (
                await conn.execute(
                    select(refresh_tokens.c.used_at).where(
                        refresh_tokens.c.token_hash == tokens.digest(successor)
                    )
                )
            ).first()
            if now - row.used_at <= grace and next_used is not None and next_used.used_at is None:
                # A retry of a refresh whose answer was lost: same successor, no alarm.
                return web.json_response(
                    _token_pair(request, row.account_id, row.device_id, successor)
                )
            # An old token came back: someone holds a copy. End the whole chain (the device).
            await _revoke_device(conn, row.account_id, row.device_id, "refresh_token_reused")
            reused = True
        else:
            await conn.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.token_hash == tokens.digest(token))
                .values(used_at=now)
            )
            await _store_refresh(request, conn, row.device_id, successor)
            await conn.execute(
                update(devices).where(devices.c.id == row.device_id).values(last_seen_at=now)
            )
    if reused:
        raise ApiError(
            401,
            "refresh_token_reused",
            "This refresh token was already used, so the session was ended for safety; "
            "sign in again.",
        )
    return web.json_response(_token_pair(request, row.account_id, row.device_id, successor))


async def _revoke_device(
    conn: AsyncConnection, account_id: uuid.UUID, device_id: uuid.UUID, reason: str
) -> bool:
    result = await conn.execute(
        update(devices)
        .where(
            devices.c.id == device_id,
            devices.c.account_id == account_id,
            devices.c.revoked_at.is_(None),
        )
        .values(revoked_at=_now(), revoke_reason=reason)
    )
    if result.rowcount:
        # Live connections of this device, in any process, are closed on commit.
        await notify(conn, {"kind": "revoked", "account_id": account_id, "device_id": device_id})
    return bool(result.rowcount)


@routes.post("/v1/auth/signout")
async def signout(request: web.Request) -> web.Response:
    me = await require_auth(request)
    async with request.app[ENGINE].begin() as conn:
        await _revoke_device(conn, me.account_id, me.device_id, "signed_out")
    return web.Response(status=204)


@routes.get("/v1/me")
async def get_me(request: web.Request) -> web.Response:
    async with request.app[ENGINE].connect() as conn:
        me = await require_auth(request, conn)
        row = (await conn.execute(select(accounts).where(accounts.c.id == me.account_id))).one()
    return web.json_response(
        {"account": account_json(row), "device_id": str(me.device_id), "sync_version": row.version}
    )


def _device_json(row: Any, me: Principal) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "created_at": row.created_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat(),
        "current": row.id == me.device_id,
    }


@routes.get("/v1/devices")
async def list_devices(request: web.Request) -> web.Response:
    me = await require_auth(request)
    async with request.app[ENGINE].connect() as conn:
        rows = (
            await conn.execute(
                select(devices)
                .where(devices.c.account_id == me.account_id, devices.c.revoked_at.is_(None))
                .order_by(devices.c.created_at)
            )
        ).all()
    return web.json_response({"devices": [_device_json(r, me) for r in rows]})


@routes.delete("/v1/devices/{device_id}")
async def revoke_device(request: web.Request) -> web.Response:
    me = await require_auth(request)
    device_id = parse_uuid(request.match_info["device_id"], "device_id")
    async with request.app[ENGINE].begin() as conn:
        # Scoped by account: another account's device id is simply "not found".
        if not await _revoke_device(conn, me.account_id, device_id, "revoked"):
            raise ApiError(404, "device_not_found", "No such signed-in device on this account.")
    return web.Response(status=204)
