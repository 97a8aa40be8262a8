"""One widget instance on the Widgets page: its name and URL, its settings form, tests, preview.

The settings are edited as a draft; Save validates the whole config with the widget's spec and
shows every problem next to its field (nothing is saved then). A saved config is pushed to the
open overlay pages at once, so OBS shows the change without a reload.

The preview shows the draft, unsaved, in a page in the streamer's browser that OBS never sees
(``server/preview.py``): fake events go to that page only. A test "on stream" is the real path
(the local API, the alert queue, every open overlay) and uses the saved settings.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QFocusEvent,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QStyleOptionFrame,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.core.notices import WidgetConfigChanged
from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.formatting import plural
from streampai_desktop.ui.pages.alert_types import (
    PREVIEW_TEST_TIP,
    STREAM_TEST_TIP,
    AlertTypesEditor,
    split_type_path,
)
from streampai_desktop.ui.pages.common import FLASH_MS, Banner, Card, StatusLine, label
from streampai_desktop.ui.pages.obs_overlays import ObsWidgetLine
from streampai_desktop.ui.pages.widget_form import FormContext, SchemaForm
from streampai_desktop.ui.sound import OPENED, SoundPlayer
from streampai_desktop.ui.viewmodels.test_events import Preview, TestEventError
from streampai_desktop.widgets import WIDGETS
from streampai_desktop.widgets.alert_box import KIND_TITLES
from streampai_desktop.widgets.media import resolve_media
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
# OBS would show — instead of shipping a second, 100+ MB web engine inside the app. It is a
# preview session of that page: it shows the unsaved settings and demo events, and OBS none of it.
PREVIEW_TEXT = (
    "Opens a preview of this overlay in your browser: it shows the settings you are editing, "
    "saved or not, with demo events. Only that page shows them: nothing reaches OBS."
)
PREVIEWING_TEXT = "Previewing in your browser: your edits show there live. OBS shows none of it."
UNSAVED_TEST_NOTE = (
    "You have unsaved changes: a test in the preview uses them; a test on stream uses the "
    "saved settings."
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
    # Every row fits the width (labels and texts wrap): never scroll sideways.
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    return area


class UrlField(QLineEdit):
    """A read-only URL that is always readable: when it does not fit, it is drawn elided in the
    middle ("http://127.0.0.1:7470/over…token=••••"), and ``text()`` is always the whole URL —
    clicking into it shows all of it, selected, to copy."""

    def __init__(self) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.setMinimumWidth(120)

    def setText(self, text: str | None) -> None:
        super().setText(text)
        self.setToolTip(text or "")
        self.setCursorPosition(0)

    def _text_rect_width(self) -> int:
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        rect = self.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, self)
        margins = self.textMargins()
        return rect.width() - margins.left() - margins.right() - 4

    def elided_text(self) -> str:
        """What is shown while the field does not have the focus."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideMiddle, max(self._text_rect_width(), 0)
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        shown = self.elided_text()
        if self.hasFocus() or shown == self.text():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelLineEdit, option, painter, self)
        rect = self.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, self)
        rect.adjust(2 + self.textMargins().left(), 0, -2 - self.textMargins().right(), 0)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown
        )
        painter.end()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            QTimer.singleShot(0, self.selectAll)  # after the click that placed the cursor

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.setCursorPosition(0)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.update()


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
        self.sound = SoundPlayer(self)
        self.ctx = FormContext(vm.spawn, vm.import_media, self.play_sound)
        self.preview = Preview(vm.test_events, vm.tasks, widget.id, widget.type, self)
        self._state_timer = QTimer(self)  # a passing "Saved." goes back to "All changes saved"
        self._state_timer.setSingleShot(True)
        self._state_timer.timeout.connect(self._settle_state)

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
            self.types.preview_requested.connect(self.send_preview_test)
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
        vm.widget_changes.changed.connect(self._changed_elsewhere)
        self.load(self.stored)

    # --- building ----------------------------------------------------------------------------

    def _build_header(self, widget: WidgetInstance) -> Card:
        card = Card()
        card.layout_.setContentsMargins(12, 10, 12, 10)
        card.layout_.setSpacing(6)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.name_edit = QLineEdit(widget.name)
        self.name_edit.setObjectName("widgetName")
        self.name_edit.setAccessibleName("Widget name")
        self.name_edit.setToolTip("The name is only for you; press Enter to rename.")
        self.name_edit.setMinimumWidth(120)
        self.name_edit.setMaximumWidth(300)
        self.name_edit.editingFinished.connect(self._rename)
        top.addWidget(self.name_edit, 2)
        kind = label(self.spec.title, "badge")
        kind.setToolTip(self.spec.description)
        top.addWidget(kind)
        self.connected = label("", "muted", wrap=True)
        self.connected.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        top.addWidget(self.connected, 3)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setCheckable(True)
        self.preview_button.setToolTip(PREVIEW_TEXT)
        self.preview_button.setEnabled(self.preview.available)
        self.preview_button.clicked.connect(self.toggle_preview)
        top.addWidget(self.preview_button)
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
        row.setSpacing(6)
        self.url_field = UrlField()
        self.url_field.setAccessibleName(f"{widget.name} overlay URL")
        self.show_button = QPushButton("Show")
        self.show_button.setCheckable(True)
        self.show_button.setToolTip(
            "The URL contains a secret token. It is hidden so it does not leak if this window "
            "is on stream; Copy always copies the full URL."
        )
        self.show_button.toggled.connect(self._render_url)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the full URL, to paste into an OBS Browser source.")
        self.copy_button.clicked.connect(self.copy)
        self.open_button = QPushButton("Open in browser")
        self.open_button.setToolTip(
            "Open the overlay page as OBS loads it (saved settings, real alerts)."
        )
        self.open_button.clicked.connect(self.open_in_browser)
        row.addWidget(self.url_field, 1)
        for button in (self.show_button, self.copy_button, self.open_button):
            row.addWidget(button)
        card.layout_.addLayout(row)

        self.feedback = StatusLine()
        # "In OBS: scene “Live”", or "Add to OBS" (ui/pages/obs_overlays.py).
        self.obs_line = ObsWidgetLine(self.vm.obs_overlays, widget.id, self.feedback)
        row.addWidget(self.obs_line)
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
        """The spec's test buttons, in the preview or on stream; None (no Test tab) when it offers
        no test events."""
        if not self.spec.test_events:
            return None
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(4, 8, 12, 12)
        column.setSpacing(10)
        if self.spec.test_note:
            column.addWidget(label(self.spec.test_note, "muted", wrap=True))
        self.unsaved_test_note = label(UNSAVED_TEST_NOTE, "unsaved", wrap=True)
        self.unsaved_test_note.hide()
        column.addWidget(self.unsaved_test_note)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(0, 1)
        self.test_buttons: dict[str, QPushButton] = {}  # on stream
        self.preview_test_buttons: dict[str, QPushButton] = {}
        for i, (kind, title) in enumerate(self.spec.test_events):
            grid.addWidget(label(title, wrap=True), i, 0)
            what = title.lower() if kind == "chat_message" else f"{title.lower()} alert"
            in_preview = QPushButton("In the preview")
            in_preview.setAccessibleName(f"Test {title} in the preview")
            in_preview.setToolTip(PREVIEW_TEST_TIP.format(what=what))
            in_preview.clicked.connect(lambda _c=False, k=kind: self.send_preview_test(k))
            on_stream = QPushButton("On stream")
            on_stream.setAccessibleName(f"Test {title} on stream")
            on_stream.setToolTip(STREAM_TEST_TIP.format(what=what))
            on_stream.clicked.connect(lambda _c=False, k=kind: self.send_test(k))
            self.preview_test_buttons[kind] = in_preview
            self.test_buttons[kind] = on_stream
            grid.addWidget(in_preview, i, 1)
            grid.addWidget(on_stream, i, 2)
        column.addLayout(grid)
        self.test_status = StatusLine()
        column.addWidget(self.test_status)
        column.addStretch(1)
        return _scrolling(holder)

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
        self.preview.update(self.collect())

    @property
    def dirty(self) -> bool:
        return self._dirty

    def _edited(self) -> None:
        if self._loading:
            return
        draft = self.collect()
        self._set_dirty(draft != self.stored)
        self.preview.update(draft)  # the preview page shows the draft as it is typed
        if self._live_check:
            self.validate()

    def _set_dirty(self, dirty: bool) -> None:
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        if hasattr(self, "unsaved_test_note"):
            self.unsaved_test_note.setVisible(dirty)
        if dirty:
            self._state("Unsaved changes", "unsaved")
        elif self.state_label.objectName() == "unsaved" or not self.state_label.text():
            self._state("All changes saved", "muted")
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def _state(self, text: str, object_name: str, *, passing: bool = False) -> None:
        """The line by Save; a ``passing`` one ("Saved.") gives way to the lasting state after a
        few seconds."""
        self._state_timer.stop()
        if passing:
            self._state_timer.start(FLASH_MS)
        self.state_label.setText(text)
        if self.state_label.objectName() != object_name:
            self.state_label.setObjectName(object_name)
            self.state_label.style().unpolish(self.state_label)
            self.state_label.style().polish(self.state_label)

    def _settle_state(self) -> None:
        if self._dirty:
            self._state("Unsaved changes", "unsaved")
        else:
            self._state("All changes saved", "muted")

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
        self._state("Saved. Open overlays show the change now.", "inlineOk", passing=True)
        return True

    def revert(self) -> None:
        self._live_check = False
        self.show_problems({})
        self.load(self.stored)
        self._state("Back to the saved settings.", "muted", passing=True)

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
            self._state(f"Updated: these settings were changed {where}.", "muted", passing=True)
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
        self._state("Showing the new settings.", "muted", passing=True)

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

    def set_connected(self, count: int) -> None:
        if count == 0:
            self.connected.setText("Not open in OBS right now")
            self.connected.setToolTip("No OBS browser source (or browser tab) shows this URL now.")
        else:
            self.connected.setText(f"{plural(count, 'page')} connected")
            self.connected.setToolTip("OBS browser sources and browser tabs showing this URL.")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
        self.feedback.flash("Copied. In OBS: Sources → + → Browser, paste it as the URL.")

    def open_in_browser(self) -> bool:
        opened = open_url(self.url)
        if not opened:
            self.feedback.error("Could not open a browser; use Copy instead.")
        return opened

    def toggle_preview(self) -> None:
        if self.preview.running:
            self.preview.stop()
            return
        self.start_preview()

    def start_preview(self, first: str | None = None) -> None:
        """Open the preview session (its page in the browser) with the draft as it is now."""
        url = self.preview.start(self.collect(), first)
        if not url:
            return
        if open_url(url):
            self.feedback.ok(PREVIEWING_TEXT)
        else:
            self.feedback.error(
                f"Could not open a browser. Open this preview address in one: {url}"
            )

    def _preview_changed(self, running: bool) -> None:
        self.preview_button.setChecked(running)
        self.preview_button.setText("Stop preview" if running else "Preview")
        if not running:
            self.feedback.clear()

    def play_sound(self, ref: str, volume: int) -> str:
        """Play a sound setting's file here (the ▶ button); OSError when it cannot be played."""
        found = resolve_media(self.vm.app.data_dir, ref)
        if found is None:
            raise OSError("This sound file is missing: pick it again.")
        how = self.sound.play(found[0], volume)
        if how == OPENED:
            self.feedback.flash("The sound opened in your default player.")
        return how

    # --- tests -------------------------------------------------------------------------------

    def _test_lines(self, kind: str) -> list[StatusLine]:
        lines = [getattr(self, "test_status", None)]
        if self.types is not None and kind in self.types.panes:
            lines.append(self.types.panes[kind].test_status)
        return [line for line in lines if line is not None]

    def send_preview_test(self, kind: str) -> None:
        """Show a fake ``kind`` event in the preview, with the draft; opens the preview first
        when it is not open."""
        title = self.spec.test_title(kind)
        if not self.preview.running:
            self.start_preview(first=kind)
            text = f"Opening the preview in your browser with a test {title} first."
            for line in self._test_lines(kind):
                line.flash(text)
            return
        shown = self.preview.show(kind)
        if shown.skipped == "off":
            text = f"This alert type is off in your settings: the preview shows no {title}."
        elif shown.skipped == "minimum":
            text = f"The test {title} is below your minimum: the preview shows nothing."
        elif shown.pages == 0:
            text = "The preview page is not open (any more): press Stop preview, then Preview."
        else:
            text = f"Showing a test {title} in the preview, with the settings you are editing."
        for line in self._test_lines(kind):
            line.flash(text)

    def send_test(self, kind: str) -> None:
        self.vm.spawn(self._send_test(kind), f"test {kind}")

    async def _send_test(self, kind: str) -> None:
        title = self.spec.test_title(kind)
        lines = self._test_lines(kind)
        try:
            await self.vm.test_events.send(kind)
        except TestEventError as exc:
            for line in lines:
                line.error(str(exc))
            return
        saved_type = self.stored.get("types", {}).get(kind, {})
        if saved_type and not saved_type.get("enabled", True):
            text = f"Sent a test {title} — but this alert type is off in the saved settings."
        else:
            text = self.spec.test_sent.format(title=title)
        if self._dirty:
            text += " It uses the saved settings, not your unsaved changes."
        for line in lines:
            line.flash(text)
