"""Signing in to a platform through the service, for platforms whose code exchange needs the app's
secret (Kick, Facebook): the steps they share.

1. `POST /v1/platforms/{platform}/authorize` (a signed-in device): :func:`start` keeps a pending
   sign-in under a fresh random state (as its SHA-256 only) for AUTHORIZATION_TTL, and the
   platform answers with its consent page's URL (:func:`started`).
2. The platform sends the streamer's browser to `GET /v1/platforms/{platform}/callback?code&state`
   (:func:`callback`): the first callback for a state claims it (a reload or a replayed link
   changes nothing), the platform's own `exchange` turns the code into tokens, which are sealed
   (AES-GCM, :func:`seal`) under the state, and the browser gets a plain page saying how it went.
3. The account's devices hear `{"type": "{platform}_authorized", "state"}` on /v1/live, for success
   and failure alike; the device that asked (or a polling one) takes the tokens once with
   `GET /v1/platforms/{platform}/authorize/{state}` (:func:`hand_over`). Another account's state
   looks exactly like one that does not exist.

The service keeps no platform token beyond the hand-over: a database or backup that leaked would
otherwise hand every streamer's channel to whoever holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import web
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from streampai_cloud.auth import Principal
from streampai_cloud.db import platform_signins
from streampai_cloud.errors import PlatformRefused, PlatformUnavailable
from streampai_cloud.keys import CONFIG, ENGINE, LIMITER
from streampai_cloud.live_notify import notify

log = logging.getLogger(__name__)

AUTHORIZATION_TTL = timedelta(minutes=10)
MAX_STATE_CHARS = 200
MAX_CODE_CHARS = 2000
# Sign-ins started per account and platform: each one ends in a call to the platform made with the
# app's credentials, which platforms rate limit per app.
AUTHORIZE_LIMIT, AUTHORIZE_WINDOW = 20, 600


class Audit(Protocol):
    """A platform's audit trail: one line per thing done for an account (never a token)."""

    def __call__(
        self,
        conn: AsyncConnection,
        account_id: uuid.UUID,
        device_id: uuid.UUID | None,
        action: str,
        outcome: str,
    ) -> Awaitable[None]: ...


def _as_is(sealed: dict[str, Any]) -> dict[str, Any]:
    return sealed


@dataclass(frozen=True)
class SignInPlatform:
    """What differs between the platforms in the shared steps."""

    key: str  # "kick": in the paths, the table, the error codes and the live poke's type
    name: str  # "Kick": on the pages and in messages
    # The hand-over's fields (next to "status") from the value the callback sealed.
    present: Callable[[dict[str, Any]], dict[str, Any]] = _as_is
    audit: Audit | None = None

    @property
    def restart(self) -> str:
        return f"Start connecting {self.name} again from Streampai."

    @property
    def denied_code(self) -> str:
        return f"{self.key}_access_denied"

    @property
    def failed_code(self) -> str:
        return f"{self.key}_sign_in_failed"

    @property
    def unavailable_code(self) -> str:
        return f"{self.key}_unavailable"


@dataclass(frozen=True)
class Callback:
    """A claimed sign-in whose browser came back (with a code, or with the platform's error)."""

    state: str
    account_id: uuid.UUID
    device_id: uuid.UUID
    code_verifier: str | None
    code: str


@dataclass(frozen=True)
class Connected:
    """What the platform's exchange got: the hand-over to seal, the page's text, and anything
    to record in the same transaction that marks the sign-in connected."""

    handover: dict[str, Any]
    page_text: str
    record: Callable[[AsyncConnection], Awaitable[None]] | None = None


Exchange = Callable[[Callback], Awaitable[Connected]]


