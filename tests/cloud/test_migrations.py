"""Migrations on a database that already holds data (the deployed service's upgrade path)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from streampai_cloud import migrate
from streampai_cloud.app import create_app
from streampai_cloud.db import create_engine
from streampai_cloud.security import AccessTokens
from tests.cloud.conftest import ADMIN_URL, _admin, test_config


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    name = f"streampai_cloud_migrate_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list(await conn.execute(text(sql), params))


async def test_existing_donations_get_public_ids_and_cursors_keep_their_meaning(
    empty_database: str,
) -> None:
    engine = create_engine(empty_database, 1)
    try:
        await migrate.upgrade(engine, "0001_initial")
        a, b, device = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        async with engine.begin() as conn:
            for account, handle in ((a, "streamer_a"), (b, "streamer_b")):
                await conn.execute(
                    text(
                        "INSERT INTO accounts (id, email, password_hash, handle) "
                        "VALUES (:id, :email, 'x', :handle)"
                    ),
                    {"id": account, "email": f"{handle}@example.com", "handle": handle},
                )
            # Global ids interleave between accounts: A has 1 and 3, B has 2.
            for account in (a, b, a):
                await conn.execute(
                    text(
                        "INSERT INTO donations (account_id, donor_name, amount, currency, "
                        "message, provider, reference) VALUES (:a, 'd', 100, 'EUR', '', 't', 'r')"
                    ),
                    {"a": account},
                )
            # A's device acknowledged donation 1 but not yet 3.
            await conn.execute(
                text(
                    "INSERT INTO devices (id, account_id, name, donation_cursor) "
                    "VALUES (:id, :a, 'laptop', 1)"
                ),
                {"id": device, "a": a},
            )

        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        found = await rows(engine, "SELECT id, seq, public_id FROM donations ORDER BY id")
        assert [(r.id, r.seq) for r in found] == [(1, 1), (2, 2), (3, 3)]
        assert len({r.public_id for r in found}) == 3
        assert all(isinstance(r.public_id, uuid.UUID) and r.public_id.version == 4 for r in found)
        counters = await rows(engine, "SELECT handle, donation_seq FROM accounts ORDER BY handle")
        assert [(r.handle, r.donation_seq) for r in counters] == [
            ("streamer_a", 3),
            ("streamer_b", 2),
        ]

        # The service on the migrated database: the device gets what it had not acknowledged,
        # and a new donation continues above every number an app may have seen.
        config = test_config(empty_database)
        client = TestClient(TestServer(create_app(config)))
        await client.start_server()
        try:
            async with client.post(
                "/v1/donate/streamer_a",
                json={"amount": 500, "currency": "EUR", "payment_token": "tok"},
            ) as resp:
                assert resp.status == 201
            token = AccessTokens(config.secret, 60).issue(a, device)
            async with client.get(
                "/v1/donations", headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                assert [d["id"] for d in (await resp.json())["donations"]] == [3, 4]
        finally:
            await client.close()

        # Downgrading puts cursors back on global ids, and upgrading again works.
        await migrate.downgrade(engine, "0001_initial")
        cursor = await rows(engine, "SELECT donation_cursor FROM devices")
        assert [r.donation_cursor for r in cursor] == [1]
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def test_the_migrations_create_exactly_the_tables_the_code_uses(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from streampai_cloud.db import metadata

    engine = create_engine(database_url, 1)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), metadata
                )
            )
    finally:
        await engine.dispose()
    assert diff == []
