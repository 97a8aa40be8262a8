"""Donations: validated public intake, live relay, offline catch-up delivered once."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from tests.cloud.conftest import Api, MakeApi
from tests.cloud.test_live import open_live, receive


def donation(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Viewer",
        "amount": 500,
        "currency": "EUR",
        "message": "Great stream!",
        "payment_token": "tok_visa",
        **overrides,
    }


def handle() -> str:
    return f"streamer_{secrets.token_hex(4)}"


async def test_a_donation_reaches_every_signed_in_device_live(make_api: MakeApi) -> None:
    one, two = await make_api(), await make_api()
    name = handle()
    laptop = await one.register(handle=name)
    studio = await two.signin(laptop.account["email"])
    sockets = [await open_live(one, laptop), await open_live(two, studio)]

    status, body = await one.call("POST", f"/v1/donate/{name.upper()}", json=donation())
    assert status == 201
    receipt = body["donation"]
    assert receipt["amount"] == 500 and receipt["currency"] == "EUR" and receipt["name"] == "Viewer"
    # The devices get the donor's receipt, its id as `public_id`, and the account's own number.
    sent = {**receipt, "id": 1, "public_id": receipt["id"]}
    for ws in sockets:
        assert await receive(ws) == {"type": "donation", "donation": sent}
        await ws.close()


async def test_offline_devices_get_each_donation_once_after_reconnecting(api: Api) -> None:
    name = handle()
    s = await api.register(handle=name)
    receipts = []
    for amount in (100, 200):
        _, body = await api.call("POST", f"/v1/donate/{name}", json=donation(amount=amount))
        receipts.append(body["donation"]["id"])

    ws = await open_live(api, s)
    got = [(await receive(ws))["donation"] for _ in receipts]
    assert [d["public_id"] for d in got] == receipts
    ids = [d["id"] for d in got]
    assert ids == [1, 2]
    # The app turned them into events and acks; a reconnect must not repeat them.
    await ws.send_json({"type": "ack", "up_to": ids[-1]})
    await ws.send_json({"type": "ping"})
    assert await receive(ws) == {"type": "pong"}
    await ws.close()

    _, body = await api.call("POST", f"/v1/donate/{name}", json=donation(amount=300))
    ws = await open_live(api, s)
    assert (await receive(ws))["donation"]["amount"] == 300
    await ws.close()
    status, body = await api.call("GET", "/v1/donations", session=s)
    assert [d["amount"] for d in body["donations"]] == [300]
    status, _ = await api.call("POST", "/v1/donations/ack", session=s, json={"up_to": 10**12})
    assert status == 204
    assert (await api.call("GET", "/v1/donations", session=s))[1]["donations"] == []


async def test_a_new_sign_in_does_not_replay_old_donations(api: Api) -> None:
    name = handle()
    s = await api.register(handle=name)
    await api.call("POST", f"/v1/donate/{name}", json=donation())
    later = await api.signin(s.account["email"])
    status, body = await api.call("GET", "/v1/donations", session=later)
    assert status == 200 and body["donations"] == []


async def test_donations_are_validated(api: Api) -> None:
    name = handle()
    await api.register(handle=name)
    bad = [
        (donation(amount=99), "amount"),
        (donation(amount="5.00"), "amount"),
        (donation(currency="XXX"), "currency"),
        (donation(name="x" * 51), "name"),
        (donation(name="a\x07b"), "name"),
        (donation(message="x" * 501), "message"),
        ({k: v for k, v in donation().items() if k != "payment_token"}, "payment_token"),
    ]
    for body, field in bad:
        status, answer = await api.call("POST", f"/v1/donate/{name}", json=body)
        assert status == 400 and answer["error"]["field"] == field, (body, answer)
    status, answer = await api.call("POST", f"/v1/donate/{name}", json=donation(name="  "))
    assert status == 201 and answer["donation"]["name"] == "Anonymous"
    status, answer = await api.call("POST", "/v1/donate/nobody_here_123", json=donation())
    assert status == 404 and answer["error"]["code"] == "streamer_not_found"
    status, answer = await api.call(
        "POST", f"/v1/donate/{name}", json=donation(payment_token="tok_declined")
    )
    assert status == 402 and answer["error"]["code"] == "payment_declined"


async def test_donations_are_rate_limited_per_ip(make_api: MakeApi) -> None:
    api = await make_api(donate_limit_per_ip=2)
    name = handle()
    await api.register(handle=name)
    ip = {"X-Forwarded-For": f"10.3.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}
    statuses = [
        (await api.call("POST", f"/v1/donate/{name}", json=donation(), headers=ip))[0]
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]


async def test_donation_ids_do_not_show_how_many_donations_anyone_gets(api: Api) -> None:
    first, second = handle(), handle()
    one, two = await api.register(handle=first), await api.register(handle=second)
    receipts = []
    for name in (first, second, first, second, first):
        status, body = await api.call("POST", f"/v1/donate/{name}", json=donation())
        assert status == 201
        receipts.append(body["donation"]["id"])
    # A donor's receipt carries a random id: nothing to count, nothing to compare.
    for receipt in receipts:
        assert uuid.UUID(receipt).version == 4
    assert len(set(receipts)) == len(receipts)
    # Each streamer's devices number only that streamer's donations, whatever others get.
    fresh_one = await api.signin(one.account["email"])
    await api.call("POST", f"/v1/donate/{first}", json=donation())
    _, body = await api.call("GET", "/v1/donations", session=fresh_one)
    assert [d["id"] for d in body["donations"]] == [4]
    _, body = await api.call("GET", "/v1/donations", session=one)
    assert [d["id"] for d in body["donations"]] == [1, 2, 3, 4]
    assert [d["public_id"] for d in body["donations"]][:3] == receipts[0::2]
    _, body = await api.call("GET", "/v1/donations", session=two)
    assert [d["id"] for d in body["donations"]] == [1, 2]
