"""Dashboard: what is going on right now.

On a first run the "Get on stream" checklist leads to OBS; the alert queue and the overlays'
URLs come next, above the fold. The stream card and the viewer chart show only when they have
something to say (live, or a connected channel); under them, what runs on the channel (an ad
break, a poll, a prediction, a hype train) while anything does; while live, the chat and the
latest events move up under those. Words only: no command-line flags or file paths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QWidget

from streampai_desktop.core.events import ChatMessage, ChatNotification, Event, ViewerCount
from streampai_desktop.platforms.base import StreamInfo
from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.pages.channel_activity_card import ChannelActivityCard
from streampai_desktop.ui.pages.common import Banner, Card, Page, Stat, label, restyle
from streampai_desktop.ui.pages.dashboard_chat import ChatCard
from streampai_desktop.ui.pages.feed_list import FeedList
from streampai_desktop.ui.pages.first_run import GetOnStreamCard
from streampai_desktop.ui.pages.obs_cards import ObsDashboardCard
from streampai_desktop.ui.pages.overlays_card import OverlaysCard
from streampai_desktop.ui.pages.stream_card import StreamCard
from streampai_desktop.ui.pages.viewer_chart import ViewerChart
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.widgets.alert_box import KIND_TITLES

DEMO_OFF_TEXT = (
    "Demo events are off. Turn them on to rehearse your scene: demo chat and alerts are sent to "
    "your overlays and marked as tests."
)
DEMO_ON_TEXT = (
    "Demo chat and alerts (marked as tests) are being sent to your overlays, so you can set up "
    "your scene before your channel is connected."
)
REHEARSE_TEXT = (
    "Rehearsing: demo chat and alerts (marked as tests) are sent to your overlays alongside your "
    "channel's own events."
)


def in_words(text: str, data_dir: Path) -> str:
    """``text`` with every path inside the data folder told by its file name alone.

    Start-up notices ("a copy was kept at /home/…/backups/…db") are written for the log; the
    streamer needs to know a copy was kept, and Settings opens the data folder.
    """

    def name(match: re.Match[str]) -> str:
        rest = (match.group(1) or "").strip("/\\")
        return f"“{PurePath(rest).name}” in the data folder" if rest else "the data folder"

    return re.sub(re.escape(str(data_dir)) + r"([/\\][^\s;,)]*[^\s;,).])?", name, text)


def describe_queue(state: Mapping[str, Any]) -> tuple[str, str]:
    """(what is on screen, what waits) in words, from the queue's published state."""
    now = state.get("now")
    if isinstance(now, Mapping):
        kind = str(now.get("kind", ""))
        showing = f"Now showing: {KIND_TITLES.get(kind, kind)} from {now.get('name', '')}"
    else:
        showing = "Nothing on screen"
    pending = int(state.get("pending", 0))
    missed = int(state.get("missed", 0))
    parts = [f"{pending:,} waiting", f"{missed:,} missed"]
    if state.get("paused"):
        parts.insert(0, "Paused")
    return showing, " · ".join(parts)


class AlertQueueCard(Card):
    """What the alert box shows now, what waits, and the queue's controls."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__("Alert queue")
        self.vm = vm
        self.now = label("", "queueNow", wrap=True)
        self.counts = label("", "muted")
        self.hint = label("", "muted", wrap=True)
        self.layout_.addWidget(self.now)
        self.layout_.addWidget(self.counts)
        self.layout_.addWidget(self.hint)
        row = QHBoxLayout()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Alerts wait while paused; nothing is lost.")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Hide the alert on screen now; the next one follows.")
        self.skip_button.clicked.connect(vm.queue.skip)
        self.clear_button = QPushButton("Clear…")
        self.clear_button.setToolTip("Drop every waiting alert (not the one on screen).")
        self.clear_button.clicked.connect(lambda: vm.spawn(self.clear(), "clear alert queue"))
        for button in (self.pause_button, self.skip_button, self.clear_button):
            row.addWidget(button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        vm.queue.changed.connect(self.update_state)
        vm.presence.changed.connect(lambda _counts: self.update_state(vm.queue.state))
        self.update_state(vm.queue.state)

    def _toggle_pause(self) -> None:
        self.vm.queue.set_paused(not self.vm.queue.paused)

    async def clear(self) -> bool:
        pending = int(self.vm.queue.state.get("pending", 0))
        ok = await confirm(
            self,
            "Clear the alert queue?",
            f"{pending:,} waiting alert(s) will not be shown. You can replay any of them from "
            "the Events page.",
            "Clear",
        )
        if ok:
            self.vm.queue.clear()
        return ok

    def update_state(self, state: Mapping[str, Any]) -> None:
        showing, counts = describe_queue(state)
        self.now.setText(showing)
        self.counts.setText(counts)
        paused = bool(state.get("paused"))
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.skip_button.setEnabled(isinstance(state.get("now"), Mapping))
        self.clear_button.setEnabled(int(state.get("pending", 0)) > 0)
        waiting = int(state.get("pending", 0)) > 0 and state.get("now") is None
        if waiting and paused:
            self.hint.setText("Resume to show the waiting alerts.")
        elif waiting and self.vm.presence.counts.get("alert_box", 0) == 0:
            self.hint.setText("Alerts wait until an Alert Box is open in OBS (or a browser).")
        else:
            self.hint.setText("")
        self.hint.setVisible(bool(self.hint.text()))


def _is_activity(event: Event) -> bool:
    # Viewer counts tick every few seconds, and a running poll, prediction, hype train or goal
    # reports progress just as often (its card shows it): both would push real activity off the
    # list. A chat notice is chat; its sub, gift or raid is on the list as its own event.
    if event.running_update:
        return False
    return not isinstance(event, ChatMessage | ChatNotification | ViewerCount)


def _row(*widgets: QWidget, stretches: Sequence[int] = ()) -> QWidget:
    """Widgets side by side in a holder the page can show, hide and move as one."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(12)
    for index, widget in enumerate(widgets):
        row.addWidget(widget, stretches[index] if index < len(stretches) else 1)
    return holder


