"""A virtual X display and screenshots of it, for the tests that open the real window."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

XVFB = shutil.which("Xvfb")
SIZE = (1280, 800)

# Run in a separate process on the same display: grabs the whole screen and counts the colours
# on a 16-pixel grid, so a test can tell a drawn window from a blank display.
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


@contextmanager
def xvfb() -> Iterator[str]:
    """A fresh Xvfb display (``:N``), stopped afterwards."""
    if XVFB is None:
        pytest.fail("Xvfb is not installed: run `make test` (installs it) or apt-get install xvfb")
    proc = subprocess.Popen(
        [XVFB, "-displayfd", "1", "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        yield f":{proc.stdout.readline().strip()}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def grab_screen(path: Path, env: dict[str, str]) -> tuple[int, int, int]:
    """Save the display in ``env["DISPLAY"]`` to ``path``; (width, height, colours seen)."""
    grab = subprocess.run(
        [sys.executable, "-c", GRAB_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "QT_QPA_PLATFORM": "xcb"},
    )
    assert grab.returncode == 0, grab.stderr
    width, height, colors = map(int, grab.stdout.split())
    return width, height, colors
