"""A first run leads to OBS: the Dashboard's "Get on stream" checklist (issue #11, point 2).

Each step ticks from the real thing, reached the way it happens on a streamer's computer: the
URL on the clipboard, an Alert Box page connecting to the overlay server over its WebSocket (what
OBS's browser source does), the alert queue showing the test alert in that page, a channel
signing in through its platform's own flow. Clicking a step's button alone ticks nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QScrollArea, QWidget

from streampai_desktop.ui.pages.first_run import GetOnStreamCard
from streampai_desktop.ui.pages.overlays_card import obs_size
from streampai_desktop.ui.session import GuiSession
from streampai_desktop.ui.viewmodels import first_run as steps
from tests.fakes.dummy_platform import DummyWorld
from tests.gui.conftest import Gui, gui_options, until
from tests.gui.dummy_channel import click_connect, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.gui

SIZES = [(1024, 640), (1600, 1000)]


@asynccontextmanager
async def alert_box_in_obs(gui: Gui) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """An Alert Box page connected as OBS's browser source connects it (the page's protocol)."""
    url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
        await ws.send_str(json.dumps(subscribe))
        yield ws


def checklist(gui: Gui) -> GetOnStreamCard:
    return gui.window.dashboard.checklist


def ticked(card: GetOnStreamCard) -> list[str]:
    """The steps the streamer sees ticked: a ✓ instead of the number, the words muted."""
    return [
        step
        for step, row in card.rows.items()
        if row.marker.text() == "✓" and row.title.objectName() == "stepTitleDone"
    ]


def highlighted(card: GetOnStreamCard) -> list[str]:
    return [step for step, row in card.rows.items() if row.objectName() == "stepCurrent"]


def above_the_fold(widget: QWidget) -> bool:
    """Whether all of ``widget`` is inside its page's visible area, without scrolling."""
    area = widget.parentWidget()
    while area is not None and area.objectName() != "pageScroll":
        area = area.parentWidget()
    assert isinstance(area, QScrollArea), "not on a scrolling page"
    viewport = area.viewport()
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    bottom_right = widget.mapTo(viewport, widget.rect().bottomRight())
    return viewport.rect().contains(top_left) and viewport.rect().contains(bottom_right)


def test_the_checklist_ticks_each_step_when_it_really_happens(gui: Gui) -> None:
    window, card = gui.window, checklist(gui)
    window.resize(1024, 640)
    window.show()
    assert card.isVisible(), "a first run opens on the checklist"
    assert card.progress.text() == "0 of 4 done"
    assert ticked(card) == [] and highlighted(card) == [steps.COPY_URL]
    assert card.rows[steps.ADD_TO_OBS].title.text().endswith(obs_size("alert_box")), (
        "the widget's size"
    )
    assert card.rows[steps.COPY_URL].detail.isVisible(), "how to do the current step"
    assert not card.rows[steps.ADD_TO_OBS].detail.isVisible()

    # 1. Copy: the Alert Box URL lands on the clipboard, and that ticks the step.
    card.copy_button.click()
    url = gui.app.overlay_urls()["alert_box"]
    assert QGuiApplication.clipboard().text() == url
    gui.run(until(lambda: ticked(card) == [steps.COPY_URL], what="copy ticked"))
    assert highlighted(card) == [steps.ADD_TO_OBS]
    assert not card.copy_button.isVisible(), "a done step has nothing left to click"

    # 3 before 2: a test alert sent with no Alert Box open waits; clicking ticks nothing.
    card.test_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    test_row = card.rows[steps.TEST_ALERT]
    assert steps.TEST_ALERT not in ticked(card)
    assert test_row.status.text() == "Sent. It shows as soon as the Alert Box is open in OBS."
    assert gui.app.alerts.state()["pending"] == 1

    # 2. OBS loads the URL: the Alert Box connects; the waiting test alert then shows in it (3).
    async def obs_opens_the_alert_box() -> None:
        async with alert_box_in_obs(gui):
            await until(lambda: steps.ADD_TO_OBS in ticked(card), what="OBS step ticked")
            await until(lambda: steps.TEST_ALERT in ticked(card), what="test alert shown")

    gui.run(obs_opens_the_alert_box())
    assert ticked(card) == [steps.COPY_URL, steps.ADD_TO_OBS, steps.TEST_ALERT]
    assert highlighted(card) == [steps.CONNECT_CHANNEL]
    assert card.progress.text() == "3 of 4 done"
    assert test_row.status.isHidden(), "the 'it shows once…' line went once it showed"

    # 4. The button goes to the Platforms page; that alone does not tick the step.
    card.connect_button.click()
    assert window.current_page() == "platforms"
    assert steps.CONNECT_CHANNEL not in ticked(card)
    assert gui.app.settings.get(steps.DONE_KEY) == ("add_to_obs", "copy_url", "test_alert")


