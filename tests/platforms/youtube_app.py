"""The real app (headless) with a YouTube channel on the fake YouTube, for the tests that need
what only the app has: its database across a restart, its local API, its ingest path."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.platforms.base import ConnectorState, ConnectorStatus
from streampai_desktop.platforms.youtube.auth import TokenSet, TokenStore
from streampai_desktop.store import operations
from tests.fakes.youtube import CHANNEL_ID, CLIENT_ID, CLIENT_SECRET, FakeYouTube

UNITS = re.compile(r"([\d,]+) of ([\d,]+) quota units used today")


def point_the_app_at(fake: FakeYouTube, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment variables a self-hoster (or a test) uses to point the app elsewhere."""
    monkeypatch.setenv("STREAMPAI_YOUTUBE_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_API_URL", fake.api_url)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_CLIENT_SECRET", CLIENT_SECRET)


@asynccontextmanager
async def running_app(data_dir: Path, port: int) -> AsyncIterator[App]:
    """The app started on ``data_dir``, quit at the end of the block."""
    app = App(
        AppOptions(data_dir=data_dir, port=port, headless=True, log_to_file=False, demo=False)
    )
    await app.start()
    try:
        yield app
    finally:
        await app.shutdown()


async def connect_youtube(app: App, fake: FakeYouTube) -> str:
    """What a finished device-code sign-in leaves behind (tokens in the keyring, the account
    in the database, its connector started); returns the account id."""
    token = fake.issue_token()
    tokens = TokenSet(token.access, token.refresh, time.time() + 3600)
    await TokenStore(app.secrets, CHANNEL_ID).save(tokens)
    account = await app.run_db(
        operations.save_account, app.db, "youtube", CHANNEL_ID, "@coolstreamer", "Cool Streamer"
    )
    await app.streams.enable(account)
    return str(account.id)


def youtube_status(app: App) -> ConnectorStatus | None:
    return next(iter(app.streams.states().values()), None)


def units_shown(app: App) -> int | None:
    """The units used today as the Platforms page and ``platforms`` show them."""
    status = youtube_status(app)
    match = UNITS.search(status.reason) if status is not None else None
    return int(match.group(1).replace(",", "")) if match else None


def is_live(app: App) -> bool:
    status = youtube_status(app)
    return (
        status is not None
        and status.state is ConnectorState.CONNECTED
        and status.reason.startswith("Live")
    )


async def until(predicate: Callable[[], Any], within: float = 10, what: str = "") -> Any:
    deadline = time.monotonic() + within
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.05)
    return value
