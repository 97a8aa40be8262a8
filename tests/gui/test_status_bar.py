"""The status bar (issue #11, points 9 and 10): the alert queue's pill says what a streamer must
notice from any page and opens the queue; platforms that cannot be connected yet read "coming
later", as on the Platforms page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
import qasync
from PySide6.QtCore import QRect

from streampai_desktop.core.events import Cheer, Follow, Platform, User
from streampai_desktop.platforms import registry
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.platforms.spec import Capabilities, PlatformSpec, SignInKind
from streampai_desktop.ui.pages.platforms import PlatformsPage
from streampai_desktop.ui.queue_pill import QueuePill
from streampai_desktop.ui.session import GuiSession
from streampai_desktop.ui.status_text import COMING_LATER, NOT_CONNECTED
from tests.gui.composite import grab_with, save
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until
from tests.gui.test_theme_contrast import (
    MIN_CONTRAST,
    Shot,
    boundary_contrast,
    contrast,
    most_common,
    surroundings,
)

pytestmark = pytest.mark.gui

VIEWER = User(id="7", login="pixelpaladin", display_name="PixelPaladin")
SIZES = ((1024, 640), (1600, 1000))


@asynccontextmanager
async def alert_box_open(gui: Gui) -> AsyncIterator[None]:
    """An Alert Box page connected, as OBS's browser source connects."""
    url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
        await ws.send_str(json.dumps(subscribe))
        await until(lambda: gui.vm.presence.counts.get("alert_box"), what="the Alert Box page")
        yield


def test_the_pill_warns_when_alerts_cannot_reach_the_stream_and_opens_the_queue(gui: Gui) -> None:
    pill = gui.window.status.queue
    assert (pill.text(), pill.look.tone) == ("Alert queue", "idle")
    assert "No alerts waiting" in pill.toolTip()

    async def scenario() -> None:
        # A follow with no Alert Box open in OBS: it waits, and the pill says why.
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=VIEWER))
        await until(lambda: pill.text() == "Alert Box not open in OBS (1)", what="no box")
        assert pill.look.tone == "warn"
        assert "Browser Source" in pill.toolTip()
        popup = gui.window.status.open_queue()
        assert "Alert Box is open in OBS" in popup.hint.text()
        rows = [popup.waiting.item(i).text() for i in range(popup.waiting.count())]
        assert rows == ["Follow from PixelPaladin"]
        popup.urls_button.click()  # where the Alert Box's URL is
        assert gui.window.current_page() == "widgets" and not popup.isVisible()

        async with alert_box_open(gui):
            await until(lambda: pill.text() == "Alert on screen", what="the follow shown")
            assert pill.look.tone == "calm"

            # The pill opens the queue from any page.
            gui.window.show_page("settings")
            pill.click()
            assert gui.window.status.popup is popup and popup.isVisible()
            assert popup.now.text() == "Now showing: Follow from PixelPaladin"
            assert popup.skip_button.isEnabled() and not popup.clear_button.isEnabled()

            popup.pause_button.click()
            await until(lambda: pill.text() == "Alerts paused", what="paused")
            assert gui.app.alerts.paused and pill.look.tone == "warn"
            for bits in (100, 200):
                await gui.app.ingest.submit(Cheer(platform=Platform.TWITCH, user=VIEWER, bits=bits))
            await until(lambda: pill.text() == "Alerts paused (2)", what="two waiting")
            assert popup.pause_button.text() == "Resume"
            rows = [popup.waiting.item(i).text() for i in range(popup.waiting.count())]
            assert rows == ["Cheer (bits) from PixelPaladin"] * 2
            assert "Resume to show them" in popup.hint.text()

            popup.skip_button.click()
            await until(lambda: popup.now.text() == "Nothing on screen", what="skipped")
            assert gui.app.alerts.state()["pending"] == 2, "paused: the next one waits"

            popup.clear_button.click()  # asks first, over the window (the popup closes)
            assert not popup.isVisible()
            box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
            assert "2 waiting alert(s)" in box.text() + box.informativeText()
            button(box, "Clear").click()
            await until(lambda: pill.text() == "Alerts paused", what="cleared")
            assert gui.app.alerts.state()["pending"] == 0

            pill.click()
            popup.pause_button.click()
            await until(lambda: pill.text() == "Alert queue", what="resumed, idle")
            assert not gui.app.alerts.paused and pill.look.tone == "idle"
            assert popup.waiting.item(0).text() == "Nothing waiting"
            popup.close()

    gui.run(scenario())


