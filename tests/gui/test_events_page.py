"""The Events page: live events from the bus, history on open, filters, alert status, replay."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import qasync
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from streampai_desktop.app import App
from streampai_desktop.core.events import (
    ChatMessage,
    Cheer,
    Donation,
    Follow,
    Money,
    Platform,
    Raid,
    StreamOnline,
    User,
    ViewerCount,
)
from streampai_desktop.ui.pages.events import MultiFilter
from streampai_desktop.ui.session import GuiSession
from streampai_desktop.ui.viewmodels.event_table import (
    COL_DETAILS,
    COL_REPLAY,
    COL_STATUS,
    COL_TIME,
    COL_USER,
    DEFAULT_KINDS,
    MAX_ROWS,
    format_date_time,
)
from tests.gui.conftest import Gui, events_page, gui_options, until

pytestmark = pytest.mark.gui

VIEWER = User(id="42", login="pixelpaladin", display_name="PixelPaladin")


def shown(gui: Gui) -> list[tuple[str, ...]]:
    """The table as the streamer sees it: (user, details, status) per visible row, top first."""
    proxy = events_page(gui).proxy
    return [
        tuple(proxy.index(r, c).data() for c in (COL_USER, COL_DETAILS, COL_STATUS))
        for r in range(proxy.rowCount())
    ]


def status_of(gui: Gui, details: str) -> str:
    """The status column of the (first) row whose details are ``details``."""
    for _user, row_details, status in shown(gui):
        if row_details == details:
            return status
    raise AssertionError(f"no row {details!r} in {shown(gui)}")


def pick(button: MultiFilter, text: str) -> None:
    """Choose the entry ``text`` in a filter button's menu."""
    menu = button.menu()
    assert menu is not None
    entry = next((a for a in menu.actions() if a.text() == text), None)
    assert entry is not None, f"no {text!r} in {[a.text() for a in menu.actions()]}"
    entry.trigger()


def show_everything(gui: Gui) -> None:
    pick(events_page(gui).kind_filter, "Everything")


def test_injected_events_show_up_and_filters_hide_them(gui: Gui) -> None:
    page = events_page(gui)
    gui.window.show_page("events")
    show_everything(gui)

    async def inject() -> None:
        await gui.app.ingest.submit(Cheer(platform=Platform.TWITCH, user=VIEWER, bits=100))
        await gui.app.ingest.submit(
            Donation(
                platform=Platform.STREAMPAI,
                user=VIEWER,
                amount=Money(500, "USD"),
                message="keep it up",
                test=True,
            )
        )
        await gui.app.ingest.submit(
            ChatMessage(platform=Platform.YOUTUBE, user=VIEWER, text="hello")
        )
        await until(lambda: len(shown(gui)) == 3, what="three rows")

    gui.run(inject())
    rows = shown(gui)
    assert rows[0] == ("PixelPaladin", "hello", ""), "newest first; chat has no alert status"
    assert ("PixelPaladin", "$5.00: keep it up", "test") in rows
    assert ("PixelPaladin", "cheered 100 bits", "waiting") in rows, "no alert box is open"

    page.kind_filter.set_checked(frozenset({"cheer"}))
    assert page.kind_filter.text() == "Kinds: Cheer"
    assert [r[1] for r in shown(gui)] == ["cheered 100 bits"]
    page.platform_filter.set_checked(frozenset({"youtube"}))
    assert page.platform_filter.text() == "Platforms: YouTube"
    assert shown(gui) == [], "kind and platform filters combine"
    show_everything(gui)
    assert [r[1] for r in shown(gui)] == ["hello"]
    pick(page.platform_filter, "Every platform")
    assert page.platform_filter.text() == "Platforms: All"
    page.search.setText("KEEP it")
    assert [r[1] for r in shown(gui)] == ["$5.00: keep it up"]
    assert "1 of 3 shown" in page.count.text()
    page.search.clear()
    assert len(shown(gui)) == 3


