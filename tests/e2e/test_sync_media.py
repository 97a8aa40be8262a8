"""A picked alert image follows the streamer to their second computer: two headless apps signed
in to the real account service (real PostgreSQL, real media store), the second one's Alert Box
in Chromium. Until the file is there the overlay shows the built-in image, never a broken one;
once it arrives the open overlay switches to it without a reload. A file larger than the plan
takes stays home, the streamer is told in the service's words, and the config still syncs."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
import os
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from streampai_cloud.api_media import describe_size
from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.app import App
from streampai_desktop.widgets.media import media_dir
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.e2e.test_alert_media import SHOWING, png
from tests.e2e.test_overlays import Stage, poll
from tests.e2e.test_sync_two_computers import (
    service,  # noqa: F401  (fixture)
    signed_in_pair,
    wait_until,
)

pytestmark = pytest.mark.e2e

BUILTIN_FOLLOW = "/overlay/media/builtin/follow.svg"


def noisy_png(width: int, height: int) -> bytes:
    """A valid RGB PNG of random pixels, stored uncompressed: about width * height * 3 bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


async def pick_follow_image(app: App, stage: Stage, source: Path) -> str:
    """What the streamer does on that computer: pick a file in the Follow alert's settings (the
    file is copied into the data folder, as the window's file picker does), then save the
    config through the local API; returns the media ref."""
    ref = await app.widgets.import_media(source, ("image", "video"))
    widgets = (await stage.http.get("/api/v1/widgets")).json()
    config = copy.deepcopy(next(w for w in widgets if w["id"] == "alert_box")["config"])
    config["types"]["follow"]["image"] = ref
    saved = await stage.http.put("/api/v1/widgets/alert_box/config", json=config)
    assert saved.status_code == 200, saved.text
    return ref


def has_file(app: App, ref: str) -> bool:
    return (media_dir(app.data_dir) / ref.removeprefix("user/")).is_file()


def stored_follow_image(app: App) -> Any:
    return app.widgets["alert_box"].config["types"]["follow"]["image"]


def shown_follow_image(app: App) -> Any:
    return app.widgets["alert_box"].overlay_config["types"]["follow"]["image"]


async def follow_alert_picture(stage: Stage, page) -> str:
    """Show a test follow alert on ``page``: the picture's src once it is really drawn (an
    image decoded with a size of its own), then take the alert off screen."""
    event_id = await stage.post({"kind": "follow"})
    alert = page.locator(f'[data-testid="alert"][data-event-id="{event_id}"]')
    await alert.wait_for(timeout=5000)
    visual = await alert.locator(".alert-visual").element_handle()
    assert visual is not None, "no image at all"
    src = await visual.get_attribute("src")
    assert await poll(page, SHOWING, visual), f"{src} did not load: a broken image"
    assert await page.evaluate("el => el.naturalWidth", visual) > 0
    await stage.http.post("/api/v1/alerts/skip")
    await alert.wait_for(state="detached", timeout=5000)
    assert src is not None
    return src


