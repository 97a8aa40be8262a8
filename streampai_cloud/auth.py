"""Who is calling: the bearer access token plus a live (not revoked) device row."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from streampai_cloud.db import devices
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import ACCESS_TOKENS, ENGINE
from streampai_cloud.security import AccessClaims


@dataclass(frozen=True)
class Principal:
    """The account and signed-in device a request acts for; every query is scoped by these."""

    account_id: uuid.UUID
    device_id: uuid.UUID


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(request: web.Request, *, allow_query: bool = False) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    if allow_query:
        # Browsers cannot set headers on a WebSocket; the live channel also takes ?access_token=.
        return request.query.get("access_token")
    return None


def verify_token(request: web.Request, *, allow_query: bool = False) -> AccessClaims:
    """The access token's claims, checked without the database (signature and expiry)."""
    token = bearer_token(request, allow_query=allow_query)
    if not token:
        raise _unauthorized("unauthenticated", "Sign in first: no access token was sent.")
    claims = request.app[ACCESS_TOKENS].verify(token)
    if claims is None:
        raise _unauthorized("invalid_token", "The access token is not valid; sign in again.")
    if claims.expires_at <= time.time():
        raise _unauthorized("token_expired", "The access token expired; refresh it.")
    return claims


async def require_auth(
    request: web.Request, conn: AsyncConnection | None = None, *, allow_query: bool = False
) -> Principal:
    """The caller's Principal, or a 401 whose code tells the client what to do next. Pass the
    handler's connection when it has one: a pool checkout costs round trips on hot paths."""
    claims = verify_token(request, allow_query=allow_query)
    query = select(devices.c.revoked_at).where(
        devices.c.id == claims.device_id, devices.c.account_id == claims.account_id
    )
    if conn is not None:
        revoked = (await conn.execute(query)).first()
    else:
        async with request.app[ENGINE].connect() as own:
            revoked = (await own.execute(query)).first()
    if revoked is None or revoked.revoked_at is not None:
        raise _unauthorized("device_revoked", "This device was signed out; sign in again.")
    return Principal(claims.account_id, claims.device_id)
