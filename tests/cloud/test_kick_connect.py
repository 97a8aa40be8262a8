"""Connecting Kick through the account service, against the fake Kick on real PostgreSQL: the
sign-in (state + PKCE, the secret added by the service, tokens handed to the account once),
refresh, webhook subscriptions with the app token, and the relay's status."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import text

from streampai_cloud.config import CloudConfig, ConfigError
from streampai_cloud.db import create_engine
from streampai_cloud.kick.api import SUBSCRIBED_EVENTS
from streampai_cloud.openapi import KICK_PATHS
from tests.cloud.conftest import Api, MakeApi, Session
from tests.cloud.test_live import open_live, receive
from tests.conftest import find_free_port
from tests.fakes.kick import CLIENT_ID, CLIENT_SECRET, FakeKick, KickUser, pkce_challenge

# Where the service says it lives; Kick sends the browser back there. The tests play the
# browser, so the host is never dialled: the callback's path and query go to a real process.
PUBLIC_URL = "https://cloud.streampai.test"


def kick_settings(fake: FakeKick) -> dict[str, Any]:
    """The service's Kick settings pointing at the fake."""
    return {
        "kick_client_id": CLIENT_ID,
        "kick_client_secret": CLIENT_SECRET,
        "kick_auth_url": fake.auth_url,
        "kick_api_url": fake.api_url,
        "public_url": PUBLIC_URL,
    }


def new_fake_kick() -> FakeKick:
    """A fake Kick whose streamer has a channel of their own: the database is shared by the
    session's tests, and a channel maps to one account."""
    user_id = 10**9 + secrets.randbelow(10**9)
    return FakeKick(find_free_port(), user=KickUser(user_id, f"Streamer{user_id}"))


@pytest.fixture
async def fake_kick() -> AsyncIterator[FakeKick]:
    async with new_fake_kick() as fake:
        yield fake


@pytest.fixture
async def kick_api(make_api: MakeApi, fake_kick: FakeKick) -> Api:
    return await make_api(**kick_settings(fake_kick))


