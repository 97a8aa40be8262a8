"""What the streamer sees while the app starts: a small progress window, and the port question."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QVBoxLayout, QWidget

from streampai_desktop.server import PortInUseError
from streampai_desktop.ui.dialogs import ask

# Start-up usually finishes well within this; only a slow start (a migration, a slow keyring)
# shows the window, so a fast start does not flash one.
SHOW_AFTER_MS = 300


class StartupProgress(QWidget):
    """A small "Starting…" window with a busy bar, shown only when start-up is slow."""

    def __init__(self, icon: QIcon) -> None:
        super().__init__(None, Qt.WindowType.SplashScreen | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle("Starting Streampai Desktop")
        self.setWindowIcon(icon)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 18)
        top = QHBoxLayout()
        picture = QLabel()
        picture.setPixmap(icon.pixmap(40, 40))
        top.addWidget(picture)
        self.message = QLabel("Starting Streampai Desktop…")
        self.message.setStyleSheet("font-size: 15px; font-weight: 600;")
        top.addWidget(self.message, 1)
        layout.addLayout(top)
        bar = QProgressBar()
        bar.setRange(0, 0)  # busy: start-up steps do not report a percentage
        bar.setTextVisible(False)
        layout.addWidget(bar)
        self.setFixedWidth(360)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.show)

    def show_later(self, ms: int = SHOW_AFTER_MS) -> None:
        self._timer.start(ms)

    def finish(self) -> None:
        self._timer.stop()
        self.close()
        self.deleteLater()


async def ask_port(exc: PortInUseError, parent: QWidget | None = None) -> int | None:
    """Offer the free port the server found; the port to use, or None to quit."""
    box = QMessageBox(QMessageBox.Icon.Warning, exc.title, str(exc), parent=parent)
    box.setObjectName("portInUseDialog")
    use = None
    if exc.suggestion:
        use = box.addButton(f"Use port {exc.suggestion}", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(use)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    clicked = await ask(box)
    return exc.suggestion if use is not None and clicked is use else None
