"""Sending YouTube chat through the local API (``POST /api/v1/chat``, what ``chat send youtube``
uses): the text reaches YouTube's ``liveChatMessages.insert``, and every refusal is a sentence
the streamer can act on (422), never "something went wrong"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from streampai_desktop.app import App
from tests.conftest import find_free_port
from tests.fakes.youtube import FakeYouTube
from tests.platforms.youtube_app import (
    connect_youtube,
    is_live,
    point_the_app_at,
    running_app,
    units_shown,
    until,
)


@pytest.fixture
async def youtube(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube(find_free_port()) as fake:  # free_port is the app's
        point_the_app_at(fake, monkeypatch)
        yield fake


@pytest.fixture
async def app(youtube: FakeYouTube, tmp_path: Path, free_port: int) -> AsyncIterator[App]:
    async with running_app(tmp_path / "data", free_port) as running:
        await connect_youtube(running, youtube)
        yield running


async def send(app: App, text: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {app.tokens.api}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{app.port}/api/v1/chat",
            json={"platform": "youtube", "text": text},
            headers=headers,
        ) as response,
    ):
        return response.status, await response.json()


def inserted(youtube: FakeYouTube) -> list[str]:
    return [i["snippet"]["textMessageDetails"]["messageText"] for i in youtube.inserted]


async def test_a_message_sent_through_the_api_reaches_youtube_chat(
    youtube: FakeYouTube, app: App
) -> None:
    youtube.go_live()
    await until(lambda: is_live(app), what="live")
    status, body = await send(app, "thanks for coming, everyone!")
    assert (status, body) == (200, {"platform": "youtube", "account": "@coolstreamer"})
    assert inserted(youtube) == ["thanks for coming, everyone!"]
    # 200 characters is YouTube's limit, not one less.
    status, _ = await send(app, "y" * 200)
    assert status == 200 and inserted(youtube)[-1] == "y" * 200


# (what Google answers liveChatMessages.insert with, what the streamer reads)
REFUSALS = [
    (403, "liveChatEnded", "YouTube did not send the message: the live chat has ended."),
    (
        403,
        "forbidden",  # e.g. the signed-in channel is banned from this chat
        "YouTube did not send the message: this account may not post in this chat.",
    ),
    (
        403,
        "rateLimitExceeded",
        "YouTube did not send the message: slow mode: wait a moment before sending again.",
    ),
    (403, "quotaExceeded", "YouTube did not send the message: YouTube quota used up until "),
    (
        503,
        "backendError",
        "YouTube did not send the message (YouTube answered HTTP 503 (backendError)); "
        "try again in a moment.",
    ),
]


@pytest.mark.parametrize(("status", "reason", "says"), REFUSALS)
async def test_a_refused_message_says_why(
    youtube: FakeYouTube, app: App, status: int, reason: str, says: str
) -> None:
    youtube.go_live()
    await until(lambda: is_live(app), what="live")
    youtube.fail_next = [("liveChat/messages:insert", status, reason)]
    answered, body = await send(app, "hello chat")
    assert answered == 422, body
    assert body["error"].startswith(says)
    assert body["title"] == "Chat not sent"
    assert inserted(youtube) == []


async def test_quota_used_up_by_a_send_shows_on_the_platforms_page(
    youtube: FakeYouTube, app: App
) -> None:
    youtube.go_live()
    await until(lambda: is_live(app), what="live")
    youtube.fail_next = [("liveChat/messages:insert", 403, "quotaExceeded")]
    await send(app, "hello chat")
    # Google's "no" covers every call of the project: the count says the day is used up.
    await until(lambda: units_shown(app) == 10_000, within=10, what="10,000 of 10,000")


async def test_not_live_or_too_long_is_refused_before_asking_youtube(
    youtube: FakeYouTube, app: App
) -> None:
    await until(lambda: units_shown(app) is not None, what="connected, waiting for a stream")
    status, body = await send(app, "anyone here?")
    assert status == 422
    assert body["error"] == "YouTube chat is not open: there is no live stream right now."
    status, body = await send(app, "x" * 201)
    assert status == 422
    assert body["error"] == "YouTube takes at most 200 characters per message; this one has 201."
    assert "POST liveChat/messages:insert" not in youtube.calls
