"""The Events page: live events from the bus, history on open, filters."""

from __future__ import annotations

from pathlib import Path

import pytest
import qasync

from streampai_desktop.app import App
from streampai_desktop.core.events import (
    ChatMessage,
    Cheer,
    Donation,
    Follow,
    Money,
    Platform,
    User,
)
from streampai_desktop.ui.session import GuiSession
from streampai_desktop.ui.viewmodels.event_table import COL_DETAILS, COL_TEST, COL_USER, MAX_ROWS
from tests.gui.conftest import Gui, events_page, gui_options, until

pytestmark = pytest.mark.gui

VIEWER = User(id="42", login="pixelpaladin", display_name="PixelPaladin")


def shown(gui: Gui) -> list[tuple[str, ...]]:
    """The table as the streamer sees it: (user, details, test) per visible row, top first."""
    proxy = events_page(gui).proxy
    return [
        tuple(proxy.index(r, c).data() for c in (COL_USER, COL_DETAILS, COL_TEST))
        for r in range(proxy.rowCount())
    ]


def test_injected_events_show_up_and_filters_hide_them(gui: Gui) -> None:
    page = events_page(gui)
    gui.window.show_page("events")

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
    assert rows[0] == ("PixelPaladin", "hello", ""), "newest first"
    assert ("PixelPaladin", "$5.00: keep it up", "test") in rows
    assert ("PixelPaladin", "cheered 100 bits", "") in rows

    page.kind_filter.setCurrentIndex(page.kind_filter.findData("cheer"))
    assert [r[1] for r in shown(gui)] == ["cheered 100 bits"]
    page.platform_filter.setCurrentIndex(page.platform_filter.findData("youtube"))
    assert shown(gui) == [], "kind and platform filters combine"
    page.kind_filter.setCurrentIndex(0)  # All kinds
    assert [r[1] for r in shown(gui)] == ["hello"]
    page.platform_filter.setCurrentIndex(0)
    page.search.setText("KEEP it")
    assert [r[1] for r in shown(gui)] == ["$5.00: keep it up"]
    assert "1 of 3 shown" in page.count.text()
    page.search.clear()
    assert len(shown(gui)) == 3


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
