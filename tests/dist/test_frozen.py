"""The frozen bundle works like the source install: headless overlays in Chromium, and a window."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.dist.conftest import app_urls
from tests.e2e.conftest import app_env
from tests.e2e.test_headless_app import loaded_libraries
from tests.screen import SIZE, grab_screen


def test_bundle_holds_the_files_the_app_reads_and_not_what_it_never_loads(
    frozen_app: Path,
) -> None:
    internal = frozen_app.parent / "_internal"
    package = internal / "streampai_desktop"
    assert (package / "server" / "overlay_dist" / "alert_box.html").is_file()
    # resources/ (the one source of bundled assets) at the package path resource_path() reads.
    assert (package / "resources" / "media" / "chime.wav").is_file()
    assert (package / "resources" / "icons" / "streampai.svg").is_file()
    # Alembic reads the migration scripts from disk, so they are real .py files.
    assert (package / "store" / "migrations" / "env.py").is_file()
    assert list((package / "store" / "migrations" / "versions").glob("0001_*.py"))
    names = {p.name for p in internal.rglob("*")}
    for unused in ("libQt6Quick.so.6", "libQt6Qml.so.6", "libQt6Network.so.6", "libgtk-3.so.0"):
        assert unused not in names, f"{unused} is bundled but never loaded"
    assert not any(n.endswith(".qm") for n in names), "no Qt translations (English-only UI)"
    assert not (internal / "tkinter").exists() and not (internal / "streampai_cloud").exists()


async def test_frozen_headless_demo_reaches_chromium_and_stops_cleanly(
    frozen_app: Path, launch_frozen, browser, artifacts_dir: Path
) -> None:
    app = launch_frozen("--headless", "--demo")
    app.wait_healthy(timeout=60)
    libraries = loaded_libraries(app.proc.pid)
    assert "libQt6" not in libraries, "headless loads no Qt, frozen too"
    if sys.platform.startswith("linux"):
        assert str(frozen_app.parent) in libraries, "runs from the bundle's own libraries"
    urls = app_urls(frozen_app, app.data_dir)
    assert urls["running"] is True and urls["port"] == app.port
    alert_url = urls["overlays"]["alert_box"]
    token = parse_qs(urlsplit(alert_url).query)["token"][0]
    async with httpx.AsyncClient(base_url=app.base, timeout=10) as client:
        sound = await client.get(f"/overlay/media/builtin/chime.wav?token={token}")
    assert sound.status_code == 200 and sound.content.startswith(b"RIFF"), "bundled sounds served"

    page = await browser.new_page(viewport={"width": 800, "height": 600})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await page.goto(alert_url)
    headline = page.get_by_test_id("alert-headline")
    await headline.wait_for(timeout=20_000)
    assert (await headline.inner_text()).strip(), "a demo alert is on screen"
    await page.screenshot(path=str(artifacts_dir / "frozen_alert_box_demo.png"))
    assert errors == [], "the bundled overlay assets load without script or CSP errors"

    assert app.stop() == 0, app.read_output()
    output = app.read_output()
    assert "Demo mode is on" in output and "Traceback" not in output


def test_frozen_main_window_on_xvfb(
    frozen_app: Path, launch_frozen, xvfb_display: str, tmp_path: Path, artifacts_dir: Path
) -> None:
    env = app_env(tmp_path / "data", DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    app = launch_frozen("--demo", "--verbose", env=env)
    app.wait_healthy(timeout=90)
    app.wait_for_output("main window shown", timeout=60)
    libraries = loaded_libraries(app.proc.pid)
    assert f"{frozen_app.parent}/_internal/PySide6/Qt/lib/libQt6Widgets" in libraries, (
        "the window uses the bundled Qt"
    )
    time.sleep(2.5)  # let demo events arrive so the screenshot shows a working app
    shot = artifacts_dir / "frozen_main_window.png"
    width, height, colors = grab_screen(shot, env)
    assert (width, height) == SIZE
    assert colors > 20, "the screen shows a drawn window, not a blank display"
    assert app.stop() == 0, app.read_output()
    assert "Traceback" not in app.read_output()
