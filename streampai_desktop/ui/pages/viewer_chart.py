"""The Dashboard's viewers-over-this-stream chart, drawn with QPainter.

PySide6-Essentials ships no QtCharts, and one line over time needs little: a nice y scale, a few
time labels, the line with a soft fill under it, and the last count held until now.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

Point = tuple[datetime, float]
EMPTY_TEXT = "Viewer counts appear here while you are live."
WAITING_TEXT = "Live — the first viewer count arrives shortly."


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 5)."""
    if value <= 5:
        return 5.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        top = step * 10**exponent
        if top >= value:
            return float(top)
    return float(10 ** (exponent + 1))  # pragma: no cover - the loop always returns


def short_count(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


class ViewerChart(QWidget):
    """A line of viewer counts from the stream's start until now."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("viewerChart")
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Viewers over this stream")
        self.points: list[Point] = []
        self.start: datetime | None = None
        self.live = False

    def sizeHint(self) -> QSize:
        return QSize(420, 170)

    # --- data ---------------------------------------------------------------------------------

    def begin(self, start: datetime | None) -> None:
        """A new stream: forget the previous one's points."""
        self.points = []
        self.start = start
        self.live = True
        self.update()

    def end(self) -> None:
        """The stream ended: keep its line, stop extending it to now."""
        self.live = False
        self.update()

    def add_point(self, at: datetime, value: float) -> None:
        """A live count; a repeat of the last value is not a new point."""
        if self.points and self.points[-1][1] == value and self.points[-1][0] <= at:
            return
        self.points.append((at, float(value)))
        self.points.sort(key=lambda p: p[0])
        self.update()

    def add_history(self, points: Iterable[Point]) -> None:
        """Samples read from the store (they may overlap the live points)."""
        merged = {at: value for at, value in self.points}
        for at, value in points:
            merged.setdefault(at, float(value))
        self.points = sorted(merged.items(), key=lambda p: p[0])
        self.update()

    @property
    def peak(self) -> float:
        return max((v for _at, v in self.points), default=0.0)

    # --- drawing ------------------------------------------------------------------------------

    def _x_range(self) -> tuple[datetime, datetime]:
        first = self.start or (self.points[0][0] if self.points else datetime.now(UTC))
        last = datetime.now(UTC) if self.live else (self.points[-1][0] if self.points else first)
        if self.points:
            first = min(first, self.points[0][0])
            last = max(last, self.points[-1][0])
        if last - first < timedelta(minutes=1):
            last = first + timedelta(minutes=1)
        return first, last

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        grid = QColor(palette.color(QPalette.ColorRole.Mid))
        grid.setAlpha(110)
        accent = QColor(palette.color(QPalette.ColorRole.Highlight))
        metrics = painter.fontMetrics()

        if not self.points:
            painter.setPen(muted)
            text = WAITING_TEXT if self.live else EMPTY_TEXT
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
            return

        top = nice_ceiling(self.peak * 1.1)
        # Whole-number steps: 5 of them for a top of 1 or 5 times 10^n, 4 for 2 times 10^n.
        steps = 4 if f"{top:g}".lstrip("0.")[0] == "2" else 5
        ticks = [top * i / steps for i in range(steps + 1)]
        label_w = max(metrics.horizontalAdvance(short_count(t)) for t in ticks) + 10
        plot = QRectF(label_w, 6, self.width() - label_w - 8, self.height() - metrics.height() - 14)
        if plot.width() < 20 or plot.height() < 20:
            painter.end()
            return
        first, last = self._x_range()
        span = (last - first).total_seconds()

        def x_of(at: datetime) -> float:
            return plot.left() + plot.width() * (at - first).total_seconds() / span

        def y_of(value: float) -> float:
            return plot.bottom() - plot.height() * value / top

        # Grid lines with their counts.
        for value in ticks:
            y = y_of(value)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(muted)
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, label_w - 6, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                short_count(value),
            )
        # Time labels: start, middle, end (local wall-clock time).
        for fraction, align in (
            (0.0, Qt.AlignmentFlag.AlignLeft),
            (0.5, Qt.AlignmentFlag.AlignHCenter),
            (1.0, Qt.AlignmentFlag.AlignRight),
        ):
            at = first + (last - first) * fraction
            x = plot.left() + plot.width() * fraction
            box = QRectF(x - 40, plot.bottom() + 4, 80, metrics.height())
            if fraction == 0.0:
                box.moveLeft(plot.left())
            elif fraction == 1.0:
                box.moveRight(plot.right())
            painter.drawText(
                box, align | Qt.AlignmentFlag.AlignTop, at.astimezone().strftime("%H:%M")
            )

        # The line (each count holds until the next one), then the fill under it.
        line = QPainterPath()
        previous_y: float | None = None
        for at, value in self.points:
            x, y = x_of(at), y_of(value)
            if previous_y is None:
                line.moveTo(x, y)
            else:
                line.lineTo(x, previous_y)
                line.lineTo(x, y)
            previous_y = y
        if previous_y is not None:
            line.lineTo(x_of(last) if self.live else x_of(self.points[-1][0]), previous_y)
        fill = QPainterPath(line)
        fill.lineTo(line.currentPosition().x(), plot.bottom())
        fill.lineTo(x_of(self.points[0][0]), plot.bottom())
        fill.closeSubpath()
        shade = QColor(accent)
        shade.setAlpha(50)
        painter.fillPath(fill, shade)
        painter.setPen(QPen(accent, 2))
        painter.drawPath(line)
        # The latest count as a dot at the end of the line.
        end = line.currentPosition()
        painter.setBrush(accent)
        painter.drawEllipse(end, 3.5, 3.5)
        painter.end()