def test_with_demo_events_on_a_missing_alert_box_is_a_warning_before_any_alert_waits(
    gui: Gui,
) -> None:
    pill = gui.window.status.queue
    gui.run(gui.vm.set_demo(True))
    assert pill.text() == "Alert Box not open in OBS" and pill.look.tone == "warn"
    gui.run(gui.vm.set_demo(False))
    gui.run(until(lambda: pill.look.tone != "warn", what="calm again"))


def _pill_rect(gui: Gui, pill: QueuePill) -> QRect:
    return QRect(pill.mapTo(gui.window, pill.rect().topLeft()), pill.size())


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_warning_pill_and_the_queue_can_be_read_in_both_themes(
    gui: Gui, theme: str, artifacts_dir: Path
) -> None:
    """Screenshots (test-artifacts/status-pill-*.png) and the pixels: the pill's edge stands out
    from the status bar, its text from its fill, and the warning is warm (amber), not grey."""
    window, pill = gui.window, gui.window.status.queue

    async def paused_with_three_waiting() -> None:
        await gui.vm.set_theme(theme)
        gui.vm.queue.set_paused(True)
        for bits in (100, 200, 300):
            await gui.app.ingest.submit(Cheer(platform=Platform.TWITCH, user=VIEWER, bits=bits))
        await until(lambda: pill.text() == "Alerts paused (3)", what="three waiting")

    gui.run(paused_with_three_waiting())
    for width, height in SIZES:
        window.resize(width, height)
        gui.run(until(lambda: pill.isVisible() and pill.width() > 0))
        gui.run(gui.vm.tasks.wait_idle())
        shot = Shot(window.grab().toImage())
        rect = shot.device(_pill_rect(gui, pill))
        against = surroundings(shot, rect)
        assert against is not None
        assert boundary_contrast(shot, rect, against) >= MIN_CONTRAST
        inside = rect.adjusted(4, 4, -4, -4)
        pixels = [
            shot.rgb(x, y)
            for y in range(inside.top(), inside.bottom() + 1)
            for x in range(inside.left(), inside.right() + 1)
        ]
        fill = most_common(pixels)
        assert fill is not None
        red, blue = (fill >> 16) & 255, fill & 255
        assert red > blue + 30, f"the warning fill #{fill:06x} is not amber"
        assert max(contrast(p, fill) for p in pixels) >= 4.5, "the text reads on the fill"

        popup = window.status.open_queue()
        gui.run(until(popup.isVisible))
        image = grab_with(window, popup)
        save(image, artifacts_dir, f"status-pill-{theme}-{width}x{height}.png")
        popup.close()


# Every built-in platform can be connected now: a declared one without its code stands in for
# the next platform, which is listed before it is built.
LATER = PlatformSpec(
    id="later_platform",
    label="Later Platform",
    brings="Chat, some day.",
    capabilities=Capabilities(),
    sign_in=SignInKind.BROWSER_PKCE,
)


@pytest.fixture
def later_gui(qloop: qasync.QEventLoop, tmp_path: Path, free_port: int) -> Iterator[Gui]:
    registry.register(LATER)
    try:
        session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)
        assert qloop.run_until_complete(session.start()) is None
        yield Gui(session, qloop)
        qloop.run_until_complete(session.stop())
    finally:
        registry.unregister(LATER.id)


def test_platforms_that_cannot_be_connected_read_coming_later_everywhere(later_gui: Gui) -> None:
    gui = later_gui
    status = gui.window.status
    page = gui.window.pages["platforms"]
    assert isinstance(page, PlatformsPage)
    later = [spec for spec in PLATFORMS.values() if not spec.available]
    available = [spec for spec in PLATFORMS.values() if spec.available]
    assert later and available
    text, tip = status.platforms.text(), status.platforms.toolTip().splitlines()
    assert text == " · ".join(s.label for s in available) + f": {NOT_CONNECTED.lower()}"
    for spec in later:
        assert spec.label not in text, f"{spec.label} cannot be connected: not 'not connected'"
        assert f"{spec.label}: {COMING_LATER.lower()}" in tip
        assert page.rows[spec.id].state.text() == COMING_LATER  # the same words
        assert not page.rows[spec.id].connect_button.isEnabled()
    for spec in available:
        assert f"{spec.label}: {NOT_CONNECTED.lower()}" in tip
        assert page.rows[spec.id].state.text() == NOT_CONNECTED
