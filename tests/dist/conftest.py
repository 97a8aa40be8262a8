"""The frozen (PyInstaller) build as a streamer runs it: the bundle ``make dist`` leaves in dist/.

These tests never build the bundle themselves (a build takes about a minute): ``make test-dist``
builds it, then runs them. A missing or stale bundle is a failure that says what to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from streampai_desktop import __version__
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, AppProcess, app_env

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT / "installer"))

from project import executable  # noqa: E402  (installer/project.py: where the program is)

XVFB = shutil.which("Xvfb")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dist: runs the frozen bundle built by `make dist`")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.dist)


@pytest.fixture(scope="session")
def frozen_app() -> Path:
    """The frozen program, checked to be this version's."""
    exe = Path(os.environ.get("STREAMPAI_FROZEN_APP") or executable(ROOT / "dist"))
    if not exe.exists():
        pytest.fail(f"the frozen bundle is missing ({exe}): run `make dist`")
    version = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()[-1]
    if version != __version__:
        pytest.fail(f"the bundle is version {version}, the source {__version__}: run `make dist`")
    return exe


@pytest.fixture
def launch_frozen(frozen_app: Path, tmp_path: Path, free_port: int) -> Iterator:
    """Start the frozen app: ``launch_frozen("--headless", "--demo")``."""
    started: list[AppProcess] = []

    def launch(*args: str, env: dict[str, str] | None = None) -> AppProcess:
        data = tmp_path / "data"
        proc = subprocess.Popen(
            [str(frozen_app), *args, "--data-dir", str(data), "--port", str(free_port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env or app_env(data),
        )
        app = AppProcess(proc, data, free_port)
        started.append(app)
        return app

    yield launch
    for app in started:
        app.close()


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    if XVFB is None:
        pytest.fail("Xvfb is not installed: run `make test` (installs it) or apt-get install xvfb")
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


@pytest.fixture
async def browser() -> AsyncIterator:
    """Debian's Chromium through Playwright (what OBS's browser source runs is Chromium)."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()
