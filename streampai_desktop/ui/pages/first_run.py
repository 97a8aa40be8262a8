"""The "Get on stream" card at the top of the Dashboard on a first run: four steps from a fresh
install to alerts in OBS, each with its action right there, each ticked by the real thing
happening (see :mod:`streampai_desktop.ui.viewmodels.first_run`)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout

from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.ui.pages.common import Card, StatusLine, label, restyle
from streampai_desktop.ui.pages.overlays_card import obs_size
from streampai_desktop.ui.theme import control_colors
from streampai_desktop.ui.viewmodels import first_run as steps
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.ui.viewmodels.first_run import GetOnStream
from streampai_desktop.ui.viewmodels.test_events import TestEventError
from streampai_desktop.widgets import WIDGETS

TEST_KIND = "follow"  # the alert every streamer gets first, on every platform


def sheet(palette: QPalette) -> str:
    """The card's own looks, in the theme's accent (the window's sheet styles cards, not these
    rows): the next step stands out in an accent tint, a done step is a green tick with muted
    words."""
    colors = control_colors(palette)
    accent = QColor(colors.accent)
    r, g, b = accent.red(), accent.green(), accent.blue()
    return f"""
QFrame#step, QFrame#stepDone {{ border: 1px solid transparent; border-radius: 6px; }}
QFrame#stepCurrent {{
    background: rgba({r}, {g}, {b}, 0.10);
    border: 1px solid rgba({r}, {g}, {b}, 0.60);
    border-radius: 6px;
}}
QLabel#stepMarker, QLabel#stepMarkerCurrent, QLabel#stepMarkerDone {{
    min-width: 22px; max-width: 22px; min-height: 22px; max-height: 22px;
    border-radius: 11px;
    font-weight: 700;
    qproperty-alignment: AlignCenter;
}}
QLabel#stepMarker {{ border: 1px solid {colors.border}; }}
QLabel#stepMarkerCurrent {{ background: {colors.accent}; color: {colors.on_accent}; }}
QLabel#stepMarkerDone {{ background: #15803d; color: white; }}
QLabel#stepTitle {{ font-weight: 600; }}
QLabel#stepTitleDone {{ color: palette(placeholder-text); }}
"""


class StepRow(QFrame):
    """One step: its number (a tick once done), what to do, how (on the next step only), and
    the button that does it."""

    def __init__(self, number: int, title: str, detail: str, button: QPushButton | None) -> None:
        super().__init__()
        self.setObjectName("step")
        self.number = number
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.setSpacing(10)
        self.marker = label(str(number), "stepMarker")
        row.addWidget(self.marker)
        words = QVBoxLayout()
        words.setSpacing(2)
        self.title = label(title, "stepTitle", wrap=True)
        self.detail = label(detail, "muted", wrap=True)
        self.status = StatusLine()
        words.addWidget(self.title)
        words.addWidget(self.detail)
        words.addWidget(self.status)
        row.addLayout(words, 1)
        self.button = button
        if button is not None:
            row.addWidget(button)
        self.done = False

    def set_state(self, *, done: bool, current: bool) -> None:
        self.done = done
        restyle(self, "stepDone" if done else "stepCurrent" if current else "step")
        restyle(
            self.marker,
            "stepMarkerDone" if done else "stepMarkerCurrent" if current else "stepMarker",
        )
        self.marker.setText("✓" if done else str(self.number))
        restyle(self.title, "stepTitleDone" if done else "stepTitle")
        self.detail.setVisible(current)  # the how-to only where the streamer is now
        if self.button is not None:
            self.button.setVisible(not done)
            restyle(self.button, "primary" if current else "")
        state = "done" if done else "next step" if current else "to do"
        self.setAccessibleName(f"Step {self.number}: {self.title.text()} ({state})")


class GetOnStreamCard(Card):
    """The checklist; hidden once finished on an earlier run or closed."""

    connect_requested = Signal()  # "Connect a channel": the Platforms page

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__()
        self.vm = vm
        self.model = GetOnStream(vm, self)
        self.setStyleSheet(sheet(QGuiApplication.palette()))
        header = QHBoxLayout()
        self.heading = label("Get on stream", "sectionTitle")
        self.progress = label("", "muted")
        self.close_button = QPushButton("Hide")
        self.close_button.setToolTip(
            "Hide this checklist for good. The Widgets and Platforms pages do the same steps."
        )
        self.close_button.clicked.connect(self.model.close)
        header.addWidget(self.heading)
        header.addWidget(self.progress)
        header.addStretch(1)
        header.addWidget(self.close_button)
        self.layout_.addLayout(header)
        self.summary = label("", "muted", wrap=True)
        self.layout_.addWidget(self.summary)

        width, height = WIDGETS[steps.ALERT_BOX].obs_size
        self.copy_button = QPushButton("Copy URL")
        self.copy_button.setToolTip("Copy the Alert Box URL, to paste into OBS.")
        self.copy_button.clicked.connect(self.copy_url)
        self.test_button = QPushButton("Send test alert")
        self.test_button.setToolTip("A test follow, through the alert queue like a real one.")
        self.test_button.clicked.connect(lambda: vm.spawn(self.send_test(), "test alert"))
        self.connect_button = QPushButton("Connect a channel")
        self.connect_button.clicked.connect(self.connect_requested.emit)
        channels = ", ".join(p.label for p in PLATFORMS.values() if p.available)
        self.rows: dict[str, StepRow] = {
            steps.COPY_URL: StepRow(
                1,
                "Copy the Alert Box URL",
                "OBS loads your alerts from this address. It holds a private key: paste it "
                "only into OBS.",
                self.copy_button,
            ),
            steps.ADD_TO_OBS: StepRow(
                2,
                f"Add it in OBS as a Browser source, {obs_size(steps.ALERT_BOX)}",
                f"In OBS: Sources → + → Browser. Paste the URL, set Width to {width} and Height "
                f"to {height}, then OK. This ticks itself when the Alert Box connects.",
                None,
            ),
            steps.TEST_ALERT: StepRow(
                3,
                "Send a test alert",
                "A test follow waits its turn in the alert queue and shows in the Alert Box in "
                "OBS. This ticks itself when it shows.",
                self.test_button,
            ),
            steps.CONNECT_CHANNEL: StepRow(
                4,
                "Connect a channel",
                f"Sign in to {channels or 'your platform'} so your own chat and alerts come in.",
                self.connect_button,
            ),
        }
        for row in self.rows.values():
            self.layout_.addWidget(row)
        self.model.changed.connect(self.refresh)
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            # The application's palette, not this card's (which its own sheet changes); and
            # only a different sheet, since setting one sends another palette change.
            new = sheet(QGuiApplication.palette())
            if new != self.styleSheet():
                self.setStyleSheet(new)

    def refresh(self) -> None:
        model = self.model
        self.setVisible(model.visible)
        current = model.current
        for step, row in self.rows.items():
            row.set_state(done=step in model.done, current=step == current)
        if steps.TEST_ALERT in model.done:
            self.rows[steps.TEST_ALERT].status.clear()  # "it shows once…" has come true
        done = len(model.done)
        if model.all_done:
            self.heading.setText("You are ready to go live")
            self.progress.setText("")
            self.summary.setText("Alerts show in OBS and your channel is connected.")
            self.close_button.setText("Close")
        else:
            self.heading.setText("Get on stream")
            self.progress.setText(f"{done} of {len(self.rows)} done")
            self.summary.setText("")
            self.close_button.setText("Hide")
        self.summary.setVisible(bool(self.summary.text()))

    def copy_url(self) -> None:
        """Put the Alert Box URL on the clipboard; the step ticks from the clipboard itself."""
        url = self.model.alert_box_url()
        row = self.rows[steps.COPY_URL]
        if not url:
            row.status.error("The Alert Box has no URL while the overlay server is stopped.")
            return
        QGuiApplication.clipboard().setText(url)
        row.status.flash("Copied. Now paste it into OBS.")

    async def send_test(self) -> None:
        row = self.rows[steps.TEST_ALERT]
        self.test_button.setEnabled(False)
        row.status.busy("Sending…")
        try:
            await self.vm.test_events.send(TEST_KIND)
        except TestEventError as exc:
            row.status.error(str(exc))
            return
        finally:
            self.test_button.setEnabled(True)
        if self.vm.presence.counts.get(steps.ALERT_BOX, 0) == 0:
            row.status.ok("Sent. It shows as soon as the Alert Box is open in OBS.")
        else:
            row.status.flash("Sent: watch the Alert Box in OBS.")
