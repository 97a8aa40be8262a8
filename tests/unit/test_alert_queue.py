"""The alert queue: order, spacing, pause/skip/replay/clear, waiting for an alert box, missed."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from streampai_desktop.core.alerts import (
    MAX_PENDING,
    AlertPlan,
    AlertQueue,
    AlertShow,
    AlertSkip,
    QueueSettings,
)
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import ChatMessage, Follow, Platform, Raid
from streampai_desktop.core.notices import AlertOutcome, notice_topics


class Harness:
    def __init__(self, duration_ms: int = 50, gap_ms: int = 20, max_wait_s: int = 600) -> None:
        self.bus = EventBus()
        self.shown = self.bus.subscribe("alerts")
        self.box_open = True
        self.settings = QueueSettings(gap_ms=gap_ms, max_wait_s=max_wait_s)
        self.duration_ms = duration_ms
        self.now = 0.0
        self.queue = AlertQueue(
            self.bus,
            self.plan,
            lambda: self.settings,
            lambda: self.box_open,
        )

    def plan(self, event, alert_id):
        if isinstance(event, Raid) and event.viewers < 5:
            return None  # below the minimum
        return AlertPlan(self.duration_ms, {"alert_box": {"settings": {}, "variation": None}})

    async def next_shown(self):
        while True:
            message = await asyncio.wait_for(self.shown.get(), 2.0)
            if isinstance(message.payload, AlertShow):
                return message.payload


def follow(i: int) -> Follow:
    return Follow(platform=Platform.TWITCH, id=f"f{i}")


async def test_alerts_show_one_at_a_time_in_order_with_the_gap() -> None:
    h = Harness(duration_ms=60, gap_ms=40)
    h.queue.start()
    loop = asyncio.get_running_loop()
    times = []
    for i in range(3):
        h.bus.publish("events", follow(i))
    ids = []
    for _ in range(3):
        shown = await h.next_shown()
        times.append(loop.time())
        ids.append(shown.event.id)
    await h.queue.stop()
    assert ids == ["f0", "f1", "f2"]
    spacing = [b - a for a, b in itertools.pairwise(times)]
    assert all(s >= 0.095 for s in spacing), f"duration + gap between alerts: {spacing}"


async def test_only_alertable_events_above_minimum_are_queued() -> None:
    h = Harness()
    assert h.queue.enqueue(ChatMessage(platform=Platform.TWITCH, text="hi")) is False
    assert h.queue.enqueue(Raid(platform=Platform.TWITCH, viewers=2)) is False
    assert h.queue.enqueue(Raid(platform=Platform.TWITCH, viewers=20)) is True
    assert len(h.queue.pending) == 1


async def test_waits_for_an_alert_box_then_shows_what_waited() -> None:
    h = Harness()
    h.box_open = False
    h.queue.start()
    h.queue.enqueue(follow(1))
    await asyncio.sleep(0.2)
    assert h.shown.qsize() == 0 and len(h.queue.pending) == 1, "nothing lost while OBS is closed"
    h.box_open = True
    h.queue.poke()
    assert (await h.next_shown()).event.id == "f1"
    await h.queue.stop()


@pytest.mark.allow_logs(r"recorded as missed")
async def test_alerts_waiting_too_long_are_recorded_as_missed() -> None:
    h = Harness(max_wait_s=0)
    h.box_open = False
    h.queue.start()
    h.queue.enqueue(follow(1))
    for _ in range(60):
        if h.queue.missed:
            break
        await asyncio.sleep(0.05)
    assert [m.event.id for m in h.queue.missed] == ["f1"] and not h.queue.pending
    assert h.queue.state()["missed"] == 1
    await h.queue.stop()


async def test_pause_resume_skip_clear_and_replay() -> None:
    h = Harness(duration_ms=5000, gap_ms=10)
    h.queue.start()
    h.queue.pause()
    h.queue.enqueue(follow(1))
    h.queue.enqueue(follow(2))
    await asyncio.sleep(0.1)
    assert h.shown.qsize() == 0 and h.queue.state()["paused"] is True
    h.queue.resume()
    first = await h.next_shown()
    assert first.event.id == "f1" and h.queue.state()["now"]["event_id"] == "f1"
    h.queue.skip()  # a 5 s alert, hidden at once
    skip = await asyncio.wait_for(h.shown.get(), 1)
    assert skip.payload == AlertSkip(first.alert_id)
    second = await h.next_shown()
    assert second.event.id == "f2"
    h.queue.enqueue(follow(3))
    assert h.queue.clear() == 1
    assert h.queue.replay(first.event) is True
    h.queue.skip()
    replayed = await h.next_shown()
    assert replayed.event.id == "f1" and replayed.alert_id != first.alert_id
    await h.queue.stop()


class Outcomes:
    """The ``AlertOutcome`` notices the queue published, as (event id, outcome) in order."""

    def __init__(self, h: Harness) -> None:
        self._subscription = h.bus.subscribe(notice_topics(AlertOutcome), maxsize=5000)
        self.seen: list[tuple[str, str]] = []

    def read(self) -> list[tuple[str, str]]:
        while self._subscription.qsize():
            notice = self._subscription.get_nowait().payload
            assert isinstance(notice, AlertOutcome) and notice.platform == "twitch"
            self.seen.append((notice.event_id, notice.outcome))
        return self.seen

    async def until(self, expected: tuple[str, str]) -> list[tuple[str, str]]:
        for _ in range(100):
            if expected in self.read():
                return self.seen
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {expected} in {self.seen}")


async def test_every_alert_says_what_became_of_it_shown_skipped_cleared() -> None:
    h = Harness(duration_ms=5000, gap_ms=10)
    outcomes = Outcomes(h)
    h.queue.start()
    h.queue.pause()
    h.queue.enqueue(follow(1))
    h.queue.enqueue(follow(2))
    h.queue.enqueue(follow(3))
    assert outcomes.read() == [("f1", "waiting"), ("f2", "waiting"), ("f3", "waiting")]
    h.queue.resume()
    await outcomes.until(("f1", "shown"))
    h.queue.skip()
    await outcomes.until(("f1", "skipped"))
    await outcomes.until(("f2", "shown"))
    assert h.queue.clear() == 1
    assert outcomes.read()[-1] == ("f3", "cleared")
    assert h.queue.replay(follow(1)) is True
    assert outcomes.read()[-1] == ("f1", "waiting"), "a replay waits again"
    await h.queue.stop()


async def test_an_alert_played_to_its_end_stays_shown() -> None:
    h = Harness(duration_ms=30, gap_ms=10)
    outcomes = Outcomes(h)
    h.queue.start()
    h.queue.enqueue(follow(1))
    h.queue.enqueue(follow(2))
    await outcomes.until(("f2", "shown"))
    await asyncio.sleep(0.1)
    await h.queue.stop()
    assert [o for o in outcomes.read() if o[0] == "f1"] == [("f1", "waiting"), ("f1", "shown")]


@pytest.mark.allow_logs(r"recorded as missed")
async def test_an_alert_that_waited_too_long_or_overflowed_is_missed() -> None:
    h = Harness(max_wait_s=0)
    h.box_open = False
    outcomes = Outcomes(h)
    h.queue.start()
    h.queue.enqueue(follow(1))
    await outcomes.until(("f1", "missed"))
    await h.queue.stop()

    h = Harness()
    outcomes = Outcomes(h)
    for i in range(MAX_PENDING + 1):  # not started: nothing is shown, the first one overflows
        h.queue.enqueue(follow(i))
    assert ("f0", "missed") in outcomes.read()
    assert ("f1", "missed") not in outcomes.read()


async def test_an_alert_no_alert_box_shows_is_off() -> None:
    h = Harness()
    outcomes = Outcomes(h)
    assert h.queue.enqueue(Raid(platform=Platform.TWITCH, id="small", viewers=2)) is False
    assert h.queue.enqueue(ChatMessage(platform=Platform.TWITCH, id="chat", text="hi")) is False
    assert outcomes.read() == [("small", "off")], "chat is no alert at all: no outcome"
