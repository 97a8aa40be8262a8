"""Two computers, one account: a setting changed on one reaches the other's overlay page in
Chromium, through the real account service on the real PostgreSQL; a viewer's donation reaches
both as an alert event. Offline edits of one widget merge per setting (the later edit of a
setting wins, the losing computer says so and can use its own value instead); a burst of
edits all arrive at once; an edit survives kill -9 right after it."""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.app import App, AppOptions
from streampai_desktop.cloud.engine import ChoiceRequired, describe
from streampai_desktop.core.events import Donation
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.e2e.test_overlays import Stage, poll

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def service(cloud_config: CloudConfig) -> AsyncIterator[str]:  # noqa: F811
    runner = web.AppRunner(create_app(cloud_config))
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def start_app(data_dir: Path, service: str, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("STREAMPAI_CLOUD_URL", service)
    app = App(
        AppOptions(
            data_dir=data_dir, port=find_free_port(), headless=True, demo=False, log_to_file=False
        )
    )
    await app.start()
    return app


async def wait_until(predicate, seconds: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_a_setting_reaches_the_other_computers_overlay(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser
) -> None:
    email = f"{secrets.token_hex(6)}@example.com"
    first = await start_app(tmp_path / "first", service, monkeypatch)
    second = await start_app(tmp_path / "second", service, monkeypatch)
    try:
        config = copy.deepcopy(first.widgets["chat_box"].config)
        config["font_size"] = 31
        await first.widgets.save_config("chat_box", config)  # before signing in: offline edit
        handle = f"streamer_{secrets.token_hex(4)}"
        await first.account.sign_in(email, PASSWORD, register=True, handle=handle)

        with pytest.raises(ChoiceRequired):  # both sides have a config: the user must choose
            await second.account.sign_in(email, PASSWORD)
        assert second.widgets["chat_box"].config["font_size"] == 20, "nothing changed yet"
        await second.account.sign_in(email, PASSWORD, keep="account")
        assert second.widgets["chat_box"].config["font_size"] == 31

        stage = Stage(second, browser)
        page = await stage.open("chat_box")
        config["text_color"] = "#00ff00"
        await first.widgets.save_config("chat_box", config)
        # The live channel tells the second computer; it pulls and pushes the config to OBS.
        assert await wait_until(
            lambda: second.widgets["chat_box"].config["text_color"] == "#00ff00", 10
        ), "the edit reached the second computer"
        event_id = await stage.post({"kind": "chat_message", "text": "synced"})
        text = page.locator(f'[data-event-id="{event_id}"]').get_by_test_id("chat-text")
        await text.wait_for(timeout=5000)
        assert await poll(
            page,
            "el => getComputedStyle(el).color === 'rgb(0, 255, 0)'",
            await text.element_handle(),
        ), "the open overlay re-rendered with the other computer's setting, without a reload"
        await stage.http.aclose()

        # A viewer donates on the streamer's public page: both desktops get the alert event.
        seen: dict[int, list[Donation]] = {id(app): [] for app in (first, second)}
        subs = {id(app): app.bus.subscribe("events") for app in (first, second)}
        async with httpx.AsyncClient(base_url=service) as http:
            response = await http.post(
                f"/v1/donate/{handle}",
                json={
                    "name": "Generous",
                    "amount": 500,
                    "currency": "USD",
                    "message": "gg",
                    "payment_token": "tok_visa",
                },
            )
            assert response.status_code in (200, 201, 202), response.text

        async def collect(app: App) -> None:
            while not seen[id(app)]:
                message = await subs[id(app)].get()
                if isinstance(message.payload, Donation):
                    seen[id(app)].append(message.payload)

        await asyncio.wait_for(asyncio.gather(collect(first), collect(second)), 10)
        for donations in seen.values():
            assert donations[0].amount.minor == 500 and donations[0].message == "gg"
    finally:
        await first.shutdown()
        await second.shutdown()


async def signed_in_pair(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[App, App]:
    email = f"{secrets.token_hex(6)}@example.com"
    first = await start_app(tmp_path / "first", service, monkeypatch)
    second = await start_app(tmp_path / "second", service, monkeypatch)
    await first.account.sign_in(email, PASSWORD, register=True)
    await second.account.sign_in(email, PASSWORD, keep="account")
    return first, second


async def go_offline(app: App) -> None:
    """The network is gone: nothing is pushed or pulled (edits wait in the outbox)."""
    # Once the live socket is up (a socket dropped mid-handshake is logged by the service).
    assert await wait_until(lambda: app.account.live.connected, 10)
    await app.account.live.stop()
    await app.account.sync.stop()


async def edit_chat(app: App, **settings: object) -> None:
    config = {**copy.deepcopy(app.widgets["chat_box"].config), **settings}
    await app.widgets.save_config("chat_box", config)


def chat(app: App, key: str) -> object:
    return app.widgets["chat_box"].config[key]


async def test_offline_edits_of_one_widget_merge_per_setting_and_the_loser_is_told(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = await signed_in_pair(service, tmp_path, monkeypatch)
    try:
        await go_offline(first)
        await go_offline(second)
        await edit_chat(second, font_size=28, max_messages=12)  # earlier
        await asyncio.sleep(0.01)
        await edit_chat(first, font_size=36, text_color="#00ff00")  # later
        first.account.resume()
        second.account.resume()

        def settled(app: App) -> bool:
            return (
                chat(app, "font_size") == 36  # the same setting: the later edit
                and chat(app, "max_messages") == 12  # different settings: both kept
                and chat(app, "text_color") == "#00ff00"
            )

        assert await wait_until(lambda: settled(first) and settled(second), 15)
        assert await wait_until(lambda: bool(second.account.sync.status.conflicts), 5)
        [lost] = second.account.sync.status.conflicts
        text = describe(lost)
        assert "Font size" in text and "Chat Box" in text and "(28)" in text and "(36)" in text
        assert first.account.sync.status.conflicts == []

        # "Use mine instead" on the computer whose edit lost: its value wins everywhere.
        assert await second.account.use_mine(lost)
        assert await wait_until(
            lambda: chat(first, "font_size") == 28 and chat(second, "font_size") == 28, 10
        ), "the re-applied value reached the other computer"
        assert second.account.sync.status.conflicts == []
    finally:
        await first.shutdown()
        await second.shutdown()


async def test_a_burst_of_edits_all_reach_the_other_computer_at_once(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits 0-100 ms apart, each of a different setting: all arrive within the normal latency
    (the poll timer is 30 s, so none may wait for it)."""
    first, second = await signed_in_pair(service, tmp_path, monkeypatch)
    try:
        burst = [
            ("font_size", 21, 0),
            ("max_messages", 9, 0),
            ("text_color", "#112233", 0.001),
            ("font_size", 22, 0.02),
            ("background_color", "#000000", 0.1),
            ("lifetime_s", 45, 0),
            ("font_size", 23, 0.05),
        ]
        loop = asyncio.get_running_loop()
        for key, value, gap in burst:
            await asyncio.sleep(gap)
            await edit_chat(first, **{key: value})
        done_at = loop.time()
        final = {key: value for key, value, _ in burst}
        assert await wait_until(lambda: all(chat(second, k) == v for k, v in final.items()), 5), {
            k: chat(second, k) for k in final
        }
        assert loop.time() - done_at < 5
    finally:
        await first.shutdown()
        await second.shutdown()


async def test_an_edit_survives_kill_9_right_after_it(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, launch_app
) -> None:
    from tests.e2e.conftest import app_env

    email = f"{secrets.token_hex(6)}@example.com"
    second = await start_app(tmp_path / "second", service, monkeypatch)
    try:
        await second.account.sign_in(email, PASSWORD, register=True)
        data = tmp_path / "killed"
        env = app_env(data, STREAMPAI_CLOUD_URL=service)
        proc = launch_app("--headless", data_dir=data, env=env)
        await asyncio.to_thread(proc.wait_healthy)
        api = (await asyncio.to_thread(proc.urls))["api"]
        headers = {"Authorization": f"Bearer {api['token']}"}
        async with httpx.AsyncClient(base_url=proc.base, headers=headers) as http:
            signed = await http.post(
                "/api/v1/account/signin",
                json={"email": email, "password": PASSWORD, "keep": "account"},
                timeout=30,
            )
            assert signed.status_code == 200, signed.text
            config = (await http.get("/api/v1/widgets", timeout=10)).json()
            chat_box = next(w for w in config if w["id"] == "chat_box")["config"]
            saved = await http.put(
                "/api/v1/widgets/chat_box/config", json={**chat_box, "font_size": 33}, timeout=10
            )
            assert saved.status_code == 200, saved.text
        proc.proc.kill()  # kill -9 right after the edit: it is in the outbox, or already sent
        proc.proc.wait()
        proc.close()
        again = launch_app("--headless", data_dir=data, env=env)
        await asyncio.to_thread(again.wait_healthy)
        assert await wait_until(lambda: chat(second, "font_size") == 33, 15), (
            "the edit reached the other computer after the restart"
        )
    finally:
        await second.shutdown()
