"""The Events page lists the channel's own moments (charity, hype trains, polls, predictions,
shoutouts, ad breaks, goals, the streamer's raid) and the chat notices, each in words, under its
own section of the Kinds menu."""

from __future__ import annotations

import pytest

from streampai_desktop.core.events import ALERT_KINDS, EVENT_TYPES
from streampai_desktop.platforms.twitch import mapping
from streampai_desktop.ui.pages.events import KIND_SECTIONS
from streampai_desktop.ui.viewmodels.event_table import (
    COL_DETAILS,
    COL_KIND,
    COL_STATUS,
    COL_USER,
)
from tests.fakes.twitch import load_payload
from tests.gui.conftest import Gui, events_page, until
from tests.gui.test_events_page import pick, show_everything

pytestmark = pytest.mark.gui

RECORDED = (
    "charity_campaign_donate",
    "hype_train_begin",
    "poll_end",
    "prediction_end",
    "shoutout_receive",
    "ad_break_begin",
    "goal_begin",
    "raid_outgoing",
    "chat_notification_pay_it_forward",
)


def rows(gui: Gui) -> list[tuple[str, ...]]:
    proxy = events_page(gui).proxy
    columns = (COL_KIND, COL_USER, COL_DETAILS, COL_STATUS)
    return [tuple(proxy.index(r, c).data() for c in columns) for r in range(proxy.rowCount())]


def test_every_kind_is_in_exactly_one_section_of_the_kinds_menu() -> None:
    listed = [kind for _title, kinds in KIND_SECTIONS for kind in kinds]
    assert sorted(listed) == sorted(EVENT_TYPES)
    sections = dict(KIND_SECTIONS)
    assert "chat_notification" in sections["Chat"]
    assert {"poll_end", "hype_train_progress", "ad_break", "raid_sent"} <= set(sections["Channel"])


def test_the_channels_moments_read_as_rows(gui: Gui) -> None:
    gui.window.show_page("events")
    show_everything(gui)

    async def arrive() -> None:
        for name in RECORDED:
            for event in mapping.map_notification(load_payload(name)):
                await gui.app.ingest.submit(event)
        await until(lambda: len(rows(gui)) == len(RECORDED), what="every row")

    gui.run(arrive())
    shown = set(rows(gui))
    assert ("Charity", "GenerousUser1", "$100.00 to Example name", "waiting") in shown
    # A hype train is nobody's doing: no "Anonymous" in the user column.
    assert ("Hype Train", "", "started at level 1", "waiting") in shown
    assert (
        "Poll result",
        "",
        "Aren\u2019t shoes just really hard socks? \u2014 Yellow won with 140 votes (41%)",
        "",
    ) in shown
    assert ("Shoutout", "SimplySimple", "gave you a shoutout (860 viewers)", "") in shown
    assert ("Ad break", "Cool_Streamer", "60 seconds", "") in shown
    assert ("Raid sent", "Cool_User", "was raided by you with 9,001 viewers", "") in shown
    assert (
        "Chat notice",
        "BaBa_Avil",
        "BaBa_Avil is paying forward the Gift they got from sarius05 to melizhr!",
        "",
    ) in shown

    page = events_page(gui)
    pick(page.kind_filter, "Alerts only")
    assert {r[0] for r in rows(gui)} == {"Charity", "Hype Train"}
    assert {"charity_donation", "hype_train_begin"} <= set(ALERT_KINDS)
    pick(page.kind_filter, "Chat only")
    assert [r[0] for r in rows(gui)] == ["Chat notice"]
