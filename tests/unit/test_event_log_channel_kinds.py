"""Every new kind goes into the event log (a real SQLite file) and comes back the same."""

from __future__ import annotations

from pathlib import Path

from streampai_desktop.platforms.twitch import mapping
from streampai_desktop.store import open_database
from streampai_desktop.stream.event_log import recent_events, write_events
from tests.fakes.twitch import PAYLOADS, load_payload

NEW = (
    "chat_notification",
    "charity_donation",
    "hype_train_begin",
    "hype_train_progress",
    "hype_train_end",
    "poll_begin",
    "poll_progress",
    "poll_end",
    "prediction_begin",
    "prediction_progress",
    "prediction_lock",
    "prediction_end",
    "shoutout_sent",
    "shoutout_received",
    "ad_break",
    "goal_begin",
    "goal_progress",
    "goal_end",
    "raid_sent",
)


def test_the_new_kinds_survive_the_event_log(tmp_path: Path) -> None:
    events = [
        event
        for path in sorted(PAYLOADS.glob("*.json"))
        for event in mapping.map_notification(load_payload(path.stem))
        if event.kind in NEW
    ]
    assert {e.kind for e in events} == set(NEW), "a recorded payload for every new kind"
    opened = open_database(tmp_path)
    try:
        write_events(opened.db, events)
        back = recent_events(opened.db, 500)
    finally:
        opened.db.close()
    assert sorted(back, key=lambda e: e.id) == sorted(events, key=lambda e: e.id)
