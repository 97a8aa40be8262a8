"""The Dashboard shows what runs on the channel: an ad break counting down, the poll with its
shares and then its result, the prediction in Twitch's colours, the hype train's level (issue
#13, point 4).

Twitch's own recorded notifications go through the real mapping into the app's real channel
activity tracker, whose notices reach the window over the real bus; the tests read what the
streamer would read on the Dashboard.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget

from streampai_desktop.core.events import Event
from streampai_desktop.platforms.twitch import mapping
from streampai_desktop.store import operations
from streampai_desktop.ui.focus_order import reading_order
from streampai_desktop.ui.formatting import format_countdown, format_percent
from streampai_desktop.ui.pages.channel_activity_card import (
    POLL_COLOR,
    ChannelActivityCard,
    HypeTrainPanel,
    PollPanel,
    PredictionPanel,
    ShareRow,
)
from streampai_desktop.ui.pages.dashboard import DashboardPage
from tests.fakes.twitch import load_payload
from tests.gui.conftest import Gui, until

pytestmark = pytest.mark.gui

ACCOUNT = "acc-twitch"
FADED = "rgba(145, 70, 255, 0.4)"  # the poll's purple at half strength
DASH = "\N{EM DASH}"


def recorded(name: str, **changes: Any) -> Event:
    """Twitch's recorded notification ``name`` as the connector maps it, with ``changes`` (the
    recordings' times are years old)."""
    (event,) = mapping.map_notification(load_payload(name))
    return dataclasses.replace(event, **changes)  # type: ignore[type-var]


def observe(gui: Gui, event: Event, account_id: str = ACCOUNT) -> None:
    """The event arrives from the account's connector (what the stream manager does)."""

    async def arrive() -> None:
        gui.app.streams.activity.observe(account_id, "twitch", event)

    gui.run(arrive())


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def dashboard(gui: Gui) -> DashboardPage:
    gui.window.resize(1180, 760)
    gui.window.show()
    gui.window.show_page("dashboard")
    return gui.window.dashboard


def card_of(dashboard: DashboardPage) -> ChannelActivityCard:
    return dashboard.channel_activity


def panel(dashboard: DashboardPage, kind: type[Any], account_id: str = ACCOUNT) -> Any:
    groups = {PollPanel: "polls", PredictionPanel: "predictions", HypeTrainPanel: "trains"}
    return getattr(card_of(dashboard), groups[kind]).by_account.get(account_id)


def row_texts(row: ShareRow) -> tuple[str, str, str]:
    return row.title.text(), row.counts.text(), row.share.text()


def shown_labels(widget: QWidget) -> list[str]:
    return [w.text() for w in widget.findChildren(QLabel) if w.isVisible() and w.text()]


def test_nothing_running_shows_nothing_and_an_ad_break_counts_down_then_goes(
    gui: Gui, dashboard: DashboardPage
) -> None:
    card = card_of(dashboard)
    assert card.isHidden(), "no empty card while nothing runs"
    assert not card.timer.isActive(), "no timer while no countdown shows"
    stops_before = reading_order(dashboard)

    observe(gui, recorded("ad_break_begin", at=now(), duration_s=90))
    strip = gui.run(until(lambda: card.ads.get(ACCOUNT), what="the ad break"))
    assert card.isVisible() and strip.isVisible()
    first = strip.text.text()
    assert first in (f"Ad break {DASH} 1:30 left", f"Ad break {DASH} 1:29 left")
    assert strip.bar.accessibleName() == f"Ad break: {first.split(DASH)[1][1:5]} left of 1:30"
    # A second later it reads one second less (the timer ticks with no new notice).
    gui.run(until(lambda: strip.text.text() != first, within=2.5, what="the countdown ticks"))
    seconds = int(first[-7:-5]) - 1
    assert strip.text.text() == f"Ad break {DASH} 1:{seconds:02d} left"
    assert 0 < strip.bar.value() < 100, "the thin bar fills as the ads play"
    assert reading_order(dashboard) == stops_before, "nothing new to Tab through"

    # A short one replaces it; when its time is up the strip and the card go.
    observe(gui, recorded("ad_break_begin", at=now(), duration_s=1))
    gui.run(until(lambda: card.isHidden(), within=3, what="the ad break to end"))
    assert not card.ads and not card.timer.isActive()


