"""The Settings page's Hotkeys card: record a key combination per action, or clear it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QGridLayout, QKeySequenceEdit, QLineEdit, QPushButton

from streampai_desktop.core.hotkeys import ACTIONS, HOTKEY_ACTIONS
from streampai_desktop.settings import SettingsError
from streampai_desktop.ui.hotkeys import Hotkeys
from streampai_desktop.ui.pages.common import Card, StatusLine, label
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

PORTABLE = QKeySequence.SequenceFormat.PortableText


class HotkeyEdit(QKeySequenceEdit):
    """Records one key combination; says when it starts and stops listening for keys."""

    recording = Signal(bool)

    def __init__(self, action_label: str) -> None:
        super().__init__()
        self.setMaximumSequenceLength(1)  # a global hotkey is one combination, not a chord
        self.setAccessibleName(f"Hotkey: {action_label}")
        self.setToolTip("Click, then press the keys (for example Ctrl+Shift+F9).")
        field = self.findChild(QLineEdit)
        if field is not None:  # Qt's own "Press shortcut" reads as if one were set
            field.setPlaceholderText("None — click and press keys")

    def event(self, event: QEvent) -> bool:
        # Qt's recorder takes Tab as a key to record: keyboard users could never leave the box.
        # A plain Tab / Shift+Tab moves on instead (nobody binds a global hotkey to them).
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
            and not event.modifiers()
            & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        ):
            return self.focusNextPrevChild(event.key() == Qt.Key.Key_Tab)
        return super().event(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.recording.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.recording.emit(False)

    def text(self) -> str:
        return self.keySequence().toString(PORTABLE)


class HotkeysCard(Card):
    """One row per hotkey action; a change is saved and registered at once."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "Hotkeys",
            "Skip an alert or pause alerts without switching to this window. Click a box and "
            "press the keys; none are set at first, so no program loses a key it uses.",
        )
        self.vm = vm
        self.hotkeys: Hotkeys = vm.hotkeys
        self.scope = label("", "muted", wrap=True)
        self.layout_.addWidget(self.scope)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.edits: dict[str, HotkeyEdit] = {}
        self.clear_buttons: dict[str, QPushButton] = {}
        self.statuses: dict[str, StatusLine] = {}
        for index, action in enumerate(HOTKEY_ACTIONS):
            row = index * 2
            grid.addWidget(label(action.label, wrap=True), row, 0)
            edit = HotkeyEdit(action.label)
            edit.setObjectName(f"hotkey_{action.id}")
            edit.recording.connect(self.hotkeys.suspend)
            edit.editingFinished.connect(lambda a=action.id: self._recorded(a))
            grid.addWidget(edit, row, 1)
            clear = QPushButton("Clear")
            clear.setAccessibleName(f"Clear the hotkey: {action.label}")
            clear.clicked.connect(lambda _checked=False, a=action.id: self._save(a, ""))
            grid.addWidget(clear, row, 2)
            status = StatusLine()
            grid.addWidget(status, row + 1, 0, 1, 3)
            self.edits[action.id] = edit
            self.clear_buttons[action.id] = clear
            self.statuses[action.id] = status
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.layout_.addLayout(grid)
        self.hotkeys.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the saved hotkeys, where they work, and any the desktop refused."""
        self.scope.setText(self.hotkeys.scope_note)
        for action_id, text in self.hotkeys.bindings().items():
            edit = self.edits[action_id]
            if edit.text() != text:
                edit.blockSignals(True)
                edit.setKeySequence(QKeySequence.fromString(text, PORTABLE))
                edit.blockSignals(False)
            self.clear_buttons[action_id].setEnabled(bool(text))
            problem = self.hotkeys.problems.get(action_id)
            if problem:
                self.statuses[action_id].error(problem)
            elif self.statuses[action_id].objectName() == "inlineError":
                self.statuses[action_id].clear()

    def _recorded(self, action_id: str) -> None:
        text = self.edits[action_id].text()
        if text == self.hotkeys.bindings()[action_id]:
            return  # left without pressing a key (Qt reports that as finished too)
        # Stop listening for keys, so the new hotkey works (and can be tried) right away. Losing
        # focus shows the saved hotkey again until this one is saved: hence ``text`` above.
        self.edits[action_id].clearFocus()
        self._save(action_id, text)

    def _save(self, action_id: str, text: str) -> None:
        self.vm.spawn(self._set(action_id, text), f"save hotkey {action_id}")

    async def _set(self, action_id: str, text: str) -> None:
        status = self.statuses[action_id]
        try:
            saved = await self.hotkeys.set_hotkey(action_id, text)
        except SettingsError as exc:
            self.refresh()  # back to the saved hotkey
            status.error(f"Not saved: {str(exc)[:1].upper()}{str(exc)[1:]}.")
            return
        self.refresh()
        if action_id in self.hotkeys.problems:
            return  # saved, but the desktop refused it: refresh() shows why
        what = ACTIONS[action_id].label.lower()
        if saved:
            status.flash(f"Saved: {saved} — {what}.")
        else:
            status.flash("Hotkey cleared.")
