"""The event model: JSON round-trip for every kind, and clear errors on malformed payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streampai_desktop.core.events import (
    ALERT_KINDS,
    EVENT_TYPES,
    Badge,
    ChatMessage,
    Cheer,
    Donation,
    EventError,
    Follow,
    Fragment,
    GiftSubscription,
    Money,
    Platform,
    User,
    event_from_json,
)
from streampai_desktop.stream.demo import DemoSource

ALICE = User("1", "alice", "Alice", "#FF0000", (Badge("subscriber", "12", "12"),))


def test_every_kind_named_in_the_design_exists() -> None:
    expected = {
        "chat_message",
        "follow",
        "subscription",
        "gift_subscription",
        "cheer",
        "raid",
        "donation",
        "channel_point_redemption",
        "super_chat",
        "membership",
        "stream_online",
        "stream_offline",
        "viewer_count",
    }
    assert expected <= set(EVENT_TYPES)
    assert "chat_message" not in ALERT_KINDS and "follow" in ALERT_KINDS


def test_round_trip_through_json_text_for_demo_events() -> None:
    demo = DemoSource(submit=None, seed=7)  # type: ignore[arg-type]
    for _ in range(200):
        for event in (demo.alert(), demo.chat_message()):
            assert event_from_json(json.loads(json.dumps(event.to_json()))) == event


def test_chat_message_keeps_fragments_badges_and_time() -> None:
    at = datetime(2026, 11, 24, 7, 0, 0, 123000, tzinfo=UTC)
    message = ChatMessage(
        platform=Platform.TWITCH,
        id="m1",
        at=at,
        user=ALICE,
        text="hi Kappa",
        fragments=(Fragment("text", "hi "), Fragment("emote", "Kappa", emote_id="25")),
    )
    data = message.to_json()
    assert data["kind"] == "chat_message"
    assert data["at"] == "2026-11-24T07:00:00.123000Z"
    assert data["user"]["badges"] == [{"set_id": "subscriber", "id": "12", "info": "12"}]
    assert event_from_json(data) == message


def test_amounts_are_integer_minor_units() -> None:
    donation = Donation(platform="streampai", user=None, amount=Money(500, "usd"))
    assert donation.to_json()["amount"] == {"minor": 500, "currency": "USD"}
    assert donation.platform is Platform.STREAMPAI
    with pytest.raises(EventError, match="whole number"):
        event_from_json({**donation.to_json(), "amount": {"minor": 5.5, "currency": "USD"}})


def test_anonymous_events_have_no_user() -> None:
    gift = GiftSubscription(platform=Platform.TWITCH, count=5, anonymous=True)
    assert gift.actor_name == "Anonymous"
    assert event_from_json(gift.to_json()) == gift


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "JSON object"),
        ({"kind": "nope", "platform": "twitch"}, "unknown event kind 'nope'"),
        ({"kind": "follow", "platform": "myspace"}, "unknown platform"),
        ({"kind": "cheer", "platform": "twitch"}, "missing field 'bits'"),
        ({"kind": "cheer", "platform": "twitch", "bits": "100"}, "whole number"),
        ({"kind": "follow", "platform": "twitch", "at": "yesterday"}, "ISO 8601"),
        ({"kind": "follow", "platform": "twitch", "at": "2026-01-01T00:00:00"}, "timezone"),
        ({"kind": "follow", "platform": "twitch", "user": {"id": "1"}}, "missing field 'login'"),
    ],
)
def test_malformed_payloads_get_a_clear_error(payload: object, message: str) -> None:
    with pytest.raises(EventError, match=message):
        event_from_json(payload)


def test_missing_id_and_time_are_filled_in() -> None:
    event = event_from_json({"kind": "follow", "platform": "twitch"})
    assert isinstance(event, Follow) and len(event.id) == 32
    assert event.at.tzinfo is not None


@given(text=st.text(), bits=st.integers(min_value=0, max_value=10**9))
def test_any_text_survives_the_round_trip(text: str, bits: int) -> None:
    cheer = Cheer(platform=Platform.TWITCH, id="c", user=ALICE, bits=bits, message=text)
    assert event_from_json(json.loads(json.dumps(cheer.to_json()))) == cheer
