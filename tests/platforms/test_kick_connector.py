"""Kick through the Streampai account service, for real: the service on PostgreSQL, the fake Kick
(its OAuth, public API and signed webhooks), and this computer's account service with its live
channel. Sign-in hands the tokens over; Kick's webhooks reach the connector as events, acknowledged
only after ingest and ingested once; the stream comes from the public API; chat goes out."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from streampai_cloud.config import CloudConfig
from streampai_desktop.cloud.service import AccountService
from streampai_desktop.core.events import (
    ChatMessage,
    ChatUserBanned,
    Follow,
    GiftSubscription,
    KicksGift,
    StreamOnline,
    Subscription,
    ViewerCount,
)
from streampai_desktop.platforms.base import AuthFailed, ChatNotSent, ConnectorState
from streampai_desktop.platforms.flows import BrowserStep, SignInStep, run_via_service
from streampai_desktop.platforms.kick.auth import (
    ACCOUNT_NEEDED,
    AccountRequired,
    KickAuthenticator,
    KickNotConfigured,
    TokenSet,
    TokenStore,
    token_key,
)
from streampai_desktop.secrets import SecretStore
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.fakes.kick import CLIENT_SECRET, FakeKick, viewer
from tests.platforms.kick_world import (  # noqa: F401  (fixtures)
    PASSWORD,
    Browser,
    KickService,
    account,
    build_harness,
    connect_kick,
    fake_kick,
    kick_service,
    open_account,
    secrets_store,
    start_service,
    wait_until,
)


async def test_sign_in_goes_through_the_service_and_keeps_the_tokens_here(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    browser = Browser()
    who = await connect_kick(secrets_store, browser)
    assert who.platform_user_id == str(fake_kick.user.user_id)
    assert who.login == fake_kick.user.name
    assert browser.pages[-1][0] == 200 and "Kick is connected" in browser.pages[-1][1]
    tokens = await TokenStore(secrets_store, who.platform_user_id).load()
    assert tokens is not None and tokens.access in fake_kick.tokens  # Kick's own token, here
    # The service added the secret to the code exchange; the desktop never had it.
    grant = next(t for t in fake_kick.token_requests if t.get("grant_type") == "authorization_code")
    assert grant["client_secret"] == CLIENT_SECRET


async def test_the_sign_in_ends_when_the_live_channel_says_kick_answered(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    # Asking only once a minute: it is the service's poke that ends the wait.
    auth = KickAuthenticator(secrets_store, poll_interval_s=60)
    browser = Browser()
    opened: list[asyncio.Task[bool]] = []

    async def show(step: SignInStep) -> None:
        assert isinstance(step, BrowserStep) and not step.opened  # printed, not opened here

        async def phone() -> bool:  # the streamer opens it on another device, a moment later
            await asyncio.sleep(0.5)
            return await asyncio.to_thread(browser.open, step.url)

        opened.append(asyncio.create_task(phone()))

    try:
        who = await asyncio.wait_for(
            run_via_service(auth, show, open_browser=lambda url: False), 15
        )
    finally:
        await auth.close()
    assert who.platform_user_id == str(fake_kick.user.user_id)
    assert await opened[0]


async def test_without_a_streampai_account_kick_says_what_to_do(
    tmp_path: Path,
    kick_service: KickService,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    service = open_account(tmp_path / "desktop", kick_service.url, secrets_store)
    try:
        with pytest.raises(AccountRequired) as raised:
            await connect_kick(secrets_store)
        assert str(raised.value) == ACCOUNT_NEEDED
        assert "sign in under Account first" in ACCOUNT_NEEDED
    finally:
        await service.stop()


async def test_a_declined_sign_in_says_so(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    fake_kick.deny_next()
    with pytest.raises(AuthFailed, match="declined"):
        await connect_kick(secrets_store)
    assert await secrets_store.get(token_key(str(fake_kick.user.user_id))) is None


async def test_events_are_relayed_ingested_and_acknowledged(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    try:
        await h.connected()
        # The service subscribed to every event the app reads, for this channel.
        assert len(fake_kick.subscriptions) == 10
        reason = h.connector.status.reason
        assert "10 of 10 Kick event subscriptions active" in reason
        assert "no event received yet" in reason and "Kick's own deliveries can lag." in reason

        assert await fake_kick.emit("channel.followed") == 200
        assert await fake_kick.emit("chat.message.sent", content="hi [emote:37226:KEKW]") == 200
        gifts = fake_kick.payload_for("channel.subscription.gifts")
        gifts["giftees"] = [viewer(n, f"lucky{n}") for n in (11, 12, 13)]
        assert await fake_kick.emit("channel.subscription.gifts", gifts) == 200
        assert await fake_kick.emit("kicks.gifted") == 200
        assert await fake_kick.emit("moderation.banned") == 200
        await h.wait_for(lambda: h.of(ChatUserBanned))

        assert len(h.of(Follow)) == 1
        (chat,) = h.of(ChatMessage)
        assert chat.text == "hi KEKW" and chat.fragments[-1].emote_id == "37226"
        (gift,) = h.of(GiftSubscription)
        assert gift.count == 3
        assert sorted(s.user.display_name for s in h.of(Subscription) if s.is_gift) == [
            "lucky11",
            "lucky12",
            "lucky13",
        ]
        (kicks,) = h.of(KicksGift)
        assert kicks.kicks == 500
        await h.wait_for(lambda: "last event at" in h.connector.status.reason)

        # Acknowledged: a new connection brings none of them again.
        received = h.connector.events_received
        await account.live.stop()
        account.live.start()
        await wait_until(lambda: account.live.connected)
        assert await fake_kick.emit("channel.followed") == 200
        await h.wait_for(lambda: len(h.of(Follow)) == 2)
        assert h.connector.events_received == received + 1
    finally:
        await h.stop()


async def test_an_event_ingested_but_not_acknowledged_comes_again_and_is_ingested_once(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    restarts: list[asyncio.Task[None]] = []

    async def restart_live_channel() -> None:
        await account.live.stop()
        account.live.start()

    async def socket_drops_after_ingest(event: object) -> bool:
        if isinstance(event, Follow) and not restarts:
            # The socket closes right after the event went through ingest, before the ack.
            account.relay.connected(None)
            restarts.append(asyncio.create_task(restart_live_channel()))
        return True

    h = build_harness(
        fake_kick, secrets_store, who.platform_user_id, forward=socket_drops_after_ingest
    )
    h.start()
    try:
        await h.connected()
        assert await fake_kick.emit("channel.followed") == 200
        await h.wait_for(lambda: h.connector.events_received >= 2)  # delivered again…
        await asyncio.gather(*restarts)
        assert len(h.of(Follow)) == 1  # …and ingested once
        # This time the ack went out: another connection brings nothing.
        await restart_live_channel()
        await wait_until(lambda: account.live.connected)
        assert await fake_kick.emit("kicks.gifted") == 200
        await h.wait_for(lambda: h.of(KicksGift))
        assert h.connector.events_received == 3
    finally:
        await h.stop()


@pytest.mark.allow_logs(r"ignored a Kick kicks.gifted event the app cannot read")
async def test_an_event_the_app_cannot_read_is_skipped_and_the_rest_keep_coming(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    try:
        await h.connected()
        odd = fake_kick.payload_for("kicks.gifted")
        odd["gift"]["amount"] = "a lot"  # signed by Kick, shaped unlike its docs
        assert await fake_kick.emit("kicks.gifted", odd) == 200
        assert await fake_kick.emit("channel.followed") == 200
        await h.wait_for(lambda: h.of(Follow))
        assert h.of(KicksGift) == [] and h.connector.events_received == 2
        # It was acknowledged all the same: it never comes again.
        await account.live.stop()
        account.live.start()
        await wait_until(lambda: account.live.connected)
        assert await fake_kick.emit("kicks.gifted") == 200
        await h.wait_for(lambda: h.of(KicksGift))
        assert h.connector.events_received == 3
    finally:
        await h.stop()


async def test_events_from_while_this_computer_was_off_arrive_when_it_is_back(
    tmp_path: Path,
    account: AccountService,  # noqa: F811
    kick_service: KickService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    try:
        await h.connected()
        await account.live.stop()  # this computer goes offline
        for _ in range(3):
            assert await fake_kick.emit("channel.followed") == 200
        assert h.of(Follow) == []
        account.live.start()
        await h.wait_for(lambda: len(h.of(Follow)) == 3)
    finally:
        await h.stop()


async def test_the_stream_comes_from_the_public_api_and_kicks_deliveries(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    try:
        await h.connected()
        assert not h.connector.stream.live
        fake_kick.set_live("Speedrun night", viewers=321, category="Minecraft")
        # Kick's own "stream started" delivery and the poll both see it: one start.
        payload = fake_kick.payload_for("livestream.status.updated", title="Speedrun night")
        payload["started_at"] = fake_kick.live.started_at if fake_kick.live else None
        assert await fake_kick.emit("livestream.status.updated", payload) == 200
        await h.wait_for(lambda: h.of(ViewerCount))
        stream = h.connector.stream
        assert stream.live and stream.viewers == 321
        assert (stream.title, stream.category) == ("Speedrun night", "Minecraft")
        assert "Live." in h.connector.status.reason
        meta = fake_kick.payload_for("livestream.metadata.updated")
        meta["metadata"]["title"] = "Any% attempts"
        assert await fake_kick.emit("livestream.metadata.updated", meta) == 200
        await h.wait_for(lambda: h.connector.stream.title == "Any% attempts")
        assert len(h.of(StreamOnline)) == 1

        fake_kick.set_offline()  # ended, and Kick's delivery saying so is late
        await h.wait_for(lambda: not h.connector.stream.live)
        assert h.connector.stream.viewers is None
    finally:
        await h.stop()


async def test_send_chat_as_the_streamer(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    try:
        await h.connected()
        await h.connector.send_chat("hello chat")
        (sent,) = fake_kick.sent_chat
        assert sent["content"] == "hello chat" and sent["type"] == "user"
        assert sent["broadcaster_user_id"] == fake_kick.user.user_id
        with pytest.raises(ChatNotSent, match="at most 500 characters"):
            await h.connector.send_chat("x" * 501)
        await h.connector.send_chat("y" * 500)
        fake_kick.fail_next("/chat", 403, "You are banned from this chat")
        with pytest.raises(ChatNotSent, match="banned"):
            await h.connector.send_chat("one more")
        assert len(fake_kick.sent_chat) == 2
    finally:
        await h.stop()


async def test_tokens_are_renewed_through_the_service_before_they_expire(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    store = TokenStore(secrets_store, who.platform_user_id)
    old = await store.load()
    assert old is not None
    await store.save(TokenSet(old.access, old.refresh, time.time() + 5))  # about to run out
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    try:
        await h.connected()
        new = await store.load()
        assert new is not None and new.access != old.access and new.refresh != old.refresh
        assert new.expires_at > time.time() + 3600
        refresh = [t for t in fake_kick.token_requests if t.get("grant_type") == "refresh_token"]
        assert [r["client_secret"] for r in refresh] == [CLIENT_SECRET]  # added by the service
        # An access token Kick stopped taking is renewed on the spot (a 401, then one refresh).
        fake_kick.expire_token(new.access)
        await h.connector.send_chat("still here")
        assert fake_kick.sent_chat[-1]["content"] == "still here"
    finally:
        await h.stop()


async def test_a_refused_renewal_asks_to_sign_in_again(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    store = TokenStore(secrets_store, who.platform_user_id)
    old = await store.load()
    assert old is not None
    await store.save(TokenSet(old.access, old.refresh, time.time() - 1))
    fake_kick.revoke_all()  # the streamer removed the app in Kick's settings
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    with pytest.raises(AuthFailed, match="Kick no longer accepts this sign-in"):
        await h.wait_for(lambda: False)
    assert h.connector.status.state is ConnectorState.NEEDS_SIGN_IN
    assert "sign in again" in h.connector.status.reason


async def test_signed_out_of_streampai_kick_waits_and_comes_back_on_sign_in(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    email = await account.signed_in_as()
    assert email
    await account.sign_out()
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    h.start()
    await h.wait_for(lambda: h.connector.status.state is ConnectorState.ERROR)
    assert h.connector.status.reason.startswith(ACCOUNT_NEEDED)
    assert "comes back by itself" in h.connector.status.reason
    # The streamer signs in to Streampai again: Kick is back without signing in to Kick again.
    await account.sign_in(email, PASSWORD)
    await h.connected()
    assert await fake_kick.emit("channel.followed") == 200
    await h.wait_for(lambda: h.of(Follow))


async def test_signing_out_of_kick_revokes_and_forgets_the_tokens(
    account: AccountService,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    who = await connect_kick(secrets_store)
    tokens = await TokenStore(secrets_store, who.platform_user_id).load()
    assert tokens is not None
    h = build_harness(fake_kick, secrets_store, who.platform_user_id)
    await h.connector.sign_out()
    assert tokens.refresh in fake_kick.revoked
    assert await secrets_store.get(token_key(who.platform_user_id)) is None


async def test_a_service_without_kick_says_so(
    tmp_path: Path,
    cloud_config: CloudConfig,  # noqa: F811
    fake_kick: FakeKick,  # noqa: F811
    secrets_store: SecretStore,  # noqa: F811
) -> None:
    service = await start_service(cloud_config, None)
    desktop = open_account(tmp_path / "desktop", service.url, secrets_store)
    try:
        await desktop.sign_in(
            "nokick-" + str(time.time_ns()) + "@example.com", "correct horse battery", register=True
        )
        with pytest.raises(KickNotConfigured, match="cannot connect Kick"):
            await connect_kick(secrets_store)
    finally:
        await desktop.stop()
        await service.runner.cleanup()
