"""Latency from ``POST /api/v1/events`` to the alert's text in Chromium's DOM.

The app runs as the streamer runs it (``streampai-desktop --headless``) and the alert box page is
the real one, in Debian's Chromium. The clock is the page's own: the page sends the POST with
fetch() and a MutationObserver notes when the alert with that event id appears, so no clocks are
compared across processes. After each alert the bench skips it through the local API so the
queue is free for the next one. Baseline, same run, same browser: a bare aiohttp server whose
POST handler broadcasts the event over a WebSocket to a page that writes it into the DOM.

Run: .venv/bin/python bench/overlay_latency.py [--events 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHROMIUM, CHROMIUM_ARGS, free_port, percentile

APP = Path(sys.executable).with_name("streampai-desktop")

MEASURE = """async ([url, token, eventId]) => {
  const seen = new Promise((resolve) => {
    const check = () => document.querySelector(`[data-event-id="${eventId}"]`);
    if (check()) return resolve(performance.now());
    const observer = new MutationObserver(() => {
      if (check()) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true});
  });
  const started = performance.now();
  const response = await fetch(url, {method: 'POST', headers: {
      'Content-Type': 'application/json', 'Authorization': `Bearer ${token}`},
    body: JSON.stringify({kind: 'follow', platform: 'twitch', id: eventId,
      user: {id: '1', login: 'bench', display_name: 'Bench'}})});
  if (!response.ok) throw new Error(`POST failed: ${response.status}`);
  return (await seen) - started;
}"""

BASELINE_PAGE = """<!doctype html><html><body><div id="out"></div><script>
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onmessage = (m) => { const e = JSON.parse(m.data); const d = document.createElement('div');
  d.dataset.eventId = e.id; d.textContent = `${e.user.display_name} just followed!`;
  document.getElementById('out').replaceChildren(d); };
</script></body></html>"""


async def run_baseline(browser, events: int) -> list[float]:
    sockets: set[web.WebSocketResponse] = set()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=BASELINE_PAGE, content_type="text/html")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        sockets.add(sock)
        async for _ in sock:
            pass
        sockets.discard(sock)
        return sock

    async def post(request: web.Request) -> web.Response:
        frame = json.dumps(await request.json())
        for sock in list(sockets):
            await sock.send_str(frame)
        return web.json_response({"ok": True}, status=202)

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/ws", ws)
    app.router.add_post("/api/v1/events", post)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    tab = await browser.new_page()
    await tab.goto(f"http://127.0.0.1:{port}/")
    while not sockets:
        await asyncio.sleep(0.01)
    samples = []
    for i in range(events):
        samples.append(await tab.evaluate(MEASURE, ["/api/v1/events", "t", f"base-{i}"]))
    await tab.close()
    await runner.cleanup()
    return samples


async def run_app(browser, events: int) -> list[float]:
    port = free_port()
    data = tempfile.mkdtemp(prefix="streampai-bench-")
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = subprocess.Popen(
        [str(APP), "--headless", "--no-demo", "--data-dir", data, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        urls = None
        for _ in range(400):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.025)
        result = subprocess.run(
            [str(APP), "urls", "--json", "--data-dir", data],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        urls = json.loads(result.stdout)
        token = urls["api"]["token"]
        api = httpx.AsyncClient(
            base_url=urls["api"]["base_url"], headers={"Authorization": f"Bearer {token}"}
        )
        widgets = (await api.get("/widgets")).json()
        config = next(w for w in widgets if w["id"] == "alert_box")["config"]
        config["gap_ms"] = 0
        for settings in config["types"].values():
            settings.update(show_animation="none", sound="")
        assert (await api.put("/widgets/alert_box/config", json=config)).status_code == 200
        tab = await browser.new_page()
        await tab.goto(urls["overlays"]["alert_box"])
        for _ in range(400):
            status = (await api.get("/status")).json()
            if status["overlays"]["alert_box"]:
                break
            await asyncio.sleep(0.025)
        samples = []
        for i in range(events):
            samples.append(await tab.evaluate(MEASURE, ["/api/v1/events", token, f"app-{i}"]))
            await api.post("/alerts/skip")
            await tab.wait_for_selector(f'[data-event-id="app-{i}"]', state="detached")
        await tab.close()
        await api.aclose()
        return samples
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    from playwright.async_api import async_playwright

    chromium = CHROMIUM
    if chromium is None:
        print("Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        began = time.monotonic()
        base = await run_baseline(browser, args.events)
        app = await run_app(browser, args.events)
        await browser.close()
    print(
        f"overlay latency, POST → alert text in Chromium's DOM, {args.events} events each "
        f"({time.monotonic() - began:.0f} s)"
    )
    for label, samples in (("baseline: bare aiohttp + WS page", base), ("app alert box", app)):
        print(
            f"  {label:<34} p50 {statistics.median(samples):6.2f} ms   "
            f"p95 {percentile(samples, 95):6.2f} ms"
        )
    ratio = percentile(app, 95) / percentile(base, 95)
    print(
        f"\np95 {percentile(app, 95):.2f} ms (target <= 50 ms), {ratio:.2f}x baseline "
        "(target <= 1.5x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
