"""End-to-end helpers: the real app as a subprocess, Debian's Chromium through Playwright, Xvfb."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from streampai_desktop.server.pages import OVERLAY_DIST
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

APP = Path(sys.executable).with_name("streampai-desktop")

pytestmark = pytest.mark.e2e


def app_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMPAI_")}
    # Never touch the developer's real keyring: the app falls back to its 0600 file.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["STREAMPAI_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


@dataclass
class AppProcess:
    proc: subprocess.Popen[str]
    data_dir: Path
    port: int
    output: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Drain the app's output continuously: a full pipe would block the app mid-log.
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.read_output():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"the app never printed {text!r}:\n{self.read_output()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 30) -> float:
        """Seconds until /healthz answers; fails with the app's output if it never does."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if self.proc.poll() is not None:
                pytest.fail(f"the app exited with {self.proc.returncode}:\n{self.read_output()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - began
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        pytest.fail(f"the app did not answer /healthz within {timeout} s:\n{self.read_output()}")

    def urls(self) -> dict:
        result = subprocess.run(
            [str(APP), "urls", "--json", "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=30,
            env=app_env(self.data_dir),
            check=True,
        )
        return json.loads(result.stdout)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def close(self) -> None:
        """Stop the app and release the pipe (an open pipe is a ResourceWarning, an error here)."""
        self.stop()
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def read_output(self) -> str:
        if self.proc.poll() is not None:
            self._reader.join(timeout=5)
        return "".join(self.output)


@contextmanager
def launcher(executable: Path, tmp_path: Path, free_port: int) -> Iterator:
    """A function that starts ``executable`` (the source install or the frozen bundle) the way
    a streamer would, and stops every process it started when the block ends."""
    started: list[AppProcess] = []

    def launch(
        *args: str,
        data_dir: Path | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> AppProcess:
        data = data_dir or tmp_path / "data"
        chosen = port or free_port
        proc = subprocess.Popen(
            [str(executable), *args, "--data-dir", str(data), "--port", str(chosen)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env or app_env(data),
        )
        app = AppProcess(proc, data, chosen)
        started.append(app)
        return app

    try:
        yield launch
    finally:
        for app in started:
            app.close()


@pytest.fixture
def launch_app(tmp_path: Path, free_port: int) -> Iterator:
    """Start the real app: ``launch_app("--headless", "--demo")``."""
    with launcher(APP, tmp_path, free_port) as launch:
        yield launch


@pytest.fixture(scope="session")
def overlays_built() -> Path:
    if not (OVERLAY_DIST / "alert_box.html").exists():
        pytest.fail(f"the overlay bundle is missing at {OVERLAY_DIST}: run `make overlays`")
    return OVERLAY_DIST


@asynccontextmanager
async def chromium_browser() -> AsyncIterator:
    """Debian's Chromium through Playwright (what OBS's browser source runs is Chromium)."""
    if CHROMIUM is None:
        pytest.fail(
            "Chromium is not installed: run `make test` (installs it) or "
            "`sudo apt-get install chromium`"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def browser(overlays_built: Path) -> AsyncIterator:
    async with chromium_browser() as chromium:
        yield chromium
