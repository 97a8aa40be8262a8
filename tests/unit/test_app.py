"""The composition root, in-process on a plain asyncio loop (no Qt): start, run, stop."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import aiohttp
import pytest

from streampai_desktop.app import App, AppOptions
from streampai_desktop.core.events import Follow, Platform
from streampai_desktop.instance import AlreadyRunningError, running_instance
from streampai_desktop.secrets import OVERLAY_TOKEN
from streampai_desktop.server import PortInUseError
from streampai_desktop.store import open_database, operations
from streampai_desktop.stream import event_log


def options(tmp_path: Path, port: int, **kw) -> AppOptions:
    return AppOptions(data_dir=tmp_path / "data", port=port, headless=True, log_to_file=False, **kw)


async def test_start_serve_log_events_and_stop(tmp_path: Path, free_port: int) -> None:
    app = App(options(tmp_path, free_port, demo=False))
    await app.start()
    try:
        assert running_instance(app.data_dir).port == free_port
        urls = app.overlay_urls()
        assert set(urls) == {"alert_box", "chat_box"}
        async with aiohttp.ClientSession() as http, http.get(urls["alert_box"]) as resp:
            assert resp.status in (200, 503)  # 503 only when the overlay bundle is not built
        for i in range(3):
            await app.ingest.submit(Follow(platform=Platform.TWITCH, id=f"f{i}"))
        assert await app.ingest.submit(Follow(platform=Platform.TWITCH, id="f0")) is False
    finally:
        await app.shutdown()
        await app.shutdown()  # idempotent
    assert running_instance(app.data_dir) is None
    opened = open_database(app.data_dir)
    try:
        logged = event_log.recent_events(opened.db, 10)
    finally:
        opened.db.close()
    assert sorted(e.id for e in logged) == ["f0", "f1", "f2"], "flushed to the event log on stop"


async def test_demo_is_on_when_no_account_is_connected(tmp_path: Path, free_port: int) -> None:
    app = App(options(tmp_path, free_port))
    await app.start()
    try:
        assert app.demo.on
        assert "no account is connected" in app.demo.reason
        events = app.bus.subscribe("events")
        first = await asyncio.wait_for(events.get(), 10)
        assert first.payload.test is True
    finally:
        await app.shutdown()


async def test_failed_start_undoes_earlier_steps(tmp_path: Path, free_port: int) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", free_port))
        squatter.listen()
        app = App(options(tmp_path, free_port, demo=False))
        with pytest.raises(PortInUseError):
            await app.start()
    assert running_instance(app.data_dir) is None, "the instance lock was released"
    again = App(options(tmp_path, free_port, demo=False))
    await again.start()
    await again.shutdown()


async def test_port_in_use_handler_picks_the_replacement_and_saves_it(
    tmp_path: Path, free_port: int
) -> None:
    offered: list[int | None] = []

    async def choose(exc: PortInUseError) -> int | None:
        offered.append(exc.suggestion)
        return exc.suggestion

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", free_port))
        squatter.listen()
        app = App(
            AppOptions(data_dir=tmp_path / "d", headless=True, demo=False, log_to_file=False),
            on_port_in_use=choose,
        )
        # The saved port is the taken one.
        opened = open_database(app.data_dir)
        operations.save_preference(opened.db, "overlay_port", free_port)
        opened.db.close()
        await app.start()
    try:
        assert offered and app.port == offered[0] != free_port
        assert app.settings.overlay_port == app.port
    finally:
        await app.shutdown()


async def test_second_app_on_same_folder_is_refused(tmp_path: Path, free_port: int) -> None:
    first = App(options(tmp_path, free_port, demo=False))
    await first.start()
    try:
        with pytest.raises(AlreadyRunningError, match=f"overlay port {free_port}"):
            await App(options(tmp_path, free_port + 1, demo=False)).start()
    finally:
        await first.shutdown()


async def test_regenerated_overlay_token_locks_out_the_old_url(
    tmp_path: Path, free_port: int
) -> None:
    app = App(options(tmp_path, free_port, demo=False))
    await app.start()
    try:
        old = app.overlay_urls()["chat_box"]
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(old.replace("/overlay/chat_box", "/overlay/ws"))
            await ws.send_json({"type": "subscribe", "id": "1", "data": {"widget": "chat_box"}})
            await ws.receive(timeout=5)
            await app.overlays.regenerate_token(OVERLAY_TOKEN)
            closed = False
            for _ in range(5):
                msg = await ws.receive(timeout=5)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    closed = True
                    break
            assert closed, "open pages with the old token are disconnected"
            async with http.get(old) as resp:
                assert resp.status == 401
        assert app.overlay_urls()["chat_box"] != old
    finally:
        await app.shutdown()


async def test_config_save_reaches_the_bus_and_survives_restart(
    tmp_path: Path, free_port: int
) -> None:
    app = App(options(tmp_path, free_port, demo=False))
    await app.start()
    configs = app.bus.subscribe("widget_config:chat_box")
    cleaned = await app.widgets.save_config("chat_box", {"max_messages": 12})
    assert cleaned["max_messages"] == 12 and cleaned["theme"] == "boxed", "defaults filled in"
    notice = (await configs.get()).payload
    assert (notice.widget_id, notice.config, notice.origin) == ("chat_box", cleaned, "editor")
    await app.shutdown()
    again = App(options(tmp_path, free_port, demo=False))
    await again.start()
    try:
        assert again.widgets["chat_box"].config["max_messages"] == 12
    finally:
        await again.shutdown()


@pytest.mark.allow_logs(r"^test: token")
async def test_secrets_never_reach_the_log_file(tmp_path: Path, free_port: int) -> None:
    app = App(
        AppOptions(
            data_dir=tmp_path / "data", port=free_port, headless=True, demo=False, verbose=True
        )
    )
    await app.start()
    logging.getLogger("test").info("pasted %s", app.overlay_urls()["alert_box"])
    logging.getLogger("test").warning("token %s", app.tokens.api)
    await app.shutdown()
    text = (app.data_dir / "logs" / "streampai.log").read_text()
    assert "pasted http://127.0.0.1" in text and "token=***" in text and "token ***" in text
    assert app.tokens.overlay not in text and app.tokens.api not in text


async def test_port_change_moves_the_server_or_leaves_it_untouched(
    tmp_path: Path, free_port: int
) -> None:
    app = App(options(tmp_path, free_port, demo=False))
    await app.start()
    try:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", 0))
            squatter.listen()
            taken = squatter.getsockname()[1]
            with pytest.raises(PortInUseError):
                await app.overlays.change_port(taken)
        assert app.port == free_port
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{free_port}/healthz") as resp:
                assert resp.status == 200, "the old port still serves"
            new_port = free_port + 7
            await app.overlays.change_port(new_port)
            assert app.port == new_port and running_instance(app.data_dir).port == new_port
            ws = await http.ws_connect(
                app.overlay_urls()["alert_box"].replace("/overlay/alert_box", "/overlay/ws")
            )
            await ws.send_json({"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}})
            await ws.receive(timeout=5)
            await ws.receive(timeout=5)
            await app.ingest.submit(Follow(platform=Platform.TWITCH, id="after-move"))
            message = await ws.receive(timeout=5)
            assert '"after-move"' in message.data, "events reach pages on the new port"
            await ws.close()
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.get(f"http://127.0.0.1:{free_port}/healthz")
        assert app.settings.overlay_port == new_port
    finally:
        await app.shutdown()


async def test_widget_config_over_the_local_api(tmp_path: Path, free_port: int) -> None:
    app = App(options(tmp_path, free_port, demo=False))
    await app.start()
    headers = {"Authorization": f"Bearer {app.tokens.api}"}
    base = f"http://127.0.0.1:{free_port}/api/v1/widgets"
    try:
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(base) as resp:
                widgets = {w["id"]: w for w in await resp.json()}
            assert set(widgets) == {"alert_box", "chat_box"}
            config = {**widgets["chat_box"]["config"], "font_size": 999}
            async with http.put(f"{base}/chat_box/config", json=config) as resp:
                assert resp.status == 422
                assert (
                    "Font size must be at most 64" in (await resp.json())["problems"]["font_size"]
                )
            assert app.widgets["chat_box"].config["font_size"] == 20, "nothing saved"
            config["font_size"] = 30
            async with http.put(f"{base}/chat_box/config", json=config) as resp:
                assert resp.status == 200
            assert app.widgets["chat_box"].config["font_size"] == 30
            async with http.put(f"{base}/nope/config", json=config) as resp:
                assert resp.status == 404
    finally:
        await app.shutdown()


async def test_synced_edits_queue_an_outbox_entry_in_the_same_transaction(
    tmp_path: Path, free_port: int
) -> None:
    from streampai_desktop.store import OutboxRepo

    app = App(options(tmp_path, free_port, demo=False))
    await app.start()
    try:
        await app.widgets.save_config("chat_box", {"max_messages": 7})
        extra = await app.widgets.create("chat_box", "Second chat")
        await app.widgets.delete(extra.id)
        await app.preferences.save("theme", "dark")
        # This computer's own: never synced.
        await app.preferences.save("overlay_port", free_port + 3)

        def pending() -> list:
            with app.db.session() as session:
                return OutboxRepo(session).pending()

        entries = await app.run_db(pending)
    finally:
        await app.shutdown()
    assert [(e.entity, e.row_id) for e in entries] == [
        ("widget_config", "chat_box"),
        ("widget_config", extra.id),
        ("widget_config", extra.id),
        ("preference", "theme"),
    ]
    assert entries[0].patch["config.max_messages"] == 7, "each setting synced on its own"
    assert entries[2].patch is None, "a delete"
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
