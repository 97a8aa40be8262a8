"""The terminal's subcommands as a streamer runs them: ``streampai-desktop …`` in a fresh
process, against a data folder, with the app stopped or running headless (also a process).

The fake Twitch runs in a thread with its own loop, so a test can block on a subprocess while
the fake keeps answering; each CLI run gets the environment a self-hoster would set.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.cloud.conftest import database_url, live_service  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.e2e.conftest import APP, app_env, launcher
from tests.fakes.twitch import CLIENT_ID, FakeTwitch

T = TypeVar("T")
CODE = re.compile(r"enter the code (\w+)")


@dataclass
class ThreadedTwitch:
    """A FakeTwitch served from its own thread; ``do`` runs a call on its loop."""

    fake: FakeTwitch
    loop: asyncio.AbstractEventLoop

    def do(self, fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout=10)

    def env(self) -> dict[str, str]:
        return {
            "STREAMPAI_TWITCH_EVENTSUB_URL": self.fake.eventsub_url,
            "STREAMPAI_TWITCH_API_URL": self.fake.api_url,
            "STREAMPAI_TWITCH_AUTH_URL": self.fake.auth_url,
            "STREAMPAI_TWITCH_CLIENT_ID": CLIENT_ID,
        }


def serve_in_thread(fake: FakeTwitch) -> Iterator[ThreadedTwitch]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-twitch", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(timeout=10)
    try:
        yield ThreadedTwitch(fake, loop)
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def twitch() -> Iterator[ThreadedTwitch]:
    fake = FakeTwitch(find_free_port(), keepalive_s=5)
    fake.add_user("1337", "cool_streamer", display_name="Cool_Streamer", followers=42)
    yield from serve_in_thread(fake)


@dataclass
class Terminal:
    """``streampai-desktop`` for one data folder, as a streamer's shell runs it."""

    data_dir: Path
    env: dict[str, str]

    def run(self, *args: str, stdin: str | None = None, timeout: float = 60) -> Any:
        return subprocess.run(
            [str(APP), *args, "--data-dir", str(self.data_dir)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """For a command that waits (``connect``): read its output while it runs."""
        return subprocess.Popen(
            [str(APP), *args, "--data-dir", str(self.data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )

    def json(self, *args: str) -> Any:
        import json

        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def platform(self, platform_id: str) -> dict[str, Any]:
        rows = self.json("platforms")["platforms"]
        return next(row for row in rows if row["id"] == platform_id)


def read_code(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    """The device code ``connect`` prints for the streamer to enter."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if match := CODE.search(line):
            return match.group(1)
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"connect printed no code: {''.join(seen)}{err}")


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


@pytest.fixture
def terminal(tmp_path: Path, twitch: ThreadedTwitch) -> Terminal:
    data = tmp_path / "data"
    return Terminal(data, app_env(data, **twitch.env()))


@pytest.fixture
def launch_app(tmp_path: Path, free_port: int) -> Iterator[Any]:
    with launcher(APP, tmp_path, free_port) as launch:
        yield launch
