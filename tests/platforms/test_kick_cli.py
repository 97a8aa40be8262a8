"""``streampai-desktop connect kick`` in a terminal, for real: fresh processes, the account
service (real PostgreSQL) and the fake Kick in a thread of their own. Kick goes through the
Streampai account, so the terminal says to sign in to one first; once signed in, it prints
Kick's address (the browser may be on any device) and completes when the service has the
answer."""

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
from streampai_desktop.core.errors import EXIT_NOT_CONNECTED
from streampai_desktop.platforms.kick.auth import ACCOUNT_NEEDED
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.e2e.conftest import APP, app_env
from tests.fakes.kick import FakeKick, KickUser
from tests.platforms.kick_world import PASSWORD, KickService, start_service


@pytest.fixture
def kick_thread(cloud_config: CloudConfig) -> Iterator[tuple[FakeKick, KickService]]:  # noqa: F811
    """The fake Kick and the service, running on a loop in a thread of their own."""
    user_id = 10**9 + secrets.randbelow(10**9)
    fake = FakeKick(find_free_port(), user=KickUser(user_id, f"Terminal{user_id}"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="kick-world", daemon=True)
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


def app(
    data: Path, env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(APP), *args, "--data-dir", str(data)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_connect_kick_in_a_terminal(
    tmp_path: Path, kick_thread: tuple[FakeKick, KickService]
) -> None:
    fake, service = kick_thread
    data = tmp_path / "data"
    env = app_env(
        data,
        STREAMPAI_CLOUD_URL=service.url,
        STREAMPAI_KICK_API_URL=fake.api_url,
        STREAMPAI_KICK_AUTH_URL=fake.auth_url,
    )

    refused = app(data, env, "connect", "kick", "--no-browser")
    assert refused.returncode == EXIT_NOT_CONNECTED, refused.stdout + refused.stderr
    assert ACCOUNT_NEEDED in refused.stderr + refused.stdout

    email = f"{secrets.token_hex(6)}@example.com"
    signed = app(
        data,
        env,
        "account",
        "signin",
        email,
        "--register",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert signed.returncode == 0, signed.stdout + signed.stderr

    proc = subprocess.Popen(
        [str(APP), "connect", "kick", "--no-browser", "--data-dir", str(data)],
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
    assert url.startswith(f"{fake.auth_url}/oauth/authorize?"), url
    # The streamer opens it on their phone: Kick, then the service's page.
    page = httpx.get(url, follow_redirects=True, timeout=10)
    assert page.status_code == 200 and "Kick is connected" in page.text
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert f"Connected Kick as {fake.user.name}" in out

    listed = app(data, env, "platforms", "--json")
    row = next(r for r in json.loads(listed.stdout)["platforms"] if r["id"] == "kick")
    assert [a["login"] for a in row["accounts"]] == [fake.user.name]
    # Kick's tokens are in the secret store (the 0600 file here), never in the database.
    secrets_files = [p for p in data.rglob("*secret*") if p.is_file()]
    assert any(f"kick:{fake.user.user_id}:tokens" in p.read_text() for p in secrets_files)

    gone = app(data, env, "disconnect", "kick")
    assert gone.returncode == 0, gone.stderr
    assert len(fake.revoked) == 1  # the refresh token is revoked at Kick too
    assert not any("kick:" in p.read_text() for p in secrets_files)
