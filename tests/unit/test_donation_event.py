"""A donation relayed by the account service becomes one alert, once, whatever the account."""

from __future__ import annotations

import uuid

from streampai_desktop.cloud.live import donation_event
from streampai_desktop.core.events import Money


def service_donation(number: int, **extra: object) -> dict[str, object]:
    return {
        "id": number,  # the account's own count: 1, 2, 3 … for every streamer
        "public_id": str(uuid.uuid4()),
        "name": "Dave",
        "amount": 500,
        "currency": "USD",
        "message": "gg",
        "created_at": "2026-12-03T12:00:00Z",
        **extra,
    }


def test_the_first_donation_of_two_accounts_are_two_alerts() -> None:
    # Signed out of one account and into another in one session: both have a donation number 1.
    first = donation_event(service_donation(1))
    other_account = donation_event(service_donation(1))
    assert first.id != other_account.id
    assert first.amount == Money(500, "USD") and first.user.display_name == "Dave"


def test_the_same_donation_delivered_twice_is_one_alert() -> None:
    donation = service_donation(7)
    assert donation_event(donation).id == donation_event(dict(donation)).id
