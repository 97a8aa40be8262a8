"""The event bus: topics, fan-out, and a slow subscriber that cannot hurt the others."""

from __future__ import annotations

import asyncio
import logging

import pytest

from streampai_desktop.core.bus import EventBus


async def test_subscribers_get_only_their_topics_in_order() -> None:
    bus = EventBus()
    chat = bus.subscribe(["chat"], name="chat")
    both = bus.subscribe(["chat", "alerts"], name="both")
    for i in range(3):
        bus.publish("chat", i)
    bus.publish("alerts", "follow")
    bus.publish("nobody", "x")
    assert [(await chat.get()).payload for _ in range(3)] == [0, 1, 2]
    assert chat.get_nowait() is None
    got = [(m.topic, m.payload) for m in [await both.get() for _ in range(4)]]
    assert got == [("chat", 0), ("chat", 1), ("chat", 2), ("alerts", "follow")]


@pytest.mark.allow_logs(r"subscriber 'frozen obs source' is not keeping up")
async def test_slow_subscriber_drops_oldest_and_others_get_everything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    slow = bus.subscribe(["chat"], maxsize=10, name="frozen obs source")
    fast = bus.subscribe(["chat"], maxsize=100_000, name="fast")
    with caplog.at_level(logging.WARNING):
        for i in range(10_000):
            bus.publish("chat", i)
    assert slow.qsize() == 10 and slow.dropped == 9_990
    assert [(await slow.get()).payload for _ in range(10)] == list(range(9_990, 10_000))
    assert fast.qsize() == 10_000 and fast.dropped == 0
    warnings = [r for r in caplog.records if "frozen obs source" in r.getMessage()]
    assert len(warnings) == 1, "drops are logged, but not once per message"


async def test_waiting_reader_wakes_on_publish_and_ends_on_close() -> None:
    bus = EventBus()
    sub = bus.subscribe("alerts")
    reader = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    bus.publish("alerts", "raid")
    assert (await reader).payload == "raid"
    collected = []

    async def drain() -> None:
        async for message in sub:
            collected.append(message.payload)

    task = asyncio.create_task(drain())
    bus.publish("alerts", "last")
    await asyncio.sleep(0)
    sub.close()
    await asyncio.wait_for(task, 1)
    assert collected == ["last"]
    assert bus.subscriber_count("alerts") == 0
    assert bus.publish("alerts", "after close") == 0
