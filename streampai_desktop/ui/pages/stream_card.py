"""The Dashboard's stream card: live or offline, uptime, title and category, viewers and
followers, and each connected channel's state."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from streampai_desktop.platforms.base import StreamInfo
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.ui.pages.common import Card, label, restyle
from streampai_desktop.ui.status_text import STATE_BADGES
from streampai_desktop.ui.viewmodels.app_model import AppViewModel


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
        self.layout_.addStretch(1)

    @staticmethod
    def has_data(stream: StreamInfo, has_accounts: bool) -> bool:
        """Worth a card: live, or a connected channel to show (its state, followers, title).
        Offline with no channel it would only say "offline" — the checklist says more."""
        return stream.live or has_accounts

    def show_stream(self, stream: StreamInfo) -> None:
        live = stream.live
        self.badge.setText("LIVE" if live else "OFFLINE")
        restyle(self.badge, "badgeOnAir" if live else "badgeOffline")
        self.tick(stream)
        self.title.setText(stream.title)
        self.title.setVisible(bool(stream.title))
        self.category.setText(stream.category)
        self.category.setVisible(bool(stream.category))
        self.viewers.setText(_count(stream.viewers) if live else "—")
        self.followers.setText(_count(stream.followers))
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
