"""The README's "on stream" pictures: an alert and the Chat Box in Chromium, over a game scene.

The overlays are transparent (OBS puts them over the scene), so each page is captured without a
background and laid over a drawn scene, as a viewer would see it. The pictures land in
``test-artifacts/readme/``; ``make screenshots`` copies them into ``docs/screenshots/``, where the
README shows them. Each picture is checked for what a viewer must see in it first.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from aiohttp import web
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QRadialGradient

from tests.e2e.test_overlays import DAVE, Stage, poll
from tests.e2e.test_overlays import stage as stage  # the fixture, shared

pytestmark = pytest.mark.e2e

EMOTE_PNG = Path(__file__).parent / "emote.png"
VIEWERS = [
    {"id": "11", "login": "pixelqueen", "display_name": "PixelQueen", "color": "#FF69B4"},
    {"id": "12", "login": "tank_mike", "display_name": "tank_mike", "color": "#1E90FF"},
    {
        "id": "13",
        "login": "modsquad",
        "display_name": "ModSquad",
        "color": "#00C853",
        "badges": [{"set_id": "moderator", "id": "1", "info": ""}],
    },
    {
        "id": "14",
        "login": "lurker42",
        "display_name": "Lurker42",
        "color": "#FFB300",
        "badges": [{"set_id": "subscriber", "id": "12", "info": "12"}],
    },
]


def over_scene(overlay: Path, out: Path) -> None:
    """Lay the transparent overlay capture over a drawn "game" scene and save it."""
    page = QImage(str(overlay))
    scene = QImage(page.size(), QImage.Format.Format_RGB32)
    painter = QPainter(scene)
    sky = QLinearGradient(QPointF(0, 0), QPointF(0, page.height()))
    sky.setColorAt(0, QColor("#1b2a49"))
    sky.setColorAt(0.6, QColor("#3c4f76"))
    sky.setColorAt(1, QColor("#2d3a2e"))
    painter.fillRect(scene.rect(), sky)
    glow = QRadialGradient(QPointF(page.width() * 0.75, page.height() * 0.3), page.width() * 0.4)
    glow.setColorAt(0, QColor(255, 190, 120, 120))
    glow.setColorAt(1, QColor(255, 190, 120, 0))
    painter.fillRect(scene.rect(), glow)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#1f2a1f"))
    painter.drawRect(QRectF(0, page.height() * 0.78, page.width(), page.height() * 0.22))
    painter.drawImage(0, 0, page)
    painter.end()
    scene.save(str(out))


def colours(image: Path, rect: tuple[int, int, int, int]) -> int:
    """How many distinct colours a region holds (on a 4-pixel grid): text and pictures hold many,
    an empty transparent area none but the scene's."""
    picture = QImage(str(image))
    left, top, width, height = rect
    return len(
        {
            picture.pixel(x, y)
            for x in range(left, min(left + width, picture.width()), 4)
            for y in range(top, min(top + height, picture.height()), 4)
        }
    )


@pytest.fixture
def readme_dir(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "readme"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def test_an_alert_on_stream(stage: Stage, readme_dir: Path, tmp_path: Path) -> None:
    config = copy.deepcopy(stage.app.widgets["alert_box"].config)
    for settings in config["types"].values():
        settings.update({"duration_ms": 20000, "show_animation": "none"})
    await stage.app.widgets.save_config("alert_box", config)
    page = await stage.open("alert_box", 800, 600)
    event_id = await stage.post(
        {"kind": "subscription", "months": 6, "tier": "1000", "message": "Six months already!"}
    )
    alert = page.locator(f'[data-testid="alert"][data-event-id="{event_id}"]')
    await alert.wait_for(timeout=5000)
    image = await alert.get_by_test_id("alert-image").element_handle()
    assert await poll(page, "img => img.complete && img.naturalWidth > 0", image)
    box = await alert.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200, box
    raw = tmp_path / "alert.png"
    await page.screenshot(path=str(raw), omit_background=True)
    assert page.errors == []
    shot = readme_dir / "alert.png"
    over_scene(raw, shot)
    region = (int(box["x"]), int(box["y"]), int(box["width"]), int(box["height"]))
    assert colours(shot, region) > 50, "the alert's picture and text are drawn over the scene"


async def test_the_chat_box_on_stream(
    stage: Stage, readme_dir: Path, tmp_path: Path, aiohttp_server
) -> None:
    emote = EMOTE_PNG.read_bytes()

    async def cdn(_request: web.Request) -> web.Response:
        return web.Response(body=emote, content_type="image/png")

    fake_cdn = web.Application()
    fake_cdn.router.add_get("/emoticons/{id}", cdn)
    server = await aiohttp_server(fake_cdn, host="127.0.0.1")
    stage.app.emotes.url_templates["twitch"] = f"http://127.0.0.1:{server.port}/emoticons/{{id}}"
    page = await stage.open("chat_box", 420, 600)
    lines = [
        (VIEWERS[0], "that clutch was insane", []),
        (VIEWERS[1], "first time here, loving the overlay", []),
        (
            VIEWERS[2],
            "welcome in Kappa",
            [
                {"type": "text", "text": "welcome in "},
                {"type": "emote", "text": "Kappa", "emote_id": "25"},
            ],
        ),
        (VIEWERS[3], "GG! one more round?", []),
        (DAVE, "hype hype hype", []),
    ]
    last = ""
    for user, text, fragments in lines:
        event: dict = {"kind": "chat_message", "user": user, "text": text}
        if fragments:
            event["fragments"] = fragments
        last = await stage.post(event)
    await page.locator(f'[data-event-id="{last}"]').wait_for(timeout=5000)
    shown = await page.get_by_test_id("chat-text").all_inner_texts()
    assert len(shown) == len(lines)
    emote_image = await page.get_by_test_id("chat-emote").first.element_handle()
    assert await poll(page, "img => img.complete && img.naturalWidth > 0", emote_image)
    raw = tmp_path / "chat.png"
    await page.screenshot(path=str(raw), omit_background=True)
    assert page.errors == []
    shot = readme_dir / "chat-box.png"
    over_scene(raw, shot)
    first = await page.get_by_test_id("chat-text").first.bounding_box()
    assert first is not None
    region = (0, int(first["y"]) - 10, 420, 40)
    assert colours(shot, region) > 20, "the chat lines are drawn over the scene"
    await server.close()
