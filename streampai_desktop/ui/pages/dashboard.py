"""Dashboard: what is going on right now — the stream (live, uptime, viewers and their chart),
demo state, warnings, counters, the latest events and the chat with a send box."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.core.events import ChatMessage, Event, ViewerCount
from streampai_desktop.platforms.base import ChatNotSent, StreamInfo
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.pages.common import Banner, Card, Page, Stat, StatusLine, label
from streampai_desktop.ui.pages.feed_list import FeedList
from streampai_desktop.ui.pages.viewer_chart import ViewerChart
from streampai_desktop.ui.status_text import STATE_BADGES
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.widgets.alert_box import KIND_TITLES

DEMO_OFF_TEXT = (
    "Demo events are off. Turn them on to rehearse your scene: demo chat and alerts are sent to "
    "your overlays and marked as tests."
)
DEMO_ON_TEXT = "Demo chat and alerts (marked as tests) are being sent to your overlays."
REHEARSE_TEXT = (
    "Rehearsing: demo chat and alerts (marked as tests) are sent to your overlays alongside your "
    "channel's own events."
)


def format_uptime(uptime: timedelta | None) -> str:
    if uptime is None:
        return ""
    seconds = int(uptime.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


class StreamCard(Card):
    """Live or offline, uptime, title and category, viewers and followers."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__()
        self.vm = vm
        top = QHBoxLayout()
        self.badge = label("OFFLINE", "badgeOffline")
        top.addWidget(self.badge)
        self.uptime = label("", "uptime")
        self.uptime.setToolTip("Time since the stream started")
        top.addWidget(self.uptime)
        self.started = label("", "muted")
        top.addWidget(self.started)
        top.addStretch(1)
        self.channels = label("", "muted")
        top.addWidget(self.channels)
        self.layout_.addLayout(top)
        self.title = label("", "streamTitle", wrap=True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layout_.addWidget(self.title)
        self.category = label("", "muted", wrap=True)
        self.layout_.addWidget(self.category)
        self.figures = QWidget()
        figures = QHBoxLayout(self.figures)
        figures.setContentsMargins(0, 0, 0, 0)
        figures.setSpacing(24)
        self.viewers = label("—", "statValue")
        self.followers = label("—", "statValue")
        for value, caption in ((self.viewers, "Viewers"), (self.followers, "Followers")):
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(value)
            column.addWidget(label(caption, "statLabel"))
            figures.addLayout(column)
        figures.addStretch(1)
        self.layout_.addWidget(self.figures)
        self.hint = label(
            "Connect your channel on the Platforms page to see your stream here.",
            "muted",
            wrap=True,
        )
        self.connect_button = QPushButton("Connect a channel")
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.connect_button)
        hint_row.addStretch(1)
        self.layout_.addWidget(self.hint)
        self.layout_.addLayout(hint_row)
        self.layout_.addStretch(1)

    def show_stream(self, stream: StreamInfo) -> None:
        live = stream.live
        self.badge.setText("LIVE" if live else "OFFLINE")
        name = "badgeOnAir" if live else "badgeOffline"
        if self.badge.objectName() != name:
            self.badge.setObjectName(name)
            self.badge.style().unpolish(self.badge)
            self.badge.style().polish(self.badge)
        self.tick(stream)
        has_accounts = bool(self.vm.streams.accounts)
        self.title.setText(stream.title or ("" if has_accounts else "No channel connected"))
        self.category.setText(stream.category)
        self.category.setVisible(bool(stream.category))
        self.viewers.setText(_count(stream.viewers) if live else "—")
        self.followers.setText(_count(stream.followers))
        self.figures.setVisible(has_accounts)
        self.hint.setVisible(not has_accounts)
        self.connect_button.setVisible(not has_accounts)
        parts = []
        for status in self.vm.streams.statuses.values():
            if any(a.id == status.account_id for a in self.vm.streams.accounts):
                state = STATE_BADGES.get(status.state, (status.state.value, ""))[0]
                parts.append(f"{platform_label(status.platform)} · {status.login} · {state}")
        self.channels.setText("   ".join(parts))

    def tick(self, stream: StreamInfo) -> None:
        self.uptime.setText(format_uptime(stream.uptime()))
        shown = stream.live and stream.started_at is not None
        self.uptime.setVisible(shown)
        self.started.setVisible(shown)
        if shown and stream.started_at is not None:
            self.started.setText(f"since {stream.started_at.astimezone().strftime('%H:%M')}")


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


