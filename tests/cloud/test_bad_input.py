"""The service under bad input: each class of malformed request gets a clean 4xx in the
documented error shape (never a 500), and the service keeps serving afterwards.

Every test here talks to the real service on a real PostgreSQL. Headers that an HTTP client
library refuses to send (non-ASCII bytes) go over a raw socket.
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from streampai_cloud import api_live, validation
from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from tests.cloud.conftest import Api, Session
from tests.cloud.test_donations import donation, handle
from tests.cloud.test_live import open_live, receive

JSON_HEADERS = {"Content-Type": "application/json"}


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    """The documented error shape: `{"error": {"code": str, "message": str, ...}}`."""
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


async def post_raw(
    api: Api, path: str, data: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with api.client.post(path, data=data, headers={**JSON_HEADERS, **(headers or {})}) as r:
        body = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, body


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """`data` as a streamed body: sent chunked, with no Content-Length up front."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def raw_http(api: Api, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], Any]:
    """One request written byte for byte (`head` is the request line plus headers)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.client.server.port)
    try:
        length = f"Content-Length: {len(body)}\r\n".encode() if body else b""
        writer.write(head + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + length + b"\r\n")
        writer.write(body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    header_bytes, _, payload = answer.partition(b"\r\n\r\n")
    lines = header_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    parsed = json.loads(payload) if "application/json" in headers.get("content-type", "") else None
    return status, headers, parsed


async def service_still_works(api: Api, session: Session) -> None:
    status, body = await api.call("GET", "/v1/me", session=session)
    assert status == 200, body


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def push_body(session_device: str, patch_value_json: str, seq: int = 1) -> str:
    return (
        f'{{"mutations": [{{"device_id": "{session_device}", "seq": {seq}, '
        f'"entity": "preference", "row_id": "{uuid.uuid4()}", '
        f'"patch": {{"key": "k", "value": {patch_value_json}}}}}]}}'
    )


# --- 1. Deeply nested JSON -------------------------------------------------------------------


async def test_deeply_nested_bodies_are_refused_on_every_json_endpoint(api: Api) -> None:
    s = await api.register()
    name = handle()
    await api.register(handle=name)
    paths = [
        "/v1/auth/register",
        "/v1/auth/signin",
        "/v1/auth/refresh",
        "/v1/sync/push",
        f"/v1/donate/{name}",
        "/v1/donations/ack",
    ]
    # 100 000 levels overflow Python's parser; 65 parse but are over the stated limit.
    for depth in (100_000, validation.MAX_DEPTH):
        body = '{"email": ' + nested(depth) + "}"
        for path in paths:
            status, answer = await post_raw(api, path, body, s.headers)
            assert_error(status, answer, 400, "json_too_deep")
            assert str(validation.MAX_DEPTH) in answer["error"]["message"]
    await service_still_works(api, s)


async def test_a_patch_value_nested_hundreds_of_levels_deep_is_refused(api: Api) -> None:
    s = await api.register()
    device = str(uuid.uuid4())
    status, answer = await post_raw(api, "/v1/sync/push", push_body(device, nested(300)), s.headers)
    assert_error(status, answer, 400, "json_too_deep")
    # Deeper than a patch value may be, but within the body limit: that mutation is rejected
    # with a reason and consumes its seq, so it can never block the device's outbox.
    too_deep = nested(validation.MAX_VALUE_DEPTH + 1)
    status, answer = await post_raw(api, "/v1/sync/push", push_body(device, too_deep), s.headers)
    assert status == 200, answer
    result = answer["results"][0]
    assert result["status"] == "rejected" and "nested" in result["reason"], result
    # A value exactly at the limit is stored and comes back as it was sent.
    ok = nested(validation.MAX_VALUE_DEPTH)
    status, answer = await post_raw(api, "/v1/sync/push", push_body(device, ok, 2), s.headers)
    assert status == 200 and answer["results"][0]["status"] == "applied", answer
    values = [c["fields"]["value"] for c in (await api.pull(s))["changes"]]
    assert values == [json.loads(ok)]


# --- 2. Charsets ---------------------------------------------------------------------------


async def test_a_charset_other_than_utf8_is_refused_with_415(api: Api) -> None:
    body = json.dumps({"email": "x@example.com", "password": "nope nope"})
    for charset in ("klingon", "utf-16", "latin-1", "x" * 300, "\u00e9"):
        headers = {"Content-Type": f"application/json; charset={charset}"}
        status, answer = await post_raw(api, "/v1/auth/signin", body, headers)
        assert_error(status, answer, 415, "unsupported_charset")
    for charset in ("utf-8", "UTF-8", "utf8", '"utf-8"', "us-ascii"):
        headers = {"Content-Type": f"application/json; charset={charset}"}
        status, answer = await post_raw(api, "/v1/auth/signin", body, headers)
        assert_error(status, answer, 401, "invalid_credentials")


async def test_bytes_that_are_not_utf8_are_invalid_json(api: Api) -> None:
    for data in (b'{"email": "\xff\xfe"}', "{}".encode("utf-16"), b"", b"   ", b"\x00"):
        status, answer = await post_raw(api, "/v1/auth/signin", data)
        assert_error(status, answer, 400, "invalid_json")
    # A UTF-8 byte order mark may be ignored (RFC 8259 §8.1); the body is then read normally.
    status, answer = await post_raw(
        api, "/v1/auth/signin", b'\xef\xbb\xbf{"email": "a@example.com", "password": "pw"}'
    )
    assert_error(status, answer, 401, "invalid_credentials")


# --- 3. Non-ASCII bytes in the Authorization header -------------------------------------------


async def test_non_ascii_bytes_in_the_authorization_header_are_a_401(api: Api) -> None:
    s = await api.register()
    real = s.access_token.encode()
    values = [
        b"Bearer sp1.\xe9.x",  # a Latin-1 byte: decodes to a lone surrogate
        b"Bearer sp1.\xc3\xa9.x",  # UTF-8 for e-acute
        b"Bearer " + real[:-2] + b"\xff\xff",
        b"Bearer \xe9",
        b"\xff\xfe",
    ]
    for value in values:
        for head in (b"GET /v1/me HTTP/1.1", b"GET /v1/devices HTTP/1.1"):
            status, headers, body = await raw_http(api, head + b"\r\nAuthorization: " + value)
            assert_error(status, body, 401, body["error"]["code"])
            assert body["error"]["code"] in ("invalid_token", "unauthenticated")
            assert headers["www-authenticate"] == "Bearer"
        status, _, body = await raw_http(
            api,
            b"POST /v1/sync/push HTTP/1.1\r\nContent-Type: application/json\r\n"
            b"Authorization: " + value,
            b'{"mutations": []}',
        )
        assert status == 401 and body["error"]["code"] in ("invalid_token", "unauthenticated")
    # The live channel takes the token in the query too.
    status, _, body = await raw_http(api, b"GET /v1/live?access_token=sp1.%C3%A9.%FF HTTP/1.1")
    assert_error(status, body, 401, "invalid_token")
    await service_still_works(api, s)


async def test_non_ascii_in_other_headers_is_harmless(api: Api) -> None:
    s = await api.register()
    status, _, body = await raw_http(
        api,
        b"GET /v1/me HTTP/1.1\r\nAuthorization: Bearer "
        + s.access_token.encode()
        + b"\r\nX-Forwarded-For: \xe9\xff, 10.0.0.\xe9\r\nStreampai-Client-Version: 9\xe9.1",
    )
    assert status == 200, body
    # An address that is not an address is not a rate-limit bucket: it falls back to the peer.
    status, _, body = await raw_http(
        api,
        b"POST /v1/auth/signin HTTP/1.1\r\nContent-Type: application/json\r\n"
        b"X-Forwarded-For: \xe9\xff",
        json.dumps({"email": s.account["email"], "password": "wrong"}).encode(),
    )
    assert_error(status, body, 401, "invalid_credentials")


# --- 4. Numbers ----------------------------------------------------------------------------


async def test_non_finite_and_out_of_range_numbers_are_refused(api: Api) -> None:
    s = await api.register()
    name = handle()
    await api.register(handle=name)
    device = str(uuid.uuid4())
    digits = validation.MAX_INT_DIGITS
    bad_numbers = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "-1e99999"]
    bad_numbers += ["9" * (digits + 1), "-" + "9" * (digits + 1)]
    bad_numbers.append("9" * 5000)  # longer than Python will print an int again
    for number in bad_numbers:
        status, answer = await post_raw(api, "/v1/sync/push", push_body(device, number), s.headers)
        assert_error(status, answer, 400, "invalid_number")
        raw = (
            f'{{"amount": {number}, "currency": "EUR", "payment_token": "tok", "name": "n", '
            f'"message": "m"}}'
        )
        status, answer = await post_raw(api, f"/v1/donate/{name}", raw)
        assert_error(status, answer, 400, "invalid_number")
        status, answer = await post_raw(
            api, "/v1/donations/ack", f'{{"up_to": {number}}}', s.headers
        )
        assert_error(status, answer, 400, "invalid_number")
    # Up to the limits, synced values are stored and returned exactly.
    good = [2**63, -(10**digits - 1), 10**digits - 1, 1.5e308, -0.0, 1e-400]
    for seq, number in enumerate(map(json.dumps, good), start=1):
        status, answer = await post_raw(
            api, "/v1/sync/push", push_body(device, number, seq), s.headers
        )
        assert status == 200 and answer["results"][0]["status"] == "applied", answer
    values = sorted(c["fields"]["value"] for c in (await api.pull(s))["changes"])
    assert values == sorted(good)
    # Fields that PostgreSQL keeps as bigints say so in their own words.
    status, answer = await post_raw(api, "/v1/donations/ack", f'{{"up_to": {2**63}}}', s.headers)
    assert_error(status, answer, 400, "invalid_request")
    await service_still_works(api, s)


# --- 5. The live socket ----------------------------------------------------------------------


async def close_code(ws: aiohttp.ClientWebSocketResponse) -> tuple[list[dict[str, Any]], int]:
    """Messages received until the server closes, and its close code."""
    messages = []
    while True:
        msg = await ws.receive(timeout=5)
        if msg.type == WSMsgType.TEXT:
            messages.append(json.loads(msg.data))
            continue
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING), msg
        assert ws.close_code is not None
        return messages, ws.close_code


async def test_a_bad_live_frame_closes_the_socket_with_a_websocket_code(api: Api) -> None:
    s = await api.register()
    frames: list[tuple[str | bytes, int, str | None]] = [
        # The crash of issue #12: PostgreSQL refused the bigint, and the 500 went into the stream.
        ('{"type": "ack", "up_to": 100000000000000000000000}', 1007, "invalid_message"),
        ('{"type": "ack", "up_to": 1e400}', 1007, "invalid_number"),
        ('{"type": "ack", "up_to": 9.3e18}', 1007, "invalid_message"),
        ('{"type": "ack", "up_to": -1}', 1007, "invalid_message"),
        ('{"type": "ack", "up_to": "7"}', 1007, "invalid_message"),
        ('{"type": "ack"}', 1007, "invalid_message"),
        ("not json", 1007, "invalid_json"),
        ("[1, 2]", 1007, "invalid_json"),
        (nested(1_500), 1007, "json_too_deep"),
        (b"\x00\x01", 1003, "invalid_message"),
        ("x" * 100_000, 1009, None),
    ]
    for frame, code, error in frames:
        ws = await open_live(api, s)
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        messages, got = await close_code(ws)
        assert got == code, (frame[:60], messages)
        if error is not None:
            assert messages == [
                {
                    "type": "error",
                    "error": {"code": error, "message": messages[0]["error"]["message"]},
                }
            ], messages
        await ws.close()
    # Good frames keep the socket open; unknown message types are ignored (newer apps).
    ws = await open_live(api, s)
    for frame in ('{"type": "ack", "up_to": 0}', '{"type": "hello-from-the-future"}'):
        await ws.send_str(frame)
    await ws.send_str('{"type": "ping"}')
    assert await receive(ws) == {"type": "pong"}
    await ws.close()
    await service_still_works(api, s)


@pytest.mark.allow_logs(r"streampai_cloud.api_live: live channel failed")
async def test_a_failure_after_the_handshake_closes_the_socket_instead_of_writing_a_500(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await api.register()

    async def broken(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(api_live, "_on_client_message", broken)
    ws = await open_live(api, s)
    await ws.send_str('{"type": "ping"}')
    messages, code = await close_code(ws)
    assert code == 1011
    assert [m["error"]["code"] for m in messages] == ["internal"]
    await ws.close()


# --- Body size and string length -----------------------------------------------------------


async def test_bodies_and_strings_over_the_limits_are_refused(api: Api) -> None:
    s = await api.register()
    big = b'{"pad": "' + b"x" * validation.MAX_BODY_BYTES + b'"}'
    for path in ("/v1/auth/signin", "/v1/sync/push", "/v1/donations/ack"):
        # Announced by Content-Length, and streamed without one (chunked).
        status, answer = await post_raw(api, path, io.BytesIO(big), s.headers)
        assert_error(status, answer, 413, "payload_too_large")
        status, answer = await post_raw(api, path, chunks(big), s.headers)
        assert_error(status, answer, 413, "payload_too_large")
    long = json.dumps({"email": "x" * (validation.MAX_STRING_CHARS + 1), "password": "x"})
    status, answer = await post_raw(api, "/v1/auth/signin", long)
    assert_error(status, answer, 400, "string_too_long")
    long_key = json.dumps({"k" * (validation.MAX_STRING_CHARS + 1): 1})
    status, answer = await post_raw(api, "/v1/auth/signin", long_key)
    assert_error(status, answer, 400, "string_too_long")
    await service_still_works(api, s)


async def test_odd_query_strings_and_paths_are_4xx(api: Api) -> None:
    s = await api.register()
    for query in ("since=%C3%A9", "since=\u0661", "since=1_0", "since=%20", "limit=" + "9" * 5000):
        status, answer = await api.call("GET", f"/v1/sync/pull?{query}", session=s)
        assert_error(status, answer, 400, "invalid_request")
    status, answer = await api.call("POST", "/v1/donate/" + "%C3%A9" * 500, json=donation())
    assert_error(status, answer, 404, "streamer_not_found")
    assert len(answer["error"]["message"]) < 200
    status, answer = await api.call("DELETE", "/v1/devices/%FF", session=s)
    assert_error(status, answer, 400, "invalid_request")


# --- Headers on every answer ---------------------------------------------------------------


async def test_token_answers_are_not_cached_and_the_server_is_not_named(api: Api) -> None:
    email = f"{secrets.token_hex(6)}@example.com"
    answers = []
    async with api.client.post(
        "/v1/auth/register", json={"email": email, "password": "correct horse battery"}
    ) as resp:
        answers.append(resp)
        tokens = await resp.json()
    async with api.client.post(
        "/v1/auth/signin", json={"email": email, "password": "correct horse battery"}
    ) as resp:
        answers.append(resp)
    async with api.client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    ) as resp:
        answers.append(resp)
    async with api.client.post("/v1/auth/signin", data=b"{") as resp:
        answers.append(resp)
    async with api.client.get("/healthz") as resp:
        answers.append(resp)
    async with api.client.get("/nowhere") as resp:
        answers.append(resp)
    for resp in answers:
        assert resp.headers["Cache-Control"] == "no-store", resp
        assert resp.headers["Pragma"] == "no-cache", resp
        server = resp.headers.get("Server", "")
        assert "python" not in server.lower() and "aiohttp" not in server.lower(), server
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    ws = await api.client.ws_connect(
        "/v1/live", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    await ws.close()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_the_content_type_does_not_change_how_json_is_read(
    api: Api, content_type: str
) -> None:
    # Browsers' simple requests and curl's default both label JSON oddly; the body decides.
    status, answer = await post_raw(
        api,
        "/v1/auth/signin",
        json.dumps({"email": "x@example.com", "password": "pw"}),
        {"Content-Type": content_type},
    )
    assert_error(status, answer, 401, "invalid_credentials")


@pytest.mark.allow_logs(r"undecodable input reached GET /boom/")
async def test_decode_errors_anywhere_are_a_400_in_the_error_shape(
    cloud_config: CloudConfig,
) -> None:
    # The safety net behind the validators: input that slipped past them and then could not be
    # decoded or walked is still the client's input (400, and a warning to add the check).
    app = create_app(cloud_config)

    async def undecodable(request: web.Request) -> web.Response:
        b"\xff".decode()
        raise AssertionError

    async def too_deep(request: web.Request) -> web.Response:
        raise RecursionError

    app.router.add_get("/boom/decode", undecodable)
    app.router.add_get("/boom/deep", too_deep)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        for path in ("/boom/decode", "/boom/deep"):
            async with client.get(path) as resp:
                assert_error(resp.status, await resp.json(), 400, "invalid_request")
    finally:
        await client.close()
