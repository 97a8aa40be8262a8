"""Connecting Facebook through the account service, against the fake Facebook on real PostgreSQL:
the Login dialog's code exchanged with the app secret, swapped for a long-lived user token and
handed once to the account that asked; declined and refused sign-ins; a service without a
Facebook app; the migration that made Kick's pending sign-ins every platform's."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from sqlalchemy import text

from streampai_cloud import migrate
from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig, ConfigError
from streampai_cloud.db import create_engine
from streampai_cloud.openapi import FACEBOOK_PATHS, KICK_PATHS
from streampai_cloud.platform_signin import seal, state_digest
from streampai_cloud.security import AccessTokens
from tests.cloud import test_migrations
from tests.cloud.conftest import Api, MakeApi, Session, test_config
from tests.cloud.test_kick_connect import db_rows
from tests.cloud.test_live import open_live, receive
from tests.cloud.test_migrations import rows
from tests.conftest import find_free_port
from tests.fakes.facebook import (
    APP_ID,
    APP_SECRET,
    LONG_LIVED_S,
    PAGE_NAME,
    USER_ID,
    USER_NAME,
    FakeFacebook,
)

# A fresh, empty database per test (the migration test's fixture).
empty_database = test_migrations.empty_database

# Where the service says it lives; Facebook sends the browser back there. The tests play the
# browser, so the host is never dialled: the callback's path and query go to a real process.
PUBLIC_URL = "https://cloud.streampai.test"
CALLBACK = f"{PUBLIC_URL}/v1/platforms/facebook/callback"
# Everything the desktop's Facebook features need (see the README's Facebook section).
PAGE_PERMISSIONS = {
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_posts",
    "pages_manage_engagement",
}


def facebook_settings(fake: FakeFacebook) -> dict[str, Any]:
    """The service's Facebook settings pointing at the fake."""
    return {
        "facebook_app_id": APP_ID,
        "facebook_app_secret": APP_SECRET,
        "facebook_graph_url": fake.graph_url,
        "facebook_dialog_url": fake.dialog_url,
        "public_url": PUBLIC_URL,
    }


@pytest.fixture
async def fake_facebook() -> AsyncIterator[FakeFacebook]:
    async with FakeFacebook(find_free_port()) as fake:
        # The app's only valid OAuth redirect URI (Strict Mode): the service's callback.
        fake.redirect_uris = [CALLBACK]
        yield fake


@pytest.fixture
async def fb_api(make_api: MakeApi, fake_facebook: FakeFacebook) -> Api:
    return await make_api(**facebook_settings(fake_facebook))


async def browser_signs_in(api: Api, authorization_url: str) -> tuple[int, str]:
    """The streamer's browser: Facebook's Login dialog (already signed in there) redirects to the
    service's callback, which answers with a page. Its status and text."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(authorization_url, allow_redirects=False) as resp,
    ):
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    async with api.client.get(f"{parts.path}?{parts.query}") as resp:
        return resp.status, await resp.text()


async def start_sign_in(api: Api, session: Session) -> dict[str, Any]:
    status, body = await api.call("POST", "/v1/platforms/facebook/authorize", session=session)
    assert status == 200, body
    return body


async def take_token(api: Api, session: Session, state: str) -> tuple[int, Any]:
    return await api.call("GET", f"/v1/platforms/facebook/authorize/{state}", session=session)


async def pages_with(fake: FakeFacebook, token: str) -> list[str]:
    """What the desktop does next with the handed-over token: list the streamer's Pages."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{fake.graph_url}/me/accounts", headers={"Authorization": f"Bearer {token}"}
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return [page["name"] for page in (await resp.json())["data"]]


