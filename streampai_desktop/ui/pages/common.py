"""Building blocks the pages share: a scrolling page with a title, cards, banners, stats."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


def label(text: str = "", object_name: str = "", *, wrap: bool = False) -> QLabel:
    widget = QLabel(text)
    if object_name:
        widget.setObjectName(object_name)
    widget.setWordWrap(wrap)
    return widget


def restyle(widget: QWidget, object_name: str) -> None:
    """Give ``widget`` another object name and re-polish it, so the sheet's rule for that name
    applies now (Qt only matches object names when it polishes a widget)."""
    if widget.objectName() != object_name:
        widget.setObjectName(object_name)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class Page(QWidget):
    """A page: title and subtitle on top, then :attr:`body` (a scrolling column)."""

    def __init__(self, title: str, subtitle: str = "", *, scroll: bool = True) -> None:
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 18)
        outer.setSpacing(14)
        header = QVBoxLayout()
        header.setSpacing(2)
        header.addWidget(label(title, "pageTitle"))
        if subtitle:
            header.addWidget(label(subtitle, "pageSubtitle", wrap=True))
        outer.addLayout(header)
        container = QWidget()
        container.setObjectName("pageBody")
        self.body = QVBoxLayout(container)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(14)
        if scroll:
            area = QScrollArea()
            area.setObjectName("pageScroll")
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(container)
            outer.addWidget(area, 1)
        else:
            outer.addWidget(container, 1)


class Card(QFrame):
    """A bordered panel with an optional title; add rows to :attr:`layout_`."""

    def __init__(self, title: str = "", description: str = "") -> None:
        super().__init__()
        self.setObjectName("card")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 14, 16, 14)
        self.layout_.setSpacing(8)
        if title:
            self.layout_.addWidget(label(title, "sectionTitle"))
        if description:
            self.layout_.addWidget(label(description, "muted", wrap=True))


class Banner(QFrame):
    """A tinted message strip (info, warning, demo, error) with an optional action button."""

    def __init__(self, kind: str, text: str = "", action: str = "") -> None:
        super().__init__()
        self.setObjectName(f"banner_{kind}")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 10, 10, 10)
        self.text = label(text, wrap=True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.text, 1)
        self._row = row
        self.button: QPushButton | None = None
        if action:
            self.button = QPushButton(action)
            self.add_action(self.button)

    def add_action(self, button: QPushButton) -> None:
        """A further button at the strip's right end (e.g. "Keep mine" beside "Take theirs")."""
        self._row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)

    def set_text(self, text: str) -> None:
        self.text.setText(text)


class Stat(QFrame):
    """A big number with a caption (counters on the dashboard)."""

    def __init__(self, caption: str, value: str = "0") -> None:
        super().__init__()
        self.setObjectName("card")
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 12, 16, 12)
        column.setSpacing(0)
        self.value = label(value, "statValue")
        column.addWidget(self.value)
        column.addWidget(label(caption, "statLabel"))

    def set_value(self, value: int | str) -> None:
        self.value.setText(f"{value:,}" if isinstance(value, int) else value)


FLASH_MS = 6000  # how long a passing confirmation ("Copied.", "Saved.") stays


class StatusLine(QLabel):
    """An inline result line under a control: busy, done (green) or failed (red).

    :meth:`flash` is for a passing confirmation ("Copied.", "Sent a test…") that clears itself
    after a few seconds; :meth:`ok` and :meth:`error` stay until replaced.
    """

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self.hide()

    def _set(self, text: str, object_name: str) -> None:
        self._timer.stop()
        self.setObjectName(object_name)
        self.setText(text)
        self.setVisible(bool(text))
        # The object name picks the color in the style sheet; re-polish so it applies now.
        self.style().unpolish(self)
        self.style().polish(self)

    def busy(self, text: str) -> None:
        self._set(text, "muted")

    def ok(self, text: str) -> None:
        self._set(text, "inlineOk")

    def flash(self, text: str, ms: int = FLASH_MS) -> None:
        """A green confirmation that clears itself after ``ms``."""
        self._set(text, "inlineOk")
        self._timer.start(ms)

    def error(self, text: str) -> None:
        self._set(text, "inlineError")

    def clear(self) -> None:
        self._set("", "muted")
