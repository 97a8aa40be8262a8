"""The local API: POST /api/v1/events puts a test event on the bus, with clear errors."""

from __future__ import annotations

from .conftest import RunningServer


async def test_post_event_reaches_the_bus_as_a_test_alert(running: RunningServer) -> None:
    alerts = running.bus.subscribe("events")
    body = {
        "kind": "cheer",
        "platform": "twitch",
        "bits": 500,
        "message": "Cheer500 hype",
        "user": {"id": "9", "login": "dave", "display_name": "Dave"},
    }
    async with running.http.post(
        f"{running.base}/api/v1/events", json=body, headers=running.api_headers()
    ) as resp:
        assert resp.status == 202
        reply = await resp.json()
    assert reply["accepted"] is True and reply["kind"] == "cheer"
    event = (await alerts.get()).payload
    assert event.id == reply["id"] and event.bits == 500 and event.test is True
    assert event.user.display_name == "Dave"


async def test_same_id_twice_is_reported_as_duplicate(running: RunningServer) -> None:
    body = {"kind": "follow", "platform": "twitch", "id": "follow-42", "test": False}
    statuses = []
    for _ in range(2):
        async with running.http.post(
            f"{running.base}/api/v1/events", json=body, headers=running.api_headers()
        ) as resp:
            statuses.append((resp.status, (await resp.json())["duplicate"]))
    assert statuses == [(202, False), (200, True)]


async def test_malformed_events_get_422_with_the_reason(running: RunningServer) -> None:
    cases = {
        '{"kind": "raid", "platform": "twitch"}': "missing field 'viewers'",
        '{"kind": "hug", "platform": "twitch"}': "unknown event kind 'hug'",
        "[1, 2]": "JSON object",
    }
    for raw, reason in cases.items():
        async with running.http.post(
            f"{running.base}/api/v1/events",
            data=raw,
            headers={**running.api_headers(), "Content-Type": "application/json"},
        ) as resp:
            assert resp.status == 422, raw
            assert reason in (await resp.json())["error"]
    async with running.http.post(
        f"{running.base}/api/v1/events",
        data="{oops",
        headers={**running.api_headers(), "Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "the body is not valid JSON"
    assert running.bus.published == 0


async def test_oversized_body_is_refused(running: RunningServer) -> None:
    body = {"kind": "chat_message", "platform": "twitch", "text": "x" * 400_000}
    async with running.http.post(
        f"{running.base}/api/v1/events", json=body, headers=running.api_headers()
    ) as resp:
        assert resp.status == 413
    assert running.bus.published == 0


async def test_alert_queue_controls(running: RunningServer) -> None:
    # What a stream deck sees: each button answers the queue's state after it acted.
    paused_after = {"pause": True, "skip": True, "clear": True, "resume": False}
    for action, paused in paused_after.items():
        async with running.http.post(
            f"{running.base}/api/v1/alerts/{action}", headers=running.api_headers()
        ) as resp:
            assert resp.status == 200
            state = await resp.json()
            assert state["paused"] is paused and state["pending"] == 0
    async with running.http.post(
        f"{running.base}/api/v1/alerts/explode", headers=running.api_headers()
    ) as resp:
        assert resp.status == 404
    async with running.http.post(f"{running.base}/api/v1/alerts/skip") as resp:
        assert resp.status == 401