async def test_connecting_hands_a_long_lived_token_to_the_account_once(
    fb_api: Api, fake_facebook: FakeFacebook, cloud_config: CloudConfig
) -> None:
    laptop = await fb_api.register()
    studio = await fb_api.signin(laptop.account["email"])
    stranger = await fb_api.register()
    studio_ws = await open_live(fb_api, studio)

    started = await start_sign_in(fb_api, laptop)
    assert started["expires_in"] == 600
    url = urlsplit(started["authorization_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == fake_facebook.dialog_url
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == APP_ID and query["state"] == started["state"]
    assert query["redirect_uri"] == CALLBACK and query["response_type"] == "code"
    assert set(query["scope"].split(",")) == PAGE_PERMISSIONS
    assert APP_SECRET not in started["authorization_url"]
    # Nothing to take before the streamer has been to Facebook.
    assert await take_token(fb_api, laptop, started["state"]) == (202, {"status": "pending"})

    status, page = await browser_signs_in(fb_api, started["authorization_url"])
    assert status == 200 and "Facebook is connected — you can close this page" in page
    assert USER_NAME in page
    # The code was exchanged with the secret and the same redirect URI, and the short-lived
    # token swapped for a long-lived one, also with the secret.
    code_exchange, swap = fake_facebook.token_requests
    assert (
        code_exchange["client_secret"] == APP_SECRET and code_exchange["redirect_uri"] == CALLBACK
    )
    assert swap["grant_type"] == "fb_exchange_token" and swap["client_secret"] == APP_SECRET
    # The account's devices are poked; the desktop then asks for the token.
    assert await receive(studio_ws) == {"type": "facebook_authorized", "state": started["state"]}
    await studio_ws.close()

    # Waiting for the hand-over, the token is in the database only sealed.
    [waiting] = await db_rows(
        cloud_config,
        "SELECT platform, handover FROM platform_signins WHERE state_hash = :h",
        h=hashlib.sha256(started["state"].encode()).hexdigest(),
    )
    long_lived = next(t for t in fake_facebook.tokens.values() if t.long_lived)
    assert waiting.platform == "facebook"
    assert long_lived.value.encode() not in bytes(waiting.handover)

    # Another account cannot take it, even knowing the state.
    status, body = await take_token(fb_api, stranger, started["state"])
    assert status == 404 and body["status"] == "failed"
    assert body["error"]["code"] == "authorization_not_found"

    status, body = await take_token(fb_api, laptop, started["state"])
    assert status == 200
    assert body == {
        "status": "connected",
        "access_token": long_lived.value,
        "expires_in": LONG_LIVED_S,
        "user": {"id": USER_ID, "name": USER_NAME},
    }
    # It is the long-lived one, and it lists the streamer's Pages (with their Page tokens).
    assert await pages_with(fake_facebook, body["access_token"]) == [PAGE_NAME]

    # Handed over once, then forgotten: not again, not to another device, nothing kept.
    for device in (laptop, studio):
        status, body = await take_token(fb_api, device, started["state"])
        assert status == 404 and body["error"]["code"] == "authorization_not_found"
    everything = str(await db_rows(cloud_config, "SELECT * FROM platform_signins"))
    assert long_lived.value not in everything
    assert (
        await db_rows(
            cloud_config,
            "SELECT 1 FROM platform_signins WHERE account_id = :a",
            a=laptop.account["id"],
        )
        == []
    )
    # A reload of the callback page changes nothing: Facebook is not asked again.
    status, page = await browser_signs_in(fb_api, started["authorization_url"])
    assert status == 400 and "not valid any more" in page
    assert len(fake_facebook.token_requests) == 2


async def test_a_state_works_only_for_its_own_platform(
    make_api: MakeApi, fake_facebook: FakeFacebook
) -> None:
    # Kick configured too (at an address nothing listens on: nothing here calls Kick).
    kick = {"kick_client_id": "kick-id", "kick_client_secret": "kick-secret"}
    api = await make_api(**facebook_settings(fake_facebook), **kick)
    s = await api.register()
    started = await start_sign_in(api, s)

    # Kick's callback and hand-over do not know the Facebook sign-in...
    async with api.client.get(
        f"/v1/platforms/kick/callback?code=abc&state={started['state']}"
    ) as resp:
        assert resp.status == 400 and "not valid any more" in await resp.text()
    status, body = await api.call(
        "GET", f"/v1/platforms/kick/authorize/{started['state']}", session=s
    )
    assert status == 404 and body["error"]["code"] == "authorization_not_found"
    # ...which is still waiting for Facebook's callback.
    status, page = await browser_signs_in(api, started["authorization_url"])
    assert status == 200 and "Facebook is connected" in page
    status, body = await take_token(api, s, started["state"])
    assert status == 200 and body["user"]["id"] == USER_ID


@pytest.mark.allow_logs(
    r"Facebook refused a sign-in's code: This authorization code has been used",
    r"Facebook refused a sign-in's code: Error validating client secret",
    r"Facebook sign-in failed: exchanging the code: Facebook answered HTTP 503",
    r"Facebook sign-in failed: reading the Facebook user: .*Application request limit",
)
async def test_declined_or_refused_sign_ins_tell_the_desktop_why(
    fb_api: Api, fake_facebook: FakeFacebook, make_api: MakeApi
) -> None:
    s = await fb_api.register()
    ws = await open_live(fb_api, s)

    async def sign_in_ends(api: Api, status: int, says: str) -> dict[str, Any]:
        started = await start_sign_in(api, s)
        answer, page = await browser_signs_in(api, started["authorization_url"])
        assert answer == status and says in page, page
        assert await receive(ws) == {"type": "facebook_authorized", "state": started["state"]}
        code, body = await take_token(api, s, started["state"])
        assert body["status"] == "failed"
        return {"status": code, **body["error"]}

    # The streamer cancels Facebook's dialog (error=access_denied, error_reason=user_denied).
    fake_facebook.deny_next()
    assert await sign_in_ends(fb_api, 200, "You declined on Facebook") == {
        "status": 403,
        "code": "facebook_access_denied",
        "message": "Facebook access was declined.",
    }
    assert fake_facebook.token_requests == []

    # Facebook refuses the code (it was used already, say): the sign-in fails for good.
    fake_facebook.fail_next(
        "/oauth/access_token", 100, subcode=36009, message="This authorization code has been used."
    )
    failed = await sign_in_ends(fb_api, 400, "Facebook refused the sign-in")
    assert failed["status"] == 409 and failed["code"] == "facebook_sign_in_failed"
    assert "This authorization code has been used." in failed["message"]

    # Facebook is down, or rate limits the app (Graph's code 4 comes with HTTP 400): not the
    # streamer's fault; they start again later.
    fake_facebook.fail_next("/oauth/access_token", 2, http_status=503)
    failed = await sign_in_ends(fb_api, 502, "Facebook could not be reached")
    assert failed["status"] == 409 and failed["code"] == "facebook_unavailable"
    fake_facebook.fail_next("/me", 4)
    failed = await sign_in_ends(fb_api, 502, "Facebook could not be reached")
    assert failed["status"] == 409 and failed["code"] == "facebook_unavailable"

    # A service set up with the wrong app secret: Facebook says so, and so does the sign-in.
    wrong = await make_api(
        **{**facebook_settings(fake_facebook), "facebook_app_secret": "not-the-secret"}
    )
    await ws.close()
    ws = await open_live(wrong, s)
    failed = await sign_in_ends(wrong, 400, "Facebook refused the sign-in")
    assert failed["code"] == "facebook_sign_in_failed"
    assert "Error validating client secret" in failed["message"]
    await ws.close()


async def test_without_a_facebook_app_every_facebook_endpoint_says_so(api: Api) -> None:
    s = await api.register()
    for method, path in (
        ("POST", "/v1/platforms/facebook/authorize"),
        ("GET", "/v1/platforms/facebook/authorize/some-state"),
    ):
        status, body = await api.call(method, path, session=s)
        assert status == 503, (path, body)
        assert body["error"]["code"] == "facebook_not_configured"
    async with api.client.get("/v1/platforms/facebook/callback?code=a&state=b") as resp:
        assert resp.status == 503 and "no Facebook app" in await resp.text()


def test_facebook_settings_come_whole_from_the_environment() -> None:
    base = {"DATABASE_URL": "postgresql+asyncpg://u@h/db", "STREAMPAI_CLOUD_SECRET": "x" * 32}
    config = CloudConfig.from_env(base)
    assert not config.facebook_configured
    assert config.facebook_graph_url == "https://graph.facebook.com/v21.0"
    assert config.facebook_dialog_url == "https://www.facebook.com/v21.0/dialog/oauth"
    assert set(config.facebook_scopes.split(",")) == PAGE_PERMISSIONS
    # A self-hoster's own app: its id and secret, and a newer Graph version.
    config = CloudConfig.from_env(
        {
            **base,
            "STREAMPAI_CLOUD_FACEBOOK_APP_ID": "987654321",
            "STREAMPAI_CLOUD_FACEBOOK_APP_SECRET": "facebook-app-secret-value",
            "STREAMPAI_CLOUD_PUBLIC_URL": "https://cloud.example.com/",
            "STREAMPAI_CLOUD_FACEBOOK_GRAPH_URL": "https://graph.facebook.com/v23.0/",
            "STREAMPAI_CLOUD_FACEBOOK_DIALOG_URL": "https://www.facebook.com/v23.0/dialog/oauth",
        }
    )
    assert config.facebook_configured and not config.kick_configured
    assert (
        config.facebook_callback_url == "https://cloud.example.com/v1/platforms/facebook/callback"
    )
    assert config.facebook_graph_url == "https://graph.facebook.com/v23.0"
    # Neither secret shows in a repr (a traceback, a debug log).
    assert "facebook-app-secret-value" not in repr(config) and "x" * 32 not in repr(config)
    for broken, says in (
        ({"STREAMPAI_CLOUD_FACEBOOK_APP_ID": "id"}, "FACEBOOK_APP_SECRET"),
        (
            {"STREAMPAI_CLOUD_FACEBOOK_APP_ID": "id", "STREAMPAI_CLOUD_FACEBOOK_APP_SECRET": "s"},
            "STREAMPAI_CLOUD_PUBLIC_URL",
        ),
        ({"STREAMPAI_CLOUD_FACEBOOK_GRAPH_URL": "graph.facebook.com"}, "http(s) URL"),
        (
            {"STREAMPAI_CLOUD_FACEBOOK_DIALOG_URL": "https://u:pw@www.facebook.com/dialog/oauth"},
            "without credentials",
        ),
        ({"STREAMPAI_CLOUD_FACEBOOK_SCOPES": " "}, "at least one permission"),
    ):
        with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")) as err:
            CloudConfig.from_env({**base, **broken})
        assert "pw" not in str(err.value)


@pytest.mark.allow_logs(r"Facebook refused a sign-in's code")
async def test_the_document_describes_the_facebook_operations_as_they_answer(
    fb_api: Api, fake_facebook: FakeFacebook, api: Api
) -> None:
    status, doc = await fb_api.call("GET", "/v1/openapi.json")
    assert status == 200 and set(FACEBOOK_PATHS) <= set(doc["paths"])
    # Only the platforms the service has an app for: this one has no Kick app.
    assert not set(KICK_PATHS) & set(doc["paths"])
    # A service without a Facebook app documents none of it (all of it would answer 503).
    _, plain = await api.call("GET", "/v1/openapi.json")
    assert not set(FACEBOOK_PATHS) & set(plain["paths"])

    def conforms(path: str, method: str, answer: tuple[int, Any]) -> Any:
        status, body = answer
        documented = doc["paths"][path][method]["responses"]
        assert str(status) in documented, (path, status, body)
        schema = documented[str(status)]["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": doc["components"]}).validate(body)
        return body

    s = await fb_api.register()
    authorize, take = "/v1/platforms/facebook/authorize", "/v1/platforms/facebook/authorize/{state}"
    for outcome in ("connected", "denied", "refused"):
        started = conforms(authorize, "post", await fb_api.call("POST", authorize, session=s))
        conforms(take, "get", await take_token(fb_api, s, started["state"]))
        if outcome == "denied":
            fake_facebook.deny_next()
        elif outcome == "refused":
            fake_facebook.fail_next("/oauth/access_token", 100, subcode=36007)
        await browser_signs_in(fb_api, started["authorization_url"])
        conforms(take, "get", await take_token(fb_api, s, started["state"]))
        if outcome == "connected":
            conforms(take, "get", await take_token(fb_api, s, started["state"]))


async def test_kick_sign_ins_in_progress_survive_the_migration(empty_database: str) -> None:
    """0006 turns Kick's pending sign-ins into every platform's: a Kick sign-in that was waiting
    for its hand-over during the upgrade is still handed over; the downgrade keeps Kick's and
    forgets the others."""
    engine = create_engine(empty_database, 1)
    config = test_config(
        empty_database,
        kick_client_id="kick-id",
        kick_client_secret="kick-secret",
        facebook_app_id=APP_ID,
        facebook_app_secret=APP_SECRET,
        public_url=PUBLIC_URL,
    )
    account, device = uuid.uuid4(), uuid.uuid4()
    state = secrets.token_urlsafe(32)
    tokens = {"access_token": "kick-access", "refresh_token": "kick-refresh", "expires_in": 3600}
    tokens |= {"scope": "user:read", "token_type": "Bearer"}
    user = {"user_id": 42, "name": "KickStreamer"}
    try:
        await migrate.upgrade(engine, "0005_kick")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO accounts (id, email, password_hash, handle) "
                    "VALUES (:id, 'mig-kick@example.com', 'x', 'mig_kick')"
                ),
                {"id": account},
            )
            await conn.execute(
                text("INSERT INTO devices (id, account_id, name) VALUES (:id, :a, 'laptop')"),
                {"id": device, "a": account},
            )
            # Sealed as Kick's sign-ins were before 0006: under Kick's key, as {"tokens", "user"}.
            handover = seal(
                config.secret, "kick", state_digest(state), {"tokens": tokens, "user": user}
            )
            await conn.execute(
                text(
                    "INSERT INTO kick_authorizations (state_hash, account_id, device_id, status, "
                    "handover, expires_at) VALUES (:h, :a, :d, 'connected', :sealed, "
                    "now() + interval '5 minutes')"
                ),
                {"h": state_digest(state), "a": account, "d": device, "sealed": handover},
            )

        await migrate.upgrade(engine)
        found = await rows(engine, "SELECT platform, status FROM platform_signins")
        assert [(r.platform, r.status) for r in found] == [("kick", "connected")]

        client = TestClient(TestServer(create_app(config)))
        await client.start_server()
        try:
            auth = {
                "Authorization": f"Bearer {AccessTokens(config.secret, 60).issue(account, device)}"
            }
            # A Facebook sign-in is started next to it.
            async with client.post("/v1/platforms/facebook/authorize", headers=auth) as resp:
                assert resp.status == 200
            async with client.get(f"/v1/platforms/kick/authorize/{state}", headers=auth) as resp:
                assert resp.status == 200
                assert await resp.json() == {"status": "connected", **tokens, "user": user}
        finally:
            await client.close()

        # Downgraded, a table without platforms keeps Kick's sign-ins (another one here) and
        # forgets the Facebook sign-in started above.
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO platform_signins (state_hash, platform, account_id, device_id, "
                    "expires_at) VALUES ('k2', 'kick', :a, :d, now() + interval '5 minutes')"
                ),
                {"a": account, "d": device},
            )
        await migrate.downgrade(engine, "0005_kick")
        assert [r.state_hash for r in await rows(engine, "SELECT * FROM kick_authorizations")] == [
            "k2"
        ]
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()
