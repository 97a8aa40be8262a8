"""The app icon, drawn with QPainter so there is no image file to package or lose.

A rounded square in Streampai's purple-to-pink gradient with a white "play" mark and a small
"live" dot; rendered at several sizes so the tray (16 px) and the task switcher (256 px) both get
crisp pixels.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QLinearGradient, QPainter, QPainterPath, QPixmap

BRAND_PURPLE = QColor("#7c3aed")
BRAND_PINK = QColor("#db2777")
LIVE_RED = QColor("#ef4444")
_SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw_icon(size: int) -> QPixmap:
    """The icon as a ``size`` by ``size`` pixmap with a transparent background."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    gradient = QLinearGradient(QPointF(0, 0), QPointF(s, s))
    gradient.setColorAt(0.0, BRAND_PURPLE)
    gradient.setColorAt(1.0, BRAND_PINK)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(gradient))
    painter.drawRoundedRect(QRectF(0, 0, s, s), s * 0.22, s * 0.22)

    play = QPainterPath()
    play.moveTo(s * 0.38, s * 0.28)
    play.lineTo(s * 0.74, s * 0.50)
    play.lineTo(s * 0.38, s * 0.72)
    play.closeSubpath()
    painter.setBrush(QColor("white"))
    painter.drawPath(play)

    if size >= 24:  # too small to read at 16 px
        r = s * 0.09
        painter.setBrush(LIVE_RED)
        painter.setPen(QColor("white"))
        painter.drawEllipse(QPointF(s * 0.80, s * 0.20), r, r)
    painter.end()
    return pixmap


def app_icon() -> QIcon:
    """The window, tray and task-switcher icon."""
    icon = QIcon()
    for size in _SIZES:
        icon.addPixmap(draw_icon(size))
    return icon
