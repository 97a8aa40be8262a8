"""``streampai-desktop connect facebook`` in a terminal, for real: fresh processes, the account
service (real PostgreSQL) and the fake Facebook in a thread of their own. After Facebook's Login
(opened on any device), a user with several Pages is told which there are and how to name one
(``--page``); naming one connects it."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from streampai_cloud.config import CloudConfig
from streampai_desktop.core.errors import EXIT_USAGE
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.e2e.conftest import APP, app_env
from tests.fakes.facebook import PAGE_ID, PAGE_NAME, FakeFacebook
from tests.platforms.facebook_world import FacebookService, start_service
from tests.platforms.kick_world import PASSWORD


@pytest.fixture
def facebook_thread(
    cloud_config: CloudConfig,  # noqa: F811
) -> Iterator[tuple[FakeFacebook, FacebookService]]:
    """The fake Facebook and the service, running on a loop in a thread of their own."""
    fake = FakeFacebook(find_free_port())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="facebook-world", daemon=True)
    thread.start()

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=30)

    run(fake.start())
    service = run(start_service(cloud_config, fake))
    try:
        yield fake, service
    finally:
        run(service.runner.cleanup())
        run(fake.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def app(data: Path, env: dict[str, str], *args: str, stdin: str = "") -> Any:
    return subprocess.run(
        [str(APP), *args, "--data-dir", str(data)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def connect(data: Path, env: dict[str, str], fake: FakeFacebook, *args: str) -> Any:
    """``connect facebook`` with the Login opened on another device (the streamer's phone)."""
    proc = subprocess.Popen(
        [str(APP), "connect", "facebook", "--no-browser", *args, "--data-dir", str(data)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "Open this address in a browser" in first, first + (
        proc.stderr.read() if proc.stderr else ""
    )
    url = proc.stdout.readline().strip()
    assert url.startswith(f"{fake.dialog_url}?"), url
    page = httpx.get(url, follow_redirects=True, timeout=10)
    assert page.status_code == 200, page.text
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def facebook_accounts(data: Path, env: dict[str, str]) -> list[str]:
    listed = app(data, env, "platforms", "--json")
    row = next(r for r in json.loads(listed.stdout)["platforms"] if r["id"] == "facebook")
    return [a["login"] for a in row["accounts"]]


def test_connect_facebook_with_a_page_named_in_a_terminal(
    tmp_path: Path, facebook_thread: tuple[FakeFacebook, FacebookService]
) -> None:
    fake, service = facebook_thread
    second = fake.add_page("Second Channel")
    data = tmp_path / "data"
    env = app_env(
        data,
        STREAMPAI_CLOUD_URL=service.url,
        STREAMPAI_FACEBOOK_API_URL=fake.graph_url,
        STREAMPAI_FACEBOOK_STREAMING_URL=fake.streaming_url,
    )
    email = f"{secrets.token_hex(6)}@example.com"
    signed = app(
        data, env, "account", "signin", email, "--register", "--password-stdin", stdin=PASSWORD
    )
    assert signed.returncode == 0, signed.stdout + signed.stderr

    # Two Pages and none named: which there are, and how to name one.
    unnamed = connect(data, env, fake)
    assert unnamed.returncode == EXIT_USAGE, unnamed.stdout + unnamed.stderr
    said = unnamed.stdout + unnamed.stderr
    assert f"{PAGE_NAME} (id {PAGE_ID})" in said and f"Second Channel (id {second.id})" in said
    assert "--page NAME" in said
    assert facebook_accounts(data, env) == []

    named = connect(data, env, fake, "--page", "second channel")
    assert named.returncode == 0, named.stdout + named.stderr
    assert "Connected Facebook as Second Channel" in named.stdout

    assert facebook_accounts(data, env) == ["Second Channel"]
    # The Page's token is in the secret store (the 0600 file here), never in the database.
    secrets_files = [p for p in data.rglob("*secret*") if p.is_file()]
    assert any(f"facebook:{second.id}:page_token" in p.read_text() for p in secrets_files)
    assert not any(f"facebook:{PAGE_ID}:" in p.read_text() for p in secrets_files)

    gone = app(data, env, "disconnect", "facebook")
    assert gone.returncode == 0, gone.stderr
    assert not any("facebook:" in p.read_text() for p in secrets_files)
