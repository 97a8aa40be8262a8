"""What runs on each connected channel (poll, prediction, hype train, ad break), for the Dashboard.

The stream manager keeps one :class:`~streampai_desktop.stream.channel_activity.ChannelActivity`
per account and publishes every change as a ``ChannelActivityChanged`` notice; this listener
starts from the manager's current values, keeps the latest notice per account and says so with
:attr:`ChannelActivityModel.changed`. It also names each channel ("Twitch · Cool_Streamer") when
more than one account is connected, so the page never has to look at accounts or the bus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.bus import EventBus, Message
from streampai_desktop.core.notices import ChannelActivityChanged, notice_topics
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.stream.channel_activity import ChannelActivity
from streampai_desktop.ui.viewmodels.listener import BusListener
from streampai_desktop.ui.viewmodels.streams import StreamsModel


@dataclass(frozen=True, slots=True)
class RunningActivity:
    """One channel's activity as the Dashboard shows it; ``channel`` is empty with one account."""

    account_id: str
    channel: str
    activity: ChannelActivity


def shows_anything(activity: ChannelActivity, now: datetime) -> bool:
    """Whether the Dashboard has something to draw for ``activity`` at ``now``: a poll (running
    or its result), a prediction, a hype train, an ad break that is not over yet, or the
    stream's reactions."""
    shown = activity.expired(now)
    return any((shown.poll, shown.prediction, shown.hype_train, shown.ad_break, shown.reactions))


class ChannelActivityModel(BusListener):
    """Each account's latest channel activity, live."""

    changed = Signal()  # an account's activity, or the channels' names, changed

    def __init__(
        self,
        bus: EventBus,
        current: Callable[[], dict[str, ChannelActivity]],
        streams: StreamsModel,
        parent: QObject | None = None,
    ) -> None:
        # Poll votes and hype train points can come many a second; each notice is the whole
        # state, so a queue that overflows loses nothing the next one does not bring.
        topics = notice_topics(ChannelActivityChanged)
        super().__init__(bus, topics, name="ui-channel-activity", maxsize=1000, parent=parent)
        self.streams = streams
        self._activities: dict[str, ChannelActivity] = dict(current())
        self._platforms: dict[str, str] = {}
        streams.accounts_changed.connect(self.changed.emit)

    def handle(self, message: Message) -> None:
        notice = message.payload
        if not isinstance(notice, ChannelActivityChanged):
            return
        self._platforms[notice.account_id] = notice.platform
        if notice.activity.idle:
            self._activities.pop(notice.account_id, None)
        else:
            self._activities[notice.account_id] = notice.activity
        self.changed.emit()

    def activity(self, account_id: str) -> ChannelActivity:
        return self._activities.get(account_id, ChannelActivity())

    def running(self, now: datetime) -> list[RunningActivity]:
        """Every channel with something to show at ``now``, in the order of the accounts."""
        accounts = self.streams.accounts
        order = {account.id: index for index, account in enumerate(accounts)}
        named = len(accounts) > 1 or len(self._activities) > 1
        shown = [
            RunningActivity(account_id, self.channel_name(account_id) if named else "", activity)
            for account_id, activity in self._activities.items()
            if shows_anything(activity, now)
        ]
        return sorted(shown, key=lambda item: order.get(item.account_id, len(order)))

    def channel_name(self, account_id: str) -> str:
        """ "Twitch · Cool_Streamer": the platform and the channel's display name."""
        account = next((a for a in self.streams.accounts if a.id == account_id), None)
        if account is not None:
            return f"{platform_label(account.platform)} · {account.display_name or account.login}"
        platform = self._platforms.get(account_id)
        return platform_label(platform) if platform else ""
