"""The stream manager keeps each channel's activity from its real Twitch events (fake Twitch,
real connector) and publishes it the way it publishes stream state."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.notices import ChannelActivityChanged, notice_topics
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.twitch.client import TwitchEndpoints
from streampai_desktop.platforms.twitch.connector import create_connector
from streampai_desktop.secrets import SecretStore
from streampai_desktop.store.records import Account
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.stream.manager import StreamManager
from tests.fakes.twitch import FakeTwitch, load_payload, twitch_time
from tests.platforms.conftest import FAST
from tests.stream.test_manager import until

NOW = datetime(2024, 5, 4, 18, 0, tzinfo=UTC)


async def test_polls_hype_trains_and_ad_breaks_reach_the_channel_activity(
    twitch: FakeTwitch, endpoints: TwitchEndpoints, secrets: SecretStore, signed_in: object
) -> None:
    bus = EventBus()
    notices = bus.subscribe(notice_topics(ChannelActivityChanged))
    ingest = EventIngest(bus)
    manager = StreamManager(
        bus,
        ingest.submit,
        factory=lambda acc, deps: create_connector(
            acc, deps, secrets=secrets, endpoints=endpoints, options=FAST
        ),
    )
    account = Account("acc-1", "twitch", "1337", "cool_streamer", "Cool_Streamer", True, NOW, NOW)
    seen: list[ChannelActivityChanged] = []

    def drain() -> list[ChannelActivityChanged]:
        seen.extend(m.payload for m in iter(notices.get_nowait, None))
        return seen

    await manager.start([account])
    try:
        await until(lambda: manager.states()["acc-1"].state is ConnectorState.CONNECTED)
        for name in ("poll_begin", "poll_progress", "hype_train_begin", "hype_train_progress"):
            await twitch.push_recorded(name)
        await until(lambda: any(n.activity.hype_train for n in drain()))
        await until(lambda: drain()[-1].activity.hype_train.level == 2)
        now = manager.channel_activity()["acc-1"].to_json()
        assert [c["votes"] for c in now["poll"]["choices"]] == [12, 14, 7]
        assert (now["hype_train"]["level"], now["hype_train"]["progress"]) == (2, 200)
        assert all(n.account_id == "acc-1" and n.platform == "twitch" for n in seen)

        ad = copy.deepcopy(load_payload("ad_break_begin")["payload"]["event"])
        ad.update(duration_seconds=1, started_at=twitch_time())
        await twitch.push("channel.ad_break.begin", ad)
        await until(lambda: drain()[-1].activity.ad_break is not None)
        assert manager.channel_activity()["acc-1"].to_json()["ad_break"]["duration_s"] == 1
        # Nobody sends "ad break over": the app clears it when its time is up, with a notice.
        await until(lambda: drain()[-1].activity.ad_break is None, within=3)

        await twitch.push_recorded("poll_end")
        await twitch.push_recorded("hype_train_end")
        await until(lambda: drain()[-1].activity.hype_train is None)
        final = manager.channel_activity()["acc-1"]
        assert final.poll is not None and final.poll.status == "completed"
    finally:
        await manager.disable("acc-1")
        await manager.stop()
    # A stopped account shows nothing running any more.
    assert drain()[-1].activity.idle and manager.channel_activity() == {}


def test_the_ad_break_countdown_reads_from_its_start(twitch: FakeTwitch) -> None:
    """The fake's recorded ad break is Twitch's example, an old one: over long ago."""
    from streampai_desktop.platforms.twitch import mapping
    from streampai_desktop.stream.channel_activity import ChannelActivity, apply

    (event,) = mapping.map_notification(load_payload("ad_break_begin"))
    state = apply(ChannelActivity(), event)
    assert state.expired(event.at + timedelta(seconds=61)).idle
