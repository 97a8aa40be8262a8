"""The app as a streamer meets it: start headless, paste a URL into a browser, see events."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx

from .conftest import APP, app_env


def loaded_libraries(pid: int) -> str:
    """The shared objects mapped into a process (Linux); empty elsewhere."""
    maps = Path(f"/proc/{pid}/maps")
    return maps.read_text() if maps.exists() else ""


async def test_headless_demo_reaches_the_alert_box_in_chromium(
    launch_app, browser, artifacts_dir
) -> None:
    app = launch_app("--headless", "--demo")
    app.wait_healthy()
    assert "libQt6" not in loaded_libraries(app.proc.pid), "headless loads no Qt at all"
    urls = app.urls()
    assert urls["running"] is True and urls["port"] == app.port
    alert_url = urls["overlays"]["alert_box"]
    assert alert_url.startswith(f"http://127.0.0.1:{app.port}/overlay/alert_box?token=")

    page = await browser.new_page(viewport={"width": 800, "height": 600})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await page.goto(alert_url)
    headline = page.get_by_test_id("alert-headline")
    await headline.wait_for(timeout=15_000)
    text = await headline.inner_text()
    assert text.strip(), "a demo alert is on screen"
    await page.screenshot(path=str(artifacts_dir / "alert_box_demo.png"))

    chat = await browser.new_page(viewport={"width": 400, "height": 600})
    await chat.goto(urls["overlays"]["chat_box"])
    await chat.get_by_test_id("chat-message").first.wait_for(timeout=15_000)
    await chat.screenshot(path=str(artifacts_dir / "chat_box_demo.png"))
    assert errors == [], "no script errors and no CSP violations on the overlay pages"

    assert app.stop() == 0
    output = app.read_output()
    assert "running headless" in output and "/overlay/alert_box?token=" in output
    assert "Demo mode is on" in output


async def test_an_api_event_shows_in_the_alert_box(launch_app, browser) -> None:
    app = launch_app("--headless", "--no-demo")
    app.wait_healthy()
    urls = app.urls()
    page = await browser.new_page()
    await page.goto(urls["overlays"]["alert_box"])
    # The page connects over the WebSocket; wait until the server counts it.
    headers = {"Authorization": f"Bearer {urls['api']['token']}"}
    async with httpx.AsyncClient(base_url=app.base, headers=headers) as http:
        for _ in range(100):
            status = (await http.get("/api/v1/status")).json()
            if status["overlays"]["alert_box"] == 1:
                break
            await page.wait_for_timeout(50)
        assert status["overlays"]["alert_box"] == 1 and status["demo"] is False
        response = await http.post(
            "/api/v1/events",
            json={
                "kind": "raid",
                "platform": "twitch",
                "viewers": 42,
                "user": {"id": "7", "login": "eve", "display_name": "<b>Eve</b>"},
            },
        )
    assert response.status_code == 202
    alert = page.locator(f'[data-event-id="{response.json()["id"]}"]')
    await alert.wait_for(timeout=5_000)
    assert "<b>Eve</b>" in await alert.inner_text(), "names are shown as text, not HTML"
    assert await page.locator("b").count() == 0


def test_second_instance_on_the_same_data_dir_is_refused(launch_app, free_port, tmp_path) -> None:
    first = launch_app("--headless", "--no-demo")
    first.wait_healthy()
    second = subprocess.run(
        [str(APP), "--headless", "--data-dir", str(first.data_dir), "--port", str(free_port + 1)],
        capture_output=True,
        text=True,
        timeout=30,
        env=app_env(first.data_dir),
    )
    assert second.returncode == 4
    assert "already running" in second.stderr and f"overlay port {first.port}" in second.stderr


def test_a_taken_port_is_reported_not_silently_changed(launch_app, free_port) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", free_port))
        squatter.listen()
        app = launch_app("--headless", "--no-demo", port=free_port)
        assert app.proc.wait(timeout=30) == 3
    output = app.read_output()
    assert f"Port {free_port} is already in use" in output
    assert "is free" in output


def test_urls_command_from_a_fresh_shell(tmp_path) -> None:
    data = tmp_path / "fresh"
    result = subprocess.run(
        [str(APP), "urls", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=30,
        env=app_env(data),
    )
    assert result.returncode == 0, result.stderr
    assert "not running" in result.stdout
    assert "http://127.0.0.1:7470/overlay/alert_box?token=" in result.stdout
    assert "Local API token:" in result.stdout
    again = subprocess.run(
        [str(APP), "urls", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=30,
        env=app_env(data),
    )
    assert again.stdout == result.stdout, "the tokens are stable between runs"
