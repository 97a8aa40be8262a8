"""A burst of Facebook reactions shows on the Dashboard as the stream's running totals: the
total, each type with its count and share (the most given first), and the last second's burst;
a new stream starts from nothing. The tallies are the Facebook mapping's, observed the way the
stream manager observes a connector's events, and reach the window over the real bus."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from streampai_desktop.core.events import Event, Platform, StreamOnline
from streampai_desktop.platforms.facebook.mapping import ReactionTally
from streampai_desktop.ui.pages.channel_activity_card import ReactionsPanel
from streampai_desktop.ui.pages.dashboard import DashboardPage
from tests.gui.conftest import Gui, until

pytestmark = pytest.mark.gui

ACCOUNT = "acc-facebook"


def observe(gui: Gui, event: Event) -> None:
    async def arrive() -> None:
        gui.app.streams.activity.observe(ACCOUNT, "facebook", event)

    gui.run(arrive())


@pytest.fixture
def dashboard(gui: Gui) -> DashboardPage:
    gui.window.resize(1180, 760)
    gui.window.show()
    gui.window.show_page("dashboard")
    return gui.window.dashboard


def rows(panel: ReactionsPanel) -> list[tuple[str, str, str]]:
    return [(r.title.text(), r.counts.text(), r.share.text()) for r in panel.rows]


def test_a_reaction_burst_shows_as_running_totals(
    gui: Gui, dashboard: DashboardPage, artifacts_dir: Path
) -> None:
    card = dashboard.channel_activity
    assert card.isHidden()
    tally = ReactionTally("vid-1", {})
    second = datetime.now(UTC).replace(microsecond=0)
    tally.add({"LIKE": 40, "LOVE": 12, "WOW": 3})
    burst = tally.take(second)
    assert burst is not None
    observe(gui, burst)
    panel = gui.run(until(lambda: card.reactions.by_account.get(ACCOUNT), what="the card"))
    assert card.isVisible() and panel.isVisible()
    assert panel.kind.text() == "REACTIONS"
    assert panel.title.text() == "55 reactions"
    assert panel.status.text() == "Last: +40 Like · 12 Love · 3 Wow"
    assert rows(panel) == [("Like", "40", "73%"), ("Love", "12", "22%"), ("Wow", "3", "5%")]

    # The next second's reactions add to the totals; Love overtakes Like.
    tally.add({"LIKE": 41, "LOVE": 60, "WOW": 3, "HAHA": 2})
    later = tally.take(second.replace(second=(second.second + 1) % 60))
    assert later is not None
    observe(gui, later)
    gui.run(until(lambda: panel.title.text() == "106 reactions", what="the new total"))
    gui.window.grab().save(str(artifacts_dir / "dashboard-facebook-reactions.png"))
    assert panel.status.text() == "Last: +48 Love · 2 Haha · 1 Like"
    assert [r[0] for r in rows(panel)] == ["Love", "Like", "Wow", "Haha"]
    assert panel.rows[0].bar.accessibleName() == "Love: 57%, 60"

    # A new stream starts from nothing: the card goes.
    observe(gui, StreamOnline(platform=Platform.FACEBOOK, id="online:vid-2", title="Again"))
    gui.run(until(lambda: card.isHidden(), what="the card to go"))