def test_connecting_an_alert_box_first_ticks_the_copy_step_too(gui: Gui) -> None:
    card = checklist(gui)

    async def connect() -> None:
        async with alert_box_in_obs(gui):
            await until(lambda: steps.ADD_TO_OBS in ticked(card), what="OBS step ticked")

    gui.run(connect())
    assert ticked(card) == [steps.COPY_URL, steps.ADD_TO_OBS], "OBS had the URL: it was copied"


def test_copying_the_url_from_the_overlays_card_ticks_the_step(gui: Gui) -> None:
    card, overlays = checklist(gui), gui.window.dashboard.server_card
    overlays.rows["chat_box"].copy_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert steps.COPY_URL not in ticked(card), "the Chat Box URL is not the one"
    overlays.rows["alert_box"].copy_button.click()
    gui.run(until(lambda: steps.COPY_URL in ticked(card), what="copy ticked"))


def start(qloop: qasync.QEventLoop, data: Path, port: int) -> Gui:
    session = GuiSession(gui_options(data, port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    return Gui(session, qloop)


def test_a_connected_channel_finishes_the_list_which_then_stays_away(
    qloop: qasync.QEventLoop,
    tmp_path: Path,
    free_port: int,
    world: DummyWorld,  # noqa: F811 (the fixture)
) -> None:
    gui = start(qloop, tmp_path / "data", free_port)
    try:
        card = checklist(gui)
        card.copy_button.click()
        card.connect_button.click()
        assert gui.window.current_page() == "platforms"
        click_connect(gui)  # the platform's Connect, its sign-in in the browser

        async def sign_in_and_open_the_alert_box() -> None:
            await until(lambda: steps.CONNECT_CHANNEL in ticked(card), what="channel ticked")
            async with alert_box_in_obs(gui):
                await until(lambda: steps.ADD_TO_OBS in ticked(card), what="OBS ticked")
                card.test_button.click()
                await until(lambda: card.model.all_done, what="all four done")
            await gui.vm.tasks.wait_idle()

        gui.run(sign_in_and_open_the_alert_box())
        assert not card.isHidden(), "finished now: it stays to say so"
        assert card.heading.text() == "You are ready to go live"
        assert card.close_button.text() == "Close"
    finally:
        qloop.run_until_complete(gui.session.stop())

    again = start(qloop, tmp_path / "data", free_port)
    try:
        assert not checklist(again).isVisibleTo(again.window), "finished before: not shown again"
    finally:
        qloop.run_until_complete(again.session.stop())


def test_hiding_the_list_is_remembered_across_restarts(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int
) -> None:
    gui = start(qloop, tmp_path / "data", free_port)
    try:
        card = checklist(gui)
        card.copy_button.click()
        gui.run(until(lambda: steps.COPY_URL in ticked(card), what="copy ticked"))
        card.close_button.click()
        assert card.isHidden()
        gui.run(gui.vm.tasks.wait_idle())
    finally:
        qloop.run_until_complete(gui.session.stop())

    again = start(qloop, tmp_path / "data", free_port)
    try:
        card = checklist(again)
        assert not card.isVisibleTo(again.window)
        assert card.model.done == {steps.COPY_URL}, "what was done is kept too"
    finally:
        qloop.run_until_complete(again.session.stop())


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_first_run_screenshots_keep_the_queue_and_the_urls_above_the_fold(
    gui: Gui, artifacts_dir: Path, theme: str, width: int, height: int
) -> None:
    """test-artifacts/dashboard-first-run-{theme}-{w}x{h}.png: the checklist on top, the alert
    queue and the overlay URLs visible without scrolling, at the smallest and a large size."""
    window, dashboard = gui.window, gui.window.dashboard
    gui.run(gui.vm.set_theme(theme))
    window.resize(width, height)
    window.show()
    dashboard.checklist.copy_button.click()  # one step done: the ✓ and the next step show
    gui.run(until(lambda: steps.COPY_URL in ticked(dashboard.checklist), what="copy ticked"))
    gui.run(gui.vm.tasks.wait_idle())
    for part in (dashboard.checklist, dashboard.queue_card, dashboard.server_card):
        assert part.isVisible() and above_the_fold(part), f"{type(part).__name__} is not in view"
    assert not dashboard.stream_card.isVisible(), "no empty Offline card before a channel"
    assert not dashboard.chart_card.isVisible(), "no empty viewer chart before a stream"
    assert window.grab().save(
        str(artifacts_dir / f"dashboard-first-run-{theme}-{width}x{height}.png")
    )
