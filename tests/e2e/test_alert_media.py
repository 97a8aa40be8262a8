"""Alert images and videos on stream: every default image and a streamer's own PNG, GIF and WebM
are drawn at a sensible size, on the page, in every layout of the Alert Box (in Chromium).

A picture without a size of its own (the bundled SVGs had only a viewBox) used to be drawn 0x0
while the test still saw it "loaded": these tests measure the box the picture is drawn in.
"""

from __future__ import annotations

import copy
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from streampai_desktop.widgets.alert_box import LAYOUTS
from tests.e2e.test_overlays import ALERTS, Stage, poll
from tests.e2e.test_overlays import stage as stage  # the fixture, shared

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 800, 600  # OBS's default browser source size
SIZE = 256  # the default image_size

# True once the picture is really there: an image decoded, a video's first frame and playing.
SHOWING = """el => el.tagName === 'VIDEO'
    ? el.readyState >= 2 && el.videoWidth > 0 && !el.paused
    : el.complete && el.naturalWidth > 0"""


def png(width: int, height: int) -> bytes:
    """A valid RGBA PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x80\x20\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def gif(width: int, height: int, frames: int = 2) -> bytes:
    """A valid animated GIF89a: ``frames`` frames of stripes, LZW-coded with 8-bit codes only
    (a clear code before the code table would need 9 bits)."""
    palette = bytes([0, 0, 0, 255, 216, 77, 145, 70, 255, 255, 255, 255]) + bytes(3 * 124)
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF6, 0, 0) + palette)
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    clear, end = 128, 129
    for frame in range(frames):
        out += b"\x21\xf9\x04\x04" + struct.pack("<H", 20) + b"\x00\x00"  # 0.2 s per frame
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
        codes = []
        pixels = [1 + (x // 4 + y // 4 + frame) % 3 for y in range(height) for x in range(width)]
        for i, pixel in enumerate(pixels):
            if i % 120 == 0:
                codes.append(clear)
            codes.append(pixel)
        codes.append(end)
        data = bytes(codes)  # 8-bit codes pack to whole bytes
        out += b"\x07"  # minimum code size 7 → 8-bit codes
        for at in range(0, len(data), 255):
            block = data[at : at + 255]
            out += bytes([len(block)]) + block
        out += b"\x00"
    return bytes(out + b"\x3b")


def ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return shutil.which("ffmpeg")
    return imageio_ffmpeg.get_ffmpeg_exe()


def webm(path: Path, width: int, height: int) -> Path:
    """A one-second VP9 WebM (a test pattern), made by real ffmpeg."""
    exe = ffmpeg()
    if exe is None:
        pytest.skip("no ffmpeg (pip install imageio-ffmpeg, or apt-get install ffmpeg)")
    subprocess.run(
        [
            *(exe, "-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=10:duration=1"),
            *("-c:v", "libvpx-vp9", "-b:v", "200k", "-pix_fmt", "yuv420p", str(path)),
        ],
        check=True,
        timeout=60,
    )
    return path


def fitted(width: int, height: int, size: int = SIZE) -> tuple[int, int]:
    scale = size / max(width, height)
    return round(width * scale), round(height * scale)


async def measure(
    stage: Stage, page, event: dict, shot: Path | None = None
) -> tuple[dict, dict, str]:
    """Show ``event``'s alert and return (picture box, headline box, picture's src); with
    ``shot``, a screenshot of the page (transparent where nothing is drawn) goes there."""
    event_id = await stage.post(event)
    alert = page.locator(f'[data-testid="alert"][data-event-id="{event_id}"]')
    await alert.wait_for(timeout=5000)
    visual = alert.locator(".alert-visual")
    handle = await visual.element_handle()
    assert handle is not None, f"{event['kind']}: no image or video"
    assert await poll(page, SHOWING, handle), f"{event['kind']}: the picture never showed"
    # Two frames: the box is fitted to the picture's shape once it has loaded.
    await page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    box = await visual.bounding_box()
    headline = await alert.get_by_test_id("alert-headline").bounding_box()
    src = await visual.get_attribute("src")
    assert box is not None and headline is not None and src is not None
    if shot is not None:
        await page.screenshot(path=str(shot), omit_background=True)
    await stage.http.post("/api/v1/alerts/skip")
    await alert.wait_for(state="detached", timeout=5000)
    return box, headline, src


def check_placement(layout: str, box: dict, headline: dict, what: str) -> None:
    """On the page, big enough to see, and where the layout puts it relative to the text."""
    assert box["width"] >= 64 and box["height"] >= 64, f"{what}: drawn {box}"
    assert box["x"] >= 0 and box["y"] >= 0, f"{what}: off the page {box}"
    assert box["x"] + box["width"] <= WIDTH and box["y"] + box["height"] <= HEIGHT, what
    assert headline["y"] + headline["height"] <= HEIGHT, f"{what}: the text is off the page"
    if layout == "image_above":
        assert box["y"] + box["height"] <= headline["y"] + 1, f"{what}: not above the text"
    elif layout == "image_left":
        assert box["x"] + box["width"] <= headline["x"] + 1, f"{what}: not left of the text"
    else:
        middle = (headline["x"] + headline["width"] / 2, headline["y"] + headline["height"] / 2)
        assert box["x"] <= middle[0] <= box["x"] + box["width"], f"{what}: text not over it"
        assert box["y"] <= middle[1] <= box["y"] + box["height"], f"{what}: text not over it"


def assert_size(box: dict, expected: tuple[int, int], what: str) -> None:
    assert abs(box["width"] - expected[0]) <= 1, f"{what}: {box}, expected {expected}"
    assert abs(box["height"] - expected[1]) <= 1, f"{what}: {box}, expected {expected}"


async def long_alerts(stage: Stage, **type_settings) -> None:
    # Each alert stays until the test skips it, so it is measured at rest.
    await stage.fast_alerts(duration_ms=30000, **type_settings)


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_every_default_image_is_drawn_at_its_size(
    stage: Stage, layout: str, artifacts_dir: Path
) -> None:
    await long_alerts(stage, layout=layout)
    page = await stage.open("alert_box", WIDTH, HEIGHT)
    sizes = {}
    for event, _headline in ALERTS:
        shot = artifacts_dir / f"alert_box_{layout}_raid.png" if event["kind"] == "raid" else None
        box, headline, src = await measure(stage, page, event, shot)
        assert src.startswith("/overlay/media/builtin/"), src
        what = f"{event['kind']} in {layout}"
        check_placement(layout, box, headline, what)
        assert_size(box, (SIZE, SIZE), what)
        sizes[event["kind"]] = (box["width"], box["height"])
    print(f"{layout}: {sizes}")
    assert page.errors == []


@pytest.fixture
async def user_media(stage: Stage, tmp_path: Path) -> dict[str, tuple[str, tuple[int, int]]]:
    """The streamer's own files, imported as the settings form does: name → (ref, drawn size)."""
    files = {
        "png": (Path(__file__).with_name("emote.png"), (28, 28)),  # small: scaled up
        "gif": (tmp_path / "tall.gif", (30, 60)),
        "webm": (tmp_path / "wide.webm", (160, 90)),
    }
    files["gif"][0].write_bytes(gif(30, 60))
    webm(files["webm"][0], 160, 90)
    out = {}
    for name, (path, (w, h)) in files.items():
        ref = await stage.app.widgets.import_media(path, ("image", "video"))
        out[name] = (ref, fitted(w, h))
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_a_streamers_png_gif_and_webm_are_drawn_at_their_size(
    stage: Stage, layout: str, user_media: dict, artifacts_dir: Path
) -> None:
    await long_alerts(stage, layout=layout)
    page = await stage.open("alert_box", WIDTH, HEIGHT)
    sizes = {}
    for name, (ref, expected) in user_media.items():
        config = copy.deepcopy(stage.app.widgets["alert_box"].config)
        config["types"]["follow"]["image"] = ref
        await stage.app.widgets.save_config("alert_box", config)
        shot = artifacts_dir / f"alert_box_{layout}_{name}.png"
        box, headline, src = await measure(stage, page, {"kind": "follow"}, shot)
        assert src.startswith(f"/overlay/media/{ref}?"), src
        what = f"{name} in {layout}"
        check_placement(layout, box, headline, what)
        assert_size(box, expected, what)
        sizes[name] = (box["width"], box["height"])
    print(f"{layout}: {sizes}")
    assert page.errors == []


