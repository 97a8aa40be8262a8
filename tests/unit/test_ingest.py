"""The ingest path: dedupe, routing to topics, batched event-log writes that survive failures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import (
    ChatMessage,
    ChatNotification,
    Event,
    Follow,
    Money,
    Platform,
    SuperChat,
    ViewerCount,
)
from streampai_desktop.stream import ingest as ingest_module
from streampai_desktop.stream.ingest import EventIngest


async def test_duplicate_platform_ids_show_once() -> None:
    bus = EventBus()
    events = bus.subscribe("events")
    ingest = EventIngest(bus)
    follow = Follow(platform=Platform.TWITCH, id="f-1")
    assert await ingest.submit(follow) is True
    assert await ingest.submit(Follow(platform=Platform.TWITCH, id="f-1")) is False
    # Same id on another platform is another event.
    assert await ingest.submit(Follow(platform=Platform.KICK, id="f-1")) is True
    assert events.qsize() == 2 and ingest.duplicates == 1


async def test_events_are_routed_by_kind() -> None:
    bus = EventBus()
    every, chat = bus.subscribe("events"), bus.subscribe("chat")
    ingest = EventIngest(bus)
    await ingest.submit(ChatMessage(platform=Platform.TWITCH, text="hi"))
    await ingest.submit(Follow(platform=Platform.TWITCH))
    await ingest.submit(ViewerCount(platform=Platform.TWITCH, viewers=3))
    # The chat box also draws Super Chats and (when asked) the platform's notices in chat.
    await ingest.submit(SuperChat(platform=Platform.YOUTUBE, amount=Money(500, "EUR"), tier=3))
    await ingest.submit(ChatNotification(platform=Platform.TWITCH, notice_type="raid"))
    assert every.qsize() == 5
    on_chat = []
    while (message := chat.get_nowait()) is not None:
        on_chat.append(message.payload.kind)
    assert on_chat == ["chat_message", "super_chat", "chat_notification"]


@pytest.mark.allow_logs(r"could not write \d+ event\(s\) to the event log")
async def test_event_log_gets_batches_and_retries_after_a_failure(monkeypatch) -> None:
    monkeypatch.setattr(ingest_module, "BATCH_INTERVAL", 0.01)
    written: list[Event] = []
    calls = 0

    async def flaky_write(batch: Sequence[Event]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError(28, "No space left on device")
        written.extend(batch)

    ingest = EventIngest(EventBus(), flaky_write)
    ingest.start()
    events = [Follow(platform=Platform.TWITCH, id=str(i)) for i in range(50)]
    for event in events:
        await ingest.submit(event)
    for _ in range(200):
        if len(written) == 50:
            break
        await asyncio.sleep(0.01)
    await ingest.stop()
    assert written == events, "a failed write keeps the events and writes them later, in order"
    assert ingest.unlogged == 0
