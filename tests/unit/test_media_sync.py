"""Picked media follow the config to the other computer, and overlays never name a file that is
not there.

Each computer here is real (its own SQLite file, secret file, widget service, sync engine and
HTTP session); the account service is a small stand-in: a relay for push/pull (the engine's
transport protocol) and the three media routes plus token refresh over real HTTP on 127.0.0.1,
answering as streampai_cloud does (tests/e2e/test_sync_media.py runs the real service).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from streampai_desktop.cloud.engine import (
    Change,
    PullPage,
    PushResult,
    RetryLater,
    SyncEngine,
)
from streampai_desktop.cloud.media import MediaMover, stored_media_refs
from streampai_desktop.cloud.transport import REFRESH_TOKEN, AccountSession
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Follow, Platform
from streampai_desktop.core.notices import WidgetConfigChanged, notice_topics
from streampai_desktop.secrets import FileBackend, SecretStore, new_token
from streampai_desktop.server import OverlayServer, ServerContext
from streampai_desktop.server.context import Tokens
from streampai_desktop.server.emotes import EmoteCache
from streampai_desktop.store import OutboxRepo, open_database
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.widgets import alert_box
from streampai_desktop.widgets.alert_planner import AlertPlanner
from streampai_desktop.widgets.media import media_dir, with_available_media
from streampai_desktop.widgets.service import WidgetService
from tests.conftest import find_free_port

FOLLOW_DEFAULT = "builtin/follow.svg"


def picture(seed: bytes, size: int = 4096) -> bytes:
    """Bytes that start like a PNG (all the app checks of a picked file's content)."""
    return b"\x89PNG\r\n\x1a\n" + (seed * size)[:size]


def ref_of(data: bytes) -> str:
    return f"user/{hashlib.sha256(data).hexdigest()}.png"


# --- what overlays are sent -----------------------------------------------------------------


def test_missing_media_become_the_setting_default_and_the_stored_config_is_untouched() -> None:
    here, missing = ref_of(b"here"), ref_of(b"missing")
    defaults = alert_box.defaults()
    config = copy.deepcopy(defaults)
    follow = config["types"]["follow"]
    follow["image"] = missing
    follow["sound"] = here
    follow["variations"] = [
        {"name": "big", "weight": 1, "conditions": [], "overrides": {"image": missing}},
        {"name": "mine", "weight": 1, "conditions": [], "overrides": {"image": here}},
    ]
    config["types"]["raid"]["sound"] = missing
    stored = copy.deepcopy(config)

    shown = with_available_media(config, defaults, lambda ref: ref == here)

    assert config == stored, "the stored config keeps the streamer's refs"
    assert shown["types"]["follow"]["image"] == FOLLOW_DEFAULT
    assert shown["types"]["follow"]["sound"] == here, "a file this computer has stays"
    # A variation's override falls back to its alert type's own default for that setting.
    assert shown["types"]["follow"]["variations"][0]["overrides"]["image"] == FOLLOW_DEFAULT
    assert shown["types"]["follow"]["variations"][1]["overrides"]["image"] == here
    assert (
        shown["types"]["raid"]["sound"] == defaults["types"]["raid"]["sound"] == "builtin/horn.wav"
    )
    assert not any(r == missing for r in json.dumps(shown).split('"'))


def test_nothing_missing_means_the_config_itself_and_no_default_means_empty() -> None:
    config = {"image": ref_of(b"a"), "nested": {"clip": ref_of(b"b")}}
    assert with_available_media(config, {}, lambda ref: True) is config
    shown = with_available_media(config, {"image": FOLLOW_DEFAULT}, lambda ref: False)
    assert shown == {"image": FOLLOW_DEFAULT, "nested": {"clip": ""}}


# --- a stand-in account service ---------------------------------------------------------------


class Relay:
    """The engine's transport: pushes become pulled changes for every computer, in order."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls
        self.changes: list[Change] = []

    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]:
        self.calls.append("push")
        for m in mutations:
            fields = m["patch"] if m["patch"] is None else dict(m["patch"])
            self.changes.append(Change(m["entity"], m["row_id"], len(self.changes) + 1, fields))
        return [PushResult(m["seq"], "applied", len(self.changes)) for m in mutations]

    async def pull(self, since: int, limit: int) -> PullPage:
        self.calls.append("pull")
        page = self.changes[since : since + limit]
        return PullPage(page, since + len(page), since + len(page) < len(self.changes))


class MediaService:
    """``PUT``/``HEAD``/``GET /v1/media/{sha256}`` and ``POST /v1/auth/refresh``, answering as
    the account service does (bearer tokens, the error shape, 413 with a sentence)."""

    def __init__(self, calls: list[str], limit: int = 25 * 1024 * 1024) -> None:
        self.calls = calls
        self.limit = limit
        self.files: dict[str, bytes] = {}
        self.tokens: set[str] = set()
        self.serve_instead: dict[str, bytes] = {}  # sha → other bytes (a damaged transfer)
        self.unavailable = False  # 503 on the media routes: the network is in trouble
        self.on_get: list[Any] = []  # callbacks run when a GET arrives (what the DB held then)
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/auth/refresh", self.refresh)
        app.router.add_put("/v1/media/{sha}", self.put)
        app.router.add_get("/v1/media/{sha}", self.get)  # and HEAD
        return app

    @staticmethod
    def error(status: int, code: str, message: str) -> web.Response:
        return web.json_response({"error": {"code": code, "message": message}}, status=status)

    async def refresh(self, request: web.Request) -> web.Response:
        token = new_token()
        self.tokens.add(token)
        return web.json_response({"access_token": token, "refresh_token": new_token()})

    def authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "").removeprefix("Bearer ") in self.tokens

    async def put(self, request: web.Request) -> web.Response:
        sha = request.match_info["sha"]
        self.calls.append(f"PUT {sha[:8]}")
        if not self.authorised(request):
            return self.error(401, "unauthorized", "Sign in again.")
        if self.unavailable:
            return self.error(503, "unavailable", "Try again later.")
        size = request.content_length or 0
        if size > self.limit:
            return self.error(
                413,
                "media_too_large",
                f"This file is {size} bytes; the free plan takes files up to {self.limit} bytes.",
            )
        body = await request.read()
        if hashlib.sha256(body).hexdigest() != sha:
            return self.error(400, "hash_mismatch", "The file does not match its SHA-256.")
        status = 200 if sha in self.files else 201
        self.files[sha] = body
        return web.json_response(
            {"sha256": sha, "size": len(body), "content_type": request.content_type},
            status=status,
        )

    async def get(self, request: web.Request) -> web.StreamResponse:
        sha = request.match_info["sha"]
        self.calls.append(f"{request.method} {sha[:8]}")
        if not self.authorised(request):
            return self.error(401, "unauthorized", "Sign in again.")
        if self.unavailable:
            return self.error(503, "unavailable", "Try again later.")
        if request.method == "GET":
            for callback in self.on_get:
                callback(sha)
        body = self.serve_instead.get(sha, self.files.get(sha))
        if body is None:
            return self.error(404, "not_found", "No such media.")
        return web.Response(body=body, content_type="image/png")


@pytest.fixture
async def calls() -> list[str]:
    return []


@pytest.fixture
async def media_service(calls: list[str]) -> AsyncIterator[MediaService]:
    service = MediaService(calls)
    runner = web.AppRunner(service.app())
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    service.url = f"http://127.0.0.1:{port}"
    yield service
    await runner.cleanup()


async def run_db(fn, *args):
    return fn(*args)


class Computer:
    """One desktop: data folder, database, widgets, session, media mover and sync engine."""

    def __init__(self, folder: Path, service: MediaService, relay: Relay) -> None:
        self.data_dir = folder
        self.opened = open_database(folder)
        self.db = self.opened.db
        self.bus = EventBus()
        self.widgets = WidgetService(self.bus, self.db, run_db, folder)
        secrets = SecretStore(FileBackend(folder / "secrets.json"))
        secrets.backend.set(REFRESH_TOKEN, "refresh-me")
        self.session = AccountSession(service.url, secrets, timeout=5)
        self.media = MediaMover(self.session, folder, lambda: run_db(stored_media_refs, self.db))
        self.engine = SyncEngine(
            self.db, run_db, relay, on_applied=self.widgets.reload, media=self.media
        )

    async def pick(self, data: bytes, name: str = "picked.png") -> str:
        """Pick a file for the follow alert, as the settings form does, and save."""
        source = self.data_dir.parent / f"{self.data_dir.name}-{name}"
        source.write_bytes(data)
        ref = await self.widgets.import_media(source, ("image", "video"))
        config = copy.deepcopy(self.widgets["alert_box"].config)
        config["types"]["follow"]["image"] = ref
        await self.widgets.save_config("alert_box", config)
        return ref

    def has(self, ref: str) -> bool:
        return (media_dir(self.data_dir) / ref.removeprefix("user/")).is_file()

    def stored_image(self) -> str:
        from streampai_desktop.store import WidgetConfigRepo

        with self.db.session() as session:
            row = WidgetConfigRepo(session).get("alert_box")
            assert row is not None
            return str(row.config["types"]["follow"]["image"])

    async def close(self) -> None:
        await self.session.close()
        self.db.close()


@pytest.fixture
async def pair(tmp_path: Path, media_service: MediaService, calls: list[str]):
    relay = Relay(calls)
    first = Computer(tmp_path / "first", media_service, relay)
    second = Computer(tmp_path / "second", media_service, relay)
    await first.widgets.load()
    await second.widgets.load()
    yield first, second
    await first.close()
    await second.close()


# --- upload before push, fetch before apply ---------------------------------------------------


async def test_the_file_goes_up_before_the_config_and_comes_down_before_it_applies(
    pair, media_service: MediaService, calls: list[str]
) -> None:
    first, second = pair
    data = picture(b"follow")
    ref = await first.pick(data)
    sha = ref.removeprefix("user/")[:8]
    await first.engine.sync_now()
    assert calls[:3] == [f"HEAD {sha}", f"PUT {sha}", "push"], calls
    assert media_service.files[hashlib.sha256(data).hexdigest()] == data

    held: list[tuple[str, bool]] = []
    media_service.on_get.append(lambda _sha: held.append((second.stored_image(), second.has(ref))))
    calls.clear()
    await second.engine.sync_now()
    assert calls[:2] == ["pull", f"GET {sha}"], calls
    assert held == [(FOLLOW_DEFAULT, False)], "fetched while the config was not applied yet"
    assert second.has(ref) and second.stored_image() == ref
    assert (media_dir(second.data_dir) / ref.removeprefix("user/")).read_bytes() == data
    shown = second.widgets["alert_box"].overlay_config
    assert shown["types"]["follow"]["image"] == ref, "the config appeared with its media"
    assert not list(media_dir(second.data_dir).glob("*.part"))

    calls.clear()
    await first.engine.sync_now()  # nothing new to push: nothing uploaded again
    assert not [c for c in calls if c.startswith(("PUT", "HEAD"))], calls


async def test_after_a_restart_a_head_says_the_service_has_it_and_nothing_is_resent(
    pair, media_service: MediaService, calls: list[str]
) -> None:
    first, _second = pair
    ref = await first.pick(picture(b"again"))
    await first.engine.sync_now()
    restarted = MediaMover(
        first.session, first.data_dir, lambda: run_db(stored_media_refs, first.db)
    )
    calls.clear()
    batch = [{"patch": {"widget_type": "alert_box", "config.types.follow.image": ref}}]
    assert await restarted.upload_for(batch) == []
    assert calls == [f"HEAD {ref.removeprefix('user/')[:8]}"]


async def test_network_trouble_on_upload_holds_the_batch_and_loses_nothing(
    pair, media_service: MediaService, calls: list[str]
) -> None:
    first, second = pair
    ref = await first.pick(picture(b"later"))
    media_service.unavailable = True
    with pytest.raises(RetryLater):
        await first.engine.sync_now()
    assert "push" not in calls, "the config waits for its file"
    with first.db.session() as session:
        assert OutboxRepo(session).count() == 1
    media_service.unavailable = False
    await first.engine.sync_now()
    assert "push" in calls
    await second.engine.sync_now()
    assert second.has(ref) and second.stored_image() == ref


@pytest.mark.allow_logs(r"refused media")
async def test_a_file_too_large_for_the_plan_is_named_and_the_config_still_syncs(
    pair, media_service: MediaService, calls: list[str]
) -> None:
    first, second = pair
    media_service.limit = 3000
    ref = await first.pick(picture(b"huge", 5000))
    await first.engine.sync_now()
    assert "push" in calls, "the config synced without the file"
    [notice] = first.engine.status.notices
    assert ref.removeprefix("user/")[:12] in notice, notice
    assert "Alert Box > Follow > Image or video" in notice
    assert "This file is 5008 bytes; the free plan takes files up to 3000 bytes." in notice
    assert "HTTP" not in notice
    await first.engine.sync_now()
    assert len(first.engine.status.notices) == 1, "told once"

    await second.engine.sync_now()
    assert second.stored_image() == ref, "the other computer keeps the streamer's choice"
    assert not second.has(ref)
    shown = second.widgets["alert_box"].overlay_config
    assert shown["types"]["follow"]["image"] == FOLLOW_DEFAULT


async def test_a_damaged_download_is_discarded_and_the_real_file_arrives_later(
    pair, media_service: MediaService
) -> None:
    first, second = pair
    data = picture(b"genuine")
    ref = await first.pick(data)
    await first.engine.sync_now()
    sha = hashlib.sha256(data).hexdigest()
    media_service.serve_instead[sha] = picture(b"tampered")
    await second.engine.sync_now()
    assert not second.has(ref), "bytes that do not match the hash never get the file's name"
    assert not list(media_dir(second.data_dir).glob("*.part")), "nor stay behind half-written"
    assert second.stored_image() == ref
    assert second.widgets["alert_box"].overlay_config["types"]["follow"]["image"] == FOLLOW_DEFAULT

    del media_service.serve_instead[sha]
    await second.engine.sync_now()  # the next round (a poll, a live wake-up) tries again
    assert second.has(ref)
    assert (media_dir(second.data_dir) / f"{sha}.png").read_bytes() == data


# --- the overlay switches when the file arrives -------------------------------------------


@pytest.fixture
async def second_overlays(pair, tmp_path: Path) -> AsyncIterator[tuple[Any, str, Any]]:
    """The second computer's overlay server, serving its real widget service."""
    _first, second = pair
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "alert_box.html").write_text("<!doctype html><title>alert box</title>")
    tokens = Tokens(overlay=new_token(), api=new_token())
    ingest = EventIngest(second.bus)
    emotes = EmoteCache(tmp_path / "emotes", {})
    port = find_free_port()
    ctx = ServerContext(
        bus=second.bus,
        port=port,
        tokens=tokens,
        overlay_dist=dist,
        data_dir=second.data_dir,
        emotes=emotes,
        ingest=ingest,
        widgets=second.widgets,
        server_id="second",
    )
    server = OverlayServer(ctx)
    await server.start()
    async with aiohttp.ClientSession() as http:
        yield http, f"http://127.0.0.1:{port}", tokens
    await server.stop()
    await emotes.close()