@pytest.mark.parametrize(
    ("layout", "room"),
    [
        ("image_above", (round(0.55 * HEIGHT), round(0.55 * HEIGHT))),  # room left for the text
        ("image_left", (round(0.45 * WIDTH), round(0.45 * WIDTH))),
        ("text_over_image", (HEIGHT - 32, HEIGHT - 32)),
    ],
)
async def test_a_big_image_size_stays_on_the_page(
    stage: Stage, layout: str, room: tuple[int, int]
) -> None:
    await long_alerts(stage, layout=layout, image_size=1200)
    page = await stage.open("alert_box", WIDTH, HEIGHT)
    box, headline, _src = await measure(stage, page, {"kind": "raid", "viewers": 3})
    check_placement(layout, box, headline, layout)
    assert_size(box, room, f"raid in {layout}, image_size 1200")


async def test_alert_screenshot_image_above_text(stage: Stage, artifacts_dir: Path) -> None:
    """What OBS shows: the image above the text, on a transparent page."""
    await long_alerts(stage)
    page = await stage.open("alert_box", WIDTH, HEIGHT)
    event_id = await stage.post({"kind": "subscription", "months": 1, "tier": "1000"})
    alert = page.locator(f'[data-testid="alert"][data-event-id="{event_id}"]')
    await alert.wait_for(timeout=5000)
    assert await poll(page, SHOWING, await alert.locator(".alert-visual").element_handle())
    headline = " ".join((await alert.get_by_test_id("alert-headline").inner_text()).split())
    assert headline == "Dave subscribed for 1 month!"
    background = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background in ("rgba(0, 0, 0, 0)", "transparent")
    shot = artifacts_dir / "alert_box_image_above.png"
    await page.screenshot(path=str(shot), omit_background=True)
    assert page.errors == []
