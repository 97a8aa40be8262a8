"""The alert queue, compact, over the status bar: what shows now, what waits, and the controls.

Opened from the status bar's pill on any page, so a streamer can pause, skip or clear alerts
without going back to the Dashboard. The words and the controls are the Dashboard card's
(``describe_queue``; the alert-queue view-model's pause, skip and clear).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.pages.common import label
from streampai_desktop.ui.pages.dashboard import describe_queue
from streampai_desktop.ui.queue_pill import NO_BOX_HINT, PAUSED_HINT
from streampai_desktop.ui.style import ControlColors
from streampai_desktop.ui.theme import control_colors
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.widgets.alert_box import KIND_TITLES
from streampai_desktop.widgets.alert_planner import ALERT_BOX

SHOWN_WAITING = 8  # rows in the waiting list; the rest are counted
WIDTH = 360


def popup_sheet(c: ControlColors) -> str:
    """A card's look with a boundary that shows in either theme (it floats over the page)."""
    return f"""
QFrame#queuePopup {{ background: {c.field}; border: 1px solid {c.border}; }}
QListWidget#queueWaiting {{ background: {c.window}; border: 1px solid {c.border_soft}; }}
"""


class QueuePopup(QFrame):
    """A popup (closes on a click elsewhere or Escape) anchored above the pill."""

    navigate = Signal(str)  # a page key: "Get the overlay URLs" goes to the Widgets page

    def __init__(self, vm: AppViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.vm = vm
        self.setObjectName("queuePopup")
        self.setAccessibleName("Alert queue")
        # A fixed width: the popup is placed before it shows, so its size must not change then.
        self.setFixedWidth(WIDTH)
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 12, 14, 12)
        column.setSpacing(8)
        column.addWidget(label("Alert queue", "sectionTitle"))
        self.now = label("", "queueNow", wrap=True)
        self.counts = label("", "muted")
        self.hint = label("", "muted", wrap=True)
        self.urls_button = QPushButton("Get the overlay URLs")
        self.urls_button.clicked.connect(lambda: self._go("widgets"))
        self.waiting = QListWidget()
        self.waiting.setObjectName("queueWaiting")
        self.waiting.setAccessibleName("Waiting alerts")
        self.waiting.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.waiting.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a list to read, nothing to pick
        self.more = label("", "muted")
        for widget in (self.now, self.counts, self.hint):
            column.addWidget(widget)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.urls_button)
        hint_row.addStretch(1)
        column.addLayout(hint_row)
        column.addWidget(self.waiting)
        column.addWidget(self.more)
        row = QHBoxLayout()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Alerts wait while paused; nothing is lost.")
        self.pause_button.clicked.connect(lambda: vm.queue.set_paused(not vm.queue.paused))
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Hide the alert on screen now; the next one follows.")
        self.skip_button.clicked.connect(vm.queue.skip)
        self.clear_button = QPushButton("Clear…")
        self.clear_button.setToolTip("Drop every waiting alert (not the one on screen).")
        self.clear_button.clicked.connect(self._clear_clicked)
        for button in (self.pause_button, self.skip_button, self.clear_button):
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)
        self._anchor: QWidget | None = None
        vm.queue.changed.connect(lambda _state: self._changed())
        vm.presence.changed.connect(lambda _counts: self._changed())

    def _changed(self) -> None:
        if self.isVisible():  # a hidden popup catches up when it opens
            self.refresh()
            self._place()  # it grows or shrinks with the queue: keep it sitting on the pill

    def open_above(self, anchor: QWidget) -> None:
        """Show above ``anchor`` (the pill), its right edges aligned, kept on the screen."""
        self._anchor = anchor
        palette = QApplication.palette()
        self.setStyleSheet(popup_sheet(control_colors(palette)))  # the theme may have changed
        self.refresh()
        self._place()
        self.show()
        self.pause_button.setFocus(Qt.FocusReason.PopupFocusReason)

    def _place(self) -> None:
        if self._anchor is None:
            return
        self.adjustSize()
        corner = self._anchor.mapToGlobal(QPoint(self._anchor.width(), 0))
        spot = QPoint(corner.x() - self.width(), corner.y() - self.height() - 4)
        screen = QGuiApplication.screenAt(corner)  # the pill's screen, if it is on one
        if screen is not None:
            area = screen.availableGeometry()
            spot.setX(max(area.left(), min(spot.x(), area.right() - self.width())))
            spot.setY(max(area.top(), spot.y()))
        self.move(spot)

    def refresh(self) -> None:
        state = self.vm.queue.state
        showing, counts = describe_queue(state)
        self.now.setText(showing)
        self.counts.setText(counts)
        paused = self.vm.queue.paused
        pending = self.vm.queue.pending
        no_box = self.vm.presence.counts.get(ALERT_BOX, 0) == 0
        self.hint.setText(PAUSED_HINT if paused else NO_BOX_HINT if no_box else "")
        self.hint.setVisible(bool(self.hint.text()))
        self.urls_button.setVisible(no_box and not paused)
        self.waiting.clear()
        for kind, who in self.vm.queue.waiting(SHOWN_WAITING):
            self.waiting.addItem(f"{KIND_TITLES.get(kind, kind)} from {who}")
        if not pending:
            self.waiting.addItem("Nothing waiting")
        # As tall as its rows: the popup grows with the queue, up to SHOWN_WAITING rows.
        rows = self.waiting.count()
        frame = 2 * self.waiting.frameWidth() + 4
        self.waiting.setFixedHeight(rows * max(self.waiting.sizeHintForRow(0), 16) + frame)
        more = pending - min(pending, SHOWN_WAITING)
        self.more.setText(f"and {more:,} more" if more else "")
        self.more.setVisible(bool(more))
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.skip_button.setEnabled(state.get("now") is not None)
        self.clear_button.setEnabled(pending > 0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def _go(self, page: str) -> None:
        self.close()
        self.navigate.emit(page)

    def _clear_clicked(self) -> None:
        # The question is the window's (a popup closes as soon as another window shows).
        parent = self.parentWidget()
        self.close()
        self.vm.spawn(self.clear(parent.window() if parent else None), "clear alert queue")

    async def clear(self, parent: QWidget | None) -> bool:
        ok = await confirm(
            parent,
            "Clear the alert queue?",
            f"{self.vm.queue.pending:,} waiting alert(s) will not be shown. You can replay any "
            "of them from the Events page.",
            "Clear",
        )
        if ok:
            self.vm.queue.clear()
        return ok
