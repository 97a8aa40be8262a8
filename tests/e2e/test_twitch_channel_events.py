"""The fake Twitch's charity donation and hype train reach the Alert Box in Chromium with their
templates, images and amounts; the streamer's own raid and the chat notices never alert."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest

from streampai_desktop.core.events import HypeTrainLevelUp, RaidSent
from tests.e2e.test_overlays import poll
from tests.e2e.test_twitch_channel import (  # noqa: F401 - the fixture and the sign-in step
    RECORD_ALERTS,
    channel,
    connect_channel,
)
from tests.fakes.twitch import load_payload

pytestmark = pytest.mark.e2e

ALERT = """(id) => {
  const a = document.querySelector(`[data-testid=alert][data-event-id="${id}"]`);
  if (!a) return null;
  const h = a.querySelector('[data-testid=alert-headline]');
  const img = a.querySelector('[data-testid=alert-image]');
  return {
    headline: h && h.innerText.replace(/\\s+/g, ' ').trim(),
    image: img ? img.getAttribute('src') : '',
  };
}"""


async def test_a_charity_donation_and_a_hype_train_show_on_the_alert_box(
    channel,  # noqa: F811 - the fake Twitch + app fixture of test_twitch_channel
    artifacts_dir: Path,
) -> None:
    stage, fake = channel
    app = stage.app
    await connect_channel(app, fake)
    await stage.fast_alerts()
    app.alerts.clear()  # what the demo left waiting before the channel was connected
    config = copy.deepcopy(app.widgets["alert_box"].config)
    # The streamer's own words for charity donations; the hype train keeps the defaults.
    config["types"]["charity_donation"]["template"] = "{name} gave {amount} for {charity}"
    config["types"]["charity_donation"]["duration_ms"] = 3000
    await app.widgets.save_config("alert_box", config)
    page = await stage.open("alert_box")
    await page.evaluate(RECORD_ALERTS)

    donation_id = await fake.push_recorded("charity_campaign_donate")
    assert donation_id is not None
    shown = await poll(page, ALERT, "a1b2c3-aabb-4455-d1e2f3", seconds=10)
    assert shown is not None, "the charity donation alert is on screen"
    assert shown["headline"] == "GenerousUser1 gave $100.00 for Example name"
    assert "charity.svg" in shown["image"]
    await page.screenshot(path=str(artifacts_dir / "twitch_charity_alert.png"))

    # Not alerts: the streamer's own raid, and the chat line Twitch shows for a raid.
    await fake.push_recorded("raid_outgoing")
    await fake.push_recorded("chat_notification_raid")
    begin_id = await fake.push_recorded("hype_train_begin")
    begin = await poll(page, ALERT, begin_id, seconds=10)
    assert begin is not None and begin["headline"] == "The Hype Train has started at level 1!"
    assert "hype_train.svg" in begin["image"]
    level_two = copy.deepcopy(load_payload("hype_train_progress")["payload"]["event"])
    await fake.push("channel.hype_train.progress", level_two)
    await fake.push("channel.hype_train.progress", level_two)  # the same level again: no alert
    level_id = "hype_train:1b0AsbInCHZW2SQFQkCzqN07Ib2:level:2"
    level_up = await poll(page, ALERT, level_id, seconds=10)
    assert level_up is not None and level_up["headline"] == "Hype Train level 2!"
    await page.screenshot(path=str(artifacts_dir / "twitch_hype_train_alert.png"))
    await asyncio.sleep(1.5)  # time for anything else that would (wrongly) alert
    alerts = await page.evaluate("() => window.__alerts")
    assert alerts == ["a1b2c3-aabb-4455-d1e2f3", begin_id, level_id], "nothing else alerted"
    assert page.errors == []

    for _ in range(100):  # the event log is written in batches
        logged = await app.recent_events(50)
        if any(isinstance(e, RaidSent) for e in logged):
            break
        await asyncio.sleep(0.05)
    assert [e.viewers for e in logged if isinstance(e, RaidSent)] == [9001]
    assert [e.level for e in logged if isinstance(e, HypeTrainLevelUp)] == [2]
    activity = app.streams.channel_activity()
    (running,) = activity.values()
    assert running.hype_train is not None and running.hype_train.level == 2
    assert running.raid is not None and running.raid.to == "Cool_User"
