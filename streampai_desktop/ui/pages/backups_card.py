"""The Settings page's Backups card: the database's backups (date, kind, size), "Back up now",
"Restore…", and "Export…" / "Import…" of widgets, preferences and their media.

Restoring never replaces the database under the running app (its connections and everything it
holds in memory would go on with the old data): after the streamer confirms, the restore is
scheduled and the app quits; the next start restores before it opens the database, and says so.
File dialogs open with ``open()``, awaited through a future (never ``exec()``: see
``ui/dialogs.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

from streampai_desktop.archive.listing import kind_text, size_text, when_text
from streampai_desktop.core.errors import UserFacingError, describe
from streampai_desktop.store.backups import BackupFile
from streampai_desktop.ui.dialogs import ask_open_path, ask_save_path, confirm
from streampai_desktop.ui.pages.common import Card, StatusLine, label
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

Action = Callable[[], Coroutine[Any, Any, None]]
ZIP_FILTER = "Streampai Desktop export (*.zip)"
VISIBLE_ROWS = 5


class BackupsCard(Card):
    """The backups list and the four actions; results show in the status line underneath."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "Backups",
            "A copy of the database (widgets, settings, event log) is made every day; the last "
            "7 days and 4 weeks are kept, and the ones you make until you delete them. Export "
            "writes your widgets, their images and sounds, and your preferences to a zip — never "
            "your sign-ins — to import on another computer.",
        )
        self.vm = vm
        self.archive = vm.app.archive
        self.backups: list[BackupFile] = []
        self.table = self._build_table()
        self.layout_.addWidget(self.table)
        self.empty = label("No backups yet: the first daily one is made shortly.", "muted")
        self.layout_.addWidget(self.empty)
        row = QHBoxLayout()
        self.backup_button = self._button(row, "Back up now", self._back_up)
        self.restore_button = self._button(row, "Restore…", self._restore)
        self.export_button = self._button(row, "Export…", self._export)
        self.import_button = self._button(row, "Import…", self._import)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.status = StatusLine()
        self.layout_.addWidget(self.status)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, 3)
        table.setObjectName("backupList")
        table.setAccessibleName("Backups")
        table.setHorizontalHeaderLabels(["Date", "Kind", "Size"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        rows = table.verticalHeader().defaultSectionSize() * VISIBLE_ROWS
        table.setFixedHeight(rows + header.sizeHint().height() + 2 * table.frameWidth())
        return table

    def _button(self, row: QHBoxLayout, text: str, action: Action) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda: self.vm.spawn(action(), text))
        row.addWidget(button)
        return button

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # a daily backup may have been made since the page was last shown

    def refresh(self) -> None:
        self.vm.spawn(self.load(), "list backups")

    async def load(self) -> None:
        """Read the backups folder and show it, newest first."""
        self.show_backups(await self.archive.backups())

    def show_backups(self, backups: list[BackupFile]) -> None:
        selected = self.selected()
        self.backups = backups
        self.table.setRowCount(len(backups))
        for index, backup in enumerate(backups):
            cells = (when_text(backup.created_at), kind_text(backup.kind), size_text(backup.size))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(backup.name)
                self.table.setItem(index, column, item)
            if selected is not None and backup.name == selected.name:
                self.table.selectRow(index)
        self.table.setVisible(bool(backups))
        self.empty.setVisible(not backups)
        self._selection_changed()

    def selected(self) -> BackupFile | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.restore_button.setEnabled(chosen is not None)
        self.restore_button.setToolTip(
            "Choose a backup in the list first." if chosen is None else f"Restore {chosen.name}"
        )

    # --- actions -------------------------------------------------------------------------------

    async def _run(self, button: QPushButton, busy: str, work: Awaitable[str]) -> None:
        """Disable ``button`` while ``work`` runs; its result or its failure shows below."""
        button.setEnabled(False)
        self.status.busy(busy)
        try:
            text = await work
        except (UserFacingError, OSError) as exc:
            self.status.error(describe(exc).text)
        else:
            if text:
                self.status.ok(text)
            else:
                self.status.clear()
        finally:
            button.setEnabled(True)
            self._selection_changed()

    async def _back_up(self) -> None:
        async def work() -> str:
            made = await self.archive.back_up_now()
            await self.load()
            return f"Backed up: {when_text(made.created_at)}, {size_text(made.size)}."

        await self._run(self.backup_button, "Backing up…", work())

    async def _restore(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        when = when_text(chosen.created_at)
        asked = await confirm(
            self,
            "Restore this backup?",
            f"Restore the backup from {when} ({kind_text(chosen.kind)})? Your widgets, settings "
            "and event log go back to how they were then. What you have now is kept as a "
            "backup first.\n\nStreampai Desktop quits to do it: start it again and the backup "
            "is restored before anything else.",
            "Restore and quit",
        )
        if not asked:
            return

        async def work() -> str:
            await self.archive.schedule_restore(chosen.name)
            return f"The backup from {when} is restored when Streampai Desktop starts next."

        await self._run(self.restore_button, "Checking the backup…", work())
        if self.status.objectName() == "inlineOk":
            quit_app = getattr(self.window(), "quit_requested", None)  # the main window's
            if quit_app is not None:
                quit_app.emit()

    async def _export(self) -> None:
        suggested = Path.home() / f"streampai-export-{datetime.now():%Y-%m-%d}.zip"
        path = await ask_save_path(self, "Export widgets and settings", suggested, ZIP_FILTER)
        if path is None:
            return

        async def work() -> str:
            return (await self.archive.export(path)).sentence()

        await self._run(self.export_button, "Exporting…", work())

    async def _import(self) -> None:
        path = await ask_open_path(self, "Import widgets and settings", ZIP_FILTER)
        if path is None:
            return

        async def work() -> str:
            return (await self.archive.import_(path)).sentence(path)

        await self._run(self.import_button, "Checking the file…", work())
