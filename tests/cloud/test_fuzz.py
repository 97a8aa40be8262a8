"""Fuzzing the JSON endpoints and the live socket with what schemathesis never sends: odd JSON
text (deep nesting, numbers that overflow, lone surrogates, NaN), bytes that are not UTF-8,
odd charsets and headers with non-ASCII bytes. Whatever comes in, the answer is never a 5xx,
and every error is in the documented shape."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import Any

import aiohttp
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streampai_cloud.validation import MAX_BODY_BYTES, MAX_DEPTH, MAX_INT_DIGITS
from tests.cloud.conftest import PASSWORD, LiveService

# --- JSON text, built as text so that it can hold what json.dumps never writes ---------------

ODD_NUMBERS = [
    "1e400",
    "-1e400",
    "1E+309",
    "1e-400",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "0.0e0",
    "9" * MAX_INT_DIGITS,
    "9" * (MAX_INT_DIGITS + 1),
    "9" * 5000,
    str(2**63),
    str(-(2**63) - 1),
    "01",
    "1.",
    ".5",
    "+1",
]
ODD_STRINGS = [
    '"\\ud800"',
    '"\\udfff"',
    '"a\\u0000b"',
    '"\\u202e"',
    '""',
    '"\\"',
    '"' + "x" * 300 + '"',
    '"\x07"',
]
FIELDS = [
    "email",
    "password",
    "handle",
    "device_name",
    "refresh_token",
    "mutations",
    "device_id",
    "seq",
    "entity",
    "row_id",
    "op",
    "patch",
    "base_version",
    "name",
    "amount",
    "currency",
    "message",
    "payment_token",
    "up_to",
    "key",
    "value",
    "config",
    "type",
]
PLAUSIBLE = [
    '"streamer@example.com"',
    f'"{PASSWORD}"',
    '"EUR"',
    '"preference"',
    '"widget_config"',
    '"upsert"',
    '"delete"',
    '"tok_visa"',
    "500",
    "1",
    "0",
    "null",
    "true",
    "{}",
    "[]",
]

scalars = st.one_of(
    st.sampled_from(ODD_NUMBERS + ODD_STRINGS + PLAUSIBLE),
    st.builds(lambda: json.dumps(str(uuid.uuid4()))),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.text(max_size=20).map(json.dumps),
    st.text(max_size=20).map(lambda t: json.dumps(t, ensure_ascii=False)),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)).map(json.dumps)


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(children, max_size=5).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(keys, children), max_size=5).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        ),
    )


json_text = st.recursive(scalars, _containers, max_leaves=25)


def _object(fields: list[str], values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Objects with some of `fields` (so validators past the parser are reached) and extras."""
    pair = st.tuples(st.sampled_from(fields).map(json.dumps), values)
    return st.lists(pair | st.tuples(keys, values), max_size=8).map(
        lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
    )


mutation = _object(
    ["device_id", "seq", "entity", "row_id", "op", "patch", "base_version"], json_text
)
shaped = st.one_of(
    _object(FIELDS, json_text),
    st.lists(mutation, max_size=3).map(lambda ms: '{"mutations": [' + ",".join(ms) + "]}"),
    json_text,
)


def _deep(text: str, depth: int, in_object: bool) -> str:
    inner = "[" * depth + text + "]" * depth
    return '{"mutations": [{"patch": {"value": ' + inner + "}}]}" if in_object else inner


# Ways to spoil good text after it was built: nesting past every limit, truncation, other
# encodings, bytes that are not UTF-8 at all.
mangle = st.one_of(
    st.just(lambda t: t.encode()),
    st.builds(
        lambda depth, in_object: lambda t: _deep(t, depth, in_object).encode(),
        st.sampled_from([MAX_DEPTH - 5, MAX_DEPTH, MAX_DEPTH + 1, 300, 999, 1000, 5000, 200_000]),
        st.booleans(),
    ),
    st.builds(lambda cut: lambda t: t.encode()[:cut], st.integers(0, 200)),
    st.just(lambda t: b"\xef\xbb\xbf" + t.encode()),
    st.just(lambda t: t.encode("utf-16")),
    st.builds(lambda junk: lambda t: t.encode() + junk, st.binary(max_size=8)),
    st.builds(lambda junk: lambda t: junk, st.binary(max_size=64)),
    st.just(lambda t: t.encode().replace(b'"', b'"\xff', 1)),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        'application/json; charset="UTF-8"',
        "application/json; charset=utf-16",
        "application/json; charset=nope",
        "application/json; charset=",
        "application/json; charset=\xe9",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ]
)
odd_headers = st.fixed_dictionaries(
    {},
    optional={
        "X-Forwarded-For": st.sampled_from(["10.0.0.1", "\xe9\xff", "::1, 1.2.3.4", "x" * 300]),
        "Streampai-Client-Version": st.sampled_from(["9.9.9", "\u00e9", "0.0.1", "1" * 200]),
    },
)
tokens = st.sampled_from(["signed-in", "none", "Bearer sp1.\xe9.\xff", "Bearer x.y.z", "\xff"])