def test_events_that_came_before_the_page_was_first_opened_are_listed(gui: Gui) -> None:
    assert gui.window.pages.built("events") is None, "the page is built when first shown"

    async def before_opening() -> None:
        await gui.app.ingest.submit(Cheer(platform=Platform.TWITCH, user=VIEWER, bits=300))
        await until(lambda: gui.vm.event_table.rowCount() == 1, what="the cheer collected")

    gui.run(before_opening())
    events_page(gui)
    gui.window.show_page("events")
    assert len(shown(gui)) == 1 and "300" in " ".join(shown(gui)[0])


def test_events_from_earlier_runs_are_listed_on_open(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int
) -> None:
    data = tmp_path / "data"

    async def earlier_run() -> None:
        app = App(gui_options(data, free_port, headless=True))
        await app.start()
        try:
            for i in range(3):
                await app.ingest.submit(Follow(platform=Platform.KICK, id=f"f{i}", user=VIEWER))
        finally:
            await app.shutdown()

    qloop.run_until_complete(earlier_run())
    session = GuiSession(gui_options(data, free_port), use_tray=False)
    gui = Gui(session, qloop)
    assert gui.run(session.start()) is None
    try:
        gui.run(until(lambda: len(shown(gui)) == 3, what="history rows"))
        assert {r[1] for r in shown(gui)} == {"followed"}
        # The dashboard's latest events list shows them too.
        assert "PixelPaladin followed" in gui.window.dashboard.activity.item(0).text()
    finally:
        gui.run(session.stop())


def test_a_chat_flood_is_capped_and_batched(gui: Gui) -> None:
    page = events_page(gui)
    flushes: list[int] = []
    gui.vm.feed.events_arrived.connect(lambda batch: flushes.append(len(batch)))
    total = MAX_ROWS + 200

    async def flood() -> None:
        for i in range(total):
            await gui.app.ingest.submit(
                ChatMessage(platform=Platform.TWITCH, id=f"m{i}", user=VIEWER, text=f"spam {i}")
            )
        await until(lambda: sum(flushes) == total, what="every message delivered")

    gui.run(flood())
    assert page.model.rowCount() == MAX_ROWS, "the oldest rows were dropped"
    assert page.proxy.rowCount() == 0, "chat is not listed unless asked for"
    show_everything(gui)
    assert page.proxy.index(0, COL_DETAILS).data() == f"spam {total - 1}"
    assert len(flushes) < total / 10, "the table is updated in batches, not per message"


def test_replay_queues_the_selected_alert_again(gui: Gui) -> None:
    page = events_page(gui)
    gui.window.show_page("events")

    async def inject() -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, id="f1", user=VIEWER))
        await gui.app.ingest.submit(ChatMessage(platform=Platform.TWITCH, user=VIEWER, text="hi"))
        await until(lambda: len(shown(gui)) == 2, what="two rows")
        # The follow itself was queued when it happened (no alert box is open, so it waits).
        await until(lambda: gui.app.alerts.state()["pending"] == 1, what="queued")

    show_everything(gui)
    gui.run(inject())
    assert not page.replay_button.isEnabled(), "nothing selected"
    page.table.selectRow(0)  # the chat message (newest first)
    assert not page.replay_button.isEnabled() and not page.replay_action.isEnabled()

    page.table.selectRow(1)  # the follow
    assert page.replay_button.isEnabled()
    page.replay_button.click()
    assert gui.app.alerts.state()["pending"] == 2
    assert page.replay_status.text() == "1 alert(s) queued again."
    queued = list(gui.app.alerts.pending)
    assert queued[-1].replay and queued[-1].event.id == "f1"

    page.replay_action.trigger()  # the context menu's entry
    assert gui.app.alerts.state()["pending"] == 3
    # The Dashboard's queue panel saw it too.
    gui.run(until(lambda: "3 waiting" in gui.window.dashboard.queue_card.counts.text()))


def user(name: str) -> User:
    return User(id=name, login=name.lower(), display_name=name)


def status_by_user(gui: Gui) -> dict[str, str]:
    return {row[0]: row[2] for row in shown(gui)}


