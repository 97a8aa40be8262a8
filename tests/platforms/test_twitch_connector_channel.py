"""The Twitch connector and the channel's own moments, against the fake Twitch: what it subscribes
to (versions, conditions, scopes), what an account signed in before the new scopes gets, hype
train level ups and the streamer's own raid."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import aiohttp
import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.twitch.auth import TokenStore
from streampai_desktop.platforms.twitch.client import TokenPair, TwitchEndpoints
from streampai_desktop.platforms.twitch.connector import SUBSCRIPTIONS, _condition
from streampai_desktop.secrets import SecretStore
from streampai_desktop.store import Account
from streampai_desktop.stream.platform_status import platform_rows
from streampai_desktop.terminal.output import Out
from streampai_desktop.terminal.platforms import print_rows
from tests.fakes.twitch import CLIENT_ID, FakeTwitch, load_payload
from tests.platforms.conftest import Harness, build_harness

# What the app asked for before hype trains, polls & co (an account signed in back then).
OLD_SCOPES = [
    "user:read:chat",
    "user:write:chat",
    "moderator:read:followers",
    "channel:read:subscriptions",
    "bits:read",
    "channel:read:redemptions",
]
NEW_FEATURES = "hype trains, polls, predictions, shoutouts, ad breaks, goals, charity donations"


async def test_every_type_is_subscribed_with_its_version_and_condition(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    made = {
        (s.type, s.version, json.dumps(s.condition, sort_keys=True)) for s in twitch.subs.values()
    }
    wanted = {
        (spec.type, spec.version, json.dumps(_condition(spec.condition, "1337"), sort_keys=True))
        for spec in SUBSCRIPTIONS
    }
    assert made == wanted
    assert ("channel.hype_train.progress", "2", '{"broadcaster_user_id": "1337"}') in made
    assert ("channel.raid", "1", '{"from_broadcaster_user_id": "1337"}') in made
    assert ("channel.raid", "1", '{"to_broadcaster_user_id": "1337"}') in made
    assert (
        "channel.shoutout.receive",
        "1",
        '{"broadcaster_user_id": "1337", "moderator_user_id": "1337"}',
    ) in made
    assert twitch.refused == []
    assert harness.connector.status.reason == "", "a sign-in with every scope asks for nothing"


async def test_an_account_signed_in_before_keeps_working_and_is_asked_to_sign_in_again(
    twitch: FakeTwitch, endpoints: TwitchEndpoints, secrets: SecretStore
) -> None:
    token = twitch.issue_token("1337", OLD_SCOPES)
    await TokenStore(secrets, "1337").save(TokenPair(token.access, token.refresh))
    harness = build_harness(endpoints, secrets)
    harness.start()
    try:
        await harness.connected()
        types = {s.type for s in twitch.subs.values()}
        assert {"channel.chat.message", "channel.follow", "channel.cheer", "channel.raid"} <= types
        assert "channel.chat.notification" in types, "chat notices need only user:read:chat"
        assert not types & {"channel.hype_train.begin", "channel.poll.begin", "channel.goal.end"}
        assert twitch.refused == [], "what the token cannot have is not even asked for"
        status = harness.connector.status
        assert status.state is ConnectorState.CONNECTED
        assert status.reason == f"Sign in again to allow: {NEW_FEATURES}."
        # Everything the old scopes allow still arrives.
        await twitch.push_recorded("follow")
        await twitch.push_recorded("chat_notification_raid")
        await harness.wait_for(lambda: harness.kinds() == ["follow", "chat_notification"])
        # The Platforms page and `streampai-desktop platforms` show the same sentence.
        now = datetime.now(UTC)
        account = Account("acc-1337", "twitch", "1337", "cool_streamer", "", True, now, now)
        rows = platform_rows([account], {"acc-1337": status})
        (line,) = next(r for r in rows if r["id"] == "twitch")["accounts"]
        assert line["state"] == "connected"
        assert line["reason"] == f"Sign in again to allow: {NEW_FEATURES}."
    finally:
        await harness.stop()


def test_print_rows_shows_the_prompt_after_the_state(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {
            "label": "Twitch",
            "state": "connected",
            "accounts": [
                {
                    "login": "cool_streamer",
                    "state": "connected",
                    "reason": "Sign in again to allow: hype trains, polls.",
                }
            ],
        }
    ]
    print_rows(Out(as_json=False), rows)
    assert capsys.readouterr().out.strip() == (
        "Twitch     connected: cool_streamer — Sign in again to allow: hype trains, polls."
    )


@pytest.mark.allow_logs(r"Twitch refused channel\.poll\.begin")
async def test_a_403_on_one_type_leaves_the_others_subscribed(
    twitch: FakeTwitch, harness: Harness
) -> None:
    # Twitch refuses polls even though the token claims the scope (a revoked grant, say).
    twitch.forbid = {"channel.poll.begin"}
    harness.start()
    await harness.connected()
    assert twitch.refused == [("channel.poll.begin", 403)]
    types = {s.type for s in twitch.subs.values()}
    assert "channel.poll.begin" not in types
    assert {"channel.poll.progress", "channel.poll.end", "channel.hype_train.begin"} <= types
    assert len(twitch.subs) == len(SUBSCRIPTIONS) - 1
    assert harness.connector.status.state is ConnectorState.CONNECTED
    assert harness.connector.status.reason == "Sign in again to allow: polls."
    await twitch.push_recorded("poll_progress")
    await twitch.push_recorded("charity_campaign_donate")
    await harness.wait_for(lambda: len(harness.events) == 2)
    assert harness.kinds() == ["poll_progress", "charity_donation"]


async def test_the_fake_refuses_like_twitch_a_missing_scope_and_a_withdrawn_version(
    twitch: FakeTwitch,
) -> None:
    token = twitch.issue_token("1337", ["user:read:chat"])
    headers = {"Client-Id": CLIENT_ID, "Authorization": f"Bearer {token.access}"}
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(twitch.eventsub_url)
        session_id = json.loads((await ws.receive()).data)["payload"]["session"]["id"]

        async def create(sub_type: str, version: str) -> tuple[int, str]:
            body = {
                "type": sub_type,
                "version": version,
                "condition": {"broadcaster_user_id": "1337"},
                "transport": {"method": "websocket", "session_id": session_id},
            }
            async with http.post(
                f"{twitch.api_url}/eventsub/subscriptions", headers=headers, json=body
            ) as response:
                return response.status, (await response.json()).get("message", "")

        assert await create("channel.hype_train.begin", "2") == (
            403,
            "subscription missing proper authorization",
        )
        twitch.tokens[token.access].scopes.append("channel:read:hype_train")
        assert await create("channel.hype_train.begin", "1") == (
            400,
            "invalid subscription version",
        )
        assert (await create("channel.hype_train.begin", "2"))[0] == 202
        await ws.close()


def progress(level: int, points: int) -> dict[str, object]:
    event = copy.deepcopy(load_payload("hype_train_progress")["payload"]["event"])
    event.update(level=level, progress=points, total=level * 1000 + points)
    return event


async def test_a_hype_train_alerts_its_start_and_each_new_level_once(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    await twitch.push_recorded("hype_train_begin")  # level 1
    for level, points in ((1, 300), (2, 50), (2, 400), (4, 10), (4, 20)):
        await twitch.push("channel.hype_train.progress", progress(level, points))
    await twitch.push_recorded("hype_train_end")
    await harness.wait_for(lambda: "hype_train_end" in harness.kinds())
    levels = [e.level for e in harness.events if isinstance(e, ev.HypeTrainLevelUp)]
    assert levels == [2, 4], "one alert per new level; a jump of two levels is one alert"
    alerts = [e.kind for e in harness.events if e.alertable]
    assert alerts == ["hype_train_begin", "hype_train_level_up", "hype_train_level_up"]


async def test_the_streamers_own_raid_is_recorded_not_alerted(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    # Each notification reaches only the subscription its channels match, as on Twitch.
    await twitch.push_recorded("raid_outgoing")
    await twitch.push_recorded("raid")
    await harness.wait_for(lambda: len(harness.events) == 2)
    sent, received = harness.events
    assert isinstance(sent, ev.RaidSent) and sent.actor_name == "Cool_User"
    assert isinstance(received, ev.Raid) and received.alertable


@pytest.mark.allow_logs(r"ignored a channel\.charity_campaign\.donate notification")
async def test_a_notification_the_app_cannot_read_is_skipped_not_fatal(
    twitch: FakeTwitch, harness: Harness
) -> None:
    harness.start()
    await harness.connected()
    broken = copy.deepcopy(load_payload("charity_campaign_donate")["payload"]["event"])
    broken["amount"] = {"value": 500, "decimal_places": 2, "currency": "dollars"}
    await twitch.push("channel.charity_campaign.donate", broken)
    await twitch.push_recorded("charity_campaign_donate")
    await harness.wait_for(lambda: harness.kinds() == ["charity_donation"])
    assert harness.connector.status.state is ConnectorState.CONNECTED
    assert not any(s.state is ConnectorState.RECONNECTING for s in harness.states)
