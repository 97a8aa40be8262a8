"""Against the real account service on PostgreSQL: a change the service refuses at the body
level (a number of 150 digits: the service reads at most 100) no longer blocks this computer's
sync forever. The desktop's engine finds it, sets it aside with a notice naming the widget and
the service's reason, and every other edit — before and after it — reaches the account."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.cloud.service import AccountService
from streampai_desktop.core.bus import EventBus
from streampai_desktop.secrets import open_secret_store
from streampai_desktop.store import open_database, operations, reads
from streampai_desktop.widgets.instances import create_widget, load_widgets
from tests.cloud.conftest import PASSWORD
from tests.conftest import find_free_port

HUGE = 10**150


@pytest.fixture
async def service_url(cloud_config: CloudConfig) -> AsyncIterator[str]:
    runner = web.AppRunner(create_app(cloud_config))
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def run_db(fn, *args):
    return fn(*args)


async def nowhere(_: object) -> bool:
    return False


def config_of(db: Any, widget_id: str) -> dict[str, Any]:
    return next(w.config for w in reads.widget_configs(db.read()) if w.id == widget_id)


async def account_settings(service_url: str, email: str) -> dict[str, dict[str, Any]]:
    """What the account holds, as another computer pulls it: row id -> fields."""
    async with httpx.AsyncClient(base_url=service_url) as http:
        signed = (
            await http.post("/v1/auth/signin", json={"email": email, "password": PASSWORD})
        ).json()
        headers = {"Authorization": f"Bearer {signed['access_token']}"}
        query = {"since": 0, "limit": 500, "per_setting": 1}
        page = (await http.get("/v1/sync/pull", params=query, headers=headers)).json()
    return {
        row["fields"].get("local_id") or row["fields"].get("key"): row["fields"]
        for row in page["changes"]
    }


@pytest.mark.allow_logs(r"sync: Your change to future_size of Overlay two .* was refused")
async def test_a_change_the_service_refuses_is_set_aside_and_the_rest_syncs(
    tmp_path: Path, service_url: str
) -> None:
    opened = open_database(tmp_path)
    db = opened.db
    load_widgets(db)
    account = AccountService(
        EventBus(),
        db,
        run_db,
        service_url=service_url,
        secrets=open_secret_store(tmp_path),
        submit=nowhere,
        reloads=[],
    )
    try:
        email = f"aside-{secrets.token_hex(5)}@example.com"
        await account.sign_in(email, PASSWORD, register=True)
        other = create_widget(db, "chat_box", "Overlay two")
        operations.save_preference(db, "theme", "dark")
        # A number this computer keeps (a newer version's setting) but the service cannot read.
        operations.save_widget_config(
            db, other.id, {**config_of(db, other.id), "future_size": HUGE}
        )
        operations.save_widget_config(
            db, "chat_box", {**config_of(db, "chat_box"), "max_messages": 7}
        )

        await account.sync.sync_now()

        status = account.sync.status
        assert status.state == "up_to_date" and await account.pending_count() == 0
        [notice] = status.notices
        assert "future_size of Overlay two" in notice and "stays on this computer only" in notice
        assert "out of range" in notice, "the service's own reason"
        held = await account_settings(service_url, email)
        assert held["theme"]["value"] == "dark"
        assert held["chat_box"]["config.max_messages"] == 7
        assert "config.future_size" not in held[other.id], "the rest of the widget synced"
        assert config_of(db, other.id)["future_size"] == HUGE, "kept on this computer"

        operations.save_widget_config(
            db, "chat_box", {**config_of(db, "chat_box"), "max_messages": 9}
        )
        await account.sync.sync_now()
        held = await account_settings(service_url, email)
        assert held["chat_box"]["config.max_messages"] == 9, "later edits still flow"
        assert status.notices == [notice]
    finally:
        await account.stop()
        db.close()
