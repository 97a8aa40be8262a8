"""Asking the streamer something from inside a coroutine.

``QMessageBox.exec()`` spins a nested Qt event loop; under qasync that loop would run other asyncio
tasks while the current one is suspended mid-step, which asyncio forbids. So dialogs are opened
with ``open()`` and awaited through a future that the dialog's ``finished`` signal resolves.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QDialog, QFileDialog, QMessageBox, QWidget


async def ask(box: QMessageBox) -> QAbstractButton | None:
    """Show ``box`` (window-modal) and return the button the streamer clicked, if any."""
    future: asyncio.Future[QAbstractButton | None] = asyncio.get_running_loop().create_future()

    def finished(_result: int) -> None:
        if not future.done():
            future.set_result(box.clickedButton())

    box.finished.connect(finished)
    box.open()
    try:
        return await future
    finally:
        # Cancelled (the app is quitting) or answered: either way the box goes away.
        box.finished.disconnect(finished)
        if box.isVisible():
            box.done(0)


async def confirm(parent: QWidget | None, title: str, text: str, action: str) -> bool:
    """A Cancel / ``action`` question; True when the streamer chose ``action``."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("confirmDialog")
    return await ask(box) is yes


async def ask_save_path(parent: QWidget, title: str, suggested: Path, filter_: str) -> Path | None:
    """A save-file dialog; the chosen path, or None when cancelled."""
    dialog = QFileDialog(parent, title, str(suggested), filter_)
    dialog.setObjectName("saveDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix(suggested.suffix.lstrip("."))
    dialog.selectFile(str(suggested))
    return await _ask_path(dialog)


async def ask_open_path(parent: QWidget, title: str, filter_: str) -> Path | None:
    """An open-file dialog for an existing file; its path, or None when cancelled."""
    dialog = QFileDialog(parent, title, str(Path.home()), filter_)
    dialog.setObjectName("openDialog")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return await _ask_path(dialog)


async def _ask_path(dialog: QFileDialog) -> Path | None:
    future: asyncio.Future[Path | None] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            files = dialog.selectedFiles()
            accepted = result == QDialog.DialogCode.Accepted.value and files
            future.set_result(Path(files[0]) if accepted else None)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(finished)
        if dialog.isVisible():
            dialog.done(0)
        dialog.deleteLater()