async def browser_signs_in(api: Api, authorization_url: str) -> tuple[int, str]:
    """The streamer's browser: Kick's authorize page (already signed in there) redirects to the
    service's callback, which answers with a page. Its status and text."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(authorization_url, allow_redirects=False) as resp,
    ):
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{PUBLIC_URL}/v1/platforms/kick/callback"
    )
    async with api.client.get(f"{parts.path}?{parts.query}") as resp:
        return resp.status, await resp.text()


async def start_sign_in(api: Api, session: Session) -> dict[str, Any]:
    status, body = await api.call("POST", "/v1/platforms/kick/authorize", session=session)
    assert status == 200, body
    return body


async def take_tokens(api: Api, session: Session, state: str) -> tuple[int, Any]:
    return await api.call("GET", f"/v1/platforms/kick/authorize/{state}", session=session)


async def connect_kick(api: Api, session: Session) -> dict[str, Any]:
    """The whole sign-in as the desktop and the browser do it; the tokens handed over."""
    started = await start_sign_in(api, session)
    status, page = await browser_signs_in(api, started["authorization_url"])
    assert status == 200 and "Kick is connected" in page, page
    status, body = await take_tokens(api, session, started["state"])
    assert status == 200, body
    return body


async def db_rows(config: CloudConfig, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(config.database_url, 1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_connecting_hands_the_tokens_to_the_account_once(
    kick_api: Api, fake_kick: FakeKick, cloud_config: CloudConfig
) -> None:
    laptop = await kick_api.register()
    studio = await kick_api.signin(laptop.account["email"])
    stranger = await kick_api.register()
    studio_ws = await open_live(kick_api, studio)

    started = await start_sign_in(kick_api, laptop)
    assert started["expires_in"] == 600
    url = urlsplit(started["authorization_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake_kick.auth_url}/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == CLIENT_ID and query["state"] == started["state"]
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    assert {"chat:write", "events:subscribe", "user:read"} <= set(query["scope"].split())
    assert CLIENT_SECRET not in started["authorization_url"]
    # Nothing to take before the streamer has been to Kick.
    assert await take_tokens(kick_api, laptop, started["state"]) == (202, {"status": "pending"})

    status, page = await browser_signs_in(kick_api, started["authorization_url"])
    assert status == 200 and "Kick is connected — you can close this page" in page
    assert fake_kick.user.name in page
    # The service exchanged the code with the secret and the verifier only it knew.
    exchange = next(f for f in fake_kick.token_requests if f["grant_type"] == "authorization_code")
    assert exchange["client_secret"] == CLIENT_SECRET
    assert pkce_challenge(exchange["code_verifier"]) == query["code_challenge"]
    # The account's devices are poked; the desktop then asks for the tokens.
    assert await receive(studio_ws) == {"type": "kick_authorized", "state": started["state"]}
    await studio_ws.close()

    # Waiting for the hand-over, the tokens are in the database only sealed.
    sealed = await db_rows(
        cloud_config,
        "SELECT handover FROM platform_signins WHERE state_hash = :h",
        h=hashlib.sha256(started["state"].encode()).hexdigest(),
    )
    issued = next(iter(fake_kick.tokens.values()))
    assert issued.refresh is not None
    assert issued.access.encode() not in bytes(sealed[0].handover)
    assert issued.refresh.encode() not in bytes(sealed[0].handover)

    # Another account cannot take them, even knowing the state.
    status, body = await take_tokens(kick_api, stranger, started["state"])
    assert status == 404 and body["status"] == "failed"
    assert body["error"]["code"] == "authorization_not_found"

    status, body = await take_tokens(kick_api, laptop, started["state"])
    assert status == 200
    assert body["status"] == "connected"
    assert body["access_token"] == issued.access and body["refresh_token"] == issued.refresh
    assert body["expires_in"] > 7000 and "events:subscribe" in body["scope"]
    assert body["user"] == {"user_id": fake_kick.user.user_id, "name": fake_kick.user.name}
    # Handed over once, then forgotten: not again, not to another device, nothing kept.
    for device in (laptop, studio):
        status, body = await take_tokens(kick_api, device, started["state"])
        assert status == 404 and body["error"]["code"] == "authorization_not_found"
    assert (
        await db_rows(
            cloud_config,
            "SELECT 1 FROM platform_signins WHERE account_id = :a",
            a=laptop.account["id"],
        )
        == []
    )
    # A reload of the callback page changes nothing.
    status, page = await browser_signs_in(kick_api, started["authorization_url"])
    assert status == 400 and "not valid any more" in page

    status, body = await kick_api.call("GET", "/v1/platforms/kick/status", session=studio)
    assert status == 200
    assert body["connected"] == [{"user_id": fake_kick.user.user_id, "name": fake_kick.user.name}]
    status, body = await kick_api.call("GET", "/v1/platforms/kick/status", session=stranger)
    assert body == {"connected": [], "subscriptions": [], "last_event_at": None}


async def test_a_wrong_or_expired_state_connects_nothing(
    kick_api: Api, fake_kick: FakeKick, cloud_config: CloudConfig
) -> None:
    s = await kick_api.register()
    started = await start_sign_in(kick_api, s)

    async with kick_api.client.get("/v1/platforms/kick/callback?code=abc") as resp:
        assert resp.status == 400 and "carries no sign-in" in await resp.text()
    async with kick_api.client.get(
        f"/v1/platforms/kick/callback?code=abc&state={secrets.token_urlsafe(32)}"
    ) as resp:
        assert resp.status == 400 and "not valid any more" in await resp.text()
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.content_type == "text/html"
    status, body = await take_tokens(kick_api, s, secrets.token_urlsafe(32))
    assert status == 404 and body["error"]["code"] == "authorization_not_found"
    # The real state still works after the wrong ones...
    assert (await take_tokens(kick_api, s, started["state"]))[0] == 202

    # ...but not once its 10 minutes are up.
    await db_rows(
        cloud_config,
        "UPDATE platform_signins SET expires_at = now() - interval '1 second' "
        "WHERE account_id = :a",
        a=s.account["id"],
    )
    status, page = await browser_signs_in(kick_api, started["authorization_url"])
    assert status == 400 and "expired or was already used" in page
    status, body = await take_tokens(kick_api, s, started["state"])
    assert status == 404 and body["status"] == "failed"
    assert not any(f["grant_type"] == "authorization_code" for f in fake_kick.token_requests)
    status, body = await kick_api.call("GET", "/v1/platforms/kick/status", session=s)
    assert body["connected"] == []


@pytest.mark.allow_logs(r"Kick refused a sign-in's code")
async def test_declined_or_refused_sign_ins_tell_the_desktop_why(
    kick_api: Api, fake_kick: FakeKick
) -> None:
    s = await kick_api.register()
    ws = await open_live(kick_api, s)

    fake_kick.deny_next()
    started = await start_sign_in(kick_api, s)
    status, page = await browser_signs_in(kick_api, started["authorization_url"])
    assert status == 200 and "You declined on Kick" in page
    assert await receive(ws) == {"type": "kick_authorized", "state": started["state"]}
    status, body = await take_tokens(kick_api, s, started["state"])
    assert status == 403 and body["status"] == "failed"
    assert body["error"]["code"] == "kick_access_denied"

    # Kick refuses the code (it expired, say): the sign-in fails, nothing is connected.
    fake_kick.fail_next("/oauth/token", 400, "The authorization code is invalid")
    started = await start_sign_in(kick_api, s)
    status, page = await browser_signs_in(kick_api, started["authorization_url"])
    assert status == 400 and "Kick refused the sign-in" in page
    assert await receive(ws) == {"type": "kick_authorized", "state": started["state"]}
    status, body = await take_tokens(kick_api, s, started["state"])
    assert status == 409 and body["error"]["code"] == "kick_sign_in_failed"
    assert "The authorization code is invalid" in body["error"]["message"]
    await ws.close()

    status, body = await kick_api.call("GET", "/v1/platforms/kick/status", session=s)
    assert body["connected"] == []


async def test_refresh_adds_the_secret_and_keeps_no_token(
    kick_api: Api, fake_kick: FakeKick, cloud_config: CloudConfig
) -> None:
    s = await kick_api.register()
    tokens = await connect_kick(kick_api, s)

    status, body = await kick_api.call(
        "POST",
        "/v1/platforms/kick/refresh",
        session=s,
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert status == 200, body
    assert set(body) == {"access_token", "refresh_token", "expires_in", "scope", "token_type"}
    assert body["access_token"] != tokens["access_token"]
    assert body["access_token"] in fake_kick.tokens  # a token Kick really issued
    request = fake_kick.token_requests[-1]
    assert request["grant_type"] == "refresh_token" and request["client_secret"] == CLIENT_SECRET

    # Kick rotated the refresh token: the old one is refused, and the desktop is told to
    # connect Kick again (not to sign in to Streampai again).
    status, answer = await kick_api.call(
        "POST",
        "/v1/platforms/kick/refresh",
        session=s,
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert status == 401 and answer["error"]["code"] == "kick_sign_in_required"
    status, _ = await kick_api.call("GET", "/v1/me", session=s)
    assert status == 200

    # Only audit lines stay, and none holds a token.
    lines = await db_rows(
        cloud_config,
        "SELECT action, outcome FROM kick_audit WHERE account_id = :a ORDER BY id",
        a=s.account["id"],
    )
    assert [(r.action, r.outcome.split(":")[0]) for r in lines] == [
        ("connect", "connected"),
        ("handover", "taken"),
        ("refresh", "ok"),
        ("refresh", "refused"),
    ]
    everything = ""
    for table in ("kick_audit", "platform_signins", "kick_broadcasters", "kick_accounts"):
        everything += str(await db_rows(cloud_config, f"SELECT * FROM {table}"))
    for token in (tokens["access_token"], tokens["refresh_token"], body["refresh_token"]):
        assert token not in everything


@pytest.mark.allow_logs(r"Kick token refresh failed")
async def test_kick_down_during_a_refresh_means_try_again(
    kick_api: Api, fake_kick: FakeKick
) -> None:
    s = await kick_api.register()
    tokens = await connect_kick(kick_api, s)
    fake_kick.fail_next("/oauth/token", 503)
    async with kick_api.client.post(
        "/v1/platforms/kick/refresh",
        json={"refresh_token": tokens["refresh_token"]},
        headers=s.headers,
    ) as resp:
        assert resp.status == 502 and resp.headers["Retry-After"] == "30"
        assert (await resp.json())["error"]["code"] == "kick_unavailable"
    # The token was not used up: the retry works.
    status, _ = await kick_api.call(
        "POST",
        "/v1/platforms/kick/refresh",
        session=s,
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert status == 200
    for bad in ({}, {"refresh_token": ""}, {"refresh_token": 5}):
        status, answer = await kick_api.call(
            "POST", "/v1/platforms/kick/refresh", session=s, json=bad
        )
        assert status == 400 and answer["error"]["field"] == "refresh_token"


async def test_subscriptions_are_ensured_with_the_app_token_and_listed(
    kick_api: Api, fake_kick: FakeKick
) -> None:
    s = await kick_api.register()
    status, answer = await kick_api.call("POST", "/v1/platforms/kick/subscriptions", session=s)
    assert status == 409 and answer["error"]["code"] == "kick_not_connected"

    await connect_kick(kick_api, s)
    status, body = await kick_api.call("GET", "/v1/platforms/kick/status", session=s)
    assert body["subscriptions"] == []

    status, body = await kick_api.call("POST", "/v1/platforms/kick/subscriptions", session=s)
    assert status == 200, body
    channel = fake_kick.user.user_id
    created = {(sub.event, sub.version): sub.id for sub in fake_kick.subscriptions}
    assert set(created) == set(SUBSCRIBED_EVENTS)
    assert all(sub.broadcaster_user_id == channel for sub in fake_kick.subscriptions)
    listed = {(sub["event"], sub["version"]): sub["id"] for sub in body["subscriptions"]}
    assert listed == created and body["errors"] == []
    # Made with the app's own token (client credentials), not the streamer's.
    grants = [f["grant_type"] for f in fake_kick.token_requests]
    assert grants.count("client_credentials") == 1
    app_tokens = [t.access for t in fake_kick.tokens.values() if t.kind == "app"]
    assert len(app_tokens) == 1

    # Kick dropped two (their deliveries failed for a day): the next ensure, on the desktop's
    # next start, makes just those again, with the cached app token.
    dropped = fake_kick.subscriptions[:2]
    fake_kick.subscriptions = fake_kick.subscriptions[2:]
    posts_before = fake_kick.calls.count("POST /public/v1/events/subscriptions")
    status, body = await kick_api.call("POST", "/v1/platforms/kick/subscriptions", session=s)
    assert status == 200
    assert fake_kick.calls.count("POST /public/v1/events/subscriptions") == posts_before + 1
    assert {(sub.event, sub.version) for sub in fake_kick.subscriptions} == set(SUBSCRIBED_EVENTS)
    assert len(fake_kick.subscriptions) == len(SUBSCRIBED_EVENTS)
    assert {(d.event, d.version) for d in dropped} <= {
        (sub["event"], sub["version"]) for sub in body["subscriptions"]
    }
    assert [f["grant_type"] for f in fake_kick.token_requests].count("client_credentials") == 1

    status, status_body = await kick_api.call("GET", "/v1/platforms/kick/status", session=s)
    assert {(x["event"], x["id"]) for x in status_body["subscriptions"]} == {
        (sub.event, sub.id) for sub in fake_kick.subscriptions
    }


@pytest.mark.allow_logs(r"Kick subscriptions could not be ensured")
async def test_an_app_token_kick_stopped_accepting_is_renewed(
    kick_api: Api, fake_kick: FakeKick
) -> None:
    s = await kick_api.register()
    await connect_kick(kick_api, s)
    assert (await kick_api.call("POST", "/v1/platforms/kick/subscriptions", session=s))[0] == 200
    for token in [t for t in fake_kick.tokens.values() if t.kind == "app"]:
        del fake_kick.tokens[token.access]  # revoked on Kick's side before its expiry
    status, body = await kick_api.call("POST", "/v1/platforms/kick/subscriptions", session=s)
    assert status == 200 and len(body["subscriptions"]) == len(SUBSCRIBED_EVENTS)
    assert [f["grant_type"] for f in fake_kick.token_requests].count("client_credentials") == 2

    fake_kick.fail_next("/events/subscriptions", 500)
    status, body = await kick_api.call("POST", "/v1/platforms/kick/subscriptions", session=s)
    assert status == 502 and body["error"]["code"] == "kick_unavailable"


async def test_without_a_kick_app_every_kick_endpoint_says_so(api: Api) -> None:
    s = await api.register()
    for method, path in (
        ("POST", "/v1/platforms/kick/authorize"),
        ("GET", "/v1/platforms/kick/authorize/some-state"),
        ("POST", "/v1/platforms/kick/refresh"),
        ("POST", "/v1/platforms/kick/subscriptions"),
        ("GET", "/v1/platforms/kick/status"),
        ("POST", "/v1/webhooks/kick"),
    ):
        status, body = await api.call(method, path, session=s, json={"refresh_token": "x"})
        assert status == 503, (path, body)
        assert body["error"]["code"] == "kick_not_configured"
    async with api.client.get("/v1/platforms/kick/callback?code=a&state=b") as resp:
        assert resp.status == 503 and "no Kick app" in await resp.text()


def test_kick_settings_come_whole_from_the_environment() -> None:
    base = {"DATABASE_URL": "postgresql+asyncpg://u@h/db", "STREAMPAI_CLOUD_SECRET": "x" * 32}
    config = CloudConfig.from_env(base)
    assert not config.kick_configured
    assert config.kick_public_key_endpoint == "https://api.kick.com/public/v1/public-key"
    config = CloudConfig.from_env(
        {
            **base,
            "STREAMPAI_CLOUD_KICK_CLIENT_ID": "id",
            "STREAMPAI_CLOUD_KICK_CLIENT_SECRET": "kick-app-secret-value",
            "STREAMPAI_CLOUD_PUBLIC_URL": "https://cloud.example.com/",
            "STREAMPAI_CLOUD_KICK_API_URL": "http://127.0.0.1:9/api",
            "STREAMPAI_CLOUD_KICK_EVENT_TTL_S": "3600",
        }
    )
    assert config.kick_configured and config.kick_event_ttl_s == 3600
    assert config.kick_callback_url == "https://cloud.example.com/v1/platforms/kick/callback"
    assert config.kick_public_key_endpoint == "http://127.0.0.1:9/api/public/v1/public-key"
    # Neither secret shows in a repr (a traceback, a debug log).
    assert "kick-app-secret-value" not in repr(config) and "x" * 32 not in repr(config)
    for broken, says in (
        ({"STREAMPAI_CLOUD_KICK_CLIENT_ID": "id"}, "KICK_CLIENT_SECRET"),
        (
            {"STREAMPAI_CLOUD_KICK_CLIENT_ID": "id", "STREAMPAI_CLOUD_KICK_CLIENT_SECRET": "s"},
            "STREAMPAI_CLOUD_PUBLIC_URL",
        ),
        ({"STREAMPAI_CLOUD_PUBLIC_URL": "cloud.example.com"}, "http(s) URL"),
        ({"STREAMPAI_CLOUD_KICK_AUTH_URL": "https://user:pw@id.kick.com"}, "without credentials"),
        ({"STREAMPAI_CLOUD_KICK_EVENT_TTL_S": "5"}, "at least 60"),
    ):
        with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")) as err:
            CloudConfig.from_env({**base, **broken})
        assert "pw" not in str(err.value)


@pytest.mark.allow_logs(r"Kick webhook refused \(missing_header\)")
async def test_the_document_describes_the_kick_operations_as_they_answer(
    kick_api: Api, fake_kick: FakeKick, api: Api
) -> None:
    status, doc = await kick_api.call("GET", "/v1/openapi.json")
    assert status == 200 and set(KICK_PATHS) <= set(doc["paths"])
    # A service without a Kick app documents none of it (all of it would answer 503).
    _, plain = await api.call("GET", "/v1/openapi.json")
    assert not set(KICK_PATHS) & set(plain["paths"])

    def conforms(path: str, method: str, answer: tuple[int, Any]) -> Any:
        status, body = answer
        documented = doc["paths"][path][method]["responses"]
        assert str(status) in documented, (path, status, body)
        schema = documented[str(status)]["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": doc["components"]}).validate(body)
        return body

    s = await kick_api.register()
    started = conforms(
        "/v1/platforms/kick/authorize",
        "post",
        await kick_api.call("POST", "/v1/platforms/kick/authorize", session=s),
    )
    take = "/v1/platforms/kick/authorize/{state}"
    conforms(take, "get", await take_tokens(kick_api, s, started["state"]))
    await browser_signs_in(kick_api, started["authorization_url"])
    tokens = conforms(take, "get", await take_tokens(kick_api, s, started["state"]))
    conforms(take, "get", await take_tokens(kick_api, s, started["state"]))
    refresh = "/v1/platforms/kick/refresh"
    body = {"refresh_token": tokens["refresh_token"]}
    conforms(refresh, "post", await kick_api.call("POST", refresh, session=s, json=body))
    conforms(refresh, "post", await kick_api.call("POST", refresh, session=s, json=body))
    subscribe = "/v1/platforms/kick/subscriptions"
    conforms(subscribe, "post", await kick_api.call("POST", subscribe, session=s))
    status_path = "/v1/platforms/kick/status"
    conforms(status_path, "get", await kick_api.call("GET", status_path, session=s))
    webhook = "/v1/webhooks/kick"
    conforms(webhook, "post", await kick_api.call("POST", webhook, json={}))
