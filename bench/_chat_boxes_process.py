"""N chat boxes in a process of their own, for bench/twitch_burst.py (in OBS every browser
source is its own process, not the app's). Reads the overlay socket URL and the count from argv,
prints "ready", then, once it has read ``expected`` burst messages per box (or after the timeout
given on stdin), one JSON line with the latencies."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp


async def main(url: str, boxes: int) -> None:
    latencies: list[list[float]] = [[] for _ in range(boxes)]

    async def read(i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT or "burst " not in msg.data:
                continue
            now = time.monotonic()
            start = msg.data.index(" t=") + 3
            latencies[i].append(now - float(msg.data[start : msg.data.index('"', start)]))

    async with aiohttp.ClientSession() as http:
        tasks = []
        for i in range(boxes):
            ws = await http.ws_connect(url, max_msg_size=0)
            await ws.send_json({"type": "subscribe", "id": "b", "data": {"widget": "chat_box"}})
            tasks.append(asyncio.create_task(read(i, ws)))
        print("ready", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        expected, timeout = (float(x) for x in line.split())
        deadline = time.monotonic() + timeout
        while min(len(x) for x in latencies) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
    print(json.dumps(latencies), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
