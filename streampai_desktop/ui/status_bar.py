"""The status bar: overlay server, connected overlays, the alert queue's pill, platform states and
demo mode, live."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from streampai_desktop.platforms.registry import PLATFORMS, platform_label
from streampai_desktop.server.urls import HOST
from streampai_desktop.ui.queue_pill import QueuePill
from streampai_desktop.ui.queue_popup import QueuePopup
from streampai_desktop.ui.status_text import (
    COMING_LATER,
    NOT_CONNECTED,
    STATE_BADGES,
    describe_status,
)
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.ui.viewmodels.streams import PlatformStatus


def platforms_text(statuses: list[PlatformStatus]) -> tuple[str, str]:
    """(the status bar's short text, its tooltip) for the connected accounts' states.

    Only platforms the streamer can connect are in the text; the tooltip names the others with
    the Platforms page's own words ("coming later"), never as "not connected".
    """
    available = [spec.label for spec in PLATFORMS.values() if spec.available]
    later = [spec.label for spec in PLATFORMS.values() if not spec.available]
    parts, tips = [], []
    shown = set()
    for status in statuses:
        badge = STATE_BADGES.get(status.state, (status.state.value, ""))[0].rstrip("…")
        name = platform_label(status.platform)
        shown.add(name)
        parts.append(f"{name}: {badge.lower()}")
        detail = describe_status(status)
        tips.append(f"{name} ({status.login}): {badge}" + (f" — {detail}" if detail else ""))
    unconnected = [n for n in available if n not in shown]
    text = " · ".join(parts)
    if not parts and unconnected:
        text = f"{' · '.join(unconnected)}: {NOT_CONNECTED.lower()}"
    tips.extend(f"{n}: {NOT_CONNECTED.lower()}" for n in unconnected)
    tips.extend(f"{n}: {COMING_LATER.lower()}" for n in later)
    return text, "\n".join(tips)


def overlays_text(total: int) -> str:
    if total == 0:
        return "No overlays connected"
    return f"{total} overlay connected" if total == 1 else f"{total} overlays connected"


class AppStatusBar(QStatusBar):
    """Permanent labels updated from the view-model's signals, and the alert queue's pill."""

    navigate = Signal(str)  # a page key, from the queue popup's links

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__()
        self.vm = vm
        self.setSizeGripEnabled(False)
        self.server = QLabel()
        self.overlays = QLabel()
        self.overlays.setToolTip("Overlay pages (OBS browser sources) connected to this app")
        self.queue = QueuePill(vm)
        self.queue.clicked.connect(self.open_queue)
        self.popup: QueuePopup | None = None  # built when first opened
        self.platforms = QLabel()
        self.demo = QLabel("Demo mode")
        self.demo.setObjectName("badgeDemo")
        self.demo.setToolTip("Demo chat and alerts are being sent to your overlays")
        self.addWidget(self.server)
        self.addWidget(self.overlays)
        self.addPermanentWidget(self.queue)
        self.addPermanentWidget(self.platforms)
        self.addPermanentWidget(self.demo)
        vm.server_changed.connect(self.update_server)
        vm.presence.changed.connect(lambda _counts: self.update_overlays())
        vm.demo_changed.connect(self.demo.setVisible)
        vm.streams.states_changed.connect(self.update_platforms)
        self.update_server()
        self.update_platforms()
        self.update_overlays()
        self.demo.setVisible(vm.demo_on)

    def open_queue(self) -> QueuePopup:
        """Open the alert queue popup above the pill."""
        if self.popup is None:
            self.popup = QueuePopup(self.vm, self.window())
            self.popup.navigate.connect(self.navigate.emit)
        self.popup.open_above(self.queue)
        return self.popup

    def update_server(self) -> None:
        if self.vm.server_running:
            self.server.setText(f"Overlay server: {HOST}:{self.vm.port}")
        else:
            self.server.setText("Overlay server: stopped")

    def update_overlays(self) -> None:
        self.overlays.setText(overlays_text(self.vm.presence.total))

    def update_platforms(self) -> None:
        known = {a.id for a in self.vm.streams.accounts}
        statuses = [s for aid, s in self.vm.streams.statuses.items() if aid in known]
        text, tip = platforms_text(statuses)
        self.platforms.setText(text)
        self.platforms.setToolTip(tip)
