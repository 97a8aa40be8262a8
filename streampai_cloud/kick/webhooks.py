"""`POST /v1/webhooks/kick`: Kick's webhooks, checked, stored and relayed to the streamer's devices.

The webhook URL is set once in the Kick app's settings (not per subscription), so every event of
every connected channel arrives here, at whichever service process the load balancer picks.
A request is relayed only if all of these hold, else it is answered 4xx and logged, and nothing
is stored or relayed:

- the `Kick-Event-*` headers are there and well-formed;
- `Kick-Event-Message-Timestamp` is within MAX_SKEW of now (a captured request cannot be
  replayed later);
- `Kick-Event-Signature` is Kick's RSA signature of `message_id.timestamp.raw_body`;
- the body is a JSON object naming a `broadcaster.user_id` that some account connected.

A message id seen before is answered 200 but not relayed again: Kick calls the id an idempotency
key, and redelivers when it missed our answer — a 4xx there would count as a failed delivery
(Kick drops subscriptions that keep failing) for an event that was in fact relayed.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from streampai_cloud.db import kick_broadcasters
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import CONFIG, ENGINE, KICK_VERIFIER
from streampai_cloud.kick.api import kick_client
from streampai_cloud.kick.client import KickUnavailable
from streampai_cloud.kick.events import store_event
from streampai_cloud.validation import loads

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

# Kick's payloads are small (a chat message is at most 500 characters, plus its reply's).
MAX_WEBHOOK_BYTES = 64 * 1024
MAX_SKEW = timedelta(minutes=5)

_MESSAGE_ID = re.compile(r"[0-9A-Za-z_-]{1,100}")  # a ULID, as Kick documents it
_EVENT_TYPE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+){0,9}")
_VERSION = re.compile(r"[0-9A-Za-z._-]{1,16}")
_SIGNATURE = re.compile(r"[A-Za-z0-9+/=]{1,2048}")
_SUBSCRIPTION_ID = re.compile(r"[0-9A-Za-z_-]{1,100}")


def _refuse(request: web.Request, status: int, code: str, message: str) -> ApiError:
    # Who sent it and what it claimed to be; never the body (a viewer's chat, a gift's message).
    log.warning(
        "Kick webhook refused (%s) from %s, message id %r, type %r: %s",
        code,
        request.remote,
        request.headers.get("Kick-Event-Message-Id", "")[:100],
        request.headers.get("Kick-Event-Type", "")[:100],
        message,
    )
    return ApiError(status, code, message)


def _header(request: web.Request, name: str, pattern: re.Pattern[str]) -> str:
    value = request.headers.get(name, "").strip()
    if not value:
        raise _refuse(request, 400, "missing_header", f"The {name} header is missing.")
    if len(value) > 2048 or not pattern.fullmatch(value):
        raise _refuse(request, 400, "invalid_header", f"The {name} header is malformed.")
    return value


def _timestamp(request: web.Request) -> str:
    raw = request.headers.get("Kick-Event-Message-Timestamp", "").strip()
    if not raw:
        raise _refuse(
            request, 400, "missing_header", "The Kick-Event-Message-Timestamp header is missing."
        )
    try:
        sent = datetime.fromisoformat(raw[:64])
    except ValueError:
        sent = None
    if sent is None or sent.tzinfo is None:
        raise _refuse(
            request,
            400,
            "invalid_header",
            "The Kick-Event-Message-Timestamp header is not an RFC 3339 time.",
        )
    if abs(datetime.now(UTC) - sent) > MAX_SKEW:
        raise _refuse(
            request,
            400,
            "stale_message",
            "The message's timestamp is more than 5 minutes away from now.",
        )
    return raw


def _broadcaster_user_id(payload: Any) -> int | None:
    broadcaster = payload.get("broadcaster") if isinstance(payload, dict) else None
    user_id = broadcaster.get("user_id") if isinstance(broadcaster, dict) else None
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id < 2**63:
        return None
    return user_id


@routes.post("/v1/webhooks/kick")
async def kick_webhook(request: web.Request) -> web.Response:
    kick_client(request)
    if request.content_length is not None and request.content_length > MAX_WEBHOOK_BYTES:
        raise _refuse(request, 413, "payload_too_large", "The webhook body is too large.")
    raw = await request.read()
    if len(raw) > MAX_WEBHOOK_BYTES:
        raise _refuse(request, 413, "payload_too_large", "The webhook body is too large.")

    message_id = _header(request, "Kick-Event-Message-Id", _MESSAGE_ID)
    event_type = _header(request, "Kick-Event-Type", _EVENT_TYPE)
    event_version = _header(request, "Kick-Event-Version", _VERSION)
    signature = _header(request, "Kick-Event-Signature", _SIGNATURE)
    subscription_id = request.headers.get("Kick-Event-Subscription-Id", "").strip() or None
    if subscription_id is not None and not _SUBSCRIPTION_ID.fullmatch(subscription_id):
        subscription_id = None  # informational only; a malformed one is not kept
    timestamp = _timestamp(request)

    try:
        genuine = await request.app[KICK_VERIFIER].verify(message_id, timestamp, raw, signature)
    except KickUnavailable as exc:
        # Our trouble, not the sender's: a 5xx makes Kick deliver it again later.
        log.warning("Kick webhook not checked: %s", exc)
        raise ApiError(
            503, "kick_unavailable", "Kick's public key could not be fetched; deliver it again."
        ) from None
    if not genuine:
        raise _refuse(
            request, 401, "invalid_signature", "The Kick-Event-Signature is not Kick's signature."
        )

    try:
        payload = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ApiError):
        payload = None
    if not isinstance(payload, dict):
        raise _refuse(request, 400, "invalid_body", "The body is not a JSON object.")
    broadcaster = _broadcaster_user_id(payload)
    if broadcaster is None:
        raise _refuse(request, 400, "invalid_body", "The body names no broadcaster.user_id.")

    async with request.app[ENGINE].connect() as conn:
        transaction = await conn.begin()
        account_id = (
            await conn.execute(
                select(kick_broadcasters.c.account_id).where(
                    kick_broadcasters.c.broadcaster_user_id == broadcaster
                )
            )
        ).scalar_one_or_none()
        if account_id is None:
            raise _refuse(
                request,
                404,
                "unknown_broadcaster",
                f"No account connected the Kick channel {broadcaster}.",
            )
        row = await store_event(
            conn,
            account_id=account_id,
            event_type=event_type,
            event_version=event_version,
            message_id=message_id,
            subscription_id=subscription_id,
            broadcaster_user_id=broadcaster,
            payload=payload,
            ttl_s=request.app[CONFIG].kick_event_ttl_s,
        )
        if row is None:
            # Gives back the number store_event took: numbers stay dense.
            await transaction.rollback()
            log.info("Kick webhook %s was delivered before; not relayed again", message_id)
            return web.json_response({"status": "duplicate"})
        await transaction.commit()
    return web.json_response({"status": "accepted"})
