"""The Twitch connector against the fake Twitch, with the real twitchio/aiohttp clients."""

from __future__ import annotations

import asyncio
import time

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.platforms.base import AuthFailed, ConnectorState
from streampai_desktop.platforms.twitch.auth import TokenStore
from streampai_desktop.secrets import SecretStore
from tests.fakes.twitch import FakeTwitch, chat_event
from tests.platforms.conftest import Harness


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


async def test_no_tokens_means_needs_sign_in(twitch: FakeTwitch, harness: Harness) -> None:
    await harness.connector.tokens.delete()
    harness.start()
    await harness.wait_for(lambda: harness.task is not None and harness.task.done())
    assert harness.connector.status.state is ConnectorState.NEEDS_SIGN_IN
