"""``streampai-desktop connect youtube`` in a terminal: the generic device-code path, for real
(a fresh process, the fake Google in a thread of its own)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.conftest import find_free_port
from tests.e2e.conftest import APP, app_env
from tests.fakes.youtube import CLIENT_ID, CLIENT_SECRET, FakeYouTube

T = TypeVar("T")
CODE = re.compile(r"enter the code ([\w-]+)")


@pytest.fixture
def youtube_thread() -> Iterator[tuple[FakeYouTube, Callable[[Callable[[], T]], T]]]:
    fake = FakeYouTube(find_free_port())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-youtube", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(timeout=10)

    def do(fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=10)

    try:
        yield fake, do
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_connect_youtube_in_a_terminal(
    tmp_path: Path, youtube_thread: tuple[FakeYouTube, Callable[..., object]]
) -> None:
    fake, do = youtube_thread
    data = tmp_path / "data"
    env = app_env(
        data,
        STREAMPAI_YOUTUBE_AUTH_URL=fake.auth_url,
        STREAMPAI_YOUTUBE_API_URL=fake.api_url,
        STREAMPAI_YOUTUBE_CLIENT_ID=CLIENT_ID,
        STREAMPAI_YOUTUBE_CLIENT_SECRET=CLIENT_SECRET,
    )
    proc = subprocess.Popen(
        [str(APP), "connect", "youtube", "--data-dir", str(data)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = CODE.search(line)
    assert match, line + (proc.stderr.read() if proc.stderr else "")
    assert "https://www.google.com/device" in line
    do(lambda: fake.approve_device(match.group(1)))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert "Cool Streamer" in out or "@coolstreamer" in out

    listed = subprocess.run(
        [str(APP), "platforms", "--json", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    row = next(r for r in json.loads(listed.stdout)["platforms"] if r["id"] == "youtube")
    assert [a["login"] for a in row["accounts"]] == ["@coolstreamer"]
    # The tokens are in the secret store (the 0600 file here), never in the database.
    secrets_files = list(data.rglob("*secret*"))
    assert any("youtube:" in p.read_text() for p in secrets_files if p.is_file())

    gone = subprocess.run(
        [str(APP), "disconnect", "youtube", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert gone.returncode == 0, gone.stderr
    assert do(lambda: len(fake.revoked)) == 1  # the grant is revoked at Google too
    assert not any("youtube:" in p.read_text() for p in secrets_files if p.is_file())