async def test_a_picked_image_reaches_the_other_computers_alert_box(
    service: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    browser,
) -> None:
    first, second = await signed_in_pair(service, tmp_path, monkeypatch)
    here, there = Stage(first, browser), Stage(second, browser)
    try:
        page = await there.open("alert_box")
        source = tmp_path / "follow.png"
        source.write_bytes(png(64, 48))

        # The first computer's upload has not happened yet (it is held back here, as an app
        # that does not upload media would): the config arrives, the file cannot.
        upload_for = first.account.media.upload_for
        monkeypatch.setattr(first.account.media, "upload_for", _no_upload)
        ref = await pick_follow_image(first, here, source)
        assert await wait_until(lambda: stored_follow_image(second) == ref, 10), (
            "the config reached the second computer"
        )
        assert not has_file(second, ref), "the service had no file to give"
        src = await follow_alert_picture(there, page)
        assert src.startswith(BUILTIN_FOLLOW), f"the built-in image, not a broken one: {src}"

        # The upload happens; the next sync round on the second computer (here the live
        # channel's wake-up for another edit) fetches it and the open overlay switches.
        monkeypatch.setattr(first.account.media, "upload_for", upload_for)
        assert await upload_for([{"patch": {"config.types.follow.image": ref}}]) == []
        config = copy.deepcopy(first.widgets["chat_box"].config)
        config["font_size"] = 27
        await first.widgets.save_config("chat_box", config)
        assert await wait_until(lambda: has_file(second, ref), 10), "the file arrived"
        assert (media_dir(second.data_dir) / ref.removeprefix("user/")).read_bytes() == (
            source.read_bytes()
        )
        assert await wait_until(lambda: shown_follow_image(second) == ref, 5)
        src = await follow_alert_picture(there, page)
        assert src.startswith(f"/overlay/media/{ref}"), f"the streamer's own image: {src}"
        assert page.errors == []
    finally:
        await here.http.aclose()
        await there.http.aclose()
        await first.shutdown()
        await second.shutdown()


async def _no_upload(batch: Any) -> list[str]:
    return []


async def test_a_5_mb_image_reaches_the_other_computer(
    service: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    browser,
) -> None:
    first, second = await signed_in_pair(service, tmp_path, monkeypatch)
    here, there = Stage(first, browser), Stage(second, browser)
    try:
        source = tmp_path / "big.png"
        data = noisy_png(1300, 1300)
        source.write_bytes(data)
        assert 5_000_000 <= len(data) <= 5_300_000
        page = await there.open("alert_box")
        loop = asyncio.get_running_loop()
        began = loop.time()
        ref = await pick_follow_image(first, here, source)
        assert ref == f"user/{hashlib.sha256(data).hexdigest()}.png"
        # Having it: the file is there and the overlays are sent the setting that names it.
        assert await wait_until(lambda: shown_follow_image(second) == ref, 30), "it arrived"
        took = loop.time() - began
        print(f"\n5 MB alert image, edit on one computer → shown on the other: {took:.2f} s")
        assert has_file(second, ref) and stored_follow_image(second) == ref
        src = await follow_alert_picture(there, page)
        assert src.startswith(f"/overlay/media/{ref}"), src
    finally:
        await here.http.aclose()
        await there.http.aclose()
        await first.shutdown()
        await second.shutdown()


@pytest.fixture
async def small_plan_service(cloud_config: CloudConfig) -> AsyncIterator[str]:  # noqa: F811
    """The real service whose free plan takes files up to 100 KB."""
    config = dataclasses.replace(cloud_config, media_free_max_file_bytes=100 * 1024)
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    port = find_free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.allow_logs(r"refused media")
async def test_a_file_larger_than_the_plan_takes_stays_home_and_the_streamer_is_told(
    small_plan_service: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    browser,
) -> None:
    first, second = await signed_in_pair(small_plan_service, tmp_path, monkeypatch)
    here, there = Stage(first, browser), Stage(second, browser)
    try:
        source = tmp_path / "large.png"
        data = noisy_png(300, 300)  # 264 KB
        source.write_bytes(data)
        ref = await pick_follow_image(first, here, source)
        assert await wait_until(lambda: stored_follow_image(second) == ref, 10), (
            "the config synced without the file"
        )
        account = (await here.http.get("/api/v1/account", timeout=10)).json()
        [notice] = [n for n in account["sync"]["notices"] if "stays on this computer" in n]
        assert "Follow > Image or video" in notice, notice
        size = describe_size(len(data), round_up=True)
        assert f"This file is {size}; the free plan takes files up to 100 KB." in notice, notice
        page = await there.open("alert_box")
        src = await follow_alert_picture(there, page)
        assert src.startswith(BUILTIN_FOLLOW), src
        assert not has_file(second, ref)
    finally:
        await here.http.aclose()
        await there.http.aclose()
        await first.shutdown()
        await second.shutdown()
