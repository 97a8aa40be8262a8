"""The Facebook connector against the fake Facebook, through the real httpx and httpx-sse: the
Page going live and ending, comments in real time (and none lost or doubled when the stream
drops), reactions tallied per second, commenting as the Page, and what each Graph error does."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from streampai_desktop.core.events import (
    ChatMessage,
    ReactionCount,
    ReactionsTally,
    StreamOffline,
    StreamOnline,
    ViewerCount,
)
from streampai_desktop.platforms.base import (
    AuthFailed,
    ChatNotSent,
    ConnectorState,
    asks_for_permissions,
)
from streampai_desktop.platforms.facebook.connector import (
    comment_rate,
    create_connector,
)
from streampai_desktop.secrets import SecretStore
from streampai_desktop.settings import Settings
from tests.fakes.facebook import PAGE_ID, PAGE_NAME, FakeFacebook
from tests.platforms.facebook_world import (  # noqa: F401  (fixtures)
    FAST,
    Harness,
    build_harness,
    fake_facebook,
    fb_secrets,
    harness,
    keep_page_token,
)
from tests.platforms.kick_world import wait_until


def texts(h: Harness) -> list[str]:
    return [e.text for e in h.of(ChatMessage)]


async def live(h: Harness, fake: FakeFacebook, title: str = "Speedrun night", views: int = 7):
    """Start the connector with the Page offline, then go live; until the comments and
    reactions streams are open."""
    h.start()
    await h.waiting_for_live()
    video = fake.go_live(title, live_views=views)
    await fake.wait_for_streams(2)
    await h.wait_for(lambda: h.connector.stream.live)
    return video


async def test_the_page_going_live_reaches_the_stream_state_viewers_and_chat(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    h.start()
    await h.waiting_for_live()
    assert not h.connector.stream.live
    assert f"Waiting for a live video on {PAGE_NAME}" in h.connector.status.reason
    video = fake.go_live("Speedrun night", live_views=7)
    await fake.wait_for_streams(2)
    await h.wait_for(lambda: h.of(StreamOnline))
    (online,) = h.of(StreamOnline)
    assert online.title == "Speedrun night" and online.id == f"online:{video.id}"
    assert h.connector.stream.title == "Speedrun night"
    assert h.connector.stream.started_at is not None
    assert abs(h.connector.stream.started_at - datetime.now(UTC)) < timedelta(seconds=30)
    await h.wait_for(lambda: any(v.viewers == 7 for v in h.of(ViewerCount)))
    # Viewers once a minute (here: every 0.3 s) into the chart.
    fake.set_live_views(42)
    await h.wait_for(lambda: h.connector.stream.viewers == 42)
    assert any(v.viewers == 42 for v in h.of(ViewerCount))

    fake.push_comment("Dana Viewer", "555", "first!")
    fake.push_comment(PAGE_NAME, PAGE_ID, "welcome everyone")
    fake.push_comment(None, None, "someone Facebook does not name")
    await h.wait_for(lambda: len(h.of(ChatMessage)) == 3)
    viewer, page, hidden = h.of(ChatMessage)
    assert viewer.text == "first!" and viewer.user is not None
    assert viewer.user.display_name == "Dana Viewer" and viewer.user.badges == ()
    assert page.user is not None and [b.set_id for b in page.user.badges] == ["broadcaster"]
    assert hidden.user is None and hidden.actor_name == "Anonymous"
    # The comment id is the event id: what a later list or stream names the same way.
    assert viewer.id == video.comments[0].id

    fake.end_live()
    await h.wait_for(lambda: h.of(StreamOffline))
    assert not h.connector.stream.live and h.connector.stream.viewers is None
    await h.waiting_for_live()  # and discovery goes on
    assert len(h.of(StreamOnline)) == 1 and len(h.of(StreamOffline)) == 1


async def test_comments_reach_the_app_with_the_configured_rate(
    fake_facebook: FakeFacebook,  # noqa: F811
    fb_secrets: SecretStore,  # noqa: F811
) -> None:
    await keep_page_token(fake_facebook, fb_secrets)
    options = dataclasses.replace(FAST, comment_rate="one_hundred_per_second")
    h = build_harness(fake_facebook, fb_secrets, options=options)
    try:
        await live(h, fake_facebook)
        (conn,) = fake_facebook.open_streams("live_comments")
        assert conn.comment_rate == "one_hundred_per_second"
        assert conn.fields is not None and "from{name,id}" in conn.fields
        for n in range(30):  # above ten a second: the default rate would keep some back
            fake_facebook.push_comment("Burst", "777", f"burst {n}")
        await h.wait_for(lambda: len(h.of(ChatMessage)) == 30)
        assert texts(h) == [f"burst {n}" for n in range(30)]
        assert conn.dropped == []
    finally:
        await h.stop()


def test_the_comment_rate_setting_is_checked() -> None:
    assert comment_rate(Settings({"facebook_comment_rate": "one_per_two_seconds"})) == (
        "one_per_two_seconds",
        "",
    )
    assert comment_rate(Settings()) == ("ten_per_second", "")
    rate, problem = comment_rate(Settings({"facebook_comment_rate": "fast please"}))
    assert rate == "ten_per_second"
    assert "'fast please' is not one of one_per_two_seconds" in problem


async def test_a_bad_comment_rate_is_said_on_the_status_line(
    fake_facebook: FakeFacebook,  # noqa: F811
    fb_secrets: SecretStore,  # noqa: F811
) -> None:
    await keep_page_token(fake_facebook, fb_secrets)

    class Account:
        id = "acc-fb"
        platform_user_id = PAGE_ID
        display_name = PAGE_NAME
        login = PAGE_NAME

    settings = Settings(
        {
            "facebook_api_url": fake_facebook.graph_url,
            "facebook_streaming_url": fake_facebook.streaming_url,
            "facebook_comment_rate": "fast please",
        }
    )
    states: list[object] = []

    async def keep(_: object) -> bool:
        return True

    from streampai_desktop.platforms.base import ConnectorDeps

    connector = create_connector(
        Account(),
        ConnectorDeps(submit=keep, on_state=states.append, on_stream=lambda _: None),
        settings=settings,
        secrets=fb_secrets,
    )
    task = asyncio.create_task(connector.run())
    try:
        await wait_until(lambda: connector.status.state is ConnectorState.CONNECTED)
        assert "Waiting for a live video on Cool Streamer." in connector.status.reason
        assert "'fast please' is not one of" in connector.status.reason
    finally:
        await connector.stop()
        await asyncio.wait_for(task, 10)


async def test_a_dropped_comments_stream_resumes_without_losing_or_doubling_a_comment(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    await live(h, fake)
    fake.push_comment("A", "1", "before the drop")
    await h.wait_for(lambda: texts(h) == ["before the drop"])
    first = fake.open_streams("live_comments")[0]

    await fake.drop_streams()  # cut: nothing open while these come
    fake.push_comment("B", "2", "while away 1")
    fake.push_comment("C", "3", "while away 2")
    await h.wait_for(lambda: len(h.of(ChatMessage)) == 3)
    fake.push_comment("D", "4", "after the reconnect")
    await h.wait_for(lambda: len(h.of(ChatMessage)) == 4)
    assert texts(h) == ["before the drop", "while away 1", "while away 2", "after the reconnect"]
    assert first.closed and h.connector.reconnects >= 1

    # Cut in the middle of an event: the half is not a comment; the whole one comes once.
    await fake.drop_streams(mid_event=True)
    fake.push_comment("E", "5", "cut in half")
    await h.wait_for(lambda: "cut in half" in texts(h))
    fake.push_comment("F", "6", "and after")
    await h.wait_for(lambda: "and after" in texts(h))
    await asyncio.sleep(0.3)
    assert texts(h) == [
        "before the drop",
        "while away 1",
        "while away 2",
        "after the reconnect",
        "cut in half",
        "and after",
    ]
    assert len({m.id for m in h.of(ChatMessage)}) == 6


async def test_reactions_are_tallied_per_second_with_running_totals(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    await live(h, fake)
    fake.push_reaction("LIKE", 5)
    fake.push_reaction("LOVE", 2)
    fake.push_reaction("LIKE", 1)
    await h.wait_for(lambda: h.of(ReactionsTally))
    await asyncio.sleep(0.5)  # the same burst must not come again in the next second
    (tally,) = h.of(ReactionsTally)
    assert tally.counts == (ReactionCount("LIKE", 6), ReactionCount("LOVE", 2))
    assert tally.totals == (ReactionCount("LIKE", 6), ReactionCount("LOVE", 2))
    assert tally.running_update and not tally.alertable

    # A drop in between loses nothing and counts nothing twice: Facebook sends totals.
    await fake.drop_streams()
    fake.push_reaction("WOW", 3)
    await fake.wait_for_streams(2)
    fake.push_reaction("LIKE", 4)
    await h.wait_for(
        lambda: sum(c.count for t in h.of(ReactionsTally) for c in t.counts) == 6 + 2 + 3 + 4
    )
    last = h.of(ReactionsTally)[-1]
    assert dict((c.type, c.count) for c in last.totals) == {"LIKE": 10, "LOVE": 2, "WOW": 3}
    counted: dict[str, int] = {}
    for t in h.of(ReactionsTally):
        for c in t.counts:
            counted[c.type] = counted.get(c.type, 0) + c.count
    assert counted == {"LIKE": 10, "LOVE": 2, "WOW": 3}
    assert len({t.id for t in h.of(ReactionsTally)}) == len(h.of(ReactionsTally))


async def test_a_video_found_already_live_does_not_count_its_old_reactions_as_a_burst(
    fake_facebook: FakeFacebook,  # noqa: F811
    fb_secrets: SecretStore,  # noqa: F811
) -> None:
    fake = fake_facebook
    await keep_page_token(fake, fb_secrets)
    fake.go_live("Already going")
    fake.push_comment("Old", "9", "said before the app started")
    fake.push_reaction("LIKE", 50)
    h = build_harness(fake, fb_secrets)
    try:
        h.start()
        await fake.wait_for_streams(2)
        await h.wait_for(lambda: h.connector.stream.live)
        # Facebook's updates carry totals only: the first one after connecting sets them.
        fake.push_reaction("LIKE", 2)
        await h.wait_for(lambda: h.of(ReactionsTally))
        (first,) = h.of(ReactionsTally)
        assert first.counts == () and first.totals == (ReactionCount("LIKE", 52),)
        fake.push_reaction("LIKE", 3)
        await h.wait_for(lambda: len(h.of(ReactionsTally)) == 2)
        tally = h.of(ReactionsTally)[1]
        assert tally.counts == (ReactionCount("LIKE", 3),)
        assert tally.totals == (ReactionCount("LIKE", 55),)
        fake.push_comment("New", "10", "said now")
        await h.wait_for(lambda: texts(h) == ["said now"])
    finally:
        await h.stop()


async def test_commenting_as_the_page(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    with pytest.raises(ChatNotSent, match="while the Page is live"):
        await h.connector.send_chat("too early")
    video = await live(h, fake)
    await h.connector.send_chat("Thanks for watching!")
    assert fake.posted == [
        {
            "id": fake.posted[0]["id"],
            "live_video_id": video.id,
            "page_id": PAGE_ID,
            "message": "Thanks for watching!",
        }
    ]
    # It comes back on the stream as the Page's, marked as the streamer's.
    await h.wait_for(lambda: texts(h) == ["Thanks for watching!"])
    (mine,) = h.of(ChatMessage)
    assert mine.user is not None and mine.user.badges[0].set_id == "broadcaster"
    with pytest.raises(ChatNotSent, match="at most 8000"):
        await h.connector.send_chat("x" * 8001)


async def test_commenting_without_the_permission_says_which(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    await live(h, fake)
    fake.revoke_permission("pages_manage_engagement")
    with pytest.raises(ChatNotSent, match="pages_manage_engagement"):
        await h.connector.send_chat("hello?")
    assert fake.posted == []


async def test_a_sign_in_without_the_comment_permission_asks_to_sign_in_again(
    fake_facebook: FakeFacebook,  # noqa: F811
    fb_secrets: SecretStore,  # noqa: F811
) -> None:
    await keep_page_token(fake_facebook, fb_secrets, declined=("pages_manage_engagement",))
    h = build_harness(fake_facebook, fb_secrets)
    try:
        h.start()
        await h.wait_for(lambda: h.connector.status.state is ConnectorState.CONNECTED)
        assert h.connector.status.reason == "Sign in again to allow: commenting as the Page."
        assert asks_for_permissions(h.connector.status)
    finally:
        await h.stop()


@pytest.mark.parametrize(
    ("code", "subcode", "named"),
    [
        (190, 463, "Session has expired"),
        (190, 458, "has not authorized application"),
        (10, None, "pages_read_engagement"),
        (200, None, "pages_read_engagement"),
    ],
)
async def test_a_refused_sign_in_or_permission_means_needs_sign_in(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
    code: int,
    subcode: int | None,
    named: str,
) -> None:
    h, fake = harness, fake_facebook
    fake.fail_next(f"/{PAGE_ID}/live_videos", code, subcode=subcode)
    h.start()
    with pytest.raises(AuthFailed, match=named):
        await h.wait_for(lambda: False, within=10)
    assert h.connector.status.state is ConnectorState.NEEDS_SIGN_IN
    assert named in h.connector.status.reason
    assert "sign in again" in h.connector.status.reason.lower()


async def test_a_permission_taken_back_while_live_means_needs_sign_in_naming_it(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    await live(h, fake)
    fake.revoke_permission("pages_read_engagement")
    await fake.drop_streams()  # the next connection is refused (#10)
    with pytest.raises(AuthFailed, match="pages_read_engagement"):
        await h.wait_for(lambda: False, within=10)
    assert h.connector.status.state is ConnectorState.NEEDS_SIGN_IN


@pytest.mark.parametrize("code", [4, 17])
async def test_an_app_or_user_rate_limit_is_waited_out(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
    code: int,
) -> None:
    h, fake = harness, fake_facebook
    fake.fail_next(f"/{PAGE_ID}/live_videos", code)
    h.start()
    await h.wait_for(lambda: h.connector.status.state is ConnectorState.RECONNECTING)
    refused_at = asyncio.get_running_loop().time()
    calls = len(fake.calls)
    assert "rate limit" in h.connector.status.reason
    await h.waiting_for_live()
    # Not a moment earlier than the wait (0.5 s here; 5 minutes by default).
    assert asyncio.get_running_loop().time() - refused_at >= 0.45
    assert fake.calls[calls:][0] == f"GET /{PAGE_ID}/live_videos"


async def test_a_page_rate_limit_waits_as_long_as_facebook_says(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    fake.fail_next(f"/{PAGE_ID}/live_videos", 32)  # its usage header: 1 minute to regain access
    h.start()
    await h.wait_for(lambda: h.connector.status.state is ConnectorState.RECONNECTING)
    status = h.connector.status
    assert status.next_attempt_at is not None
    assert status.next_attempt_at - datetime.now(UTC) > timedelta(seconds=50)
    calls = len(fake.calls)
    await asyncio.sleep(1.0)
    assert len(fake.calls) == calls  # no call while the limit lasts


async def test_facebook_errors_back_off_and_recover(
    harness: Harness,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> None:
    h, fake = harness, fake_facebook
    fake.fail_next(f"/{PAGE_ID}/live_videos", 2, http_status=503)
    fake.fail_next(f"/{PAGE_ID}/live_videos", 1, http_status=500)
    h.start()
    await h.wait_for(lambda: h.connector.status.state is ConnectorState.RECONNECTING)
    await h.waiting_for_live()
    reconnecting = [s for s in h.states if s.state is ConnectorState.RECONNECTING]
    assert len(reconnecting) == 2 and all(s.next_attempt_at for s in reconnecting)

    # A streams host answering 5xx while live: the comments come once it is back.
    video = fake.go_live()
    await fake.wait_for_streams(2)
    fake.fail_next(f"/{video.id}/live_comments", 2, http_status=502)
    await fake.drop_streams()
    fake.push_comment("A", "1", "during the outage")
    await h.wait_for(lambda: texts(h) == ["during the outage"])
    assert h.connector.stream.live


async def test_without_a_page_token_it_needs_sign_in(
    fake_facebook: FakeFacebook,  # noqa: F811
    fb_secrets: SecretStore,  # noqa: F811
) -> None:
    h = build_harness(fake_facebook, fb_secrets)
    h.start()
    with pytest.raises(AuthFailed, match="Not signed in to Facebook"):
        await h.wait_for(lambda: False)
    assert h.connector.status.state is ConnectorState.NEEDS_SIGN_IN


async def test_signing_out_forgets_the_page_token(
    harness: Harness,  # noqa: F811
    fb_secrets: SecretStore,  # noqa: F811
) -> None:
    from streampai_desktop.platforms.facebook.auth import PageTokenStore

    assert await PageTokenStore(fb_secrets, PAGE_ID).load() is not None
    await harness.connector.sign_out()
    assert await PageTokenStore(fb_secrets, PAGE_ID).load() is None
