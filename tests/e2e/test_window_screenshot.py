"""The real window on a real (virtual) X display, saved as a screenshot artifact."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.screen import SIZE, grab_screen

from .conftest import APP, app_env


def test_main_window_on_xvfb(
    launch_app, xvfb_display: str, tmp_path: Path, artifacts_dir: Path
) -> None:
    data = tmp_path / "gui"
    env = app_env(data, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    app = launch_app("--demo", "--verbose", data_dir=data, env=env)
    app.wait_healthy(timeout=60)
    app.wait_for_output("main window shown")
    time.sleep(2.5)  # let demo events arrive so the screenshot shows a working app
    shot = artifacts_dir / "main_window.png"
    width, height, colors = grab_screen(shot, env)
    assert (width, height) == SIZE
    assert colors > 20, "the screen shows a drawn window, not a blank display"
    # Launching the app again on the same data folder brings this window forward and exits.
    second = subprocess.run(
        [str(APP), "--data-dir", str(data), "--port", str(app.port + 1)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert second.returncode == 0, second.stderr
    assert "its window was brought to the front" in second.stderr
    assert app.proc.poll() is None, "the first one keeps running"
    assert app.stop() == 0
