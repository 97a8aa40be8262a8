"""The status bar's alert-queue pill: the queue state a streamer must notice, wherever they are.

"Alerts paused (3)" and "Alert Box not open in OBS" are warnings (alerts are not reaching the
stream); "3 alerts waiting" is calm; an idle queue shows a quiet "Alert queue". A click opens the
queue popup (:mod:`streampai_desktop.ui.queue_popup`) with the controls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.ui.style import ControlColors
from streampai_desktop.ui.theme import control_colors, is_dark
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.widgets.alert_planner import ALERT_BOX

Tone = Literal["warn", "calm", "idle"]

OPEN_HINT = "Click to open the alert queue."
PAUSED_HINT = "Alerts wait while paused; nothing is lost. Resume to show them."
NO_BOX_HINT = (
    "Alerts wait until an Alert Box is open in OBS (or a browser). Add the Alert Box's URL to "
    "OBS as a Browser Source; the Widgets page has it."
)


@dataclass(frozen=True, slots=True)
class PillLook:
    text: str
    tone: Tone
    tip: str


def _alerts(count: int) -> str:
    return "1 alert" if count == 1 else f"{count:,} alerts"


def describe_pill(
    state: Mapping[str, Any], *, alert_box_open: bool, alerts_expected: bool
) -> PillLook:
    """What the pill says for the queue's published ``state``.

    ``alerts_expected``: alerts would play now (demo events on, or a channel connected), so a
    missing Alert Box is worth a warning before the first alert waits.
    """
    pending = int(state.get("pending", 0))
    counted = f" ({pending:,})" if pending else ""
    waiting = f"{_alerts(pending)} waiting. " if pending else ""
    if state.get("paused"):
        return PillLook(f"Alerts paused{counted}", "warn", f"{waiting}{PAUSED_HINT} {OPEN_HINT}")
    if not alert_box_open and (pending or alerts_expected):
        return PillLook(
            f"Alert Box not open in OBS{counted}", "warn", f"{waiting}{NO_BOX_HINT} {OPEN_HINT}"
        )
    if pending:
        return PillLook(f"{_alerts(pending)} waiting", "calm", f"{waiting}{OPEN_HINT}")
    if isinstance(state.get("now"), Mapping):
        return PillLook("Alert on screen", "calm", f"Nothing else waiting. {OPEN_HINT}")
    return PillLook("Alert queue", "idle", f"No alerts waiting. {OPEN_HINT}")


def pill_sheet(c: ControlColors, dark: bool) -> str:
    """The pill's look in colors ``c``: a warning tint with a 3:1 border in either theme, and the
    same focus ring as every other control (its own sheet replaces the application's)."""
    warn_fill, warn_border = ("#3a2a0c", "#f59e0b") if dark else ("#fef3c7", "#b45309")
    return f"""
QPushButton#queuePill {{
    background: {c.button};
    color: {c.text};
    border: 1px solid {c.border};
    border-radius: 9px;
    min-height: 16px;
    padding: 1px 11px;
}}
QPushButton#queuePill:hover {{ background: {c.button_hover}; }}
QPushButton#queuePill[tone="warn"] {{
    background: {warn_fill};
    border-color: {warn_border};
    font-weight: 600;
}}
QPushButton#queuePill:focus {{ border: 2px solid {c.focus}; padding: 0 10px; }}
"""


class QueuePill(QPushButton):
    """Follows the alert queue, the Alert Box pages, the demo and the connections."""

    def __init__(self, vm: AppViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("queuePill")
        self.setAccessibleName("Alert queue")
        self.look = PillLook("", "idle", "")
        self.setProperty("tone", self.look.tone)
        self.restyle()
        vm.queue.changed.connect(lambda _state: self.refresh())
        vm.presence.changed.connect(lambda _counts: self.refresh())
        vm.demo_changed.connect(lambda _on: self.refresh())
        vm.streams.states_changed.connect(self.refresh)
        vm.widgets_changed.connect(self.refresh)
        self.refresh()

    def _alerts_expected(self) -> bool:
        if not any(w.type == ALERT_BOX for w in self.vm.widgets()):
            return False  # no Alert Box at all: the streamer has chosen not to show alerts
        connected = any(
            s.state is ConnectorState.CONNECTED for s in self.vm.streams.statuses.values()
        )
        return self.vm.demo_on or connected

    def refresh(self) -> None:
        look = describe_pill(
            self.vm.queue.state,
            alert_box_open=self.vm.presence.counts.get(ALERT_BOX, 0) > 0,
            alerts_expected=self._alerts_expected(),
        )
        if look == self.look:
            return
        tone_changed = look.tone != self.look.tone
        self.look = look
        self.setText(look.text)
        self.setToolTip(look.tip)
        self.setAccessibleDescription(look.tip)
        if tone_changed:
            self.setProperty("tone", look.tone)
            # A property selector applies only when the widget is polished again.
            self.style().unpolish(self)
            self.style().polish(self)

    def restyle(self) -> None:
        """Colors for the current palette (after a theme change)."""
        palette = QApplication.palette()
        self.setStyleSheet(pill_sheet(control_colors(palette), is_dark(palette)))
