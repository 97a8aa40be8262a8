"""What a streamer sees of sync on a headless computer: ``account status``, ``status``,
``GET /api/v1/status`` and ``GET /api/v1/account`` say who is signed in, whether sync is online
or offline and since when, the last sync, the changes waiting and the notices — while the
account service is stopped and after it is back — and the app's log file has a line for going
offline, coming back and a conflict resolved. The real service on PostgreSQL, stopped and
started again on the same port; the real app as a process."""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.cloud.transport import row_uuid
from tests.cli.conftest import Terminal
from tests.cloud.conftest import PASSWORD, cloud_config, media_root  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.e2e.conftest import app_env

pytestmark = pytest.mark.e2e


class RestartableService:
    """The account service on a fixed port, in a thread with its own loop: ``stop`` takes it
    off the network (as an outage does), ``start`` brings it back on the same address."""

    def __init__(self, config: CloudConfig) -> None:
        self.config = config
        self.port = find_free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner: web.AppRunner | None = None

    def _do(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def start(self, first: Callable[[str], None] | None = None) -> None:
        """Back on the network; ``first(url)`` runs before the app can reach it, through a
        side door only the test knows (so what it does lands first, whatever the app's retry
        timing)."""

        async def up() -> None:
            self.runner = web.AppRunner(create_app(self.config))
            await self.runner.setup()

        async def open_site(port: int) -> web.TCPSite:
            assert self.runner is not None
            site = web.TCPSite(self.runner, "127.0.0.1", port)
            await site.start()
            return site

        self._do(up())
        if first is not None:
            side_port = find_free_port()
            side = self._do(open_site(side_port))
            first(f"http://127.0.0.1:{side_port}")
            self._do(side.stop())
        self._do(open_site(self.port))

    def stop(self) -> None:
        if self.runner is not None:
            self._do(self.runner.cleanup())
            self.runner = None

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def service(cloud_config: CloudConfig) -> Iterator[RestartableService]:  # noqa: F811
    running = RestartableService(cloud_config)
    running.start()
    yield running
    running.close()


def wait_for(check: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"never: {what}")


def iso_utc(text: str | None) -> datetime:
    assert text and text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def another_computer_sets(base_url: str, email: str, value: int) -> None:
    """A second computer's edit of the chat box's Max messages, stamped a moment after now."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        body = http.post("/v1/auth/signin", json={"email": email, "password": PASSWORD}).json()
        stamp = f"{int(time.time() * 1000):015d}:000000:other-computer"
        mutation = {
            "device_id": body["device_id"],
            "seq": 1,
            "entity": "widget_config",
            "row_id": row_uuid("widget_config", "chat_box"),
            "patch": {"config.max_messages": value, "local_id": "chat_box"},
            "stamp": stamp,
        }
        pushed = http.post(
            "/v1/sync/push",
            json={"mutations": [mutation]},
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert pushed.status_code == 200, pushed.text


def test_sync_status_while_the_service_is_down_and_after_it_is_back(
    tmp_path: Path, service: RestartableService, launch_app: Any
) -> None:
    data = tmp_path / "data"
    shell = Terminal(data, app_env(data, STREAMPAI_CLOUD_URL=service.base_url))
    email = f"status-{secrets.token_hex(5)}@example.com"
    signed = shell.run("account", "signin", email, "--register", "--password-stdin", stdin=PASSWORD)
    assert signed.returncode == 0, signed.stderr

    app = launch_app("--headless", "--no-demo", data_dir=data, env=shell.env)
    app.wait_healthy()
    token = app.urls()["api"]["token"]
    with httpx.Client(base_url=app.base, headers={"Authorization": f"Bearer {token}"}) as api:
        check_online_offline_and_back(shell, service, api, email)
    assert app.stop() == 0
    log = (data / "logs" / "streampai.log").read_text(encoding="utf-8")
    assert re.search(r"INFO .*sync is offline: cannot reach ", log), log
    assert re.search(r"INFO .*sync is back: up to date", log), log
    assert re.search(r"INFO .*sync: Your change to .* was replaced by a later change", log), log
    assert log.index("sync is offline") < log.index("sync is back")


def check_online_offline_and_back(
    shell: Terminal, service: RestartableService, api: httpx.Client, email: str
) -> None:

    def sync_block() -> dict[str, Any]:
        return api.get("/api/v1/status").json()["sync"]

    # Online: the status says so, since when, and who is signed in.
    online = wait_for(lambda: (s := sync_block())["online"] and s, "sync online")
    assert online["state"] == "up_to_date" and online["signed_in_as"] == email
    assert online["pending"] == 0 and online["notices"] == []
    online_since = iso_utc(online["since"])
    assert iso_utc(online["last_synced_at"]) >= online_since
    text = shell.run("account", "status").stdout
    assert f"Signed in as {email}" in text
    assert re.search(r"^Online since \d\d:\d\d \(\d+ s\)$", text, re.M), text
    assert "Sync: up to date; last sync " in text

    # The service goes away; an edit on this computer waits for it.
    service.stop()
    config = api.get("/api/v1/widgets").json()
    chat = next(w for w in config if w["id"] == "chat_box")["config"]
    saved = api.put("/api/v1/widgets/chat_box/config", json={**chat, "max_messages": 33})
    assert saved.status_code == 200, saved.text
    offline = wait_for(lambda: (s := sync_block())["online"] is False and s, "sync offline")
    went_offline = iso_utc(offline["since"])
    assert offline["state"] == "offline" and "cannot reach" in offline["detail"]
    assert went_offline > online_since
    assert offline["pending"] == 1 and offline["signed_in_as"] == email, "known offline too"
    account = api.get("/api/v1/account").json()
    assert account["sync"]["online"] is False and account["sync"]["since"] == offline["since"]
    assert account["sync"]["signed_in_as"] == email and account["sync"]["pending"] == 1
    assert "error" in account, "the service could not be asked for the account's computers"
    text = shell.run("account", "status").stdout
    assert f"Signed in as {email}" in text, "who is signed in is known without the service"
    assert re.search(r"^Offline since \d\d:\d\d \(\d+ s\): cannot reach ", text, re.M), text
    assert "1 change(s) waiting to upload" in text
    assert "  Offline since" in shell.run("status").stdout

    # Another computer changes the same setting before this one reaches the service again.
    service.start(first=lambda url: another_computer_sets(url, email, 44))
    back = wait_for(
        lambda: (s := sync_block())["online"] and s["notices"] and s, "back, with the conflict"
    )
    assert iso_utc(back["since"]) > went_offline and back["pending"] == 0
    assert iso_utc(back["last_synced_at"]) >= iso_utc(back["since"])
    [notice] = back["notices"]
    assert "replaced by a later change from another computer (44)" in notice
    text = shell.run("account", "status").stdout
    assert re.search(r"^Online since \d\d:\d\d \(\d+ s\)$", text, re.M), text
    assert f"  ! {notice}" in text
