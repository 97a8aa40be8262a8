"""Platforms: the channels the app will connect to. None can be connected in this version."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout

from streampai_desktop.core.events import Platform
from streampai_desktop.ui.formatting import platform_label
from streampai_desktop.ui.pages.common import Card, Page, label

# What each connection will bring, and when; a table so the status bar and this page agree.
STREAMING_PLATFORMS: dict[Platform, str] = {
    Platform.TWITCH: "Chat, follows, subs, gift subs, cheers, raids and channel points.",
    Platform.YOUTUBE: "Live chat, Super Chats, Super Stickers and memberships.",
    Platform.KICK: "Chat, follows and subscriptions.",
    Platform.FACEBOOK: "Comments, reactions and Stars.",
}
NOT_CONNECTED = "Not connected"


def sign_in_note(platform: Platform) -> str:
    if platform == Platform.TWITCH:
        return "Twitch sign-in is coming in the next version."
    return f"{platform_label(platform)} sign-in arrives in a later version (Twitch comes first)."


class PlatformRow(Card):
    """One platform: name, what it brings, state, and a Connect button (disabled for now)."""

    def __init__(self, platform: Platform, brings: str) -> None:
        super().__init__()
        self.platform = platform
        row = QHBoxLayout()
        text = QVBoxLayout()
        text.addWidget(label(platform_label(platform), "sectionTitle"))
        text.addWidget(label(brings, "muted", wrap=True))
        row.addLayout(text, 1)
        self.state = label(NOT_CONNECTED, "badge")
        row.addWidget(self.state, 0, Qt.AlignmentFlag.AlignVCenter)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setEnabled(False)
        self.connect_button.setToolTip(sign_in_note(platform))
        row.addWidget(self.connect_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.layout_.addLayout(row)
        self.layout_.addWidget(label(sign_in_note(platform), "muted"))


class PlatformsPage(Page):
    """Twitch, YouTube, Kick and Facebook, each honestly "not connected"."""

    def __init__(self) -> None:
        super().__init__(
            "Platforms",
            "Connect your channels to get their chat and alerts. Until then, demo events keep "
            "your overlays busy so you can set up your scenes.",
        )
        self.rows = {p: PlatformRow(p, brings) for p, brings in STREAMING_PLATFORMS.items()}
        for row in self.rows.values():
            self.body.addWidget(row)
        self.body.addStretch(1)