def test_a_poll_shows_its_votes_and_shares_then_keeps_its_result_until_the_next(
    gui: Gui, dashboard: DashboardPage
) -> None:
    card = card_of(dashboard)
    observe(gui, recorded("poll_begin", ends_at=now() + timedelta(seconds=100)))
    poll = gui.run(until(lambda: panel(dashboard, PollPanel), what="the poll"))
    assert poll.title.text() == load_payload("poll_begin")["payload"]["event"]["title"]
    assert poll.status.text() in ("0 votes · 1:40 left", "0 votes · 1:39 left")
    assert poll.channel.isHidden(), "one channel: no need to name it"
    assert [row_texts(r) for r in poll.rows] == [
        ("Yeah!", "0 votes", "0%"),
        ("No!", "0 votes", "0%"),
        ("Maybe!", "0 votes", "0%"),
    ]
    assert card.timer.isActive(), "the time left ticks"

    observe(gui, recorded("poll_progress", ends_at=now() + timedelta(seconds=100)))
    gui.run(until(lambda: poll.rows[0].counts.text() == "12 votes", what="the votes"))
    assert [row_texts(r) for r in poll.rows] == [
        ("Yeah!", "12 votes", "36%"),
        ("No!", "14 votes", "42%"),
        ("Maybe!", "7 votes", "21%"),
    ]
    assert poll.status.text().startswith("33 votes · 1:")
    assert [r.bar.value() for r in poll.rows] == [364, 424, 212]  # per mille of the bar
    assert poll.rows[1].bar.accessibleName() == "No!: 42%, 14 votes"
    assert [r.won for r in poll.rows] == [None, None, None], "no winner while it runs"
    assert poll.rows[0].bar.color == POLL_COLOR

    observe(gui, recorded("poll_end"))
    gui.run(until(lambda: poll.status.text().startswith("Ended"), what="the result"))
    assert poll.status.text() == "Ended · 340 votes"
    assert [row_texts(r) for r in poll.rows] == [
        ("Blue", "120 votes", "35%"),
        ("\N{CHECK MARK} Yellow", "140 votes", "41%"),
        ("Green", "80 votes", "24%"),
    ]
    assert [r.won for r in poll.rows] == [False, True, False]
    assert poll.rows[1].title.objectName() == "activityWinner", "in bold"
    assert [r.bar.color for r in poll.rows] == [FADED, POLL_COLOR, FADED], "the others fade"
    assert poll.rows[1].bar.accessibleName() == "Yellow, the winner: 41%, 140 votes"
    assert not card.timer.isActive(), "a result does not tick"
    gui.run(asyncio.sleep(1.2))
    assert card.isVisible() and panel(dashboard, PollPanel) is poll, "the result stays"

    observe(
        gui,
        recorded("poll_begin", poll_id="next-poll", ends_at=now() + timedelta(seconds=60)),
    )
    gui.run(until(lambda: poll.status.text().startswith("0 votes"), what="the next poll"))
    assert [r.won for r in poll.rows] == [None, None, None]
    assert poll.rows[1].title.text() == "No!"
    assert poll.rows[1].title.objectName() == "shareTitle"


def test_a_prediction_in_twitch_colours_from_open_to_locked_to_its_winner(
    gui: Gui, dashboard: DashboardPage
) -> None:
    locks_at = now() + timedelta(seconds=90)
    observe(gui, recorded("prediction_begin", locks_at=locks_at))
    prediction = gui.run(until(lambda: panel(dashboard, PredictionPanel), what="the prediction"))
    assert prediction.status.text() in ("Locks in 1:30", "Locks in 1:29")
    assert [r.bar.color for r in prediction.rows] == ["#387aff", "#f5009b"], "blue and pink"

    observe(gui, recorded("prediction_progress", locks_at=locks_at))
    gui.run(until(lambda: prediction.rows[0].share.text() == "100%", what="the bets"))
    assert [row_texts(r) for r in prediction.rows] == [
        ("Yeah!", "15,000 points · 10 people", "100%"),
        ("No!", "0 points · 0 people", "0%"),
    ]
    assert prediction.rows[0].bar.accessibleName() == "Yeah!: 100%, 15,000 points · 10 people"

    observe(gui, recorded("prediction_lock"))
    gui.run(until(lambda: prediction.status.text().startswith("Locked"), what="locked"))
    assert prediction.status.text() == "Locked · waiting for the result"

    observe(gui, recorded("prediction_end"))
    gui.run(until(lambda: prediction.status.text() == "Yeah! won", what="the winner"))
    assert [row_texts(r) for r in prediction.rows] == [
        ("\N{CHECK MARK} Yeah!", "15,000 points · 2 people", "99%"),
        ("No!", "200 points · 2 people", "1%"),
    ]
    assert [r.won for r in prediction.rows] == [True, False]
    assert prediction.rows[1].bar.color == "rgba(245, 0, 155, 0.4)", "the pink side faded"

    observe(gui, recorded("prediction_end", prediction_id="p2", status="canceled"))
    gui.run(until(lambda: prediction.status.text().startswith("Canceled"), what="canceled"))
    assert prediction.status.text() == "Canceled · points returned"
    assert [r.won for r in prediction.rows] == [None, None], "canceled: nobody won"


