"""The event table model on its own: bounded, newest first, no duplicates; and the summaries."""

from __future__ import annotations

import pytest

from streampai_desktop.core.events import (
    ChannelPointRedemption,
    Follow,
    GiftSubscription,
    Money,
    Platform,
    Raid,
    SuperChat,
)
from streampai_desktop.ui.formatting import format_money, summarize
from streampai_desktop.ui.viewmodels.event_table import COL_DETAILS, EventTableModel

pytestmark = pytest.mark.gui


def test_model_keeps_the_newest_rows_and_skips_duplicates(qapp: object) -> None:
    model = EventTableModel(max_rows=10)
    events = [Raid(platform=Platform.TWITCH, id=f"r{i}", viewers=i) for i in range(25)]
    model.add_live(events[:20])
    model.add_live(events[15:])  # five of these are already shown
    assert model.rowCount() == 10
    details = [model.index(r, COL_DETAILS).data() for r in range(model.rowCount())]
    assert details[0] == "raided with 24 viewers"
    assert details[-1] == "raided with 15 viewers"
    model.add_history([Follow(platform=Platform.TWITCH, id="old")])
    assert model.rowCount() == 10, "history never pushes out live rows"


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (GiftSubscription(platform=Platform.TWITCH, count=5), "gifted 5 Tier 1 subs"),
        (
            SuperChat(platform=Platform.YOUTUBE, amount=Money(1999, "EUR"), message="hi"),
            "€19.99: hi",
        ),
        (
            ChannelPointRedemption(
                platform=Platform.TWITCH, reward_id="1", reward_title="Hydrate", cost=500
            ),
            "redeemed Hydrate (500 points)",
        ),
    ],
)
def test_summaries_read_like_a_sentence(event: object, text: str) -> None:
    assert summarize(event) == text  # type: ignore[arg-type]


def test_money_uses_minor_units_per_currency() -> None:
    assert format_money(Money(500, "USD")) == "$5.00"
    assert format_money(Money(500, "JPY")) == "¥500"
    assert format_money(Money(1250, "SEK")) == "12.50 SEK"
