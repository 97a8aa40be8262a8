"""Closing the window where there is no tray: quit, or keep the overlays on air in the background.

Without a tray icon a hidden window has no handle to click, so the question says how to get it
back: start Streampai Desktop again, and the running app brings its window to the front (the
second launch finds the instance lock and asks over the local API; see ``instance.py``).
"""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QMessageBox, QWidget

from streampai_desktop.ui.dialogs import ask

QUESTION = "Quit Streampai Desktop?"
EXPLANATION = (
    "Your overlays in OBS stop when Streampai Desktop quits: alerts, chat and the other widgets "
    "go blank until you start it again.\n\n"
    "Keep it running in the background to keep them on air. To bring this window back, start "
    "Streampai Desktop again (from your applications menu, or run streampai-desktop)."
)
QUIT = "Quit"
KEEP_RUNNING = "Keep running in the background"


class CloseChoice(enum.Enum):
    QUIT = "quit"
    BACKGROUND = "background"
    CANCEL = "cancel"


def close_box(parent: QWidget | None) -> QMessageBox:
    """The question, not shown yet (tests and screenshots build it too)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Streampai Desktop", QUESTION, parent=parent)
    # The question in bold above its explanation, as macOS draws it anyway.
    box.setText(f"<b>{QUESTION}</b>")
    box.setObjectName("closeDialog")
    box.setInformativeText(EXPLANATION)
    # Named by their choice: a platform theme may add a shortcut "&" to the texts.
    quit_ = box.addButton(QUIT, QMessageBox.ButtonRole.DestructiveRole)
    quit_.setObjectName(CloseChoice.QUIT.value)
    keep = box.addButton(KEEP_RUNNING, QMessageBox.ButtonRole.AcceptRole)
    keep.setObjectName(CloseChoice.BACKGROUND.value)
    box.addButton(QMessageBox.StandardButton.Cancel)
    # Enter keeps the overlays on air: the choice that loses nothing.
    box.setDefaultButton(keep)
    return box


async def ask_before_closing(parent: QWidget | None) -> CloseChoice:
    """Ask; Cancel, Escape or closing the question keeps everything as it is."""
    clicked = await ask(close_box(parent))
    name = clicked.objectName() if clicked is not None else ""
    return next((c for c in CloseChoice if c.value == name), CloseChoice.CANCEL)