def test_a_hype_train_shows_its_level_progress_time_and_who_shares_it(
    gui: Gui, dashboard: DashboardPage
) -> None:
    card = card_of(dashboard)
    ends_at = now() + timedelta(seconds=300)
    observe(gui, recorded("hype_train_progress_shared", ends_at=ends_at))
    train = gui.run(until(lambda: panel(dashboard, HypeTrainPanel), what="the hype train"))
    assert train.kind.text() == "GOLDEN KAPPA TRAIN"
    assert train.level.text() == "Level 3"
    assert train.progress.text() == "500 of 2,100 points to level 4"
    assert train.bar.value() == 238  # 23.8 %
    assert train.bar.accessibleName() == ("Hype train level 3: 500 of 2,100 points to level 4, 24%")
    assert train.status.text() in ("5:00 left", "4:59 left")
    assert train.shared.text() == "Shared with PogChamp"

    observe(gui, recorded("hype_train_end"))
    gui.run(until(lambda: card.isHidden(), what="the train to leave"))
    assert panel(dashboard, HypeTrainPanel) is None


def test_everything_at_once_sits_under_the_stream_and_names_channels_when_there_are_two(
    gui: Gui, dashboard: DashboardPage
) -> None:
    app = gui.app

    async def two_accounts() -> tuple[str, str]:
        first = await app.run_db(
            operations.save_account, app.db, "twitch", "1337", "cool_streamer", "Cool_Streamer"
        )
        second = await app.run_db(
            operations.save_account, app.db, "twitch", "4242", "pogchamp", "PogChamp"
        )
        await gui.vm.streams.reload_accounts()
        return first.id, second.id

    first, second = gui.run(two_accounts())
    soon = now() + timedelta(seconds=120)
    observe(gui, recorded("poll_progress", ends_at=soon), first)
    observe(gui, recorded("prediction_progress", locks_at=soon), first)
    observe(gui, recorded("hype_train_progress", ends_at=soon), second)
    observe(gui, recorded("ad_break_begin", at=now(), duration_s=60), second)
    card = card_of(dashboard)
    gui.run(until(lambda: panel(dashboard, HypeTrainPanel, second), what="both channels"))
    poll = panel(dashboard, PollPanel, first)
    assert poll.channel.text() == "Twitch · Cool_Streamer"
    assert panel(dashboard, PredictionPanel, first).channel.text() == "Twitch · Cool_Streamer"
    assert panel(dashboard, HypeTrainPanel, second).channel.text() == "Twitch · PogChamp"
    assert card.ads[second].detail.text() == "Twitch · PogChamp"
    words = shown_labels(card)
    assert "Level 2" in words
    assert any(w.startswith("Locks in ") for w in words)

    body = dashboard.body
    assert (
        body.indexOf(dashboard.stream_row) < body.indexOf(card) < body.indexOf(dashboard.cards_row)
    ), "right under the stream, above the queue and the overlays"


def test_countdowns_and_shares_read_as_a_streamer_expects() -> None:
    assert [format_countdown(s) for s in (0, 0.2, 9, 59.5, 83, 3723)] == [
        "0:00",
        "0:01",  # rounded up: "0:00" only once nothing is left
        "0:09",
        "1:00",
        "1:23",
        "1:02:03",
    ]
    assert [format_percent(p) for p in (0, 0.5, 36.4, 99.6, 100)] == [
        "0%",
        "<1%",
        "36%",
        ">99%",
        "100%",
    ]
