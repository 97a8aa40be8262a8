"""Donations: the public intake, and delivery to the streamer's devices exactly once each.

Delivery is at-least-once on the wire (live socket, or the pending list when polling) and made
once by the device's acknowledged cursor plus the donation id: a device acks what it has turned
into Donation events, and is never sent anything at or below its cursor again.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import func, insert, select, update

from streampai_cloud.auth import require_auth
from streampai_cloud.db import accounts, devices, donations
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import CONFIG, ENGINE, LIMITER
from streampai_cloud.live_notify import notify
from streampai_cloud.ratelimit import client_ip
from streampai_cloud.validation import (
    HANDLE_RE,
    integer,
    invalid,
    read_object,
    string,
)

routes = web.RouteTableDef()

CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "PLN", "SEK", "NOK", "DKK", "CHF", "BRL")
MIN_AMOUNT = 100  # 1.00 in minor units: below that the payment fees eat the donation
MAX_AMOUNT = 1_000_000
MAX_CURSOR = 2**63 - 1  # an ack's up_to: devices.donation_cursor is a bigint


def donation_json(row: Any) -> dict[str, Any]:
    """A donation as the streamer's devices see it: `id` is the account's own number (1, 2, 3...,
    what they acknowledge), `public_id` the random id the donor's receipt shows."""
    return {
        "id": row.seq,
        "public_id": str(row.public_id),
        "name": row.donor_name,
        "amount": row.amount,
        "currency": row.currency,
        "message": row.message,
        "created_at": row.created_at.isoformat(),
    }


def receipt_json(row: Any) -> dict[str, Any]:
    """A donation as the donor sees it: a random id, so a receipt tells nothing about how many
    donations the platform (or the streamer) gets."""
    return {
        "id": str(row.public_id),
        "name": row.donor_name,
        "amount": row.amount,
        "currency": row.currency,
        "message": row.message,
        "created_at": row.created_at.isoformat(),
    }


@routes.post("/v1/donate/{handle}")
async def donate(request: web.Request) -> web.Response:
    cfg = request.app[CONFIG]
    ip = client_ip(request.remote, request.headers.get("X-Forwarded-For"), cfg.trust_forwarded_for)
    await request.app[LIMITER].hit(
        f"donate-ip:{ip}", cfg.donate_limit_per_ip, cfg.donate_window, "donations"
    )
    handle = request.match_info["handle"].lower()[:64]  # echoed in errors: keep it short
    body = await read_object(request)
    # Viewers may stay anonymous: a missing or blank name is shown as "Anonymous".
    name = (string(body, "name", max_len=50, required=False) or "").strip() or "Anonymous"
    amount = integer(body, "amount", minimum=MIN_AMOUNT, maximum=MAX_AMOUNT)
    currency = body.get("currency")
    if currency not in CURRENCIES:
        raise invalid("currency", f"must be one of {', '.join(CURRENCIES)}")
    message = (string(body, "message", max_len=500, required=False) or "").strip()
    token = string(body, "payment_token", min_len=1, max_len=200)
    assert token is not None

    engine = request.app[ENGINE]
    if not HANDLE_RE.fullmatch(handle):
        raise ApiError(404, "streamer_not_found", f"No streamer is called {handle!r}.")
    async with engine.connect() as conn:
        account_id = (
            await conn.execute(select(accounts.c.id).where(accounts.c.handle == handle))
        ).scalar_one_or_none()
    if account_id is None:
        raise ApiError(404, "streamer_not_found", f"No streamer is called {handle!r}.")

    provider = cfg.payment_provider
    payment = await provider.charge(amount=amount, currency=currency, token=token)
    if not payment.approved:
        raise ApiError(402, "payment_declined", payment.reason or "The payment was declined.")
    async with engine.begin() as conn:
        # The account row lock orders an account's donations: seq follows commit order, so a
        # device's cursor never skips one that commits late.
        seq = (
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(donation_seq=accounts.c.donation_seq + 1)
                .returning(accounts.c.donation_seq)
            )
        ).scalar_one()
        row = (
            await conn.execute(
                insert(donations)
                .values(
                    seq=seq,
                    account_id=account_id,
                    donor_name=name,
                    amount=amount,
                    currency=currency,
                    message=message,
                    provider=provider.name,
                    reference=payment.reference,
                )
                .returning(donations)
            )
        ).one()
        await notify(
            conn, {"kind": "donation", "account_id": account_id, "donation": donation_json(row)}
        )
    return web.json_response({"donation": receipt_json(row)}, status=201)


async def pending_donations(conn: Any, account_id: Any, device_id: Any, limit: int) -> list[Any]:
    """Donations above this device's acknowledged cursor, oldest first."""
    cursor = (
        select(devices.c.donation_cursor)
        .where(devices.c.id == device_id, devices.c.account_id == account_id)
        .scalar_subquery()
    )
    return list(
        await conn.execute(
            select(donations)
            .where(donations.c.account_id == account_id, donations.c.seq > cursor)
            .order_by(donations.c.seq)
            .limit(limit)
        )
    )


@routes.get("/v1/donations")
async def list_pending(request: web.Request) -> web.Response:
    me = await require_auth(request)
    async with request.app[ENGINE].connect() as conn:
        rows = await pending_donations(conn, me.account_id, me.device_id, 100)
    return web.json_response({"donations": [donation_json(r) for r in rows]})


@routes.post("/v1/donations/ack")
async def ack(request: web.Request) -> web.Response:
    me = await require_auth(request)
    up_to = integer(await read_object(request), "up_to", minimum=0, maximum=MAX_CURSOR)
    async with request.app[ENGINE].begin() as conn:
        # Never move the cursor backwards (acks may arrive out of order after retries).
        await conn.execute(
            update(devices)
            .where(devices.c.id == me.device_id, devices.c.account_id == me.account_id)
            .values(donation_cursor=func.greatest(devices.c.donation_cursor, up_to))
        )
    return web.Response(status=204)