class DashboardPage(Page):
    """The page the app opens on."""

    navigate = Signal(str)  # a page key, for "go to Widgets" style links

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__("Dashboard", "What is happening on your stream right now.")
        self.vm = vm
        app = vm.app

        self.checklist = GetOnStreamCard(vm)
        self.checklist.connect_requested.connect(lambda: self.navigate.emit("platforms"))
        self.body.addWidget(self.checklist)
        self.demo_banner = Banner("demo", action="Stop demo events")
        assert self.demo_banner.button is not None
        self.demo_banner.button.clicked.connect(self._toggle_demo)
        self.body.addWidget(self.demo_banner)
        warnings = [app.state.secrets_warning or ""]
        warnings += [f"A setting was ignored: {problem}" for problem in app.settings.problems]
        for text in app.state.notices:
            self.body.addWidget(Banner("info", in_words(text, app.data_dir)))
        for text in filter(None, warnings):
            self.body.addWidget(Banner("warning", in_words(text, app.data_dir)))

        # The stream and its viewers: only once there is something to show.
        self.stream_card = StreamCard(vm)
        self.chart_card = Card("Viewers this stream")
        self.chart = ViewerChart()
        self.chart_card.layout_.addWidget(self.chart, 1)
        self.stream_row = _row(self.stream_card, self.chart_card, stretches=(2, 3))
        self.body.addWidget(self.stream_row)
        # OBS's own line: it says "streaming" before the platforms report the stream live.
        self.obs_card = ObsDashboardCard(vm)
        self.body.addWidget(self.obs_card)
        self._chart_live = False
        self._chart_stream: datetime | None = None  # the start of the stream the chart shows
        # What runs on the channel now (ad break, poll, prediction, hype train); hidden when
        # nothing does.
        self.channel_activity = ChannelActivityCard(vm.activity)
        self.body.addWidget(self.channel_activity)
        self.channel_activity.refresh()

        # Before the first stream these lead to OBS; the streamer sees them without scrolling.
        self.queue_card = AlertQueueCard(vm)
        self.server_card = OverlaysCard(vm)
        self.server_card.to_widgets.connect(lambda: self.navigate.emit("widgets"))
        self.cards_row = _row(self.queue_card, self.server_card)
        self.body.addWidget(self.cards_row)

        activity_card = Card("Latest events")
        self.activity = FeedList(placeholder="Follows, subs, cheers and other events show up here.")
        self.activity.setMinimumHeight(230)
        activity_card.layout_.addWidget(self.activity)
        self.chat_card = ChatCard(vm)
        self.chat = self.chat_card.view
        self.chat_input = self.chat_card.input
        self.send_button = self.chat_card.send_button
        self.chat_status = self.chat_card.status
        self.feeds = QWidget()
        feeds = QGridLayout(self.feeds)
        feeds.setContentsMargins(0, 0, 0, 0)
        feeds.setSpacing(12)
        feeds.addWidget(activity_card, 0, 0)
        feeds.addWidget(self.chat_card, 0, 1)
        self.body.addWidget(self.feeds, 1)

        self.events_stat = Stat("Events this session")
        self.chat_stat = Stat("Chat messages")
        self.alerts_stat = Stat("Alerts")
        self.overlays_stat = Stat("Overlays connected")
        self.stats_row = _row(
            self.events_stat, self.chat_stat, self.alerts_stat, self.overlays_stat
        )
        self.body.addWidget(self.stats_row)

        vm.feed.events_arrived.connect(self._on_events)
        vm.feed.history_loaded.connect(self._on_history)
        vm.feed.counters_changed.connect(self._update_counters)
        vm.presence.changed.connect(lambda _counts: self._update_counters())
        vm.demo_changed.connect(self._update_demo)
        vm.streams.stream_changed.connect(self._on_stream)
        vm.streams.states_changed.connect(self._on_states)
        vm.streams.accounts_changed.connect(self._on_states)
        vm.obs.changed.connect(lambda _status: self._arrange())
        self._update_demo(vm.demo_on)
        self._update_counters()
        self._on_states()
        # Uptime ticks every second; the chart's "now" edge moves along with it.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()

    # --- what shows where -------------------------------------------------------------------------

    def _place(self, widget: QWidget, index: int) -> None:
        """Move ``widget`` to ``index`` in the page (-1: the end)."""
        last = self.body.count() - 1
        if self.body.indexOf(widget) != (last if index < 0 else index):
            self.body.removeWidget(widget)
            self.body.insertWidget(index, widget, 1 if widget is self.feeds else 0)

    def _arrange(self) -> None:
        """Hide what has nothing to say; while live, the chat and events come right under the
        stream (what matters then) and the checklist goes to the end; else the checklist, the
        queue and the overlays come first (what gets a first stream going)."""
        stream = self.vm.streams.stream
        has_accounts = bool(self.vm.streams.accounts)
        show_card = StreamCard.has_data(stream, has_accounts)
        show_chart = stream.live or bool(self.chart.points)
        self.stream_card.setVisible(show_card)
        self.chart_card.setVisible(show_chart)
        self.stream_row.setVisible(show_card or show_chart)
        feed = self.vm.feed
        counted = feed.session_events or self.vm.presence.total
        self.stats_row.setVisible(stream.live or bool(counted))
        self._place(self.checklist, -1 if stream.live else 0)
        first = self.feeds if stream.live else self.cards_row
        self._place(first, self.body.indexOf(self.channel_activity) + 1)
        # OBS's line comes up under the stream once there is an OBS to show or to fix (the
        # password it asks for); "not running" waits at the bottom, out of a first run's way.
        obs = self.vm.obs.status
        if obs.connected or obs.state == "auth_failed":
            self._place(self.obs_card, self.body.indexOf(self.stream_row) + 1)
        else:
            self._place(self.obs_card, self.body.indexOf(self.stats_row) + 1)

    # --- stream -----------------------------------------------------------------------------------

    def _tick(self) -> None:
        stream = self.vm.streams.stream
        if stream.live and self.isVisible():
            self.stream_card.tick(stream)
            self.chart.update()

    def _on_stream(self, stream: StreamInfo) -> None:
        self.stream_card.show_stream(stream)
        key = stream.started_at if stream.live else None
        if stream.live and (not self._chart_live or key != self._chart_stream):
            # A new stream: start its chart and fill in what the store has (after a restart).
            self._chart_live, self._chart_stream = True, key
            self.chart.begin(stream.started_at)
            if stream.started_at is not None:
                self.vm.spawn(self._load_viewers(stream.started_at), "load viewer history")
        elif not stream.live and self._chart_live:
            self._chart_live = False
            self.chart.end()
        if stream.live and stream.viewers is not None:
            self.chart.add_point(datetime.now(UTC), stream.viewers)
        self._arrange()

    async def _load_viewers(self, since: datetime) -> None:
        points = await self.vm.streams.viewer_history(since)
        if self._chart_live and self._chart_stream == since:
            self.chart.add_history(points)
            self._arrange()

    def _on_states(self) -> None:
        self._on_stream(self.vm.streams.stream)
        if self.vm.demo_on:
            self._update_demo(True)

    # --- demo -------------------------------------------------------------------------------------

    def _toggle_demo(self) -> None:
        button = self.demo_banner.button
        assert button is not None
        button.setEnabled(False)  # until the demo source has actually started or stopped
        self.vm.spawn(self.vm.set_demo(not self.vm.demo_on), "toggle demo")

    def _update_demo(self, on: bool) -> None:
        button = self.demo_banner.button
        assert button is not None
        button.setEnabled(True)
        # What the demo does, in words; not why it started (a start-up option's name).
        if on:
            restyle(self.demo_banner, "banner_demo")  # the object name picks the tint
            self.demo_banner.set_text(REHEARSE_TEXT if self.vm.streams.accounts else DEMO_ON_TEXT)
            button.setText("Stop demo events")
        else:
            restyle(self.demo_banner, "banner_info")
            self.demo_banner.set_text(DEMO_OFF_TEXT)
            button.setText("Start demo events")

    # --- counters and feeds -----------------------------------------------------------------------

    def _update_counters(self) -> None:
        feed = self.vm.feed
        self.events_stat.set_value(feed.session_events)
        self.chat_stat.set_value(feed.session_chat)
        self.alerts_stat.set_value(feed.session_alerts)
        self.overlays_stat.set_value(self.vm.presence.total)
        self._arrange()

    def _on_events(self, events: Sequence[Event]) -> None:
        self.activity.add_live([e for e in events if _is_activity(e)])
        self.chat.add_live(events)

    def _on_history(self, events: Sequence[Event]) -> None:
        self.activity.add_history([e for e in events if _is_activity(e)])
        self.chat.add_history(events)
