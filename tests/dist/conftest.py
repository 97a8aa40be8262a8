"""The builds a streamer installs, run as a streamer runs them.

test_frozen.py: the frozen (PyInstaller) bundle ``make dist`` leaves in dist/. Those tests never
build the bundle themselves (a build takes about a minute): ``make test-dist`` builds it, then runs
them. A missing or stale bundle is a failure that says what to run.

test_wheel.py: a wheel built from a clean copy of the checkout, installed into a fresh venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from streampai_desktop import __version__
from tests.e2e.conftest import app_env, chromium_browser, launcher

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT / "installer"))

from project import executable  # noqa: E402  (installer/project.py: where the program is)


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
    with launcher(frozen_app, tmp_path, free_port) as launch:
        yield launch


@pytest.fixture
async def browser() -> AsyncIterator:
    async with chromium_browser() as chromium:
        yield chromium


def app_urls(exe: Path, data_dir: Path) -> dict:
    """The overlay URLs as ``exe urls --json`` prints them (the frozen or an installed program)."""
    result = subprocess.run(
        [str(exe), "urls", "--json", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=app_env(data_dir),
        check=True,
    )
    return json.loads(result.stdout)
