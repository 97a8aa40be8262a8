"""The real window on a real (virtual) X display, saved as a screenshot artifact."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import APP, app_env

XVFB = shutil.which("Xvfb")
GRAB_SCRIPT = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
image = app.primaryScreen().grabWindow(0).toImage()
image.save(sys.argv[1])
colors = {image.pixel(x, y)
          for x in range(0, image.width(), 16) for y in range(0, image.height(), 16)}
print(image.width(), image.height(), len(colors))
"""


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    if XVFB is None:
        pytest.fail(
            "Xvfb is not installed: run `make test` (installs it) or `sudo apt-get install xvfb`"
        )
    proc = subprocess.Popen(
        [XVFB, "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    display = f":{proc.stdout.readline().strip()}"
    yield display
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


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
    grab = subprocess.run(
        [sys.executable, "-c", GRAB_SCRIPT, str(shot)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "QT_QPA_PLATFORM": "xcb"},
    )
    assert grab.returncode == 0, grab.stderr
    width, height, colors = map(int, grab.stdout.split())
    assert (width, height) == (1280, 800)
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
