"""A real PostgreSQL database per test session, and real service processes on 127.0.0.1.

The database comes from STREAMPAI_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test):
the session creates `streampai_cloud_test_<random>` there, migrates it, and drops it at the end.
Every test registers its own accounts (random emails), so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from streampai_cloud import migrate
from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_cloud.db import create_engine
from tests.conftest import find_free_port

ADMIN_URL = os.environ.get("STREAMPAI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database for this session (postgresql+asyncpg:// URL)."""
    name = f"streampai_cloud_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.fail(
            f"The cloud tests need PostgreSQL at {ADMIN_URL} (user with CREATEDB; set "
            f"STREAMPAI_TEST_POSTGRES to point elsewhere), but connecting failed: {exc!r}",
            pytrace=False,
        )
    url = make_url(ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    rendered = url.render_as_string(hide_password=False)

    async def upgrade() -> None:
        engine = create_engine(rendered, 1)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(upgrade())
        yield rendered
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_config(database_url: str, **overrides: Any) -> CloudConfig:
    """Production rules with test-speed argon2 and limits out of the way of other tests."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret": secrets.token_hex(32),
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "signin_limit_per_ip": 100_000,
        "signin_limit_per_email": 100_000,
        "signin_limit_per_email_ip": 100_000,
        "donate_limit_per_ip": 100_000,
        "pool_size": 4,
    }
    return CloudConfig(**{**values, **overrides})


test_config.__test__ = False  # type: ignore[attr-defined]  # a helper, not a pytest test


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """The test's own media folder (the service's local-disk media store)."""
    return tmp_path / "media"


@pytest.fixture
def cloud_config(database_url: str, media_root: Path) -> CloudConfig:
    # Tests pick a fresh X-Forwarded-For per rate-limit test, so buckets never collide.
    return test_config(database_url, trust_forwarded_for=True, media_store=media_root.as_uri())


@dataclasses.dataclass
class Session:
    """A signed-in device as the tests see it."""

    account: dict[str, Any]
    access_token: str
    refresh_token: str
    device_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Api:
    """A thin JSON client over one running service process."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def call(
        self,
        method: str,
        path: str,
        *,
        session: Session | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        all_headers = dict(session.headers if session else {})
        all_headers.update(headers or {})
        async with self.client.request(method, path, json=json, headers=all_headers) as resp:
            body = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, body

    async def register(self, email: str | None = None, **extra: Any) -> Session:
        email = email or f"{uuid.uuid4().hex[:12]}@example.com"
        status, body = await self.call(
            "POST", "/v1/auth/register", json={"email": email, "password": PASSWORD, **extra}
        )
        assert status == 201, body
        return _session(body)

    async def signin(self, email: str, password: str = PASSWORD, **extra: Any) -> Session:
        status, body = await self.call(
            "POST", "/v1/auth/signin", json={"email": email, "password": password, **extra}
        )
        assert status == 200, body
        return _session(body)

    async def push(self, session: Session, *mutations: dict[str, Any]) -> tuple[int, Any]:
        return await self.call(
            "POST", "/v1/sync/push", session=session, json={"mutations": list(mutations)}
        )

    async def pull(self, session: Session, since: int = 0, limit: int = 500) -> dict[str, Any]:
        status, body = await self.call(
            "GET",
            f"/v1/sync/pull?since={since}&limit={limit}&per_setting=1",
            session=session,
        )
        assert status == 200, body
        return body


def _session(body: dict[str, Any]) -> Session:
    return Session(body["account"], body["access_token"], body["refresh_token"], body["device_id"])


@dataclasses.dataclass
class LiveService:
    base_url: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def live_service(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    """The service on a real port, in a thread with its own loop, for synchronous callers
    (schemathesis and the Hypothesis model test use `requests`). `headers` sign in one account."""
    # Any version string is schema-valid, so none may be "too old" here (426 is tested in
    # test_sync); otherwise schemathesis rightly reports a valid request refused.
    media = tmp_path_factory.mktemp("media").as_uri()
    config = test_config(database_url, min_client_version="0.0.0", media_store=media)
    port = find_free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(config))

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    email = f"{secrets.token_hex(6)}@example.com"
    body = requests.post(
        f"{base}/v1/auth/register", json={"email": email, "password": PASSWORD}, timeout=10
    ).json()
    try:
        yield LiveService(base, {"Authorization": f"Bearer {body['access_token']}"})
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


MakeApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def make_api(cloud_config: CloudConfig) -> AsyncIterator[MakeApi]:
    """Start a service process (an app on its own port); several share one database."""
    clients: list[TestClient] = []

    async def make(**overrides: Any) -> Api:
        client = TestClient(TestServer(create_app(dataclasses.replace(cloud_config, **overrides))))
        await client.start_server()
        clients.append(client)
        return Api(client)

    yield make
    for client in reversed(clients):
        await client.close()


@pytest.fixture
async def api(make_api: MakeApi) -> Api:
    return await make_api()