async def next_config(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if frame["type"] == "config":
            return frame["data"]["config"]


async def test_the_overlay_shows_the_default_until_the_file_arrives_then_switches_live(
    pair, media_service: MediaService, second_overlays
) -> None:
    _first, second = pair
    relay = second.engine.transport
    http, base, tokens = second_overlays
    editor = second.bus.subscribe(notice_topics(WidgetConfigChanged), name="editor")
    data = picture(b"late")
    ref, sha = ref_of(data), hashlib.sha256(data).hexdigest()
    # Only the config is on the service: the computer that picked the file has not uploaded
    # it (an older app, or its upload is still to come).
    relay.changes.append(
        Change(
            "widget_config",
            "alert_box",
            1,
            {"widget_type": "alert_box", "config.types.follow.image": ref},
        )
    )
    await second.engine.sync_now()
    assert second.stored_image() == ref
    ws = await http.ws_connect(f"{base}/overlay/ws?token={tokens.overlay}")
    await ws.send_json({"type": "subscribe", "id": "s", "data": {"widget": "alert_box"}})
    config = await next_config(ws)
    assert config["types"]["follow"]["image"] == FOLLOW_DEFAULT, "the built-in image, not a 404"
    planner = AlertPlanner(second.widgets, lambda kind, visible: 1)
    plan = planner.plan(Follow(platform=Platform.TWITCH, id="f1"), "a1")
    assert plan is not None
    assert plan.frames["alert_box"]["settings"]["image"] == FOLLOW_DEFAULT

    media_service.files[sha] = data  # the first computer uploads at last
    await second.engine.sync_now()  # the next round: the file arrives, the page switches
    config = await next_config(ws)
    assert config["types"]["follow"]["image"] == ref
    media = await http.get(f"{base}/overlay/media/{ref}", params={"token": tokens.overlay})
    assert media.status == 200 and await media.read() == data
    plan = planner.plan(Follow(platform=Platform.TWITCH, id="f2"), "a2")
    assert plan is not None and plan.frames["alert_box"]["settings"]["image"] == ref
    # The editor always got the streamer's stored choice.
    seen = []
    while (message := editor.get_nowait()) is not None:
        seen.append(message.payload)
    assert seen and all(n.config["types"]["follow"]["image"] == ref for n in seen)
    await ws.close()
    editor.close()


async def test_a_refused_refresh_while_fetching_is_not_swallowed(tmp_path: Path) -> None:
    """Signing in again is the streamer's to do: the round stops and says so."""
    from streampai_desktop.cloud.engine import SignInRequired

    secrets = SecretStore(FileBackend(tmp_path / "secrets.json"))
    session = AccountSession(f"http://127.0.0.1:{find_free_port()}", secrets, timeout=2)
    mover = MediaMover(session, tmp_path, lambda: run_db(lambda: set()))
    with pytest.raises(SignInRequired):
        await mover.fetch_for([Change("widget_config", "w", 1, {"x": ref_of(b"x")})])
    await session.close()
    assert not media_dir(tmp_path).exists()
