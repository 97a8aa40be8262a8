"""The fake Kick itself: it must hold clients to Kick's documented rules, or the Kick tests built
on it prove nothing. OAuth 2.1 with PKCE S256 and the client secret, token rotation, app tokens,
the public API's answers and limits, and webhooks whose signature checks out with the served
public key (and fails once the body is touched)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.conftest import find_free_port
from tests.fakes import kick_keys
from tests.fakes.kick import (
    CLIENT_ID,
    CLIENT_SECRET,
    EVENT_TYPES,
    FakeKick,
    load_payload,
    pkce_challenge,
    viewer,
)

REDIRECT = "https://cloud.streampai.test/v1/platforms/kick/callback"
SCOPES = "user:read channel:read chat:write events:subscribe"


@pytest.fixture
async def kick(free_port: int) -> AsyncIterator[FakeKick]:
    async with FakeKick(free_port) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def authorize(
    kick: FakeKick, http: aiohttp.ClientSession, verifier: str, **changes: str
) -> dict[str, list[str]]:
    """The browser's trip to Kick's authorize page: the query of the redirect it gets back."""
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "state-123",
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        **changes,
    }
    async with http.get(
        f"{kick.auth_url}/oauth/authorize", params=query, allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
        location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


async def token_call(
    kick: FakeKick, http: aiohttp.ClientSession, **form: str
) -> tuple[int, dict[str, Any]]:
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    async with http.post(f"{kick.auth_url}/oauth/token", data=form) as response:
        return response.status, await response.json()


async def api(
    kick: FakeKick,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    token: str,
    **kwargs: Any,
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{kick.api_url}/public/v1{path}"
    async with http.request(method, url, headers=headers, **kwargs) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


async def test_code_flow_with_pkce_signs_in_the_fakes_user(
    kick: FakeKick, http: aiohttp.ClientSession
) -> None:
    verifier = secrets.token_urlsafe(48)
    query = await authorize(kick, http, verifier)
    assert query["state"] == ["state-123"]
    code = query["code"][0]

    exchange = {"code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    status, tokens = await token_call(kick, http, grant_type="authorization_code", **exchange)
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == SCOPES
    assert tokens["refresh_token"] and 7000 < tokens["expires_in"] <= 7200

    status, users = await api(kick, http, "GET", "/users", tokens["access_token"])
    assert status == 200
    assert users["data"][0]["user_id"] == kick.user.user_id
    assert users["data"][0]["name"] == "CoolStreamer"

    # A code works once.
    status, again = await token_call(kick, http, grant_type="authorization_code", **exchange)
    assert (status, again["error"]) == (400, "invalid_grant")


async def test_wrong_verifier_or_secret_or_no_pkce_is_refused(
    kick: FakeKick, http: aiohttp.ClientSession
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = (await authorize(kick, http, verifier))["code"][0]
    status, body = await token_call(
        kick,
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
        client_secret="not-the-secret",
    )
    assert (status, body["error"]) == (401, "invalid_client")

    code = (await authorize(kick, http, verifier))["code"][0]
    status, body = await token_call(
        kick,
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=secrets.token_urlsafe(48),
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "PKCE" in body["error_description"]

    # Kick requires PKCE with S256: no challenge, or "plain", never reaches the redirect.
    for changes in ({"code_challenge": ""}, {"code_challenge_method": "plain"}):
        query = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": "s",
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            **changes,
        }
        url = f"{kick.auth_url}/oauth/authorize"
        async with http.get(url, params=query, allow_redirects=False) as response:
            assert response.status == 400
    assert kick.tokens == {}


async def test_denied_sign_in_redirects_with_access_denied(
    kick: FakeKick, http: aiohttp.ClientSession
) -> None:
    kick.deny_next()
    query = await authorize(kick, http, secrets.token_urlsafe(48))
    assert query == {"error": ["access_denied"], "state": ["state-123"]}


async def test_refresh_rotates_both_tokens_and_needs_the_secret(
    kick: FakeKick, http: aiohttp.ClientSession
) -> None:
    first = kick.issue_token()
    assert first.refresh is not None
    status, body = await token_call(
        kick, http, grant_type="refresh_token", refresh_token=first.refresh, client_secret=""
    )
    assert (status, body["error"]) == (401, "invalid_client")

    status, fresh = await token_call(
        kick, http, grant_type="refresh_token", refresh_token=first.refresh
    )
    assert status == 200
    assert fresh["access_token"] != first.access
    assert fresh["refresh_token"] != first.refresh
    assert fresh["scope"] == first.scope
    status, _ = await api(kick, http, "GET", "/users", fresh["access_token"])
    assert status == 200

    status, body = await token_call(
        kick, http, grant_type="refresh_token", refresh_token=first.refresh
    )
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_app_token_subscribes_for_a_broadcaster(
    kick: FakeKick, http: aiohttp.ClientSession
) -> None:
    status, app = await token_call(kick, http, grant_type="client_credentials")
    assert status == 200
    assert "refresh_token" not in app and app["token_type"] == "Bearer"
    token = app["access_token"]

    # No user behind an app token: it must name the channel.
    status, _ = await api(kick, http, "GET", "/users", token)
    assert status == 400
    body: dict[str, Any] = {"events": [{"name": "channel.followed", "version": 1}]}
    status, _ = await api(kick, http, "POST", "/events/subscriptions", token, json=body)
    assert status == 400

    events: list[dict[str, Any]] = [{"name": name, "version": 1} for name in EVENT_TYPES]
    events.append({"name": "channel.raided", "version": 1})
    body = {"broadcaster_user_id": kick.user.user_id, "events": events, "method": "webhook"}
    status, created = await api(kick, http, "POST", "/events/subscriptions", token, json=body)
    assert status == 200
    assert [e["error"] for e in created["data"]] == [""] * len(EVENT_TYPES) + ["event not found"]
    assert len(kick.subscriptions) == len(EVENT_TYPES)

    # Asking again keeps the same subscriptions.
    status, again = await api(kick, http, "POST", "/events/subscriptions", token, json=body)
    assert [e["subscription_id"] for e in again["data"]] == [
        e["subscription_id"] for e in created["data"]
    ]
    assert len(kick.subscriptions) == len(EVENT_TYPES)

    status, listed = await api(kick, http, "GET", "/events/subscriptions", token)
    assert {s["event"] for s in listed["data"]} == set(EVENT_TYPES)
    assert {s["broadcaster_user_id"] for s in listed["data"]} == {kick.user.user_id}

    first = created["data"][0]["subscription_id"]
    status, _ = await api(
        kick, http, "DELETE", "/events/subscriptions", token, params={"id": first}
    )
    assert status == 204
    assert first not in {s.id for s in kick.subscriptions}


async def test_public_api_answers_and_refuses_bad_tokens(
    kick: FakeKick, http: aiohttp.ClientSession
) -> None:
    token = kick.issue_token().access
    me = {"broadcaster_user_id": kick.user.user_id}

    status, streams = await api(kick, http, "GET", "/livestreams", token, params=me)
    assert (status, streams["data"]) == (200, [])

    kick.set_live("Speedrun night", viewers=321, category="Minecraft")
    status, streams = await api(kick, http, "GET", "/livestreams", token, params=me)
    stream = streams["data"][0]
    assert stream["stream_title"] == "Speedrun night"
    assert stream["viewer_count"] == 321
    assert stream["category"]["name"] == "Minecraft"
    assert datetime.fromisoformat(stream["started_at"]).tzinfo is not None

    status, channels = await api(kick, http, "GET", "/channels", token, params=me)
    assert channels["data"][0]["stream_title"] == "Speedrun night"
    assert channels["data"][0]["stream"]["is_live"] is True

    async with http.get(kick.public_key_url) as response:
        key = (await response.json())["data"]["public_key"]
    assert key == kick_keys.PUBLIC_KEY_PEM

    kick.fail_next("/livestreams", 503)
    status, body = await api(kick, http, "GET", "/livestreams", token, params=me)
    assert (status, body["message"]) == (503, "Service Unavailable")
    status, _ = await api(kick, http, "GET", "/livestreams", token, params=me)
    assert status == 200

    status, _ = await api(kick, http, "GET", "/users", "made-up-token")
    assert status == 401
    kick.expire_token(token)
    status, _ = await api(kick, http, "GET", "/users", token)
    assert status == 401


async def test_chat_takes_500_characters_and_refuses_501(
    kick: FakeKick, http: aiohttp.ClientSession
) -> None:
    token = kick.issue_token().access
    message = {"type": "user", "broadcaster_user_id": kick.user.user_id, "content": "x" * 500}
    status, body = await api(kick, http, "POST", "/chat", token, json=message)
    assert status == 200
    assert body["data"]["is_sent"] is True
    assert kick.sent_chat[0]["message_id"] == body["data"]["message_id"]
    assert kick.sent_chat[0]["content"] == "x" * 500

    status, body = await api(
        kick, http, "POST", "/chat", token, json={**message, "content": "y" * 501}
    )
    assert status == 400 and "500" in body["message"]
    status, _ = await api(
        kick, http, "POST", "/chat", token, json={"type": "user", "content": "hi"}
    )
    assert status == 400  # a user message must name its channel
    assert len(kick.sent_chat) == 1

    no_chat_scope = kick.issue_token(scope="user:read").access
    status, _ = await api(kick, http, "POST", "/chat", no_chat_scope, json=message)
    assert status == 403


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """An app's webhook endpoint that keeps what arrives."""
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


