"""A YouTube jewel gift combo through the connector, the app's ingest and the event log: YouTube
resends the gift's message (same id) as the combo count rises; each higher count gets through
once, an identical resend does not, and the chat topic carries updates of one line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.core.bus import TOPIC_CHAT, EventBus
from streampai_desktop.platforms.youtube.auth import YouTubeEndpoints
from streampai_desktop.secrets import SecretStore
from streampai_desktop.store import open_database
from streampai_desktop.stream.event_log import recent_events, write_events
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.ui.formatting import one_line
from tests.fakes.youtube import CLIENT_ID, CLIENT_SECRET, FakeYouTube, load_payload
from tests.platforms.test_youtube_connector import build, go_live_and_wait, sign_in


def gift(combo: int) -> dict[str, Any]:
    item = load_payload("gift")
    item["snippet"]["giftDetails"]["comboCount"] = combo
    return item


@pytest.fixture
async def youtube(free_port: int) -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube(free_port) as fake:
        yield fake


async def test_a_rising_combo_gets_through_once_per_count_and_a_resend_does_not(
    youtube: FakeYouTube, secrets: SecretStore, tmp_path: Path
) -> None:
    opened = open_database(tmp_path)
    bus = EventBus()
    chat = bus.subscribe(TOPIC_CHAT)
    ingest = EventIngest(bus, lambda batch: asyncio.to_thread(write_events, opened.db, batch))
    ingest.start()
    await sign_in(youtube, secrets)
    h = build(
        YouTubeEndpoints(youtube.auth_url, youtube.api_url, CLIENT_ID, CLIENT_SECRET), secrets
    )
    h.start()
    try:
        await go_live_and_wait(youtube, h)
        # YouTube's resends: 1, 2, the same 2 again, 3, then a 5 (counts can jump).
        for combo in (1, 2, 2, 3, 5):
            await youtube.post(gift(combo))
        await h.wait_for(lambda: any(e.id == "LCC.gift-1/x5" for e in h.events))
        await asyncio.sleep(0.2)  # anything else (a second x2) would have come by now
        gifts = [e for e in h.events if isinstance(e, ev.ChatNotification)]
        assert [(e.id, e.updates_id) for e in gifts] == [
            ("LCC.gift-1", None),
            ("LCC.gift-1/x2", "LCC.gift-1"),
            ("LCC.gift-1/x3", "LCC.gift-1"),
            ("LCC.gift-1/x5", "LCC.gift-1"),
        ]

        # The app's ingest: each update is new, an identical one (a replay) is a duplicate.
        for event in gifts:
            assert await ingest.submit(event) is True
        assert await ingest.submit(gifts[1]) is False
        on_chat = []
        while (message := chat.get_nowait()) is not None:
            on_chat.append(message.payload)
        assert [e.system_message for e in on_chat] == [
            "Jewel Fan sent Rose",
            "Jewel Fan sent Rose x2",
            "Jewel Fan sent Rose x3",
            "Jewel Fan sent Rose x5",
        ]
    finally:
        await h.stop()
        await ingest.stop()
    # The event log keeps each update, and each reads on its own in the Events page.
    logged = [e for e in recent_events(opened.db, 50) if isinstance(e, ev.ChatNotification)]
    opened.db.close()
    assert sorted(one_line(e) for e in logged) == [
        "Jewel Fan sent Rose",
        "Jewel Fan sent Rose x2",
        "Jewel Fan sent Rose x3",
        "Jewel Fan sent Rose x5",
    ]
