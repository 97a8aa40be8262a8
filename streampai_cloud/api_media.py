"""Media routes: upload an alert's image, video or sound once; fetch it on the account's other
computers. Files are named by their SHA-256, stored once however many accounts upload them
(media/), and readable only by accounts that uploaded them (a row in `media`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from streampai_cloud.auth import require_auth, verify_token
from streampai_cloud.config import GB, MB, CloudConfig
from streampai_cloud.db import accounts, media
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import CONFIG, ENGINE, MEDIA_STORE
from streampai_cloud.media import MediaStore, StorageFull, StorageUnavailable
from streampai_cloud.media.staging import Staged, TooLarge, UploadInterrupted, receive
from streampai_cloud.validation import invalid

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

SHA256_RE = re.compile(r"[0-9a-f]{64}")
# What an alert can show or play in OBS's browser source; anything else is refused (415).
CONTENT_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
)
# A file never changes under its hash, so a device may cache it forever; `private` keeps it out
# of shared caches. The rest stops a browser from running an uploaded file as a page of ours.
SERVE_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "attachment",
    "Content-Security-Policy": "sandbox",
}


@dataclass(frozen=True)
class Usage:
    plan: str
    used_bytes: int
    count: int


def describe_size(size: int, *, round_up: bool = False) -> str:
    """A size as a streamer reads it: "31.2 MB", "500 MB", "10 GB", "900 KB". A file's own size
    rounds up, so a file just over a limit never reads as equal to it."""
    for unit, name in ((GB, "GB"), (MB, "MB"), (1024, "KB")):
        if size >= unit:
            tenths = size * 10 / unit
            text = f"{(math.ceil(tenths) if round_up else round(tenths)) / 10:.1f}"
            return f"{text.removesuffix('.0')} {name}"
    return f"{size} byte" + ("" if size == 1 else "s")


def _sha256(request: web.Request) -> str:
    value = request.match_info["sha256"]
    if not SHA256_RE.fullmatch(value):
        raise invalid("sha256", "must be the file's SHA-256 as 64 lowercase hex digits")
    return value


def _content_type(request: web.Request) -> str:
    # aiohttp lower-cases the type and drops parameters; no header at all reads as
    # application/octet-stream, which is refused too.
    if request.content_type in CONTENT_TYPES:
        return request.content_type
    raise ApiError(
        415,
        "unsupported_media_type",
        "Alerts can use PNG, JPEG, GIF or WebP images, MP4 or WebM videos and MP3, Ogg or WAV "
        "sounds; send the file with its Content-Type.",
        accepted=list(CONTENT_TYPES),
    )


def _too_large(cfg: CloudConfig, plan: str, size: int | None) -> ApiError:
    limit = cfg.media_limits(plan).max_file_bytes
    if size is None:  # refused while it arrived: the whole size is unknown
        lead = f"This file is larger than {describe_size(limit)}"
    else:
        lead = f"This file is {describe_size(size, round_up=True)}"
    message = f"{lead}; the {plan} plan takes files up to {describe_size(limit)}."
    pro = cfg.media_limits("pro").max_file_bytes
    if plan == "free" and pro > limit:
        message += f" The pro plan takes files up to {describe_size(pro)}."
    details: dict[str, Any] = {"plan": plan, "max_file_bytes": limit}
    if size is not None:
        details["size"] = size
    return ApiError(413, "media_too_large", message, **details)


def _check_quota(cfg: CloudConfig, usage: Usage, size: int) -> None:
    quota = cfg.media_limits(usage.plan).quota_bytes
    if usage.used_bytes + size <= quota:
        return
    message = (
        f"This file is {describe_size(size, round_up=True)} and does not fit: your account "
        f"uses {describe_size(usage.used_bytes)} of {describe_size(quota)} on the "
        f"{usage.plan} plan."
    )
    pro = cfg.media_limits("pro").quota_bytes
    if usage.plan == "free" and pro > quota:
        message += f" The pro plan stores up to {describe_size(pro)}."
    raise ApiError(
        413,
        "media_quota_exceeded",
        message,
        plan=usage.plan,
        size=size,
        used_bytes=usage.used_bytes,
        quota_bytes=quota,
    )


@contextlib.contextmanager
def _storage_errors(store: MediaStore) -> Iterator[None]:
    """The store's trouble as a clean 507/503 for the app, and an error line for the operator."""
    try:
        yield
    except StorageFull as exc:
        log.error("media store (%s) is full: %s", store.description, exc)
        raise ApiError(
            507,
            "storage_full",
            "The service has no room for new media right now. Your file stays on this "
            "computer; try again later.",
        ) from None
    except StorageUnavailable as exc:
        log.error("media store (%s) failed: %s", store.description, exc)
        raise ApiError(
            503,
            "storage_unavailable",
            "Media storage cannot be reached right now; try again in a moment.",
            headers={"Retry-After": "30"},
        ) from None


async def _usage(conn: AsyncConnection, account_id: uuid.UUID, *, lock: bool = False) -> Usage:
    query = select(accounts.c.plan).where(accounts.c.id == account_id)
    # The account row lock serialises this account's uploads in every process: two files that
    # each fit but not together cannot both be counted against the same free space.
    plan = (await conn.execute(query.with_for_update() if lock else query)).scalar_one()
    used, count = (
        await conn.execute(
            select(func.coalesce(func.sum(media.c.size), 0), func.count()).where(
                media.c.account_id == account_id
            )
        )
    ).one()
    return Usage(plan, int(used), int(count))


