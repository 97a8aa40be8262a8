"""Kick's webhooks through the account service, on real PostgreSQL: only genuine, fresh, first
deliveries for a connected channel are relayed; they reach every signed-in device of that
account over /v1/live (whichever process got the webhook), a device that was off gets them on
reconnect until it acknowledges them, and nothing reaches anyone else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from streampai_cloud.config import CloudConfig
from streampai_cloud.db import create_engine
from streampai_cloud.kick import events as kick_events
from streampai_cloud.kick import signature
from tests.cloud.conftest import Api, MakeApi, Session
from tests.cloud.test_kick_connect import (
    connect_kick,
    db_rows,
    kick_settings,
    new_fake_kick,
)
from tests.cloud.test_live import open_live, receive
from tests.fakes import kick_keys
from tests.fakes.kick import FakeKick, new_ulid, rfc3339, viewer

REFUSED = r"Kick webhook refused"


@pytest.fixture
async def fake_kick() -> AsyncIterator[FakeKick]:
    async with new_fake_kick() as fake:
        yield fake


@pytest.fixture
async def kick_api(make_api: MakeApi, fake_kick: FakeKick) -> Api:
    return await make_api(**kick_settings(fake_kick))


def webhook_url(api: Api) -> str:
    return str(api.client.make_url("/v1/webhooks/kick"))


async def nothing_arrives(ws: aiohttp.ClientWebSocketResponse, wait: float = 0.3) -> None:
    try:
        msg = await ws.receive(timeout=wait)
    except TimeoutError:
        return
    raise AssertionError(f"expected nothing, got {msg}")


async def kick_event(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await receive(ws)
    assert message["type"] == "kick_event", message
    event: dict[str, Any] = message["event"]
    return event


async def ack(ws: aiohttp.ClientWebSocketResponse, up_to: int) -> None:
    await ws.send_json({"type": "ack_kick", "up_to": up_to})
    await ws.send_json({"type": "ping"})  # the pong comes after the ack was stored
    assert await receive(ws) == {"type": "pong"}


async def connected_account(api: Api) -> Session:
    session = await api.register()
    await connect_kick(api, session)
    return session


async def test_an_event_reaches_every_device_of_the_account_on_any_process(
    make_api: MakeApi, fake_kick: FakeKick
) -> None:
    one, two = (
        await make_api(**kick_settings(fake_kick)),
        await make_api(**kick_settings(fake_kick)),
    )
    laptop = await connected_account(one)
    studio = await two.signin(laptop.account["email"])
    stranger = await two.register()
    sockets = [await open_live(one, laptop), await open_live(two, studio)]
    stranger_ws = await open_live(two, stranger)

    payload = fake_kick.payload_for(
        "chat.message.sent",
        content="hello [emote:37226:KEKW]",
        sender=viewer(555, "Viewer One", badges=[{"text": "Moderator", "type": "moderator"}]),
    )
    message_id = new_ulid()
    # Kick posts to the one webhook URL; the load balancer picked process one.
    status = await fake_kick.send_webhook(
        webhook_url(one), "chat.message.sent", payload, message_id=message_id
    )
    assert status == 200
    for ws in sockets:
        event = await kick_event(ws)
        assert event["id"] == 1
        assert event["event_type"] == "chat.message.sent" and event["event_version"] == "1"
        assert event["message_id"] == message_id
        assert event["broadcaster_user_id"] == fake_kick.user.user_id
        assert event["payload"] == payload  # as Kick sent it
        datetime.fromisoformat(event["received_at"])
    await nothing_arrives(stranger_ws)

    # The next one, delivered to the other process, is number 2 everywhere.
    follow = fake_kick.payload_for("channel.followed", follower=viewer(777, "New Fan"))
    assert await fake_kick.send_webhook(webhook_url(two), "channel.followed", follow) == 200
    for ws in sockets:
        event = await kick_event(ws)
        assert (event["id"], event["event_type"]) == (2, "channel.followed")
        assert event["payload"]["follower"]["username"] == "New Fan"
        await ws.close()
    await nothing_arrives(stranger_ws)
    await stranger_ws.close()

    status, body = await one.call("GET", "/v1/platforms/kick/status", session=studio)
    last = datetime.fromisoformat(body["last_event_at"])
    assert abs(datetime.now(UTC) - last) < timedelta(minutes=1)


@pytest.mark.allow_logs(REFUSED)
async def test_forged_stale_replayed_or_unknown_deliveries_are_refused(
    make_api: MakeApi, fake_kick: FakeKick, cloud_config: CloudConfig
) -> None:
    api = await make_api(**kick_settings(fake_kick))
    s = await connected_account(api)
    ws = await open_live(api, s)
    url = webhook_url(api)

    def follow() -> dict[str, Any]:
        return fake_kick.payload_for("channel.followed")

    now = datetime.now(UTC)
    refused: list[tuple[str, dict[str, Any], int]] = [
        ("signed by someone else", {"signing_key": kick_keys.FORGER_KEY}, 401),
        ("body changed after signing", {"tamper": True}, 401),
        ("six minutes old", {"timestamp": now - timedelta(minutes=6)}, 400),
        ("six minutes ahead", {"timestamp": now + timedelta(minutes=6)}, 400),
        ("not a time", {"timestamp": "yesterday"}, 400),
    ]
    for why, options, expected in refused:
        status = await fake_kick.send_webhook(url, "channel.followed", follow(), **options)
        assert status == expected, why

    # A channel nobody connected (signed by Kick, all else fine).
    stranger_channel = follow()
    stranger_channel["broadcaster"]["user_id"] = fake_kick.user.user_id + 1
    assert await fake_kick.send_webhook(url, "channel.followed", stranger_channel) == 404
    # Signed by Kick but not an event body.
    for body in ({"broadcaster": {"user_id": "123"}}, {"no": "broadcaster"}):
        assert await fake_kick.send_webhook(url, "channel.followed", body) == 400
    await nothing_arrives(ws)

    # Headers missing or malformed, and a body that is no JSON (raw requests: the fake always
    # sends Kick's headers).
    good = {
        "Kick-Event-Message-Id": new_ulid(),
        "Kick-Event-Message-Timestamp": rfc3339(),
        "Kick-Event-Type": "channel.followed",
        "Kick-Event-Version": "1",
    }
    raw = b"not json"
    signed = kick_keys.sign(
        f"{good['Kick-Event-Message-Id']}.{good['Kick-Event-Message-Timestamp']}.".encode() + raw,
        kick_keys.PRIVATE_KEY,
    )
    async with api.client.post(
        "/v1/webhooks/kick", data=raw, headers={**good, "Kick-Event-Signature": signed}
    ) as resp:
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_body"
    for header in good:
        headers = {k: v for k, v in good.items() if k != header}
        async with api.client.post(
            "/v1/webhooks/kick", data=raw, headers={**headers, "Kick-Event-Signature": signed}
        ) as resp:
            assert resp.status == 400 and (await resp.json())["error"]["code"] == "missing_header"
    async with api.client.post(
        "/v1/webhooks/kick", data=raw, headers={**good, "Kick-Event-Type": "Chat Message"}
    ) as resp:
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_header"
    async with api.client.post(
        "/v1/webhooks/kick", data=b"x" * (64 * 1024 + 1), headers=good
    ) as resp:
        assert resp.status == 413
    await nothing_arrives(ws)

    # The genuine delivery is relayed; Kick redelivering it (it missed our answer) is
    # answered but not relayed twice.
    payload, message_id = follow(), new_ulid()
    for attempt in range(2):
        assert (
            await fake_kick.send_webhook(url, "channel.followed", payload, message_id=message_id)
            == 200
        )
        if attempt == 0:
            assert (await kick_event(ws))["message_id"] == message_id
    assert fake_kick.deliveries[-1].status == 200
    await nothing_arrives(ws)
    await ws.close()
    stored = await db_rows(
        cloud_config, "SELECT seq FROM kick_events WHERE account_id = :a", a=s.account["id"]
    )
    assert [r.seq for r in stored] == [1]


async def test_a_device_that_was_off_gets_events_on_reconnect_until_it_acks(
    make_api: MakeApi, fake_kick: FakeKick
) -> None:
    one, two = (
        await make_api(**kick_settings(fake_kick)),
        await make_api(**kick_settings(fake_kick)),
    )
    laptop = await connected_account(one)
    studio = await one.signin(laptop.account["email"])  # signed in, but the app is closed
    laptop_ws = await open_live(one, laptop)

    sent = []
    for name in ("First", "Second", "Third"):
        payload = fake_kick.payload_for("channel.followed", follower=viewer(1, name))
        assert await fake_kick.send_webhook(webhook_url(one), "channel.followed", payload) == 200
        sent.append(payload)
    got = [await kick_event(laptop_ws) for _ in sent]
    assert [e["id"] for e in got] == [1, 2, 3]
    await ack(laptop_ws, 3)
    await laptop_ws.close()

    # The studio computer starts (on the other process): it gets all three, oldest first...
    ws = await open_live(two, studio)
    backlog = [await kick_event(ws) for _ in sent]
    assert [e["payload"]["follower"]["username"] for e in backlog] == ["First", "Second", "Third"]
    # ...acknowledges the first two only (it crashed while ingesting the third)...
    await ack(ws, 2)
    await ws.close()
    ws = await open_live(two, studio)
    assert (await kick_event(ws))["id"] == 3
    await ack(ws, 3)
    await ws.close()
    # ...and after the last ack, a reconnect repeats nothing; new events still come.
    ws = await open_live(two, studio)
    await nothing_arrives(ws)
    payload = fake_kick.payload_for("channel.followed", follower=viewer(1, "Fourth"))
    assert await fake_kick.send_webhook(webhook_url(one), "channel.followed", payload) == 200
    assert (await kick_event(ws))["id"] == 4
    await ws.close()
    # The laptop, which acked 3 earlier, gets only the fourth.
    ws = await open_live(one, laptop)
    assert (await kick_event(ws))["id"] == 4
    await nothing_arrives(ws)
    await ws.close()


async def test_a_new_sign_in_does_not_replay_old_events(kick_api: Api, fake_kick: FakeKick) -> None:
    s = await connected_account(kick_api)
    payload = fake_kick.payload_for("channel.followed")
    assert await fake_kick.send_webhook(webhook_url(kick_api), "channel.followed", payload) == 200
    await asyncio.sleep(0.01)  # the next sign-in is later than the event, as in life
    later = await kick_api.signin(s.account["email"])
    ws = await open_live(kick_api, later)
    await nothing_arrives(ws)
    await ws.close()
    ws = await open_live(kick_api, s)  # the device that was signed in still gets it
    assert (await kick_event(ws))["id"] == 1
    await ws.close()


async def test_events_too_large_to_notify_are_relayed_in_order(
    make_api: MakeApi, fake_kick: FakeKick
) -> None:
    one, two = (
        await make_api(**kick_settings(fake_kick)),
        await make_api(**kick_settings(fake_kick)),
    )
    s = await connected_account(one)
    ws = await open_live(two, s)
    # 500 emoji in a reply to 500 emoji: far over what one PostgreSQL NOTIFY carries.
    big = fake_kick.payload_for(
        "chat.message.sent",
        content="\U0001f525" * 500,
        replies_to={"content": "\U0001f389" * 500},
    )
    assert len(json.dumps(big)) > kick_events.NOTIFY_INLINE_MAX
    small = fake_kick.payload_for("chat.message.sent", content="right after")
    url = webhook_url(one)
    results = await asyncio.gather(
        fake_kick.send_webhook(url, "chat.message.sent", big),
        fake_kick.send_webhook(url, "chat.message.sent", small),
    )
    assert results == [200, 200]
    first, second = await kick_event(ws), await kick_event(ws)
    assert (first["id"], second["id"]) == (1, 2)
    by_content = {e["payload"]["content"]: e for e in (first, second)}
    assert set(by_content) == {"\U0001f525" * 500, "right after"}
    assert by_content["\U0001f525" * 500]["payload"] == big
    await ws.close()


@pytest.mark.allow_logs(REFUSED)
async def test_a_rotated_kick_key_is_fetched_again_but_not_for_every_forgery(
    make_api: MakeApi, fake_kick: FakeKick, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signature, "REFETCH_INTERVAL_S", 0.5)
    api = await make_api(**kick_settings(fake_kick))
    s = await connected_account(api)
    ws = await open_live(api, s)
    url = webhook_url(api)
    assert (
        await fake_kick.send_webhook(
            url, "channel.followed", fake_kick.payload_for("channel.followed")
        )
        == 200
    )
    assert (await kick_event(ws))["id"] == 1
    fetches = fake_kick.calls.count("GET /public/v1/public-key")
    assert fetches == 1

    # A burst of forgeries costs Kick at most one more key fetch per interval.
    for _ in range(5):
        status = await fake_kick.send_webhook(
            url,
            "channel.followed",
            fake_kick.payload_for("channel.followed"),
            signing_key=kick_keys.FORGER_KEY,
        )
        assert status == 401
    assert fake_kick.calls.count("GET /public/v1/public-key") <= fetches + 1

    # Kick rotates its key: once the interval is up, the first delivery signed with the new one
    # makes the service fetch it, and goes through.
    new_key = kick_keys.new_private_key()
    fake_kick.private_key, fake_kick.public_key_pem = new_key, kick_keys.public_pem(new_key)
    await asyncio.sleep(0.6)
    payload = fake_kick.payload_for("channel.followed")
    assert await fake_kick.send_webhook(url, "channel.followed", payload) == 200
    assert (await kick_event(ws))["payload"] == payload
    await ws.close()


@pytest.mark.allow_logs(r"Kick webhook not checked")
async def test_kick_key_unreachable_means_deliver_again_later(
    kick_api: Api, fake_kick: FakeKick
) -> None:
    s = await connected_account(kick_api)
    ws = await open_live(kick_api, s)
    payload, message_id = fake_kick.payload_for("channel.followed"), new_ulid()
    fake_kick.fail_next("/public-key", 500)
    url = webhook_url(kick_api)
    status = await fake_kick.send_webhook(url, "channel.followed", payload, message_id=message_id)
    assert status == 503  # a 5xx: Kick delivers it again
    await nothing_arrives(ws)
    status = await fake_kick.send_webhook(url, "channel.followed", payload, message_id=message_id)
    assert status == 200
    assert (await kick_event(ws))["message_id"] == message_id
    await ws.close()


async def test_expired_events_are_not_sent_and_are_pruned(
    make_api: MakeApi, fake_kick: FakeKick, cloud_config: CloudConfig
) -> None:
    api = await make_api(**kick_settings(fake_kick), kick_event_ttl_s=60)
    s = await connected_account(api)
    url = webhook_url(api)
    old, fresh = new_ulid(), new_ulid()
    for message_id in (old, fresh):
        payload = fake_kick.payload_for("channel.followed")
        assert (
            await fake_kick.send_webhook(url, "channel.followed", payload, message_id=message_id)
            == 200
        )
    # The first one waited its 60 s (and the replay window) for a device that stayed off.
    await db_rows(
        cloud_config,
        "UPDATE kick_events SET expires_at = now() - interval '1 second', "
        "received_at = now() - interval '11 minutes' WHERE message_id = :m",
        m=old,
    )
    ws = await open_live(api, s)
    assert (await kick_event(ws))["message_id"] == fresh
    await nothing_arrives(ws)
    await ws.close()

    engine = create_engine(cloud_config.database_url, 1)
    try:
        async with engine.begin() as conn:
            assert await kick_events.prune(conn) >= 1
    finally:
        await engine.dispose()
    left = await db_rows(
        cloud_config, "SELECT message_id FROM kick_events WHERE account_id = :a", a=s.account["id"]
    )
    assert [r.message_id for r in left] == [fresh]


async def test_a_bad_kick_ack_closes_the_socket(kick_api: Api) -> None:
    s = await kick_api.register()
    ws = await open_live(kick_api, s)
    await ws.send_json({"type": "ack_kick", "up_to": "all"})
    error = await receive(ws)
    assert error["type"] == "error" and "ack_kick" in error["error"]["message"]
    closing = await ws.receive(timeout=5)
    assert closing.type == WSMsgType.CLOSE and closing.data == 1007
