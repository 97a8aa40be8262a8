"""Asking the streamer something from inside a coroutine.

``QMessageBox.exec()`` spins a nested Qt event loop; under qasync that loop would run other asyncio
tasks while the current one is suspended mid-step, which asyncio forbids. So dialogs are opened
with ``open()`` and awaited through a future that the dialog's ``finished`` signal resolves.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


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
