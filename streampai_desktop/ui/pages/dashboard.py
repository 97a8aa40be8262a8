"""Dashboard: what is going on right now — demo state, warnings, counters, the latest events."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton

from streampai_desktop.core.events import ChatMessage, Event, ViewerCount
from streampai_desktop.ui.pages.common import Banner, Card, Page, Stat, label
from streampai_desktop.ui.pages.feed_list import FeedList
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

DEMO_OFF_TEXT = (
    "Demo events are off. Turn them on to rehearse your scene: demo chat and alerts are sent to "
    "your overlays and marked as tests."
)
DEMO_ON_TEXT = "Demo chat and alerts (marked as tests) are being sent to your overlays."


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
        self._demo_reason = state.demo_reason
        if state.secrets_warning:
            self.body.addWidget(Banner("warning", state.secrets_warning))
        for notice in state.notices:
            self.body.addWidget(Banner("info", notice))
        for problem in vm.app.settings.problems:
            self.body.addWidget(Banner("warning", f"A setting was ignored: {problem}"))

        stats = QHBoxLayout()
        stats.setSpacing(12)
        self.events_stat = Stat("Events this session")
        self.chat_stat = Stat("Chat messages")
        self.alerts_stat = Stat("Alerts")
        self.overlays_stat = Stat("Overlays connected")
        for stat in (self.events_stat, self.chat_stat, self.alerts_stat, self.overlays_stat):
            stats.addWidget(stat)
        self.body.addLayout(stats)

        self.server_card = Card("Overlays in OBS")
        self.server_text = label(wrap=True)
        self.server_card.layout_.addWidget(self.server_text)
        to_widgets = QPushButton("Get the overlay URLs")
        to_widgets.clicked.connect(lambda: self.navigate.emit("widgets"))
        row = QHBoxLayout()
        row.addWidget(to_widgets)
        row.addStretch(1)
        self.server_card.layout_.addLayout(row)
        self.body.addWidget(self.server_card)

        feeds = QGridLayout()
        feeds.setSpacing(12)
        activity_card = Card("Latest events")
        self.activity = FeedList(placeholder="Follows, subs, cheers and other events show up here.")
        activity_card.layout_.addWidget(self.activity)
        chat_card = Card("Latest chat")
        self.chat = FeedList(placeholder="Chat from every platform shows up here.")
        chat_card.layout_.addWidget(self.chat)
        feeds.addWidget(activity_card, 0, 0)
        feeds.addWidget(chat_card, 0, 1)
        self.body.addLayout(feeds, 1)

        vm.feed.events_arrived.connect(self._on_events)
        vm.feed.history_loaded.connect(self._on_history)
        vm.feed.counters_changed.connect(self._update_counters)
        vm.presence.changed.connect(lambda _counts: self._update_server())
        vm.server_changed.connect(self._update_server)
        vm.demo_changed.connect(self._update_demo)
        self._update_counters()
        self._update_server()
        self._update_demo(vm.demo_on)

    def _toggle_demo(self) -> None:
        button = self.demo_banner.button
        assert button is not None
        button.setEnabled(False)  # until the demo source has actually started or stopped
        self.vm.spawn(self.vm.set_demo(not self.vm.demo_on), "toggle demo")

    def _update_demo(self, on: bool) -> None:
        button = self.demo_banner.button
        assert button is not None
        button.setEnabled(True)
        if on:
            self.demo_banner.setObjectName("banner_demo")
            reason = self._demo_reason
            if "overlays" not in reason:  # e.g. "Demo mode is on (--demo)." says why, not what
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