async def _media_row(conn: AsyncConnection, account_id: uuid.UUID, sha256: str) -> Any:
    return (
        await conn.execute(
            select(media.c.size, media.c.content_type).where(
                media.c.account_id == account_id, media.c.sha256 == sha256
            )
        )
    ).first()


def _info(sha256: str, size: int, content_type: str) -> dict[str, Any]:
    return {"sha256": sha256, "size": size, "content_type": content_type}


async def _receive(request: web.Request, cfg: CloudConfig, plan: str, max_bytes: int) -> Staged:
    store = request.app[MEDIA_STORE]
    try:
        with _storage_errors(store):
            return await receive(request.content, store.staging_dir, max_bytes)
    except TooLarge:
        raise _too_large(cfg, plan, None) from None
    except UploadInterrupted:
        raise ApiError(
            400,
            "upload_incomplete",
            "The upload stopped before the whole file arrived; send it again.",
        ) from None


@routes.put("/v1/media/{sha256}")
async def upload(request: web.Request) -> web.Response:
    """Store a file under its SHA-256 for this account: 201 when new to it, 200 when it had it."""
    verify_token(request)  # refuse early, before reading a large body
    sha256 = _sha256(request)
    content_type = _content_type(request)
    cfg, engine, store = request.app[CONFIG], request.app[ENGINE], request.app[MEDIA_STORE]
    async with engine.connect() as conn:
        me = await require_auth(request, conn)
        usage = await _usage(conn, me.account_id)
        known = await _media_row(conn, me.account_id, sha256)
    max_bytes = cfg.media_limits(usage.plan).max_file_bytes
    if known is not None:  # a file it already has stays acceptable after a plan change
        max_bytes = max(max_bytes, known.size)
    declared = request.content_length
    if declared is not None:  # refuse before reading a byte when the size is announced
        if declared > max_bytes:
            raise _too_large(cfg, usage.plan, declared)
        if known is None:
            _check_quota(cfg, usage, declared)

    # Read and hashed even when the account has the file: holding its hash proves nothing.
    staged = await _receive(request, cfg, usage.plan, max_bytes)
    try:
        if staged.sha256 != sha256:
            raise ApiError(
                400,
                "hash_mismatch",
                "The file's SHA-256 is not the one in the URL: it changed or was damaged on "
                "the way. Nothing was stored; send it again.",
            )
        if known is None:
            _check_quota(cfg, usage, staged.size)  # before storing anything
        with _storage_errors(store):
            # Also when the account has it: this puts back an object the store lost.
            if await store.size(sha256) is None:
                await store.put(sha256, staged.path, staged.size)
        async with engine.begin() as conn:
            usage = await _usage(conn, me.account_id, lock=True)
            row = await _media_row(conn, me.account_id, sha256)
            if row is not None:
                return web.json_response(_info(sha256, row.size, row.content_type))
            # Checked again under the lock: a concurrent upload or plan change may have moved
            # the numbers since the first look.
            if staged.size > cfg.media_limits(usage.plan).max_file_bytes:
                raise _too_large(cfg, usage.plan, staged.size)
            _check_quota(cfg, usage, staged.size)
            await conn.execute(
                insert(media).values(
                    account_id=me.account_id,
                    sha256=sha256,
                    size=staged.size,
                    content_type=content_type,
                )
            )
        return web.json_response(_info(sha256, staged.size, content_type), status=201)
    finally:
        await asyncio.to_thread(staged.path.unlink, missing_ok=True)


@routes.get("/v1/media/{sha256}")  # HEAD too (aiohttp adds it to GET routes)
async def download(request: web.Request) -> web.StreamResponse:
    """The file's bytes, streamed, with the type it was uploaded as; 404 for any file this
    account did not upload, whether or not another account did."""
    verify_token(request)
    sha256 = _sha256(request)
    store = request.app[MEDIA_STORE]
    async with request.app[ENGINE].connect() as conn:
        me = await require_auth(request, conn)
        row = await _media_row(conn, me.account_id, sha256)
    not_found = ApiError(404, "not_found", "This account has no media with that SHA-256.")
    if row is None:
        raise not_found
    with _storage_errors(store):
        if await store.size(sha256) is None:
            # 404 rather than 5xx: the app then uploads the file again, which restores it.
            log.error("media %s has a row but is missing from %s", sha256, store.description)
            raise not_found
        return await store.serve(
            request, sha256, {**SERVE_HEADERS, "Content-Type": row.content_type}
        )


@routes.get("/v1/media")
async def usage(request: web.Request) -> web.Response:
    """What the account stores and what its plan allows."""
    async with request.app[ENGINE].connect() as conn:
        me = await require_auth(request, conn)
        found = await _usage(conn, me.account_id)
    limits = request.app[CONFIG].media_limits(found.plan)
    return web.json_response(
        {
            "plan": found.plan,
            "used_bytes": found.used_bytes,
            "quota_bytes": limits.quota_bytes,
            "max_file_bytes": limits.max_file_bytes,
            "count": found.count,
        }
    )
