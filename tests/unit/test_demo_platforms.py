"""Demo mode speaks only for the platforms a streamer can connect (issue #11, point 10): no Super
Chats or Kick chat while the Platforms page says YouTube and Kick are coming later, and a platform
that becomes available (the tests' dummy platform) joins the demo."""

from __future__ import annotations

import asyncio
from dataclasses import fields

from streampai_desktop.core.events import ChatMessage, Event, Platform
from streampai_desktop.platforms.registry import PLATFORMS, register, unregister
from streampai_desktop.platforms.spec import Capabilities, PlatformSpec, SignInKind
from streampai_desktop.stream.demo import _ALERT_KINDS, CHAT, DemoPace, DemoSource
from tests.fakes.dummy_platform import PLATFORM_ID, dummy_platform

FAST = DemoPace(chat=(0.001, 0.002), alert=(0.001, 0.002), first_alert=0.0)


def connectable() -> set[str]:
    return {spec.id for spec in PLATFORMS.values() if spec.available}


async def run_demo(count: int, seed: int = 1) -> list[Event]:
    """Run the real demo source (its chat and alert loops) until it has sent ``count`` events."""
    sent: list[Event] = []
    enough = asyncio.Event()

    async def submit(event: Event) -> bool:
        sent.append(event)
        if len(sent) >= count:
            enough.set()
        return True

    source = DemoSource(submit, pace=FAST, seed=seed)
    source.start()
    try:
        await asyncio.wait_for(enough.wait(), 10)
    finally:
        await source.stop()
    return sent


# A platform declared but not built yet (no connector): what the Platforms page lists as coming
# later, with every capability the demo could use.
LATER = PlatformSpec(
    id="later_tv",
    label="Later TV",
    brings="Everything, one day.",
    capabilities=Capabilities(
        **{f.name: True for f in fields(Capabilities) if f.type in (bool, "bool")}
    ),
    sign_in=SignInKind.DEVICE_CODE,
)


async def test_demo_events_come_only_from_platforms_that_can_be_connected() -> None:
    register(LATER)
    try:
        events = await run_demo(600)
        coming_later = {spec.id for spec in PLATFORMS.values() if not spec.available}
    finally:
        unregister(LATER.id)
    assert LATER.id in coming_later
    platforms = {str(e.platform) for e in events}
    # Our own donations, and every other event from a platform the Platforms page can connect.
    assert platforms <= connectable() | {Platform.STREAMPAI}
    assert not platforms & coming_later
    kinds = {e.kind for e in events}
    assert "chat_message" in kinds and "follow" in kinds and "donation" in kinds
    assert not kinds & {"super_chat", "membership"}, "no connectable platform has these"


async def test_a_platform_that_becomes_available_joins_the_demo() -> None:
    with dummy_platform():
        events = await run_demo(600, seed=2)
    by_dummy = [e for e in events if e.platform == PLATFORM_ID]
    # The dummy platform has chat and follows (its spec's capabilities), nothing else.
    assert {e.kind for e in by_dummy} == {"chat_message", "follow"}
    # No emotes where the platform serves no emote images.
    chat = [e for e in by_dummy if isinstance(e, ChatMessage)]
    assert chat and all(f.type != "emote" for e in chat for f in e.fragments)


def test_a_test_button_for_a_kind_no_connectable_platform_has_still_gets_an_event() -> None:
    """The Alert Box's "Test Super Chat" shows the alert's look even before YouTube is built."""
    demo = DemoSource(submit=None, seed=3)  # type: ignore[arg-type]
    event = demo.super_chat()
    assert event.kind == "super_chat" and event.test
    assert PLATFORMS[event.platform].capabilities.super_chats


def test_the_demo_table_names_real_capabilities_and_factories() -> None:
    names = {f.name for f in fields(Capabilities)}
    assert CHAT in names
    for factory, weight, capability in _ALERT_KINDS:
        assert capability is None or capability in names
        assert weight > 0 and callable(getattr(DemoSource, factory))
