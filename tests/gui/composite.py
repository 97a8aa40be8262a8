"""Screenshots of the window with its popups and dialogs on top, as the streamer sees them.

Offscreen, each top-level window is grabbed on its own; this paints the popups over the window's
grab at their places on the (virtual) screen.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget


def grab_with(window: QWidget, *on_top: QWidget, center: bool = False) -> QImage:
    """``window``'s grab with ``on_top`` painted where they are (or, ``center``, centered: a
    window-modal dialog on a desktop sits over the middle of its window)."""
    image = window.grab().toImage()
    painter = QPainter(image)
    try:
        origin = window.mapToGlobal(QPoint(0, 0))
        for widget in on_top:
            shot = widget.grab()
            if center:
                at = QPoint(
                    (window.width() - widget.width()) // 2, (window.height() - widget.height()) // 2
                )
            else:
                at = widget.mapToGlobal(QPoint(0, 0)) - origin
            painter.drawPixmap(at, shot)
            if center:  # offscreen has no window frame: outline the dialog where its frame is
                painter.setPen(QColor("#71717a"))
                painter.drawRect(QRect(at, widget.size()).adjusted(-1, -1, 0, 0))
    finally:
        painter.end()
    return image


def save(image: QImage, folder: Path, name: str) -> Path:
    path = folder / name
    assert image.save(str(path)), f"could not save {path}"
    return path