ENDPOINTS = [
    "/v1/auth/register",
    "/v1/auth/signin",
    "/v1/auth/refresh",
    "/v1/sync/push",
    "/v1/donate/{handle}",
    "/v1/donate/{random}",
    "/v1/donations/ack",
]


@pytest.fixture(scope="module")
def streamer_handle(live_service: LiveService) -> str:
    handle = f"fuzz_{secrets.token_hex(4)}"
    response = requests.post(
        f"{live_service.base_url}/v1/auth/register",
        json={"email": f"{handle}@example.com", "password": PASSWORD, "handle": handle},
        timeout=10,
    )
    assert response.status_code == 201
    return handle


def assert_clean(response: requests.Response) -> None:
    """Never a 5xx; errors in the documented shape; the server's software not on show."""
    assert response.status_code < 500, response.text[:500]
    server = response.headers.get("Server", "").lower()
    assert "python" not in server and "aiohttp" not in server
    if response.status_code >= 400:
        assert response.headers["Content-Type"].startswith("application/json")
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str) and body["error"]["code"]
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    text=shaped,
    spoil=mangle,
    content_type=content_types,
    headers=odd_headers,
    token=tokens,
    random_handle=st.text(min_size=1, max_size=40),
)
def test_no_json_body_makes_the_service_fail(
    live_service: LiveService,
    streamer_handle: str,
    endpoint: str,
    text: str,
    spoil: Any,
    content_type: str,
    headers: dict[str, str],
    token: str,
    random_handle: str,
) -> None:
    body = spoil(text)
    assert len(body) < MAX_BODY_BYTES
    path = endpoint.format(handle=streamer_handle, random=requests.utils.quote(random_handle))
    all_headers = {**headers}
    if content_type:
        all_headers["Content-Type"] = content_type
    if token == "signed-in":
        all_headers.update(live_service.headers)
    elif token != "none":
        all_headers["Authorization"] = token
    response = requests.post(
        live_service.base_url + path, data=body, headers=all_headers, timeout=30
    )
    assert_clean(response)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(since=st.text(max_size=30), limit=st.text(max_size=30))
def test_no_query_string_makes_pull_fail(live_service: LiveService, since: str, limit: str) -> None:
    response = requests.get(
        f"{live_service.base_url}/v1/sync/pull",
        params={"since": since, "limit": limit},
        headers=live_service.headers,
        timeout=30,
    )
    assert_clean(response)


# --- The live socket -------------------------------------------------------------------------

frames = st.one_of(
    json_text,
    st.builds(lambda t: '{"type": "ack", "up_to": ' + t + "}", json_text),
    st.builds(lambda t: '{"type": ' + t + "}", json_text),
    st.builds(lambda d: _deep("1", d, False), st.sampled_from([MAX_DEPTH + 1, 1000, 1900])),
    st.binary(max_size=64),
    st.text(max_size=40),
)


async def _one_frame(live_service: LiveService, frame: str | bytes) -> None:
    url = live_service.base_url.replace("http", "ws", 1) + "/v1/live"
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers=live_service.headers) as ws,
    ):
        hello = await ws.receive(timeout=5)
        assert hello.type == aiohttp.WSMsgType.TEXT and json.loads(hello.data)["type"] == "hello"
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        await ws.send_str('{"type": "ping"}')
        while True:
            msg = await ws.receive(timeout=5)
            # A 500 written into the stream shows up here as a protocol error.
            assert msg.type != aiohttp.WSMsgType.ERROR, msg
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                assert ws.close_code in (1003, 1007, 1009), ws.close_code
                return
            message = json.loads(msg.data)
            if message["type"] == "pong":
                return  # the frame was fine (or ignored): the socket still answers
            assert message["type"] in ("error", "donation", "changed"), message
            if message["type"] == "error":
                error = message["error"]
                assert isinstance(error["code"], str) and isinstance(error["message"], str)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames)
def test_no_live_frame_makes_the_socket_fail(live_service: LiveService, frame: str | bytes) -> None:
    asyncio.run(_one_frame(live_service, frame))


def test_the_service_is_still_well_after_the_fuzzing(live_service: LiveService) -> None:
    assert requests.get(f"{live_service.base_url}/healthz", timeout=10).status_code == 200
    me = requests.get(f"{live_service.base_url}/v1/me", headers=live_service.headers, timeout=10)
    assert me.status_code == 200
