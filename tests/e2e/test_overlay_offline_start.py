"""OBS starts before the app: the overlay page comes from its service worker and connects later.

The page is loaded once while the app runs (that installs /overlay/sw.js, which keeps a copy of
the page and its assets), the app stops, the page reloads (as OBS does when it starts) and still
loads, quietly; then the app starts again on the same data folder and port, and the page
connects and shows alerts without anyone touching it.
"""

from __future__ import annotations

import asyncio

import httpx

# Run in the page (Playwright's wait_for_function uses eval, which the overlays' CSP forbids).
CONTROLLED = "() => Boolean(navigator.serviceWorker && navigator.serviceWorker.controller)"
# The page and every script and stylesheet it loaded are in the worker's caches.
STORED = """async () => {
  const urls = [location.href, ...[...document.querySelectorAll('script[src], link[rel=stylesheet],'
    + ' link[rel=modulepreload]')].map((el) => el.src || el.href)]
  for (const url of urls) if (!(await caches.match(url))) return false
  return urls.length > 1
}"""


async def poll(page, function: str, seconds: float = 10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        result = await page.evaluate(function)
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def connected_alert_boxes(http: httpx.AsyncClient, seconds: float) -> int:
    """Wait until the app counts an alert box page; the count seen last."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        count = (await http.get("/api/v1/status")).json()["overlays"].get("alert_box", 0)
        if count or loop.time() > deadline:
            return count
        await asyncio.sleep(0.1)


async def test_the_alert_box_loads_without_the_app_and_connects_when_it_starts(
    launch_app, browser
) -> None:
    app = launch_app("--headless", "--no-demo")
    app.wait_healthy()
    urls = app.urls()
    alert_url = urls["overlays"]["alert_box"]
    headers = {"Authorization": f"Bearer {urls['api']['token']}"}

    context = await browser.new_context(viewport={"width": 800, "height": 600})
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # First load ever: the page registers the worker, which takes control at once and
        # stores the page and its assets (no second load needed).
        await page.goto(alert_url)
        assert await poll(page, CONTROLLED), "the service worker controls the page"
        assert await poll(page, STORED), "the worker stored the page and its assets"
        async with httpx.AsyncClient(base_url=app.base, headers=headers) as http:
            assert await connected_alert_boxes(http, 10) == 1

        # The app goes away; OBS (re)loads the source.
        assert app.stop() == 0
        response = await page.reload()
        assert response is not None and response.ok, "the stored copy of the page is served"
        assert await page.title() == "Streampai Alert Box"
        assert await poll(page, CONTROLLED)
        # Nothing on stream but the small, dim connection dot (after its 3 s grace period): the
        # page's scripts ran from the worker's copy, and no alert or error text is shown.
        dot = page.get_by_test_id("connection-dot")
        await dot.wait_for(timeout=10_000)
        assert await page.get_by_test_id("alert").count() == 0
        assert (await page.evaluate("() => document.body.innerText")).strip() == ""
        assert errors == [], "no script errors while the app is away"

        # The app starts again on the same data folder (same tokens) and port.
        again = launch_app("--headless", "--no-demo", data_dir=app.data_dir, port=app.port)
        again.wait_healthy()
        async with httpx.AsyncClient(base_url=again.base, headers=headers) as http:
            # The socket client retries with backoff capped at 10 s.
            assert await connected_alert_boxes(http, 30) == 1, "the page reconnected by itself"
            response = await http.post(
                "/api/v1/events",
                json={
                    "kind": "raid",
                    "platform": "twitch",
                    "viewers": 7,
                    "user": {"id": "7", "login": "eve", "display_name": "Eve"},
                },
            )
            assert response.status_code == 202, response.text
        await page.locator(f'[data-event-id="{response.json()["id"]}"]').wait_for(timeout=10_000)
        await dot.wait_for(state="detached", timeout=5_000)
        assert errors == []
    finally:
        await context.close()