def state_digest(state: str) -> str:
    """States are kept as their SHA-256: a copy of the table cannot answer a callback."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


# --- sealing -----------------------------------------------------------------------------------
# The tokens wait for the hand-over (at most AUTHORIZATION_TTL) sealed with AES-GCM under a key
# derived from the service secret and the platform, bound to their sign-in's state: a copy of the
# database alone does not give them away.

_NONCE_BYTES = 12


def _key(secret: str, platform: str) -> bytes:
    purpose = f"streampai-cloud {platform} hand-over v1".encode()
    return hmac.new(secret.encode("utf-8"), purpose, hashlib.sha256).digest()


def seal(secret: str, platform: str, state_hash: str, value: dict[str, Any]) -> bytes:
    """`value` as JSON, encrypted and authenticated; only `unseal` with the same platform and
    state opens it."""
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return nonce + AESGCM(_key(secret, platform)).encrypt(nonce, plain, state_hash.encode("ascii"))


def unseal(secret: str, platform: str, state_hash: str, sealed: bytes) -> dict[str, Any] | None:
    """The sealed value, or None when it cannot be opened (another secret, platform or state)."""
    nonce, box = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        plain = AESGCM(_key(secret, platform)).decrypt(nonce, box, state_hash.encode("ascii"))
    except (InvalidTag, ValueError):
        return None
    value = json.loads(plain)
    return value if isinstance(value, dict) else None


# --- 1. start ----------------------------------------------------------------------------------


async def _prune(conn: AsyncConnection) -> None:
    # Expired sign-ins (and any tokens nobody picked up) go as soon as anyone starts or ends one.
    await conn.execute(delete(platform_signins).where(platform_signins.c.expires_at < func.now()))


async def start(
    request: web.Request, platform: SignInPlatform, me: Principal, code_verifier: str | None = None
) -> str:
    """A new pending sign-in of the account (with the PKCE verifier, if the platform uses one);
    its state."""
    await request.app[LIMITER].hit(
        f"{platform.key}-authorize:{me.account_id}",
        AUTHORIZE_LIMIT,
        AUTHORIZE_WINDOW,
        f"{platform.name} sign-ins",
    )
    state = secrets.token_urlsafe(32)
    async with request.app[ENGINE].begin() as conn:
        await _prune(conn)
        await conn.execute(
            insert(platform_signins).values(
                state_hash=state_digest(state),
                platform=platform.key,
                account_id=me.account_id,
                device_id=me.device_id,
                code_verifier=code_verifier,
                expires_at=func.now() + AUTHORIZATION_TTL,
            )
        )
    return state


def started(state: str, authorization_url: str) -> web.Response:
    """The answer to a started sign-in."""
    return web.json_response(
        {
            "state": state,
            "authorization_url": authorization_url,
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


def page(status: int, title: str, text: str) -> web.Response:
    """The page the streamer's browser lands on."""
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


def _where(platform: SignInPlatform, digest: str) -> tuple[Any, ...]:
    return (platform_signins.c.state_hash == digest, platform_signins.c.platform == platform.key)


async def _poke(
    conn: AsyncConnection, platform: SignInPlatform, account_id: uuid.UUID, state: str
) -> None:
    message = {"kind": "platform_authorized", "platform": platform.key, "state": state}
    await notify(conn, {**message, "account_id": account_id})


async def _claim(request: web.Request, platform: SignInPlatform) -> Callback | web.Response:
    """The callback's sign-in, claimed (only the first callback for a state gets it: a second one
    waits on the row lock, then finds it no longer pending), or the page to answer with."""
    state = request.query.get("state", "")
    if not state or len(state) > MAX_STATE_CHARS:
        return page(400, "This link is not complete", f"It carries no sign-in. {platform.restart}")
    digest = state_digest(state)
    async with request.app[ENGINE].begin() as conn:
        claimed = (
            await conn.execute(
                select(
                    platform_signins.c.account_id,
                    platform_signins.c.device_id,
                    platform_signins.c.code_verifier,
                )
                .where(
                    *_where(platform, digest),
                    platform_signins.c.status == "pending",
                    platform_signins.c.expires_at > func.now(),
                )
                .with_for_update()
            )
        ).one_or_none()
        if claimed is not None:
            await conn.execute(
                update(platform_signins)
                .where(*_where(platform, digest))
                .values(status="exchanging", code_verifier=None)
            )
    if claimed is None:
        return page(
            400,
            "This sign-in link is not valid any more",
            f"It expired or was already used. {platform.restart}",
        )
    return Callback(
        state=state,
        account_id=claimed.account_id,
        device_id=claimed.device_id,
        code_verifier=claimed.code_verifier,
        code=request.query.get("code", "")[:MAX_CODE_CHARS],
    )


async def _fail(
    request: web.Request, platform: SignInPlatform, callback: Callback, code: str, message: str
) -> None:
    """Record why a sign-in ended without tokens, and poke the account's devices."""
    async with request.app[ENGINE].begin() as conn:
        await conn.execute(
            update(platform_signins)
            .where(*_where(platform, state_digest(callback.state)))
            .values(status="failed", error_code=code, error_message=message)
        )
        if platform.audit is not None:
            await platform.audit(conn, callback.account_id, callback.device_id, "connect", code)
        await _poke(conn, platform, callback.account_id, callback.state)


