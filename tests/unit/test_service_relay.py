"""The relay between the live channel and platform code (platforms/service_relay.py): every
relayed frame reaches its handler in order, and the service hears "done up to N" once per burst
(each acknowledgement is a transaction on the service) but never before the frames up to N
went through their handler, and never on a channel other than the one they came on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from streampai_desktop.platforms.service_relay import ACK_COALESCE_S, ServiceRelay


class Channel:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        self.sent.append(frame)


def frame(n: int) -> dict[str, Any]:
    return {"type": "kick_event", "event": {"id": n}}


async def test_a_burst_is_acknowledged_once_with_its_last_id() -> None:
    relay, channel, handled = ServiceRelay(), Channel(), []

    async def handler(f: dict[str, Any]) -> dict[str, Any]:
        handled.append(f["event"]["id"])
        return {"type": "ack_kick", "up_to": f["event"]["id"]}

    relay.connected(channel.send)
    await relay.subscribe("kick_event", handler)
    for n in range(1, 21):
        await relay.dispatch(frame(n))
    assert handled == list(range(1, 21))
    # The first at once; the other 19 in one acknowledgement a moment later.
    assert channel.sent == [{"type": "ack_kick", "up_to": 1}]
    await asyncio.sleep(ACK_COALESCE_S * 3)
    assert channel.sent == [{"type": "ack_kick", "up_to": 1}, {"type": "ack_kick", "up_to": 20}]

    await relay.dispatch(frame(21))  # a lone event later: acknowledged at once
    assert channel.sent[-1] == {"type": "ack_kick", "up_to": 21} and len(channel.sent) == 3


async def test_frames_before_a_handler_wait_for_it_and_a_closed_channel_drops_its_acks() -> None:
    relay, first, handled = ServiceRelay(), Channel(), []

    async def handler(f: dict[str, Any]) -> dict[str, Any]:
        handled.append(f["event"]["id"])
        return {"type": "ack_kick", "up_to": f["event"]["id"]}

    relay.connected(first.send)
    for n in (1, 2, 3):  # the backlog a reconnect brings, before the connector subscribes
        await relay.dispatch(frame(n))
    await relay.subscribe("kick_event", handler)
    assert handled == [1, 2, 3]
    assert first.sent == [{"type": "ack_kick", "up_to": 1}]
    relay.connected(None)  # the channel closed before the rest was acknowledged
    second = Channel()
    relay.connected(second.send)
    await asyncio.sleep(ACK_COALESCE_S * 3)
    assert first.sent == [{"type": "ack_kick", "up_to": 1}]
    assert second.sent == [], "not on another connection: the service sends 2 and 3 again"


@pytest.mark.allow_logs(r"a relayed kick_event frame could not be handled")
async def test_a_frame_its_handler_failed_on_is_not_acknowledged() -> None:
    relay, channel = ServiceRelay(), Channel()

    async def handler(f: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("the event log is full")

    relay.connected(channel.send)
    await relay.subscribe("kick_event", handler)
    await relay.dispatch(frame(1))
    await asyncio.sleep(ACK_COALESCE_S * 3)
    assert channel.sent == []