def _is_chat(event: Event) -> bool:
    return isinstance(event, ChatMessage)


def _is_activity(event: Event) -> bool:
    # Viewer counts tick every few seconds and would push real activity off the list.
    return not isinstance(event, ChatMessage | ViewerCount)


class DashboardPage(Page):
    """The page the app opens on."""

    navigate = Signal(str)  # a page key, for "go to Widgets" style links

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__("Dashboard", "What is happening on your stream right now.")
        self.vm = vm
        state = vm.app.state

        self.demo_banner = Banner("demo", action="Stop demo events")
        assert self.demo_banner.button is not None
        self.demo_banner.button.clicked.connect(self._toggle_demo)
        self.body.addWidget(self.demo_banner)
        self._demo_reason = vm.app.demo.reason
        if state.secrets_warning:
            self.body.addWidget(Banner("warning", state.secrets_warning))
        for notice in state.notices:
            self.body.addWidget(Banner("info", notice))
        for problem in vm.app.settings.problems:
            self.body.addWidget(Banner("warning", f"A setting was ignored: {problem}"))

        self.stream_card = StreamCard(vm)
        self.stream_card.connect_button.clicked.connect(lambda: self.navigate.emit("platforms"))
        chart_card = Card("Viewers this stream")
        self.chart = ViewerChart()
        chart_card.layout_.addWidget(self.chart, 1)
        stream_row = QHBoxLayout()
        stream_row.setSpacing(12)
        stream_row.addWidget(self.stream_card, 2)
        stream_row.addWidget(chart_card, 3)
        self.body.addLayout(stream_row)
        feeds_at = self.body.count()  # what matters while live comes first: chat and events
        self._chart_live = False
        self._chart_stream: datetime | None = None  # the start of the stream the chart shows

        stats = QHBoxLayout()
        stats.setSpacing(12)
        self.events_stat = Stat("Events this session")
        self.chat_stat = Stat("Chat messages")
        self.alerts_stat = Stat("Alerts")
        self.overlays_stat = Stat("Overlays connected")
        for stat in (self.events_stat, self.chat_stat, self.alerts_stat, self.overlays_stat):
            stats.addWidget(stat)
        self.body.addLayout(stats)

        self.queue_card = AlertQueueCard(vm)

        self.server_card = Card("Overlays in OBS")
        self.server_text = label(wrap=True)
        self.server_card.layout_.addWidget(self.server_text)
        to_widgets = QPushButton("Get the overlay URLs")
        to_widgets.clicked.connect(lambda: self.navigate.emit("widgets"))
        row = QHBoxLayout()
        row.addWidget(to_widgets)
        row.addStretch(1)
        self.server_card.layout_.addLayout(row)
        cards = QHBoxLayout()
        cards.setSpacing(12)
        cards.addWidget(self.queue_card, 1)
        cards.addWidget(self.server_card, 1)
        self.body.addLayout(cards)

        feeds = QGridLayout()
        feeds.setSpacing(12)
        activity_card = Card("Latest events")
        self.activity = FeedList(placeholder="Follows, subs, cheers and other events show up here.")
        activity_card.layout_.addWidget(self.activity)
        chat_card = Card("Chat")
        self.chat = FeedList(placeholder="Chat from every platform shows up here.")
        chat_card.layout_.addWidget(self.chat)
        send_row = QHBoxLayout()
        self.chat_input = QLineEdit()
        self.chat_input.setObjectName("chatInput")
        self.chat_input.setAccessibleName("Chat message")
        # The connected platforms' own limit (from their specs), set again as they change.
        self.chat_input.setMaxLength(vm.streams.chat_limit())
        self.chat_input.returnPressed.connect(self.send_chat)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self.send_chat)
        send_row.addWidget(self.chat_input, 1)
        send_row.addWidget(self.send_button)
        chat_card.layout_.addLayout(send_row)
        self.chat_status = StatusLine()
        chat_card.layout_.addWidget(self.chat_status)
        self._sending = False
        feeds.addWidget(activity_card, 0, 0)
        feeds.addWidget(chat_card, 0, 1)
        self.activity.setMinimumHeight(230)
        self.chat.setMinimumHeight(230)
        self.body.insertLayout(feeds_at, feeds, 1)

        vm.feed.events_arrived.connect(self._on_events)
        vm.feed.history_loaded.connect(self._on_history)
        vm.feed.counters_changed.connect(self._update_counters)
        vm.presence.changed.connect(lambda _counts: self._update_server())
        vm.server_changed.connect(self._update_server)
        vm.demo_changed.connect(self._update_demo)
        vm.streams.stream_changed.connect(self._on_stream)
        vm.streams.states_changed.connect(self._on_states)
        vm.streams.accounts_changed.connect(self._on_states)
        self._update_counters()
        self._update_server()
        self._update_demo(vm.demo_on)
        self._on_states()
        self._on_stream(vm.streams.stream)
        # Uptime ticks every second; the chart's "now" edge moves along with it.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()

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

    async def _load_viewers(self, since: datetime) -> None:
        points = await self.vm.streams.viewer_history(since)
        if self._chart_live and self._chart_stream == since:
            self.chart.add_history(points)

    def _on_states(self) -> None:
        can_chat = self.vm.streams.can_chat
        self.chat_input.setMaxLength(self.vm.streams.chat_limit())
        self.chat_input.setEnabled(can_chat and not self._sending)
        self.send_button.setEnabled(can_chat and not self._sending)
        self.chat_input.setPlaceholderText(
            "Send a message to your chat…"
            if can_chat
            else "Connect a channel on the Platforms page to chat from here"
            if not self.vm.streams.accounts
            else "Your channel is not connected right now"
        )
        self.stream_card.show_stream(self.vm.streams.stream)
        if self.vm.demo_on:
            self._update_demo(True)

    # --- chat -------------------------------------------------------------------------------------

    def send_chat(self) -> None:
        text = self.chat_input.text().strip()
        if not text or self._sending:
            return
        self.vm.spawn(self._send(text), "send chat")

    async def _send(self, text: str) -> None:
        self._sending = True
        self.send_button.setEnabled(False)
        self.chat_status.busy("Sending…")
        try:
            await self.vm.streams.send_chat(text)
        except ChatNotSent as exc:
            self.chat_status.error(str(exc))
        else:
            self.chat_status.clear()
            if self.chat_input.text().strip() == text:
                self.chat_input.clear()
        finally:
            self._sending = False
            self._on_states()

    def _toggle_demo(self) -> None:
        button = self.demo_banner.button
        assert button is not None
        button.setEnabled(False)  # until the demo source has actually started or stopped
        self._demo_reason = ""  # the start-up reason no longer applies once the streamer chose
        self.vm.spawn(self.vm.set_demo(not self.vm.demo_on), "toggle demo")

    def _update_demo(self, on: bool) -> None:
        button = self.demo_banner.button
        assert button is not None
        button.setEnabled(True)
        if on:
            self.demo_banner.setObjectName("banner_demo")
            reason = self._demo_reason
            if self.vm.streams.accounts:
                reason = REHEARSE_TEXT
            elif "overlays" not in reason:  # e.g. "Demo mode is on (--demo)." says why, not what
                reason = f"{reason} {DEMO_ON_TEXT}".strip()
            self.demo_banner.set_text(reason)
            button.setText("Stop demo events")
        else:
            self.demo_banner.setObjectName("banner_info")
            self.demo_banner.set_text(DEMO_OFF_TEXT)
            button.setText("Start demo events")
        # The object name picks the banner's tint; re-polish so the new one applies.
        self.demo_banner.style().unpolish(self.demo_banner)
        self.demo_banner.style().polish(self.demo_banner)

    def _update_counters(self) -> None:
        feed = self.vm.feed
        self.events_stat.set_value(feed.session_events)
        self.chat_stat.set_value(feed.session_chat)
        self.alerts_stat.set_value(feed.session_alerts)

    def _update_server(self) -> None:
        total = self.vm.presence.total
        self.overlays_stat.set_value(total)
        if not self.vm.server_running:
            self.server_text.setText(
                "The overlay server is stopped, so OBS cannot load the overlays."
            )
            return
        pages = "No overlay page is" if total == 0 else f"{total} overlay page(s)"
        self.server_text.setText(
            f"The overlay server runs at http://127.0.0.1:{self.vm.port}. {pages} connected "
            "right now. Add each widget's URL to OBS as a Browser Source."
        )

    def _on_events(self, events: Sequence[Event]) -> None:
        self.activity.add_live([e for e in events if _is_activity(e)])
        self.chat.add_live([e for e in events if _is_chat(e)])

    def _on_history(self, events: Sequence[Event]) -> None:
        self.activity.add_history([e for e in events if _is_activity(e)])
        self.chat.add_history([e for e in events if _is_chat(e)])
