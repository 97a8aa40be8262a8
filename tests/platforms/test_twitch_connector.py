"""The Twitch connector against the fake Twitch, with the real twitchio/aiohttp clients."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Sequence

import aiohttp
import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.core.alerts import AlertQueue
from streampai_desktop.core.bus import TOPIC_CHAT, EventBus
from streampai_desktop.core.notices import AlertOutcome, notice_topics
from streampai_desktop.platforms.base import AuthFailed, ChatNotSent, ConnectorState
from streampai_desktop.platforms.twitch.auth import TokenStore
from streampai_desktop.platforms.twitch.client import TokenPair, TwitchEndpoints
from streampai_desktop.platforms.twitch.eventsub import KEEPALIVE_JITTER_S
from streampai_desktop.secrets import SecretStore
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.widgets import alert_box
from streampai_desktop.widgets.alert_planner import AlertPlanner
from streampai_desktop.widgets.instances import WidgetInstance
from tests.fakes.twitch import CLIENT_ID, FakeTwitch, chat_event, load_payload
from tests.platforms.conftest import Harness, build_harness


def texts(h: Harness) -> list[str]:
    return [e.text for e in h.events if isinstance(e, ev.ChatMessage)]


async def test_connects_loads_channel_and_delivers_every_type(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    assert harness.connector.stream.followers == 42
    assert harness.connector.stream.title == "Just chatting with you"
    assert {s.type for s in twitch.subs.values()} >= {"channel.chat.message", "channel.follow"}
    for name in ("follow", "subscribe", "raid", "cheer_anonymous", "chat_message"):
        await twitch.push_recorded(name)
    await harness.wait_for(lambda: len(harness.events) == 5)
    assert harness.kinds() == ["follow", "subscription", "raid", "cheer", "chat_message"]


async def test_session_reconnect_loses_and_duplicates_nothing(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    await twitch.push("channel.chat.message", chat_event("before"))
    # Twitch asks for a move, then keeps sending on the old socket until the client arrives.
    await twitch.trigger_reconnect()
    resend = await twitch.push("channel.chat.message", chat_event("during", message_id="m-during"))
    await harness.wait_for(lambda: twitch.welcomes == 2)
    await twitch.push("channel.chat.message", chat_event("after"))
    # An at-least-once resend of a message already delivered on the old socket.
    await twitch.push(
        "channel.chat.message", chat_event("during", message_id="m-during"), message_id=resend
    )
    await harness.wait_for(lambda: len(texts(harness)) >= 3)
    await asyncio.sleep(0.3)
    assert texts(harness) == ["before", "during", "after"]
    assert harness.connector.status.state is ConnectorState.CONNECTED
    assert len(twitch.active_sessions()) == 1  # the old connection is gone


async def test_a_move_delays_nothing_keeps_order_and_the_app_closes_the_old_socket(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    await twitch.push("channel.chat.message", chat_event("before"))
    await harness.wait_for(lambda: texts(harness) == ["before"])

    async def right_before_the_welcome() -> None:
        # Twitch keeps sending on the old connection up to the new one's welcome.
        for i in range(5):
            await twitch.push("channel.chat.message", chat_event(f"old-{i}"))

    twitch.before_move_welcome = right_before_the_welcome
    await twitch.trigger_reconnect()
    await harness.wait_for(lambda: twitch.welcomes == 2)
    (new,) = twitch.active_sessions()
    pushed = time.monotonic()
    for i in range(5):
        await twitch.push("channel.chat.message", chat_event(f"new-{i}"))
    await harness.wait_for(lambda: len(texts(harness)) == 11)
    latency = time.monotonic() - pushed
    assert texts(harness) == [
        "before",
        *(f"old-{i}" for i in range(5)),
        *(f"new-{i}" for i in range(5)),
    ]
    # Events on the new connection arrive as they are sent: nothing waits for the old socket
    # (the old code waited up to 2 s for Twitch to close it).
    assert latency < 0.5, f"new-socket events took {latency:.3f} s"
    (old,) = twitch.moved
    await harness.wait_for(lambda: old.closed, within=2)
    # The client closed the old connection as soon as the welcome was in; no 4004 from Twitch.
    assert (old.closed_by, old.close_code) == ("client", 1000)
    assert old.closed_at is not None and old.closed_at - new.welcomed_at < 0.5
    assert harness.connector.status.state is ConnectorState.CONNECTED
    assert not any(s.state is ConnectorState.RECONNECTING for s in harness.states)


async def test_a_move_while_the_app_reads_behind_loses_nothing(
    twitch: FakeTwitch, harness: Harness
) -> None:
    """In a chat burst the app reads the old socket behind Twitch: when the new connection's
    welcome arrives, part of what Twitch sent on the old one is still in the sockets' buffers.
    All of it is delivered, in order, before the first message of the new connection."""
    harness.start()
    await harness.connected()
    burst = 1500

    async def a_burst_right_before_the_welcome() -> None:
        for i in range(burst):
            await twitch.push("channel.chat.message", chat_event(f"old-{i}"))

    twitch.before_move_welcome = a_burst_right_before_the_welcome
    await twitch.trigger_reconnect()
    await harness.wait_for(lambda: twitch.welcomes == 2)
    for i in range(3):
        await twitch.push("channel.chat.message", chat_event(f"new-{i}"))
    await harness.wait_for(lambda: "new-2" in texts(harness))
    got = texts(harness)
    assert len(got) == burst + 3, f"{burst + 3 - len(got)} message(s) lost in the move"
    assert got == [*(f"old-{i}" for i in range(burst)), *(f"new-{i}" for i in range(3))]
    (old,) = twitch.moved
    await harness.wait_for(lambda: old.closed, within=2)
    assert (old.closed_by, old.close_code) == ("client", 1000)


async def test_a_message_with_half_an_emoji_is_still_delivered(
    twitch: FakeTwitch, harness: Harness
) -> None:
    """A lone surrogate escape (half an emoji) is valid JSON that the fast parser (orjson)
    refuses; the message is read by the standard one instead, not dropped."""
    harness.start()
    await harness.connected()
    await twitch.push("channel.chat.message", chat_event("half an emoji \ud83d"))
    await twitch.push("channel.chat.message", chat_event("next"))
    await harness.wait_for(lambda: texts(harness) == ["half an emoji \ud83d", "next"])


async def test_the_fake_closes_an_old_socket_the_client_keeps_with_4004(
    twitch: FakeTwitch,
) -> None:
    """Twitch's side of the move, as the fake plays it for clients that don't close the old
    connection: 4004 "reconnect grace time expired" (30 s on Twitch; shortened here)."""
    twitch.reconnect_grace_s = 0.3
    token = twitch.issue_token("1337", ["moderator:read:followers"])
    async with aiohttp.ClientSession() as http:
        first = await http.ws_connect(twitch.eventsub_url)
        welcome = json.loads((await first.receive()).data)
        session_id = welcome["payload"]["session"]["id"]
        response = await http.post(
            f"{twitch.api_url}/eventsub/subscriptions",
            headers={"Client-Id": CLIENT_ID, "Authorization": f"Bearer {token.access}"},
            json={
                "type": "channel.follow",
                "version": "2",
                "condition": {"broadcaster_user_id": "1337", "moderator_user_id": "1337"},
                "transport": {"method": "websocket", "session_id": session_id},
            },
        )
        assert response.status == 202
        url = await twitch.trigger_reconnect()
        reconnect = json.loads((await first.receive()).data)
        assert reconnect["payload"]["session"]["reconnect_url"] == url
        second = await http.ws_connect(url)
        assert json.loads((await second.receive()).data)["metadata"]["message_type"] == (
            "session_welcome"
        )
        await twitch.push_recorded("follow")
        moved = json.loads((await second.receive()).data)
        assert moved["metadata"]["subscription_type"] == "channel.follow", "the new one delivers"
        closed = await asyncio.wait_for(first.receive(), 2)
        assert closed.type is aiohttp.WSMsgType.CLOSE and first.close_code == 4004
        assert twitch.moved[0].closed_by == "server"
        await second.close()


async def test_keepalive_loss_is_noticed_within_the_keepalive_timeout(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    (session,) = twitch.active_sessions()
    # A keepalive every keepalive_timeout_seconds (1 s here) keeps a quiet connection up.
    await asyncio.sleep(3.5)
    assert not any(s.state is ConnectorState.RECONNECTING for s in harness.states)
    twitch.go_silent()
    last_message = session.last_sent
    await harness.wait_for(
        lambda: harness.connector.status.state is ConnectorState.RECONNECTING, within=6
    )
    noticed = time.monotonic() - last_message
    # Twitch: no message for longer than keepalive_timeout_seconds means the connection is lost;
    # the app allows at most a second of timer jitter on top (it used to wait 1.5x plus).
    limit = session.keepalive + KEEPALIVE_JITTER_S
    assert session.keepalive <= noticed <= limit + 0.3, f"noticed after {noticed:.3f} s"
    assert "keepalive" in harness.connector.status.reason
    twitch.go_silent(False)
    await harness.connected()


async def test_duplicate_message_ids_give_one_event(twitch: FakeTwitch, harness: Harness) -> None:
    harness.start()
    await harness.connected()
    for _ in range(3):
        await twitch.push_recorded("follow", message_id="same-id")
    await twitch.push_recorded("raid")
    await harness.wait_for(lambda: "raid" in harness.kinds())
    assert harness.kinds() == ["follow", "raid"]


async def test_keepalive_silence_reconnects(twitch: FakeTwitch, harness: Harness) -> None:
    harness.start()
    await harness.connected()
    twitch.go_silent()
    await harness.wait_for(
        lambda: harness.connector.status.state is ConnectorState.RECONNECTING, within=8
    )
    assert "keepalive" in harness.connector.status.reason
    assert harness.connector.status.next_attempt_at is not None
    twitch.go_silent(False)
    await harness.connected()
    await twitch.push("channel.chat.message", chat_event("back"))
    await harness.wait_for(lambda: texts(harness) == ["back"])


async def test_revocation_means_needs_sign_in(twitch: FakeTwitch, harness: Harness) -> None:
    harness.start()
    await harness.connected()
    twitch.revoke_user("1337")
    await twitch.revoke("authorization_revoked")
    await harness.wait_for(lambda: harness.task is not None and harness.task.done())
    assert isinstance(harness.task.exception(), AuthFailed)  # type: ignore[union-attr]
    assert harness.connector.status.state is ConnectorState.NEEDS_SIGN_IN
    assert "sign in again" in harness.connector.status.reason


async def test_expired_token_is_refreshed_and_saved(
    twitch: FakeTwitch, harness: Harness, secrets: SecretStore
) -> None:
    before = await TokenStore(secrets, "1337").load()
    assert before is not None
    twitch.expire_token(before.access)
    harness.start()
    await harness.connected()
    after = await TokenStore(secrets, "1337").load()
    assert after is not None and after.access != before.access
    assert twitch.tokens[after.access].valid
    # The old single-use refresh token is spent: only the saved pair can sign in again.
    assert before.refresh not in twitch.refresh_index


async def test_invalid_refresh_token_means_needs_sign_in(
    twitch: FakeTwitch, harness: Harness, secrets: SecretStore
) -> None:
    twitch.revoke_user("1337")
    harness.start()
    await harness.wait_for(lambda: harness.task is not None and harness.task.done())
    assert harness.connector.status.state is ConnectorState.NEEDS_SIGN_IN


@pytest.mark.allow_logs(r"Twitch rate limit on channels; waiting")
async def test_helix_429_waits_as_told(twitch: FakeTwitch, harness: Harness) -> None:
    twitch.force_429 = 2
    started = time.monotonic()
    harness.start()
    await harness.connected()
    # Two 429s, each with Ratelimit-Reset about a second ahead: the connector waited, then went on.
    assert time.monotonic() - started >= 0.5
    assert harness.connector.status.state is ConnectorState.CONNECTED
    assert not any(s.state is ConnectorState.NEEDS_SIGN_IN for s in harness.states)


async def test_fake_killed_and_restarted_recovers_with_backoff(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    await twitch.stop()
    await harness.wait_for(lambda: harness.connector.status.state is ConnectorState.RECONNECTING)
    await asyncio.sleep(1.5)  # several failed attempts while the server is down
    attempts = [s for s in harness.states if s.state is ConnectorState.RECONNECTING]
    assert 2 <= len(attempts) <= 8, "backoff must space attempts out, never a tight loop"
    assert all(s.next_attempt_at is not None for s in attempts)
    await twitch.start()
    await harness.connected(within=10)
    await twitch.push("channel.chat.message", chat_event("recovered"))
    await harness.wait_for(lambda: texts(harness) == ["recovered"])


async def test_viewer_count_polled_while_live(twitch: FakeTwitch, harness: Harness) -> None:
    harness.start()
    await harness.connected()
    assert not harness.connector.stream.live
    twitch.go_live(viewers=77)
    await twitch.push_recorded("stream_online")
    await harness.wait_for(lambda: any(isinstance(e, ev.ViewerCount) for e in harness.events))
    assert harness.connector.stream.live and harness.connector.stream.viewers == 77
    online = next(e for e in harness.events if isinstance(e, ev.StreamOnline))
    assert online.title == "Just chatting with you"  # filled in from the channel info


async def test_send_chat_message(twitch: FakeTwitch, harness: Harness) -> None:
    harness.start()
    await harness.connected()
    await harness.connector.send_chat("hello from the app")
    assert twitch.sent_chat[-1]["message"] == "hello from the app"
    assert twitch.sent_chat[-1]["broadcaster_id"] == "1337"


async def test_a_message_twitch_declines_says_why_and_is_not_retried(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    twitch.chat_drops.append(("msg_duplicate", "Your message is identical to the previous one."))
    with pytest.raises(ChatNotSent, match="identical to the previous one"):
        await harness.connector.send_chat("hello again")
    assert twitch.sent_chat == []
    await harness.connector.send_chat("hello, different")  # the next one goes out
    assert [m["message"] for m in twitch.sent_chat] == ["hello, different"]


async def test_no_tokens_means_needs_sign_in(twitch: FakeTwitch, harness: Harness) -> None:
    await harness.connector.tokens.delete()
    harness.start()
    await harness.wait_for(lambda: harness.task is not None and harness.task.done())
    assert harness.connector.status.state is ConnectorState.NEEDS_SIGN_IN


def recipient(i: int) -> dict[str, object]:
    """channel.subscribe for the i-th recipient of a gift (the documented example, is_gift)."""
    event = copy.deepcopy(load_payload("subscribe_gifted")["payload"]["event"])
    event.update(user_id=f"90{i:02d}", user_login=f"lucky_{i}", user_name=f"Lucky_{i}")
    return event


@pytest.mark.parametrize("gift", ["subscription_gift", "subscription_gift_anonymous", "single"])
@pytest.mark.parametrize("alert_each", [False, True], ids=["gift-alert-only", "alert-each-gift"])
async def test_a_gift_of_n_subs_is_one_alert_and_n_logged_subs(
    twitch: FakeTwitch,
    endpoints: TwitchEndpoints,
    secrets: SecretStore,
    signed_in: TokenPair,
    gift: str,
    alert_each: bool,
) -> None:
    """Twitch sends one channel.subscription.gift (total N) and one channel.subscribe with
    is_gift per recipient. Through the app's ingest and alert queue: one alert (the gifter's),
    N gifted subs in the event log; with "Alert each gifted sub" on, N more alerts."""
    gift_raw = load_payload("subscription_gift_single" if gift == "single" else gift)
    total = int(gift_raw["payload"]["event"]["total"])
    bus = EventBus()
    logged: list[ev.Event] = []

    async def write(batch: Sequence[ev.Event]) -> None:
        logged.extend(batch)

    ingest = EventIngest(bus, write)
    config = alert_box.defaults()
    config["types"]["subscription"]["alert_gifted"] = alert_each
    widgets = {"alert_box": WidgetInstance("alert_box", "alert_box", "Alert Box", config)}
    # No alert box page open: alerts wait in the queue, where they can be counted.
    planner = AlertPlanner(widgets, lambda kind, visible_only: 0)
    queue = AlertQueue(bus, planner.plan, planner.queue_settings, planner.can_show)
    outcomes = bus.subscribe(notice_topics(AlertOutcome))
    harness = build_harness(endpoints, secrets, forward=ingest.submit)
    ingest.start()
    queue.start()
    harness.start()
    try:
        await harness.connected()
        # The order of arrival does not matter: some recipients before the gift, some after.
        for i in range(total // 2):
            await twitch.push("channel.subscribe", recipient(i))
        gift_id = await twitch.push(
            "channel.subscription.gift", gift_raw["payload"]["event"], message_id="the-gift"
        )
        for i in range(total // 2, total):
            await twitch.push("channel.subscribe", recipient(i))
        await harness.wait_for(lambda: outcomes.qsize() == total + 1)
    finally:
        await harness.stop()
        await queue.stop()
        await ingest.stop()
    seen = {}
    while (message := outcomes.get_nowait()) is not None:
        seen[message.payload.event_id] = message.payload.outcome
    queued = [(a.event.kind, a.event.id) for a in queue.pending]
    gifted_logged = [e for e in logged if isinstance(e, ev.Subscription) and e.is_gift]
    assert len(gifted_logged) == total, "every recipient's sub is in the event log"
    assert {e.actor_name for e in gifted_logged} == {f"Lucky_{i}" for i in range(total)}
    assert [e.kind for e in logged].count("gift_subscription") == 1
    if alert_each:
        assert len(queued) == total + 1 and ("gift_subscription", gift_id) in queued
    else:
        assert queued == [("gift_subscription", gift_id)], "one alert for the gifter"
        assert sorted(seen.values()) == ["gifted"] * total + ["waiting"]


async def test_a_shared_chat_message_reaching_two_channels_shows_once(
    twitch: FakeTwitch, endpoints: TwitchEndpoints, secrets: SecretStore, signed_in: TokenPair
) -> None:
    """Two of the streamer's channels (two signed-in accounts) in one Shared Chat session: a
    message written in a third channel reaches both, each copy with its own message_id and the
    same source_message_id; the app's chat shows it once, with the source channel's badges."""
    twitch.add_user("2000", "second_channel")
    token = twitch.issue_token("2000", ["user:read:chat"])
    await TokenStore(secrets, "2000").save(TokenPair(token.access, token.refresh))
    bus = EventBus()
    chat = bus.subscribe([TOPIC_CHAT])
    ingest = EventIngest(bus)
    first = build_harness(endpoints, secrets, "1337", forward=ingest.submit)
    second = build_harness(endpoints, secrets, "2000", forward=ingest.submit)
    first.start()
    second.start()
    try:
        await first.connected()
        await second.connected()
        shared = load_payload("chat_message_shared")["payload"]["event"]
        for channel in ("1337", "2000"):
            copy_here = {**shared, "broadcaster_user_id": channel, "message_id": f"in-{channel}"}
            await twitch.push("channel.chat.message", copy_here, to=channel)
        await first.wait_for(lambda: len(first.events) == 1 and len(second.events) == 1)
    finally:
        await first.stop()
        await second.stop()
    assert chat.qsize() == 1 and ingest.duplicates == 1
    shown = (await chat.get()).payload
    assert isinstance(shown, ev.ChatMessage) and shown.text == "Hi chat"
    assert shown.user is not None and shown.user.badges == (ev.Badge("subscriber", "3", "3"),)
