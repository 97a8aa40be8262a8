"""The dashboard: demo toggle, counters, warnings, the alert queue; cards that only show when
they have something to say, and no command-line words or file paths (issue #11, point 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest
import qasync
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLineEdit,
    QListWidget,
    QTextEdit,
    QWidget,
)

from streampai_desktop.core.events import (
    ChatNotification,
    Cheer,
    Follow,
    Platform,
    PollChoice,
    PollProgress,
    User,
)
from streampai_desktop.stream.demo_control import FORCED_REASON
from streampai_desktop.ui.pages.dashboard import DashboardPage
from streampai_desktop.ui.session import GuiSession
from tests.fakes.dummy_platform import DummyWorld
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until
from tests.gui.dummy_channel import go_live, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.gui


def test_demo_events_can_be_started_and_stopped(gui: Gui) -> None:
    dashboard = gui.window.dashboard
    demo_button = dashboard.demo_banner.button
    assert demo_button is not None
    assert not gui.app.demo.on
    assert demo_button.text() == "Start demo events"
    assert gui.window.status.demo.isHidden()

    demo_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert gui.app.demo.on
    assert demo_button.text() == "Stop demo events"
    assert not gui.window.status.demo.isHidden()

    demo_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert not gui.app.demo.on
    assert gui.window.status.demo.isHidden()


def test_counters_count_this_sessions_events(gui: Gui) -> None:
    dashboard = gui.window.dashboard

    async def follow() -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH))
        await until(lambda: dashboard.events_stat.value.text() == "1", what="counter")

    gui.run(follow())
    assert dashboard.alerts_stat.value.text() == "1"
    assert dashboard.chat_stat.value.text() == "0"
    assert "followed" in dashboard.activity.item(0).text()


def test_latest_events_skip_running_progress_and_chat_notices(gui: Gui) -> None:
    # A poll reports every vote and Twitch repeats each sub in chat: the list keeps to what
    # happened once (the poll has its own card; the sub is its own event).
    dashboard = gui.window.dashboard
    choices = (PollChoice(id="a", title="Yes", votes=3), PollChoice(id="b", title="No", votes=1))

    async def events() -> None:
        await gui.app.ingest.submit(
            PollProgress(platform=Platform.TWITCH, title="Q", choices=choices)
        )
        await gui.app.ingest.submit(
            ChatNotification(platform=Platform.TWITCH, notice_type="sub", system_message="subbed")
        )
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH))
        await until(lambda: dashboard.events_stat.value.text() == "3", what="counter")
        await until(lambda: dashboard.activity.count() >= 1, what="the follow listed")

    gui.run(events())
    rows = [dashboard.activity.item(i).text() for i in range(dashboard.activity.count())]
    assert len(rows) == 1 and "followed" in rows[0], rows


def test_the_alert_queue_panel_follows_the_queue_and_its_buttons_call_through(gui: Gui) -> None:
    card = gui.window.dashboard.queue_card
    assert card.now.text() == "Nothing on screen"
    assert card.counts.text() == "0 waiting · 0 missed"
    assert not card.skip_button.isEnabled() and not card.clear_button.isEnabled()
    ws_url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"
    viewer = User(id="7", login="pixelpaladin", display_name="PixelPaladin")

    async def with_an_alert_box_open() -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
            await ws.send_str(json.dumps(subscribe))
            await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=viewer))
            await until(lambda: card.now.text() == "Now showing: Follow from PixelPaladin")
            assert card.skip_button.isEnabled()

            card.pause_button.click()
            assert gui.app.alerts.paused
            await until(lambda: card.pause_button.text() == "Resume", what="paused")
            assert card.counts.text().startswith("Paused")
            await gui.app.ingest.submit(Cheer(platform=Platform.TWITCH, user=viewer, bits=100))
            await until(lambda: "1 waiting" in card.counts.text(), what="a waiting alert")

            card.skip_button.click()
            await until(lambda: card.now.text() == "Nothing on screen", what="skipped")
            assert gui.app.alerts.state()["pending"] == 1, "paused: the next one waits"
            assert card.hint.text() == "Resume to show the waiting alerts."

            card.clear_button.click()
            box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
            button(box, "Clear").click()
            await until(lambda: card.counts.text() == "Paused · 0 waiting · 0 missed")
            assert gui.app.alerts.state()["pending"] == 0

            card.pause_button.click()
            assert not gui.app.alerts.paused
            await until(lambda: card.pause_button.text() == "Pause", what="resumed")

    gui.run(with_an_alert_box_open())


# --- issue #11, point 2: nothing empty, no command-line words ----------------------------------


def test_empty_cards_hide_while_offline_and_show_when_live(
    gui: Gui,
    world: DummyWorld,  # noqa: F811 (the fixture)
) -> None:
    dashboard = gui.window.dashboard
    gui.window.resize(1024, 640)
    gui.window.show()
    assert dashboard.stream_card.isHidden(), "no 'Offline' card with nothing in it"
    assert dashboard.chart_card.isHidden(), "no empty viewer chart"
    assert dashboard.stats_row.isHidden(), "no row of zeros"
    body = dashboard.body
    assert body.indexOf(dashboard.cards_row) < body.indexOf(dashboard.feeds), "queue and URLs first"

    go_live(gui)  # the dummy channel connects and goes live with 7 viewers
    gui.run(until(lambda: dashboard.chart.points, what="a point on the viewer chart"))
    assert dashboard.stream_card.isVisible() and dashboard.chart_card.isVisible()
    assert dashboard.stream_card.badge.text() == "LIVE"
    assert dashboard.stream_card.viewers.text() == "7"
    assert dashboard.stream_card.title.text() == "Dummy stream"
    assert dashboard.stats_row.isVisible()
    assert body.indexOf(dashboard.feeds) < body.indexOf(dashboard.cards_row), "chat first, live"


def visible_words(page: QWidget) -> str:
    """Every word the page shows: labels, buttons, field hints, lists and the chat."""
    words = [w.text() for w in page.findChildren(QLabel) if w.isVisibleTo(page)]
    words += [w.text() for w in page.findChildren(QAbstractButton) if w.isVisibleTo(page)]
    words += [w.placeholderText() for w in page.findChildren(QLineEdit) if w.isVisibleTo(page)]
    for view in page.findChildren(QTextEdit):
        words += [view.toPlainText(), view.placeholderText()]
    for feed in page.findChildren(QListWidget):
        words += [feed.item(row).text() for row in range(feed.count())]
    return "\n".join(words)


FLAG = re.compile(r"(?<![\w-])--?[a-z][\w-]*")  # --demo, -v
PATH = re.compile(r"(?:^|[\s(“\"'])(?:~?/|[A-Za-z]:\\)[^\s]")  # /home/…, ~/…, C:\…


def test_the_dashboard_speaks_in_words_not_flags_or_paths(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int
) -> None:
    """Demo mode forced at start-up (``--demo``), a database kept aside and secrets in a file
    (each with a path in the app's own sentence): the Dashboard says what happened, in words."""
    data = tmp_path / "data"
    session = GuiSession(gui_options(data, free_port, demo=True), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    gui = Gui(session, qloop)
    try:
        assert gui.app.demo.reason == FORCED_REASON and "--demo" in FORCED_REASON
        gui.app.state.notices.append(
            "The database was updated for this version of Streampai Desktop. A copy from "
            f"before the update is at {data / 'backups' / 'streampai-20260101-120000.db'}."
        )
        gui.app.state.secrets_warning = gui.app.secrets.warning or (
            f"Secrets stored unencrypted in {data / 'secrets.json'} (no system keyring is "
            "available)."
        )
        page = DashboardPage(gui.vm)  # built now, with those notices
        page.resize(1024, 640)
        page.show()
        gui.run(gui.vm.tasks.wait_idle())
        words = visible_words(page) + "\n" + visible_words(gui.window.dashboard)
        assert not FLAG.findall(words), FLAG.findall(words)
        assert not PATH.findall(words), PATH.findall(words)
        assert str(data) not in words and str(tmp_path) not in words
        assert "“streampai-20260101-120000.db” in the data folder" in words, "what, not where"
        assert "Demo chat and alerts (marked as tests) are being sent to your overlays" in words
        page.close()
        page.deleteLater()
    finally:
        qloop.run_until_complete(session.stop())
