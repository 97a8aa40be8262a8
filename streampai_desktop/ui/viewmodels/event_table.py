"""The Events page's table: a bounded, newest-first model and a filter proxy over it.

Rows are formatted once, when they arrive, so painting and filtering never call back into the
event objects. The model keeps at most ``MAX_ROWS`` rows and drops the oldest beyond that: a
stream that runs all night must not grow the window's memory without bound.

Each alertable event's status (waiting, shown, skipped, cleared, missed, off) comes from the
alert queue's ``AlertOutcome`` notices (:class:`AlertOutcomeFeed`); the latest one per event is
its status, kept even when it arrives before the event's row (the feed batches events).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from streampai_desktop.core.bus import EventBus, Message
from streampai_desktop.core.events import ALERT_KINDS, Event, StreamOffline, StreamOnline
from streampai_desktop.core.notices import AlertOutcome, AlertOutcomeKind, notice_topics
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.ui.formatting import kind_label, summarize
from streampai_desktop.ui.viewmodels.listener import BusListener

MAX_ROWS = 5000
# Outcomes remembered per event: more than the rows, so a row's status survives until it is
# dropped; bounded, so a long stream's replays do not grow it without end.
MAX_OUTCOMES = 2 * MAX_ROWS
COLUMNS = ("Time", "Platform", "Kind", "User", "Details", "Status", "")
COL_TIME, COL_PLATFORM, COL_KIND, COL_USER, COL_DETAILS, COL_STATUS, COL_REPLAY = range(
    len(COLUMNS)
)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
REPLAY_TEXT = "Replay"

DEFAULT_KINDS: frozenset[str] = frozenset(ALERT_KINDS) | {StreamOnline.kind, StreamOffline.kind}
"""What the Events page lists until the streamer asks for more: alerts and the stream going live
or off — not chat, not viewer counts (they would bury the alerts)."""

# What the status column says, and its tooltip, per outcome (see core.notices.AlertOutcomeKind).
STATUS: dict[AlertOutcomeKind, tuple[str, str]] = {
    "waiting": ("waiting", "In the alert queue; it shows when the ones before it have."),
    "shown": ("shown", "Shown on the alert box."),
    "skipped": ("skipped", "Shown, then skipped before its end."),
    "cleared": ("cleared", "Cleared from the queue before it showed."),
    "missed": (
        "missed",
        "Not shown: no alert box was open in OBS for too long (or the queue was full).",
    ),
    "off": ("off", "Not shown: its alert type is off or below its minimum in the Alert Box."),
    "gifted": (
        "in gift",
        "A gifted sub: recorded here, and the gifter's gift alert stands for it. To alert each "
        'gifted sub as well, turn on "Alert each gifted sub" in the Alert Box\'s Subscription '
        "settings.",
    ),
}
TEST_STATUS = "test"

Index = QModelIndex | QPersistentModelIndex


def format_date_time(at: datetime) -> str:
    """Local date and time, as in "Tue 3 Dec 18:02:13" (the year too when it is not this one)."""
    local = at.astimezone()
    year = "" if local.year == datetime.now().astimezone().year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year} {local:%H:%M:%S}"


def format_when(at: datetime) -> str:
    """Today's time alone ("18:02:13"); another day's with its date ("Tue 3 Dec 18:02:13")."""
    local = at.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return f"{local:%H:%M:%S}"
    return format_date_time(at)


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event, already formatted for display."""

    key: tuple[str, str]
    timestamp: float
    platform: str  # Platform value, for filtering
    kind: str
    cells: tuple[str, ...]  # one display string per column before Status
    haystack: str  # lower-cased text the search box matches against
    event: Event  # for Replay

    @property
    def alertable(self) -> bool:
        return self.event.alertable

    @classmethod
    def from_event(cls, event: Event) -> EventRow:
        # "Anonymous" for an alert nobody is named on; blank for what no one does (a hype train).
        user = event.actor_name if event.user or (event.alertable and event.has_actor) else ""
        cells = (
            format_date_time(event.at),
            platform_label(event.platform),
            kind_label(event.kind),
            user,
            summarize(event),
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
        self._outcomes: OrderedDict[tuple[str, str], AlertOutcomeKind] = OrderedDict()

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

    # --- alert status -----------------------------------------------------------------------------

    def set_outcome(self, notice: AlertOutcome) -> None:
        """The alert queue did something with an event's alert: its row's status follows."""
        key = notice.event_key
        self._outcomes[key] = notice.outcome
        self._outcomes.move_to_end(key)
        while len(self._outcomes) > MAX_OUTCOMES:
            self._outcomes.popitem(last=False)
        if key not in self._keys:
            return  # its row comes with the next batch of events (or was dropped)
        for number, row in enumerate(self._rows):
            if row.key == key:
                cell = self.index(number, COL_STATUS)
                self.dataChanged.emit(cell, cell)
                break

    def outcome(self, row: int) -> AlertOutcomeKind | None:
        """What became of the row's alert, as far as this session knows."""
        return self._outcomes.get(self._rows[row].key)

    def status(self, row: int) -> str:
        """The status column: an alert's outcome, "test" for a test event, blank otherwise."""
        event_row = self._rows[row]
        if not event_row.alertable:
            return ""
        if event_row.event.test:
            return TEST_STATUS
        outcome = self._outcomes.get(event_row.key)
        return STATUS[outcome][0] if outcome is not None else ""

    def _status_tip(self, row: int) -> str | None:
        event_row = self._rows[row]
        if not event_row.alertable:
            return None
        outcome = self._outcomes.get(event_row.key)
        tip = STATUS[outcome][1] if outcome is not None else "Not known (from an earlier run)."
        return f"A test alert. {tip}" if event_row.event.test else tip

    # --- QAbstractTableModel ---------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        number, column = index.row(), index.column()
        row = self._rows[number]
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            if column == COL_STATUS:
                text = self.status(number)
            elif column == COL_REPLAY:
                text = REPLAY_TEXT if row.alertable else ""
            else:
                text = row.cells[column]
            if role == SORT_ROLE:
                return row.timestamp if column == COL_TIME else text.lower()
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_DETAILS:
                return row.cells[column] or None
            if column == COL_STATUS:
                return self._status_tip(number)
            if column == COL_REPLAY and row.alertable:
                return "Show this alert on the alert box again (it queues)."
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class EventFilterProxy(QSortFilterProxyModel):
    """Kinds, platforms and free-text filters over :class:`EventTableModel`.

    ``None`` for kinds or platforms means all of them; a set means those only.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._kinds: frozenset[str] | None = DEFAULT_KINDS
        self._platforms: frozenset[str] | None = None
        self._text = ""
        self.setSortRole(SORT_ROLE)

    @property
    def kinds(self) -> frozenset[str] | None:
        return self._kinds

    @property
    def platforms(self) -> frozenset[str] | None:
        return self._platforms

    def set_kinds(self, kinds: Iterable[str] | None) -> None:
        value = None if kinds is None else frozenset(kinds)
        self._change(lambda: setattr(self, "_kinds", value))

    def set_platforms(self, platforms: Iterable[str] | None) -> None:
        value = None if platforms is None else frozenset(platforms)
        self._change(lambda: setattr(self, "_platforms", value))

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
        if self._kinds is not None and row.kind not in self._kinds:
            return False
        if self._platforms is not None and row.platform not in self._platforms:
            return False
        return not self._text or self._text in row.haystack


class AlertOutcomeFeed(BusListener):
    """The alert queue's ``AlertOutcome`` notices, one signal each, for the Events page."""

    outcome = Signal(object)  # AlertOutcome

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        # Alerts are rare next to chat; a big inbox still never grows without bound.
        super().__init__(
            bus, notice_topics(AlertOutcome), name="ui-alert-outcomes", maxsize=5000, parent=parent
        )

    def handle(self, message: Message) -> None:
        if isinstance(message.payload, AlertOutcome):
            self.outcome.emit(message.payload)