def test_the_page_opens_on_the_alerts_and_lists_chat_when_asked(gui: Gui) -> None:
    page = events_page(gui)
    gui.window.show_page("events")
    assert page.kind_filter.text() == "Kinds: Alerts"
    assert page.platform_filter.text() == "Platforms: All"

    async def inject() -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=VIEWER))
        await gui.app.ingest.submit(StreamOnline(platform=Platform.TWITCH, title="Live!"))
        for i in range(20):
            await gui.app.ingest.submit(
                ChatMessage(platform=Platform.TWITCH, user=VIEWER, text=f"chat {i}")
            )
        await gui.app.ingest.submit(ViewerCount(platform=Platform.TWITCH, viewers=12))
        await until(lambda: page.model.rowCount() == 23, what="every event in the table")

    gui.run(inject())
    kinds = {page.model.row_at(page.proxy.mapToSource(page.proxy.index(r, 0)).row()).kind
             for r in range(page.proxy.rowCount())}  # fmt: skip
    assert kinds == {"follow", "stream_online"}, "chat and viewer counts wait to be asked for"
    assert page.count.text() == "2 of 23 shown"

    page.kind_filter.actions_by_value["chat_message"].trigger()  # ticked in the Kinds menu
    assert page.kind_filter.text() == f"Kinds: {len(DEFAULT_KINDS) + 1} selected"
    assert page.proxy.rowCount() == 22 and page.count.text() == "22 of 23 shown"
    page.kind_filter.actions_by_value["follow"].trigger()  # and a follow unticked
    assert "followed" not in {r[1] for r in shown(gui)}

    pick(page.kind_filter, "Chat only")
    assert page.kind_filter.text() == "Kinds: Chat"
    assert {r[1] for r in shown(gui)} == {f"chat {i}" for i in range(20)}


def test_the_kinds_menu_stays_open_while_kinds_are_ticked(gui: Gui) -> None:
    page = events_page(gui)
    gui.window.show_page("events")
    menu = page.kind_filter.menu()
    assert menu is not None
    menu.popup(page.kind_filter.mapToGlobal(QPoint(0, page.kind_filter.height())))
    gui.run(until(menu.isVisible, what="the menu"))
    chat = page.kind_filter.actions_by_value["chat_message"]
    assert not chat.isChecked()
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(chat).center())
    assert chat.isChecked() and menu.isVisible(), "still open for the next pick"
    menu.close()


def test_platforms_can_be_picked_several_at_once(gui: Gui) -> None:
    from streampai_desktop.platforms.registry import PLATFORMS

    page = events_page(gui)
    assert set(page.platform_filter.actions_by_value) == {*PLATFORMS, "streampai"}

    async def inject() -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=user("OnTwitch")))
        await gui.app.ingest.submit(Follow(platform=Platform.KICK, user=user("OnKick")))
        await gui.app.ingest.submit(
            Raid(platform=Platform.YOUTUBE, user=user("OnYouTube"), viewers=9)
        )
        await gui.app.ingest.submit(
            Donation(platform=Platform.STREAMPAI, user=user("Tipper"), amount=Money(300, "USD"))
        )
        await until(lambda: len(shown(gui)) == 4, what="four alerts")

    gui.run(inject())
    page.platform_filter.set_checked(frozenset())
    assert shown(gui) == [] and page.platform_filter.text() == "Platforms: None"
    page.platform_filter.actions_by_value["twitch"].trigger()
    page.platform_filter.actions_by_value["streampai"].trigger()
    assert page.platform_filter.text() == "Platforms: 2 selected"
    assert {r[0] for r in shown(gui)} == {"OnTwitch", "Tipper"}
    page.platform_filter.actions_by_value["twitch"].trigger()
    assert page.platform_filter.text() == "Platforms: Streampai"
    assert {r[0] for r in shown(gui)} == {"Tipper"}


