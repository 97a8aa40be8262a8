"""N chat boxes in a process of their own, for bench/twitch_burst.py (in OBS every browser
source is its own process, not the app's).

Reads the overlay socket URL and the count from argv, prints "ready" once every box has
subscribed, then answers lines on stdin:

* ``collect TAG EXPECTED TIMEOUT``: wait until every box has EXPECTED different messages of the
  burst TAG (or TIMEOUT seconds), then print one JSON line, per box: ``latency`` (seconds, by
  message number, null where it never came) and ``duplicates`` (a message id seen again), and
  the CPU time this process used since the last answer.
* ``quit``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict

import aiohttp


class Box:
    """One chat box's record of the bursts it received."""

    def __init__(self) -> None:
        self.latency: dict[str, dict[int, float]] = defaultdict(dict)
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.duplicates: dict[str, int] = defaultdict(int)
        self.checked = False

    def take(self, text: str) -> None:
        start = text.find("burst ")
        if start < 0:
            return
        now = time.monotonic()
        # Plain string slicing, not a JSON parse per box: ten full parses of every message would
        # make this process, not the app, the bottleneck being measured. The envelope is
        # {"type":"event","id":…,"data":…}, so the first "id" is the envelope's: the event id,
        # which is Twitch's message_id.
        mark = text.index(" t=", start)
        tag, number = text[start + 6 : mark].split(" ")
        sent = float(text[mark + 3 : text.index('"', mark + 3)])
        id_at = text.index('"id":"') + 6
        message_id = text[id_at : text.index('"', id_at)]
        if not self.checked:  # once: the slicing reads what a JSON parser reads
            assert json.loads(text)["id"] == message_id, text[:200]
            self.checked = True
        if message_id in self.seen[tag]:
            self.duplicates[tag] += 1
            return
        self.seen[tag].add(message_id)
        self.latency[tag][int(number)] = now - sent

    def report(self, tag: str, expected: int) -> dict[str, object]:
        got = self.latency.pop(tag, {})
        length = max(expected, max(got, default=-1) + 1)
        self.seen.pop(tag, None)
        return {
            "latency": [got.get(i) for i in range(length)],
            "duplicates": self.duplicates.pop(tag, 0),
        }


async def main(url: str, count: int) -> None:
    boxes = [Box() for _ in range(count)]

    async def read(box: Box, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                box.take(msg.data)

    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        tasks = []
        for box in boxes:
            ws = await http.ws_connect(url, max_msg_size=0)
            await ws.send_json({"type": "subscribe", "id": "b", "data": {"widget": "chat_box"}})
            tasks.append(asyncio.create_task(read(box, ws)))
        print("ready", flush=True)
        cpu = time.process_time()
        while (line := await loop.run_in_executor(None, sys.stdin.readline)).strip() not in (
            "",
            "quit",
        ):
            _, tag, expected_text, timeout = line.split()
            expected = int(expected_text)
            deadline = time.monotonic() + float(timeout)
            while (
                min(len(b.latency[tag]) for b in boxes) < expected and time.monotonic() < deadline
            ):
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # a duplicate would come right behind
            used = time.process_time() - cpu
            report = {"boxes": [b.report(tag, expected) for b in boxes], "cpu_s": used}
            print(json.dumps(report), flush=True)
            cpu = time.process_time()
        for task in tasks:
            task.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
