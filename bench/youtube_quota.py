"""YouTube API quota spent on a simulated 4-hour stream, time accelerated, against the fake YouTube.

The real connector (discovery, chat over the streaming endpoint, viewers once a minute) runs
against ``tests/fakes/youtube.py`` with every interval divided by ``--speed``: ten minutes
offline, then a four-hour broadcast with a chat message every few (simulated) seconds, each
stream connection ended by the server every ``--stream-lifetime-min`` simulated minutes and
dropped mid-object ``--drops`` times. The figure is the fake's own count of units (YouTube's cost
table). Same-run baseline: the same connector with the stream endpoint gone, list-polling at a
5-second ``pollingIntervalMillis`` (what the issue says would cost 14,400 units).

Goal (issue #14): ≤ 1,000 units for discovery + chat + viewers over the 4 hours.

Run: .venv/bin/python bench/youtube_quota.py [--speed 600] [--stream-lifetime-min 30]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streampai_desktop.core.events import ChatMessage, Event
from streampai_desktop.platforms.base import ConnectorDeps
from streampai_desktop.platforms.youtube.auth import (
    TokenSet,
    TokenStore,
    YouTubeEndpoints,
)
from streampai_desktop.platforms.youtube.connector import (
    YouTubeConnector,
    YouTubeOptions,
)
from streampai_desktop.platforms.youtube.quota import QuotaBudget
from streampai_desktop.secrets import FileBackend, SecretStore
from tests.conftest import find_free_port
from tests.fakes.youtube import (
    CHANNEL_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    FakeYouTube,
    text_message,
)

STREAM_H = 4.0
OFFLINE_MIN = 10.0
CHAT_EVERY_S = 3.0  # simulated seconds between chat messages


async def simulate(
    speed: float, *, streaming: bool, lifetime_min: float, drops: int
) -> dict[str, Any]:
    fake = FakeYouTube(find_free_port())
    fake.polling_interval_ms = int(5000 / speed)
    fake.stream_enabled = streaming
    fake.stream_lifetime_s = lifetime_min * 60 / speed
    await fake.start()
    got: list[str] = []

    async def submit(event: Event) -> bool:
        if isinstance(event, ChatMessage):
            got.append(event.id)
        return True

    with tempfile.TemporaryDirectory() as tmp:
        secrets = SecretStore(FileBackend(Path(tmp) / "secrets.json"))
        token = fake.issue_token(ttl_s=10 * 3600)
        await TokenStore(secrets, CHANNEL_ID).save(
            TokenSet(token.access, token.refresh, time.time() + 10 * 3600)
        )
        options = YouTubeOptions(
            discovery_interval_s=60 / speed,
            viewers_interval_s=60 / speed,
            min_poll_interval_s=1 / speed,
            stream_retry_s=300 / speed,
            backoff_base_s=1 / speed,
            backoff_cap_s=60 / speed,
        )
        endpoints = YouTubeEndpoints(fake.auth_url, fake.api_url, CLIENT_ID, CLIENT_SECRET)
        deps = ConnectorDeps(submit=submit, on_state=lambda s: None, on_stream=lambda s: None)
        connector = YouTubeConnector(
            "bench", CHANNEL_ID, deps, endpoints, secrets, options, QuotaBudget()
        )
        task = asyncio.create_task(connector.run())
        await asyncio.sleep(OFFLINE_MIN * 60 / speed)
        fake.go_live()
        live_s = STREAM_H * 3600 / speed
        sent = 0
        start = asyncio.get_running_loop().time()
        drop_at = {int((i + 1) * live_s / (drops + 1)) for i in range(drops)}
        while (elapsed := asyncio.get_running_loop().time() - start) < live_s:
            await fake.post(text_message(f"message {sent}"))
            sent += 1
            if int(elapsed) in drop_at:
                drop_at.discard(int(elapsed))
                await fake.drop_streams(mid_object=True)
            await asyncio.sleep(CHAT_EVERY_S / speed)
        await asyncio.sleep(0.5)
        await fake.end_stream()
        await asyncio.sleep(1.0)
        await connector.stop()
        await asyncio.wait_for(task, 10)
    await fake.stop()
    calls: dict[str, int] = {}
    for call in fake.calls:
        calls[call] = calls.get(call, 0) + 1
    return {
        "units": fake.units,
        "app_count": connector.budget.used,
        "sent": sent,
        "received": len(got),
        "unique": len(set(got)),
        "calls": calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--stream-lifetime-min", type=float, default=30.0)
    parser.add_argument("--drops", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    stream = asyncio.run(
        simulate(
            args.speed, streaming=True, lifetime_min=args.stream_lifetime_min, drops=args.drops
        )
    )
    poll = asyncio.run(simulate(args.speed, streaming=False, lifetime_min=0, drops=0))
    for name, result in (("streaming", stream), ("list-polling baseline", poll)):
        print(
            f"{name}: {result['units']:,} units (app counted {result['app_count']:,}); "
            f"chat {result['received']:,}/{result['sent']:,} delivered, "
            f"{result['received'] - result['unique']} duplicated; calls {result['calls']}"
        )
    ratio = stream["units"] / max(1, poll["units"])
    verdict = "met" if stream["units"] <= 1000 else "NOT met"
    print(f"4-hour stream: {stream['units']:,} units (goal ≤ 1,000: {verdict}); ratio to the")
    print(f"list-polling baseline in the same run: {ratio:.3f} ({poll['units']:,} units)")
    # At this speed each poll's own round trip stretches the 5 s interval, so the baseline
    # polls less often than a real one would: 4 h of list calls every 5 s at 5 units each.
    ideal = int(STREAM_H * 3600 / 5 * 5)
    print(f"(a true 5 s list-polling would spend {ideal:,} units on chat alone)")


if __name__ == "__main__":
    main()