async def callback(
    request: web.Request, platform: SignInPlatform, configured: bool, exchange: Exchange
) -> web.Response:
    """The whole callback: claim the state, handle a declined or broken redirect, exchange the
    code (the platform's part), seal the tokens, poke the devices, answer with a page."""
    name, restart = platform.name, platform.restart
    if not configured:
        return page(503, f"{name} is not set up here", f"This Streampai service has no {name} app.")
    claimed = await _claim(request, platform)
    if isinstance(claimed, web.Response):
        return claimed
    error = request.query.get("error")
    if error or not claimed.code:
        if error == "access_denied":
            await _fail(
                request, platform, claimed, platform.denied_code, f"{name} access was declined."
            )
            return page(200, f"{name} was not connected", f"You declined on {name}. {restart}")
        detail = (request.query.get("error_description") or error or "no code")[:200]
        await _fail(request, platform, claimed, platform.failed_code, f"{name} said: {detail}")
        return page(400, f"{name} was not connected", f"{name} said: {detail}. {restart}")
    try:
        connected = await exchange(claimed)
    except PlatformRefused as exc:
        log.warning("%s refused a sign-in's code: %s", name, exc.detail)
        await _fail(
            request, platform, claimed, platform.failed_code, f"{name} refused: {exc.detail}"
        )
        return page(400, f"{name} was not connected", f"{name} refused the sign-in. {restart}")
    except PlatformUnavailable as exc:
        log.warning("%s sign-in failed: %s", name, exc)
        await _fail(
            request, platform, claimed, platform.unavailable_code, f"{name} could not be reached."
        )
        return page(502, f"{name} was not connected", f"{name} could not be reached. {restart}")
    digest = state_digest(claimed.state)
    async with request.app[ENGINE].begin() as conn:
        if connected.record is not None:
            await connected.record(conn)
        await conn.execute(
            update(platform_signins)
            .where(*_where(platform, digest))
            .values(
                status="connected",
                handover=seal(request.app[CONFIG].secret, platform.key, digest, connected.handover),
                # The desktop gets the whole window to pick the tokens up, from now.
                expires_at=func.now() + AUTHORIZATION_TTL,
            )
        )
        await _poke(conn, platform, claimed.account_id, claimed.state)
    return page(200, f"{name} is connected — you can close this page", connected.page_text)


# --- 3. the desktop takes the tokens -----------------------------------------------------------


def _failed(status: int, code: str, message: str) -> web.Response:
    body = {"status": "failed", "error": {"code": code, "message": message}}
    return web.json_response(body, status=status)


async def hand_over(request: web.Request, platform: SignInPlatform, me: Principal) -> web.Response:
    """`GET /v1/platforms/{platform}/authorize/{state}` for the signed-in `me`: 202 while
    pending, the failure, or the tokens (once; then the sign-in is forgotten)."""
    digest = state_digest(request.match_info["state"][:MAX_STATE_CHARS])
    async with request.app[ENGINE].begin() as conn:
        await _prune(conn)
        row = (
            await conn.execute(
                select(platform_signins)
                .where(
                    *_where(platform, digest),
                    # Another account's sign-in looks exactly like one that does not exist.
                    platform_signins.c.account_id == me.account_id,
                )
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            return _failed(
                404,
                "authorization_not_found",
                f"No {platform.name} sign-in is waiting under this state: it expired, was "
                "already taken, or was never started by this account.",
            )
        if row.status in ("pending", "exchanging"):
            return web.json_response({"status": "pending"}, status=202)
        if row.status == "failed":
            code = row.error_code or platform.failed_code
            status = 403 if code == platform.denied_code else 409
            return _failed(status, code, row.error_message or "")
        # Handed over once, then forgotten.
        await conn.execute(delete(platform_signins).where(*_where(platform, digest)))
        if platform.audit is not None:
            await platform.audit(conn, me.account_id, me.device_id, "handover", "taken")
    opened = unseal(request.app[CONFIG].secret, platform.key, digest, row.handover or b"")
    if opened is None:
        # Sealed under another STREAMPAI_CLOUD_SECRET (rotated mid-sign-in): nothing to give.
        return _failed(
            409,
            platform.failed_code,
            f"The sign-in could not be completed. {platform.restart}",
        )
    return web.json_response({"status": "connected", **platform.present(opened)})
