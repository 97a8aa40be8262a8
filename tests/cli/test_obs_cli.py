"""``streampai-desktop obs connect | status | repair`` from a fresh shell against the fake OBS —
with the app stopped (the terminal talks to OBS itself) and running headless (the app does)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.cli.conftest import Terminal
from tests.conftest import find_free_port
from tests.e2e.conftest import app_env
from tests.fakes.obs import FakeObs

pytestmark = pytest.mark.e2e

T = TypeVar("T")
PASSWORD = "s3cret-obs-password"


@dataclass
class ThreadedObs:
    """A FakeObs served from its own thread, so the test can block on a subprocess."""

    fake: FakeObs
    loop: asyncio.AbstractEventLoop

    def do(self, coro_fn: Callable[[], Any]) -> Any:
        async def call() -> Any:
            result = coro_fn()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout=10)


@pytest.fixture
def obs() -> Iterator[ThreadedObs]:
    fake = FakeObs(find_free_port(), password=PASSWORD)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-obs", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(timeout=10)
    threaded = ThreadedObs(fake, loop)
    threaded.do(lambda: fake.add_scene("Live"))
    try:
        yield threaded
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def shell(tmp_path: Path) -> Terminal:
    data = tmp_path / "data"
    return Terminal(data, app_env(data))


def test_connect_and_status_with_the_app_stopped(shell: Terminal, obs: ThreadedObs) -> None:
    nothing = find_free_port()
    closed = shell.run("obs", "connect", "--url", f"127.0.0.1:{nothing}")
    assert closed.returncode == 7, closed.stderr
    assert "Saved, but OBS is not answering" in closed.stderr and "Start OBS" in closed.stderr
    status = shell.json("obs", "status")
    assert status["running"] is False and status["connected"] is False
    assert status["line"] == "OBS: not running"
    assert status["url"] == f"ws://127.0.0.1:{nothing}", "the address was saved"

    wrong = shell.run("obs", "connect", "--url", obs.fake.url, "--password-stdin", stdin="not it\n")
    assert wrong.returncode == 6, wrong.stderr
    assert "OBS refused the password" in wrong.stderr and "Show Connect Info" in wrong.stderr

    right = shell.run("obs", "connect", "--password-stdin", stdin=PASSWORD + "\n")
    assert right.returncode == 0, right.stderr
    assert "Connected to OBS 30.2.3 (obs-websocket 5.5.2)" in right.stdout
    assert "Scene: Scene (scenes: Scene, Live)" in right.stdout
    assert PASSWORD not in right.stdout + right.stderr

    obs.do(lambda: obs.fake.switch_scene("Live"))
    obs.do(obs.fake.start_stream)
    text = shell.run("obs", "status")
    assert text.returncode == 0, text.stderr
    assert "OBS: streaming" in text.stdout and "scene “Live”" in text.stdout
    assert PASSWORD.encode() not in (shell.data_dir / "streampai.db").read_bytes()


def test_status_connect_and_repair_through_the_running_app(
    shell: Terminal, obs: ThreadedObs, launch_app: Any
) -> None:
    setup = shell.run(
        "obs", "connect", "--url", obs.fake.url, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert setup.returncode == 0, setup.stderr
    app = launch_app("--headless", "--no-demo", data_dir=shell.data_dir, env=shell.env)
    app.wait_healthy()
    deadline = time.monotonic() + 15
    while (status := shell.json("obs", "status"))["connected"] is not True:
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["running"] is True and status["scene"] == "Scene"

    # The streamer made a source by hand long ago, before the token was regenerated.
    urls = app.urls()
    stale = f"http://localhost:{app.port + 1}/overlay/alert_box?token=an-old-token"
    obs.do(lambda: obs.fake.add_browser_source("Live", "My alerts", stale))
    foreign = "https://example.com/overlay/alert_box?token=someone-else"
    obs.do(lambda: obs.fake.add_browser_source("Live", "Other app", foreign))
    repaired = shell.run("obs", "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "Updated 1 OBS source(s)" in repaired.stdout
    assert "“My alerts” (scene Live)" in repaired.stdout and "an-old-token" not in repaired.stdout
    assert obs.fake.input("My alerts").settings["url"] == urls["overlays"]["alert_box"]
    assert obs.fake.input("Other app").settings["url"] == foreign
    again = json.loads(shell.run("obs", "repair", "--json").stdout)
    assert again == {"changed": []}

    # Changing the password through the running app reconnects it at once.
    obs.fake.password = "another"
    obs.do(obs.fake.kick_all)
    moved = shell.run("obs", "connect", "--password-stdin", stdin="another\n")
    assert moved.returncode == 0, moved.stderr
    assert shell.json("obs", "status")["connected"] is True
