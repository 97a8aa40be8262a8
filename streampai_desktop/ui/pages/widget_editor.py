"""One widget instance on the Widgets page: its name and URL, its settings form, tests, preview.

The settings are edited as a draft; Save validates the whole config with the widget's spec and
shows every problem next to its field (nothing is saved then). A saved config is pushed to the
open overlay pages at once, so OBS shows the change without a reload.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.core.notices import WidgetConfigChanged
from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.pages.alert_types import AlertTypesEditor, split_type_path
from streampai_desktop.ui.pages.common import Banner, Card, StatusLine, label
from streampai_desktop.ui.pages.widget_form import FormContext, SchemaForm
from streampai_desktop.ui.viewmodels.test_events import Preview, TestEventError
from streampai_desktop.widgets import WIDGETS
from streampai_desktop.widgets.alert_box import KIND_TITLES
from streampai_desktop.widgets.schema import ConfigError

if TYPE_CHECKING:
    from streampai_desktop.ui.viewmodels.app_model import AppViewModel
    from streampai_desktop.widgets.instances import WidgetInstance

log = logging.getLogger("streampai_desktop.ui")

MAX_SUMMARY = 4
# Where a save that this editor did not make came from, for "changed … while you were editing".
CHANGE_ORIGINS = {
    "api": "by another tool (the local API)",
    "sync": "on another computer",
    "editor": "in another editor",
}
# PySide6-Essentials has no QtWebEngine, and that is on purpose: the live preview is the real
# overlay page in the streamer's own browser — the same page OBS loads, so what they see is what
# OBS shows — instead of shipping a second, 100+ MB web engine inside the app.
PREVIEW_TEXT = (
    "Preview opens this overlay in your browser (the same page OBS loads) and sends it demo "
    "events for two minutes."
)


def open_url(url: str) -> bool:
    """Open ``url`` in the system browser (a module function so tests can replace it)."""
    return bool(QDesktopServices.openUrl(QUrl(url)))


def mask_token(url: str) -> str:
    """The URL with its token hidden, for a screen that might be on stream."""
    head, sep, _token = url.partition("token=")
    return f"{head}{sep}••••••••••••" if sep else url


def _scrolling(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setObjectName("paneScroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class WidgetEditor(QWidget):
    """Header (name, URL, preview), the settings tabs, and the Save/Revert bar."""

    dirty_changed = Signal(bool)

    def __init__(self, vm: AppViewModel, widget: WidgetInstance) -> None:
        super().__init__()
        self.vm = vm
        self.widget_id = widget.id
        self.spec = WIDGETS[widget.type]
        self.stored: dict[str, Any] = copy.deepcopy(widget.config)
        self.url = ""
        self._dirty = False
        self._live_check = False  # after a refused save: re-check as the streamer fixes things
        self._loading = False
        self.ctx = FormContext(vm.spawn, vm.import_media)
        self.preview = Preview(vm.test_events, vm.tasks, widget.type, self)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(10)
        column.addWidget(self._build_header(widget))

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.types: AlertTypesEditor | None = None
        self.form = SchemaForm(self.spec.fields, self.ctx, sections=self.spec.sections)
        self.form.changed.connect(self._edited)
        if self.spec.alert_types:
            self.types = AlertTypesEditor(self.ctx)
            self.types.changed.connect(self._edited)
            self.types.test_requested.connect(self.send_test)
            self.tabs.addTab(self.types, "Alert types")
        self.tabs.addTab(
            _scrolling(self._padded(self.form, self.spec.settings_note)), self.spec.settings_tab
        )
        self.tests_tab = self._build_tests()
        if self.tests_tab is not None:
            self.tabs.addTab(self.tests_tab, "Test")
        column.addWidget(self.tabs, 1)
        column.addWidget(self._build_footer())

        save = QShortcut(QKeySequence.StandardKey.Save, self)
        # Each instance has an editor: only the one on screen (with the focus) may answer.
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.request_save)
        self.preview.running_changed.connect(self._preview_changed)
        self.preview.failed.connect(lambda text: self.feedback.error(text))
        vm.widget_changes.changed.connect(self._changed_elsewhere)
        self.load(self.stored)

    # --- building ----------------------------------------------------------------------------

    def _build_header(self, widget: WidgetInstance) -> Card:
        card = Card()
        top = QHBoxLayout()
        self.name_edit = QLineEdit(widget.name)
        self.name_edit.setObjectName("widgetName")
        self.name_edit.setAccessibleName("Widget name")
        self.name_edit.setToolTip("The name is only for you; press Enter to rename.")
        self.name_edit.setMaximumWidth(360)
        self.name_edit.editingFinished.connect(self._rename)
        top.addWidget(self.name_edit, 1)
        kind = label(self.spec.title, "badge")
        kind.setToolTip(self.spec.description)
        top.addWidget(kind)
        top.addStretch(1)
        self.delete_button = QPushButton("Delete…")
        first = widget.id == widget.type
        self.delete_button.setEnabled(not first)
        self.delete_button.setToolTip(
            f"The first {self.spec.title} stays: its URL is the one OBS already uses."
            if first
            else "Remove this widget and its URL."
        )
        self.delete_button.clicked.connect(lambda: self.vm.spawn(self.delete(), "delete widget"))
        top.addWidget(self.delete_button)
        card.layout_.addLayout(top)

        row = QHBoxLayout()
        self.url_field = QLineEdit()
        self.url_field.setReadOnly(True)
        self.url_field.setAccessibleName(f"{widget.name} overlay URL")
        self.show_button = QPushButton("Show")
        self.show_button.setCheckable(True)
        self.show_button.setToolTip(
            "The URL contains a secret token. It is hidden so it does not leak if this window "
            "is on stream; Copy always copies the full URL."
        )
        self.show_button.toggled.connect(self._render_url)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        self.open_button = QPushButton("Open in browser")
        self.open_button.clicked.connect(self.open_in_browser)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setCheckable(True)
        self.preview_button.setToolTip(PREVIEW_TEXT)
        self.preview_button.setEnabled(self.preview.available)
        self.preview_button.clicked.connect(self.toggle_preview)
        row.addWidget(self.url_field, 1)
        for button in (self.show_button, self.copy_button, self.open_button, self.preview_button):
            row.addWidget(button)
        card.layout_.addLayout(row)

        self.connected = label("", "muted")
        card.layout_.addWidget(self.connected)
        hint = label(PREVIEW_TEXT, "fieldHelp", wrap=True)
        card.layout_.addWidget(hint)
        self.feedback = StatusLine()
        card.layout_.addWidget(self.feedback)
        return card

    @staticmethod
    def _padded(widget: QWidget, note: str = "") -> QWidget:
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(4, 8, 12, 12)
        column.setSpacing(10)
        if note:
            column.addWidget(label(note, "muted", wrap=True))
        column.addWidget(widget)
        column.addStretch(1)
        return holder

    def _build_tests(self) -> QWidget | None:
        """The spec's test buttons; None (no Test tab) when it offers no test events."""
        if not self.spec.test_events:
            return None
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(4, 8, 12, 12)
        if self.spec.test_note:
            column.addWidget(label(self.spec.test_note, "muted", wrap=True))
        grid = QGridLayout()
        grid.setSpacing(8)
        self.test_buttons: dict[str, QPushButton] = {}
        for i, (kind, title) in enumerate(self.spec.test_events):
            button = QPushButton(title)
            button.clicked.connect(lambda _c=False, k=kind: self.send_test(k))
            self.test_buttons[kind] = button
            grid.addWidget(button, i // 3, i % 3)
        column.addLayout(grid)
        self.test_status = StatusLine()
        column.addWidget(self.test_status)
        column.addStretch(1)
        return holder

    def _build_footer(self) -> QWidget:
        footer = QWidget()
        column = QVBoxLayout(footer)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.problems_banner = Banner("error")
        self.problems_banner.hide()
        column.addWidget(self.problems_banner)
        # Shown when a save from elsewhere (the local API, another computer) arrives while this
        # draft has unsaved changes: the streamer chooses, nothing is overwritten silently.
        self.conflict_banner = Banner("warning", action="Take the new settings")
        assert self.conflict_banner.button is not None
        self.conflict_banner.button.clicked.connect(self.take_theirs)
        self.keep_mine_button = QPushButton("Keep mine")
        self.keep_mine_button.clicked.connect(self.keep_mine)
        self.conflict_banner.add_action(self.keep_mine_button)
        self.conflict_banner.hide()
        self._theirs: dict[str, Any] | None = None
        column.addWidget(self.conflict_banner)
        row = QHBoxLayout()
        self.state_label = label("", "muted")
        row.addWidget(self.state_label, 1)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Go back to the saved settings.")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Save and update the open overlays now (Ctrl+S).")
        self.save_button.clicked.connect(self.request_save)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        column.addLayout(row)
        return footer

    # --- the draft ---------------------------------------------------------------------------

    def collect(self) -> dict[str, Any]:
        """The config as entered: the stored one (unknown keys kept) with the form's values."""
        config = copy.deepcopy(self.stored)
        config.update(self.form.values())
        if self.types is not None:
            types = config.setdefault("types", {})
            for kind, values in self.types.values().items():
                types[kind] = {**types.get(kind, {}), **values}
        return config

    def load(self, config: dict[str, Any]) -> None:
        self._loading = True
        try:
            self.form.load(config)
            if self.types is not None:
                self.types.load(config.get("types", {}))
        finally:
            self._loading = False
        self._set_dirty(False)

    @property
    def dirty(self) -> bool:
        return self._dirty

    def _edited(self) -> None:
        if self._loading:
            return
        self._set_dirty(self.collect() != self.stored)
        if self._live_check:
            self.validate()

    def _set_dirty(self, dirty: bool) -> None:
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        if dirty:
            self._state("Unsaved changes", "unsaved")
        elif self.state_label.objectName() == "unsaved" or not self.state_label.text():
            self._state("All changes saved", "muted")
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def _state(self, text: str, object_name: str) -> None:
        self.state_label.setText(text)
        if self.state_label.objectName() != object_name:
            self.state_label.setObjectName(object_name)
            self.state_label.style().unpolish(self.state_label)
            self.state_label.style().polish(self.state_label)

    # --- validation and saving ---------------------------------------------------------------

    def validate(self) -> dict[str, str]:
        """Check the draft with the widget's spec; show each problem next to its field."""
        try:
            self.spec.validate(self.collect())
        except ConfigError as exc:
            problems = dict(exc.problems)
        else:
            problems = {}
        self.show_problems(problems)
        return problems

    def show_problems(self, problems: dict[str, str]) -> None:
        self.form.show_problems(problems)
        if self.types is not None:
            self.types.show_problems(problems)
        if not problems:
            self.problems_banner.hide()
            return
        lines = [f"• {self.describe_path(p)}{m}" for p, m in list(problems.items())[:MAX_SUMMARY]]
        if len(problems) > MAX_SUMMARY:
            lines.append(f"… and {len(problems) - MAX_SUMMARY} more.")
        count = len(problems)
        head = "1 setting needs" if count == 1 else f"{count} settings need"
        self.problems_banner.set_text(
            f"{head} fixing before anything is saved:\n" + "\n".join(lines)
        )
        self.problems_banner.show()

    @staticmethod
    def describe_path(path: str) -> str:
        """Where a problem is, for the summary: "Cheer (bits), variation 1: "."""
        split = split_type_path(path)
        if split is None:
            return ""
        kind, rest = split
        where = KIND_TITLES.get(kind, kind)
        if rest.startswith("variations["):
            number = rest[len("variations[") :].split("]", 1)[0]
            if number.isdigit():
                where += f", variation {int(number) + 1}"
        return f"{where}: "

    def reveal(self, path: str) -> None:
        """Bring the field of ``path`` into view and focus it."""
        target: QWidget | None = None
        if self.types is not None and path.startswith("types."):
            self.tabs.setCurrentWidget(self.types)
            target = self.types.reveal(path)
        else:
            target = self.form.widget_for(path)
            if target is not None:
                self.tabs.setCurrentIndex(1 if self.types is not None else 0)
        if target is not None:
            target.setFocus()

    def request_save(self) -> None:
        self.vm.spawn(self.save(), "save widget settings")

    async def save(self) -> bool:
        """Validate and save; False (nothing saved) when a value is not usable."""
        config = self.collect()
        try:
            self.spec.validate(config)
            cleaned = await self.vm.save_widget_config(self.widget_id, config)
        except ConfigError as exc:
            self._live_check = True
            self.show_problems(dict(exc.problems))
            self.reveal(next(iter(exc.problems)))
            self._set_dirty(self.collect() != self.stored)
            self._state("Not saved: fix the settings marked in red.", "inlineError")
            return False
        self._live_check = False
        self.stored = copy.deepcopy(cleaned)
        self._theirs = None  # saving answered the conflict: the streamer's version won
        self.conflict_banner.hide()
        self.show_problems({})
        self.load(self.stored)
        self._state("Saved. Open overlays show the change now.", "inlineOk")
        return True

    def revert(self) -> None:
        self._live_check = False
        self.show_problems({})
        self.load(self.stored)
        self._state("Back to the saved settings.", "muted")

    def reload_if_clean(self) -> None:
        """Catch up with the saved config (a change that arrived while this editor was closed)
        unless the streamer is editing; live changes arrive through ``_changed_elsewhere``."""
        current = self.vm.app.widgets.get(self.widget_id)
        if current is not None and not self._dirty and current.config != self.stored:
            self.stored = copy.deepcopy(current.config)
            self.load(self.stored)

    def _changed_elsewhere(self, notice: WidgetConfigChanged) -> None:
        """A save of this widget from elsewhere: take it at once when nothing is being edited;
        otherwise say so and let the streamer keep their draft or take the new settings."""
        if notice.widget_id != self.widget_id or notice.config == self.stored:
            return  # another widget, or this editor's own save
        where = CHANGE_ORIGINS.get(notice.origin, "elsewhere")
        if not self._dirty:
            self.stored = copy.deepcopy(notice.config)
            self.load(self.stored)
            self._state(f"Updated: these settings were changed {where}.", "muted")
            return
        self._theirs = copy.deepcopy(notice.config)
        self.conflict_banner.set_text(
            f"These settings were changed {where} while you were editing. Keep your unsaved "
            "changes (Save then replaces the new settings), or take the new settings and drop "
            "yours."
        )
        self.conflict_banner.show()

    def keep_mine(self) -> None:
        """Keep the draft; Revert now goes back to the new saved settings."""
        if self._theirs is not None:
            self.stored, self._theirs = self._theirs, None
        self.conflict_banner.hide()
        self._set_dirty(self.collect() != self.stored)
        self._state("Your changes are kept: Save to apply them.", "unsaved")

    def take_theirs(self) -> None:
        """Drop the draft and show the settings saved elsewhere."""
        if self._theirs is not None:
            self.stored, self._theirs = self._theirs, None
        self.conflict_banner.hide()
        self.revert()
        self._state("Showing the new settings.", "muted")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload_if_clean()

    # --- header actions ----------------------------------------------------------------------

    def set_name(self, name: str) -> None:
        if not self.name_edit.hasFocus():
            self.name_edit.setText(name)

    def _rename(self) -> None:
        name = self.name_edit.text().strip()
        current = self.vm.app.widgets.get(self.widget_id)
        if current is None or name == current.name:
            return
        if not name:
            self.name_edit.setText(current.name)
            return
        self.vm.spawn(self.vm.rename_widget(self.widget_id, name), "rename widget")

    async def delete(self) -> bool:
        name = self.name_edit.text().strip() or self.spec.title
        ok = await confirm(
            self,
            f"Delete {name}?",
            f"{name} and its settings are removed. Its URL stops working, so remove its "
            "browser source from OBS too.",
            "Delete",
        )
        if ok:
            self.preview.stop()
            await self.vm.delete_widget(self.widget_id)
        return ok

    def set_url(self, url: str) -> None:
        if url != self.url and self.url:
            self.feedback.ok("The URL changed: copy it into OBS again.")
        self.url = url
        self._render_url()

    def _render_url(self, _checked: bool = False) -> None:
        shown = self.show_button.isChecked()
        self.show_button.setText("Hide" if shown else "Show")
        self.url_field.setText(self.url if shown else mask_token(self.url))
        self.url_field.setCursorPosition(0)

    def set_connected(self, count: int) -> None:
        if count == 0:
            self.connected.setText("Not open in OBS (or a browser) right now")
        else:
            self.connected.setText(f"{count} page(s) connected")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
        self.feedback.ok("Copied. In OBS: Sources → + → Browser, paste it as the URL.")

    def open_in_browser(self) -> bool:
        opened = open_url(self.url)
        if not opened:
            self.feedback.error("Could not open a browser; use Copy instead.")
        return opened

    def toggle_preview(self) -> None:
        if self.preview.running:
            self.preview.stop()
            return
        self.open_in_browser()
        self.preview.start()

    def _preview_changed(self, running: bool) -> None:
        self.preview_button.setChecked(running)
        self.preview_button.setText("Stop preview" if running else "Preview")
        if running:
            self.feedback.ok("Previewing: demo events are being sent to this overlay.")

    # --- tests -------------------------------------------------------------------------------

    def send_test(self, kind: str) -> None:
        self.vm.spawn(self._send_test(kind), f"test {kind}")

    async def _send_test(self, kind: str) -> None:
        title = self.spec.test_title(kind)
        lines = [getattr(self, "test_status", None)]
        if self.types is not None and kind in self.types.panes:
            lines.append(self.types.panes[kind].test_status)
        try:
            await self.vm.test_events.send(kind)
        except TestEventError as exc:
            for line in lines:
                if line is not None:
                    line.error(str(exc))
            return
        saved_type = self.stored.get("types", {}).get(kind, {})
        if saved_type and not saved_type.get("enabled", True):
            text = f"Sent a test {title} — but this alert type is off in the saved settings."
        else:
            text = self.spec.test_sent.format(title=title)
        for line in lines:
            if line is not None:
                line.ok(text)
