"""A headless computer has only its log: it says when sync goes offline and when it is back,
once per change (not once per retry)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from streampai_desktop.cloud.engine import SyncStatus
from streampai_desktop.cloud.service import AccountService
from streampai_desktop.core.bus import EventBus
from streampai_desktop.secrets import open_secret_store
from streampai_desktop.store import open_database


async def run_db(fn, *args):  # type: ignore[no-untyped-def]
    return fn(*args)


async def nowhere(_: object) -> bool:
    return False


async def test_sync_going_offline_and_coming_back_is_logged_once_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    opened = open_database(tmp_path)
    service = AccountService(
        EventBus(),
        opened.db,
        run_db,
        service_url="http://127.0.0.1:9",
        secrets=open_secret_store(tmp_path),
        submit=nowhere,
        reloads=[],
    )
    caplog.set_level(logging.INFO, logger="streampai_desktop.cloud.service")
    states = ["syncing", "up_to_date", "offline", "offline", "offline", "syncing", "up_to_date"]
    for state in states:
        service._status(SyncStatus(state, "cannot reach the service" if state == "offline" else ""))
    lines = [r.getMessage() for r in caplog.records if r.name == "streampai_desktop.cloud.service"]
    assert lines == ["sync is offline: cannot reach the service", "sync is back: up to date"]
    await service.stop()
    opened.db.close()