def signature_holds(public_pem: str, headers: dict[str, str], body: bytes) -> bool:
    """The check Kick's docs describe, done with the served key."""
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    signed = (
        f"{headers['Kick-Event-Message-Id']}.{headers['Kick-Event-Message-Timestamp']}.".encode()
        + body
    )
    try:
        key.verify(
            base64.b64decode(headers["Kick-Event-Signature"]),
            signed,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


async def test_webhook_signature_verifies_with_the_served_key_and_tampering_breaks_it(
    kick: FakeKick,
    http: aiohttp.ClientSession,
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = receiver
    async with http.get(kick.public_key_url) as response:
        public_pem = (await response.json())["data"]["public_key"]

    payload = kick.payload_for("channel.followed", follower=viewer(555, "NewFan"))
    assert await kick.send_webhook(url, "channel.followed", payload) == 200
    headers, body = received[-1]
    assert headers["Kick-Event-Type"] == "channel.followed"
    assert headers["Kick-Event-Version"] == "1"
    assert len(headers["Kick-Event-Message-Id"]) == 26
    sent_at = datetime.fromisoformat(headers["Kick-Event-Message-Timestamp"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 5
    assert signature_holds(public_pem, headers, body)
    assert kick.deliveries[-1].body == body

    await kick.send_webhook(url, "channel.followed", payload, tamper=True)
    assert not signature_holds(public_pem, *received[-1])
    await kick.send_webhook(url, "channel.followed", payload, signing_key=kick_keys.FORGER_KEY)
    assert not signature_holds(public_pem, *received[-1])


async def test_payloads_carry_the_fakes_broadcaster_and_emit_needs_a_subscription(
    kick: FakeKick, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    url, received = receiver
    for event_type in EVENT_TYPES:
        documented = load_payload(event_type)
        payload = kick.payload_for(event_type)
        assert payload["broadcaster"]["user_id"] == kick.user.user_id
        assert payload.keys() == documented.keys()

    chat = kick.payload_for("chat.message.sent", content="gg [emote:37226:KEKW]")
    assert chat["emotes"] == [{"emote_id": "37226", "positions": [{"s": 3, "e": 20}]}]

    kick.webhook_url = url
    assert await kick.emit("channel.followed") is None  # no subscription: Kick sends nothing
    kick.issue_app_token()
    app_token = next(t for t in kick.tokens.values() if t.kind == "app")
    async with aiohttp.ClientSession() as http:
        body = {
            "broadcaster_user_id": kick.user.user_id,
            "events": [{"name": "channel.followed", "version": 1}],
        }
        status, created = await api(
            kick, http, "POST", "/events/subscriptions", app_token.access, json=body
        )
    assert status == 200
    assert await kick.emit("channel.followed") == 200
    headers, _ = received[-1]
    assert headers["Kick-Event-Subscription-Id"] == created["data"][0]["subscription_id"]
