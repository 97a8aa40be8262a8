"""Migrations on a database that already holds data (the deployed service's upgrade path)."""

from __future__ import annotations

import json
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


async def test_stored_widget_configs_split_into_settings_and_nothing_is_lost(
    empty_database: str,
) -> None:
    """0003: each stored config becomes one field per setting with the config's version; other
    fields, other entities and tombstones stay as they were; values stay exact; a stamped edit
    then wins over the unstamped migrated value; the downgrade joins them back."""
    engine = create_engine(empty_database, 1)
    try:
        await migrate.upgrade(engine, "0002_donation_ids")
        account, device = uuid.uuid4(), uuid.uuid4()
        widget, pref, gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        config = {
            "font_size": 31,
            "muted_users": ["a", "b"],
            "types": {"follow": {"duration_ms": 5000, "template": "nul \u0000 é"}},
            "empty": {},
        }
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO accounts (id, email, password_hash, handle, version) "
                    "VALUES (:id, 'mig@example.com', 'x', 'mig_streamer', 9)"
                ),
                {"id": account},
            )
            await conn.execute(
                text("INSERT INTO devices (id, account_id, name) VALUES (:id, :a, 'laptop')"),
                {"id": device, "a": account},
            )
            for entity, row_id, fields, versions, version, deleted in (
                (
                    "widget_config",
                    widget,
                    {"widget_type": "chat_box", "name": "Chat", "config": config},
                    {"widget_type": 3, "name": 7, "config": 8},
                    8,
                    False,
                ),
                (
                    "preference",
                    pref,
                    {"key": "theme", "value": "dark"},
                    {"key": 2, "value": 2},
                    2,
                    False,
                ),
                ("widget_config", gone, {}, {}, 9, True),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO sync_rows (account_id, entity, row_id, fields, "
                        "field_versions, version, deleted) VALUES (:a, :e, :r, "
                        "CAST(:f AS json), CAST(:v AS json), :version, :deleted)"
                    ),
                    {
                        "a": account,
                        "e": entity,
                        "r": row_id,
                        "f": json.dumps(fields),
                        "v": json.dumps(versions),
                        "version": version,
                        "deleted": deleted,
                    },
                )

        await migrate.upgrade(engine)
        found = {
            r.row_id: r
            for r in await rows(
                engine,
                "SELECT row_id, fields::text AS fields, field_versions::text AS fv, "
                "field_stamps::text AS fs, version, deleted FROM sync_rows",
            )
        }
        assert json.loads(found[widget].fields) == {
            "widget_type": "chat_box",
            "name": "Chat",
            "config.font_size": 31,
            "config.muted_users": ["a", "b"],
            "config.types.follow.duration_ms": 5000,
            "config.types.follow.template": "nul \u0000 é",
            "config.empty": {},
        }
        assert json.loads(found[widget].fv) == {
            "widget_type": 3,
            "name": 7,
            "config.font_size": 8,
            "config.muted_users": 8,
            "config.types.follow.duration_ms": 8,
            "config.types.follow.template": 8,
            "config.empty": 8,
        }
        assert json.loads(found[widget].fs) == {} and found[widget].version == 8
        assert json.loads(found[pref].fields) == {"key": "theme", "value": "dark"}
        assert found[gone].deleted and found[gone].version == 9

        # The service on the migrated data: a stamped edit of one setting wins, the rest stay.
        cfg = test_config(empty_database)
        client = TestClient(TestServer(create_app(cfg)))
        await client.start_server()
        try:
            token = AccessTokens(cfg.secret, 60).issue(account, device)
            auth = {"Authorization": f"Bearer {token}"}
            mutation = {
                "device_id": str(uuid.uuid4()),
                "seq": 1,
                "entity": "widget_config",
                "row_id": str(widget),
                "patch": {"config.font_size": 40},
                "stamp": "000000000000001:000000:abc",
            }
            async with client.post(
                "/v1/sync/push", json={"mutations": [mutation]}, headers=auth
            ) as resp:
                body = await resp.json()
                assert resp.status == 200 and body["results"][0]["conflicts"] == [], body
            async with client.get("/v1/sync/pull?since=0&per_setting=1", headers=auth) as resp:
                pulled = {c["row_id"]: c for c in (await resp.json())["changes"]}
            fields = pulled[str(widget)]["fields"]
            assert fields["config.font_size"] == 40
            assert fields["config.types.follow.duration_ms"] == 5000
        finally:
            await client.close()

        await migrate.downgrade(engine, "0002_donation_ids")
        [back] = await rows(
            engine,
            "SELECT fields::text AS fields, field_versions::text AS fv FROM sync_rows "
            "WHERE row_id = :r",
            r=widget,
        )
        assert json.loads(back.fields)["config"] == {**config, "font_size": 40}
        assert json.loads(back.fv)["config"] == 10
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