@pytest.mark.allow_logs(r"recorded as missed")
def test_each_alert_says_whether_it_was_shown_skipped_cleared_or_missed(gui: Gui) -> None:
    page = events_page(gui)
    gui.window.show_page("events")
    alerts = gui.app.alerts
    ws_url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"
    box = next(w for w in gui.vm.widgets() if w.type == "alert_box")

    async def follow(name: str, *, test: bool = False) -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=user(name), test=test))

    async def run_the_queue() -> None:
        config = copy.deepcopy(box.config)
        config["types"]["follow"]["duration_ms"] = 1000  # the shortest: one plays to its end
        await gui.vm.save_widget_config(box.id, config)
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
            await ws.send_str(json.dumps(subscribe))
            await follow("Skipped")
            await until(lambda: status_by_user(gui).get("Skipped") == "shown", what="on screen")
            alerts.skip()  # the Dashboard's Skip
            await until(lambda: status_by_user(gui).get("Skipped") == "skipped", what="skipped")
            await follow("Shown")
            await until(lambda: status_by_user(gui).get("Shown") == "shown", what="shown")
            await until(lambda: alerts.now is None, what="played to its end")
            alerts.pause()
            await follow("Cleared")
            await until(lambda: status_by_user(gui).get("Cleared") == "waiting", what="waiting")
            alerts.clear()
            await until(lambda: status_by_user(gui).get("Cleared") == "cleared", what="cleared")
            await follow("Tested", test=True)  # a test alert says so, whatever became of it
            await until(lambda: status_by_user(gui).get("Tested") == "test", what="a test")
            alerts.clear()
        # No alert box open any more, and alerts are kept for no time at all.
        await gui.vm.save_widget_config(box.id, {**config, "max_wait_s": 0})
        alerts.resume()
        await follow("Missed")
        await until(lambda: status_by_user(gui).get("Missed") == "missed", 5, what="missed")

    gui.run(run_the_queue())
    assert status_by_user(gui) == {
        "Missed": "missed",
        "Tested": "test",
        "Cleared": "cleared",
        "Shown": "shown",
        "Skipped": "skipped",
    }
    status = page.proxy.index(0, COL_STATUS)
    assert "no alert box was open" in status.data(Qt.ItemDataRole.ToolTipRole)


def test_each_alert_row_has_its_own_replay_button(gui: Gui) -> None:
    page = events_page(gui)
    gui.window.show_page("events")
    show_everything(gui)

    async def inject() -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, id="f1", user=VIEWER))
        await gui.app.ingest.submit(ChatMessage(platform=Platform.TWITCH, user=VIEWER, text="hi"))
        await until(lambda: len(shown(gui)) == 2, what="two rows")
        await until(lambda: status_of(gui, "followed") == "waiting", what="queued")

    gui.run(inject())
    assert page.proxy.index(0, COL_REPLAY).data() == "", "chat has no alert to replay"
    assert page.proxy.index(1, COL_REPLAY).data() == "Replay"
    assert not page.table.selectionModel().hasSelection()

    cell = page.table.visualRect(page.proxy.index(1, COL_REPLAY))
    assert cell.width() > 40, "the Replay column is on screen"
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    queued = list(gui.app.alerts.pending)
    assert len(queued) == 2 and queued[-1].replay and queued[-1].event.id == "f1"
    assert page.replay_status.text() == "1 alert(s) queued again."

    # A click on the row beside the button selects it; it does not replay.
    beside = page.table.visualRect(page.proxy.index(1, COL_DETAILS)).center()
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=beside)
    assert len(gui.app.alerts.pending) == 2
    assert page.table.selectionModel().isRowSelected(1)


def test_times_come_with_their_date(gui: Gui) -> None:
    page = events_page(gui)
    earlier = datetime.now(UTC) - timedelta(days=3)

    async def inject() -> None:
        await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=VIEWER, at=earlier))
        await until(lambda: len(shown(gui)) == 1, what="the follow")

    gui.run(inject())
    local = earlier.astimezone()
    time_cell = page.proxy.index(0, COL_TIME).data()
    assert time_cell == f"{local:%a} {local.day} {local:%b} {local:%H:%M:%S}"
    # The Dashboard's latest events say which day too (today's say only the time).
    gui.run(until(lambda: gui.window.dashboard.activity.item(0).text().startswith(time_cell)))
    # Another year says which.
    last_year = datetime(local.year - 1, 12, 3, 18, 2, 13).astimezone()
    assert (
        format_date_time(last_year) == f"{last_year:%a} 3 {last_year:%b} {local.year - 1} 18:02:13"
    )
