"""A short, newest-first list of events (the dashboard's latest events and chat)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
    QListWidget,
    QListWidgetItem,
)

from streampai_desktop.core.events import Event
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.ui.formatting import one_line
from streampai_desktop.ui.viewmodels.event_table import format_when


class FeedList(QListWidget):
    """Shows the newest ``limit`` events; skips ones it already shows (history and live overlap)."""

    def __init__(self, limit: int = 100, placeholder: str = "") -> None:
        super().__init__()
        self.limit = limit
        self._keys: deque[tuple[str, str]] = deque()
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setAlternatingRowColors(True)
        self.setObjectName("feed")
        self.setFrameShape(QFrame.Shape.NoFrame)
        # Wrap long messages instead of scrolling sideways.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self._placeholder = placeholder
        if placeholder:
            self.addItem(QListWidgetItem(placeholder))

    def _item(self, event: Event) -> QListWidgetItem:
        test = " · test" if event.test else ""
        # The lists hold earlier runs' events too: those say which day.
        text = f"{format_when(event.at)}  {platform_label(event.platform)}{test}\n{one_line(event)}"
        item = QListWidgetItem(text)
        item.setToolTip(one_line(event))
        return item

    def _clear_placeholder(self) -> None:
        if self._placeholder and not self._keys and self.count():
            self.clear()

    def add_live(self, events: Sequence[Event]) -> None:
        """Newly arrived events, oldest first; they go on top."""
        fresh = [e for e in events[-self.limit :] if e.dedupe_key not in self._keys]
        if not fresh:
            return
        self._clear_placeholder()
        for event in fresh:
            self.insertItem(0, self._item(event))
            self._keys.appendleft(event.dedupe_key)
        while len(self._keys) > self.limit:
            self._keys.pop()
            self.takeItem(self.count() - 1)

    def add_history(self, events: Sequence[Event]) -> None:
        """Older events, newest first; they go below what is shown, while there is room."""
        known = set(self._keys)
        for event in events:
            if len(self._keys) >= self.limit:
                break
            if event.dedupe_key in known:
                continue
            self._clear_placeholder()
            self.addItem(self._item(event))
            self._keys.append(event.dedupe_key)
