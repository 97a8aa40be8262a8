"""The Events page's table: a bounded, newest-first model and a filter proxy over it.

Rows are formatted once, when they arrive, so painting and filtering never call back into the
event objects. The model keeps at most ``MAX_ROWS`` rows and drops the oldest beyond that: a
stream that runs all night must not grow the window's memory without bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from streampai_desktop.core.events import Event
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.ui.formatting import format_time, kind_label, summarize

MAX_ROWS = 5000
COLUMNS = ("Time", "Platform", "Kind", "User", "Details", "Test")
COL_TIME, COL_PLATFORM, COL_KIND, COL_USER, COL_DETAILS, COL_TEST = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event, already formatted for display."""

    key: tuple[str, str]
    timestamp: float
    platform: str  # Platform value, for filtering
    kind: str
    cells: tuple[str, ...]  # one display string per column
    haystack: str  # lower-cased text the search box matches against
    event: Event  # for Replay

    @property
    def alertable(self) -> bool:
        return self.event.alertable

    @classmethod
    def from_event(cls, event: Event) -> EventRow:
        user = event.actor_name if event.user or event.alertable else ""
        cells = (
            format_time(event.at),
            platform_label(event.platform),
            kind_label(event.kind),
            user,
            summarize(event),
            "test" if event.test else "",
        )
        return cls(
            key=event.dedupe_key,
            timestamp=event.at.timestamp(),
            platform=event.platform.value,
            kind=event.kind,
            cells=cells,
            haystack=" ".join(cells[1:5]).lower(),
            event=event,
        )


class EventTableModel(QAbstractTableModel):
    """Newest event first; at most ``max_rows`` rows; duplicates (same platform and id) skipped."""

    def __init__(self, max_rows: int = MAX_ROWS, parent: Any = None) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self._rows: list[EventRow] = []
        self._keys: set[tuple[str, str]] = set()

    def _fresh(self, events: Iterable[Event]) -> list[EventRow]:
        rows: list[EventRow] = []
        seen: set[tuple[str, str]] = set()
        for event in events:
            key = event.dedupe_key
            if key in self._keys or key in seen:
                continue
            seen.add(key)
            rows.append(EventRow.from_event(event))
        return rows

    def add_live(self, events: Sequence[Event]) -> None:
        """Events that just happened (oldest first, as they arrived) go on top."""
        rows = self._fresh(reversed(events))[: self.max_rows]
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
        self._rows[0:0] = rows
        self._keys.update(r.key for r in rows)
        self.endInsertRows()
        self._trim()

    def add_history(self, events: Sequence[Event]) -> None:
        """Older events from the log (newest first) go below what is already shown."""
        room = self.max_rows - len(self._rows)
        rows = self._fresh(events)[: max(room, 0)]
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self._keys.update(r.key for r in rows)
        self.endInsertRows()

    def _trim(self) -> None:
        extra = len(self._rows) - self.max_rows
        if extra <= 0:
            return
        self.beginRemoveRows(QModelIndex(), self.max_rows, len(self._rows) - 1)
        for row in self._rows[self.max_rows :]:
            self._keys.discard(row.key)
        del self._rows[self.max_rows :]
        self.endRemoveRows()

    def row_at(self, row: int) -> EventRow:
        return self._rows[row]

    # --- QAbstractTableModel ---------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_DETAILS:
            return row.cells[column] or None
        if role == SORT_ROLE:
            return row.timestamp if column == COL_TIME else row.cells[column].lower()
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class EventFilterProxy(QSortFilterProxyModel):
    """Kind, platform and free-text filters over :class:`EventTableModel`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._kind: str | None = None
        self._platform: str | None = None
        self._text = ""
        self.setSortRole(SORT_ROLE)

    def set_kind(self, kind: str | None) -> None:
        self._change(lambda: setattr(self, "_kind", kind or None))

    def set_platform(self, platform: str | None) -> None:
        self._change(lambda: setattr(self, "_platform", platform or None))

    def set_text(self, text: str) -> None:
        self._change(lambda: setattr(self, "_text", text.strip().lower()))

    def _change(self, apply: Any) -> None:
        # Qt ≥ 6.10 wants the change bracketed; older versions only know invalidateRowsFilter.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, EventTableModel):
            return True
        row = model.row_at(source_row)
        if self._kind and row.kind != self._kind:
            return False
        if self._platform and row.platform != self._platform:
            return False
        return not self._text or self._text in row.haystack
