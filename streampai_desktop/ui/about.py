"""About: the version, the data and log folders, "Open logs folder" and "Export diagnostics…".

The export asks where to save with a file dialog opened with ``open()`` (never ``exec()``: a
nested event loop would let other asyncio tasks run re-entrantly), then writes the zip on the
database thread (it reads the database, the secrets and the logs).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop import __version__, diagnostics
from streampai_desktop.core.errors import UserFacingError, report
from streampai_desktop.ui.dialogs import ask_save_path
from streampai_desktop.ui.pages.common import StatusLine
from streampai_desktop.ui.viewmodels.app_model import AppViewModel


def _selectable(text: str) -> QLabel:
    widget = QLabel(text)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    widget.setWordWrap(True)
    return widget


class AboutDialog(QDialog):
    """Version, folders, and the two support actions."""

    def __init__(
        self, vm: AppViewModel, icon: QIcon | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About Streampai Desktop")
        if icon is not None:
            self.setWindowIcon(icon)
        self.setMinimumWidth(520)
        self.vm = vm
        app = vm.app
        self.logs_dir = app.state.log_file.parent if app.state.log_file else app.data_dir / "logs"

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        title = QLabel(f"<h2>Streampai Desktop</h2>Version {__version__}")
        title.setObjectName("aboutTitle")
        layout.addWidget(title)
        layout.addWidget(
            _selectable(
                "A companion for live streamers: your channels' chat and alerts, overlays for "
                "OBS served from this computer, and your settings kept here first."
            )
        )
        form = QFormLayout()
        form.addRow("Data folder:", _selectable(str(app.data_dir)))
        log_text = str(app.state.log_file) if app.state.log_file else "Not logging to a file"
        form.addRow("Log file:", _selectable(log_text))
        layout.addLayout(form)

        row = QHBoxLayout()
        self.open_logs = QPushButton("Open logs folder")
        self.open_logs.setObjectName("openLogs")
        self.open_logs.setEnabled(self.logs_dir.is_dir())
        self.open_logs.clicked.connect(self._open_logs)
        self.export_button = QPushButton("Export diagnostics…")
        self.export_button.setObjectName("exportDiagnostics")
        self.export_button.setToolTip(
            "A zip of your logs and settings for a support request; tokens and keys are left out."
        )
        self.export_button.clicked.connect(
            lambda: vm.spawn(self.export_diagnostics(), "export diagnostics")
        )
        row.addWidget(self.open_logs)
        row.addWidget(self.export_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = StatusLine()
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.logs_dir)))

    async def export_diagnostics(self) -> Path | None:
        """Ask where, write the zip; the result (or why not) shows under the buttons."""
        self.export_button.setEnabled(False)
        try:
            target = await ask_save_path(
                self,
                "Export diagnostics",
                Path.home() / diagnostics.default_filename(),
                "Zip files (*.zip)",
            )
            if target is None:
                return None
            self.status.busy("Exporting…")
            try:
                path = await self.vm.app.run_db(diagnostics.export_from_app, self.vm.app, target)
            except (UserFacingError, OSError) as exc:
                self.status.error(report(exc, "exporting diagnostics").text)
                return None
            self.status.ok(
                f"Saved to {path}. It holds your logs and settings; tokens and keys were left out."
            )
            return path
        finally:
            self.export_button.setEnabled(True)
