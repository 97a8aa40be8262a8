"""The Alert Box's per-type editor: the nine alert types in a list, each with its own settings
form (generated from ``alert_box.form_fields(kind)``: only the settings that mean something for
that type), its variations and its test buttons (in the preview, or on stream)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.ui.formatting import plural
from streampai_desktop.ui.pages.common import StatusLine
from streampai_desktop.ui.pages.variations import VariationsEditor
from streampai_desktop.ui.pages.widget_form import FormContext, SchemaForm
from streampai_desktop.widgets.alert_box import KIND_TITLES, TYPE_SECTIONS, form_fields

PREVIEW_TEST_TIP = (
    "Shows a fake {what} in the preview page in your browser, with the settings you are "
    "editing (saved or not). Nothing reaches OBS."
)
STREAM_TEST_TIP = (
    "Sends a fake {what} through the alert queue to every open Alert Box, OBS included, with "
    "the saved settings (not unsaved changes)."
)
TYPE_LIST_WIDTH = 150

ERROR_COLOR = QColor("#dc2626")
_TYPE_PATH = re.compile(r"^types\.(?P<kind>[a-z_]+)(?:\.(?P<rest>.*))?$")


def split_type_path(path: str) -> tuple[str, str] | None:
    """``types.cheer.variations[0].name`` → (``cheer``, ``variations[0].name``)."""
    match = _TYPE_PATH.match(path)
    return (match.group("kind"), match.group("rest") or "") if match else None


class AlertTypePane(QWidget):
    """One alert type: its test buttons, its settings, its variations."""

    changed = Signal()
    test_requested = Signal(str)  # alert kind: a test on stream (saved settings)
    preview_requested = Signal(str)  # alert kind: a test in the preview (the draft)

    def __init__(self, kind: str, ctx: FormContext) -> None:
        super().__init__()
        self.kind = kind
        title = KIND_TITLES[kind]
        fields = form_fields(kind)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 0, 12, 12)
        column.setSpacing(8)

        heading = QLabel(title)
        heading.setObjectName("sectionTitle")
        column.addWidget(heading)
        what = f"{title.split(' (')[0].lower()} alert"
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.preview_button = QPushButton("Test in preview")
        self.preview_button.setToolTip(PREVIEW_TEST_TIP.format(what=what))
        self.preview_button.clicked.connect(lambda: self.preview_requested.emit(kind))
        self.test_button = QPushButton("Test on stream")
        self.test_button.setToolTip(STREAM_TEST_TIP.format(what=what))
        self.test_button.clicked.connect(lambda: self.test_requested.emit(kind))
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.test_status = StatusLine()
        column.addWidget(self.test_status)
        self.type_error = QLabel()
        self.type_error.setObjectName("fieldError")
        self.type_error.hide()
        column.addWidget(self.type_error)

        self.form = SchemaForm(fields, ctx, prefix=f"types.{kind}.", sections=TYPE_SECTIONS)
        self.form.changed.connect(self.changed)
        column.addWidget(self.form)

        variations_title = QLabel("Variations")
        variations_title.setObjectName("formSection")
        variations_title.setContentsMargins(0, 10, 0, 0)
        column.addWidget(variations_title)
        self.variations = VariationsEditor(
            {f.key: f for f in fields}, ctx, lambda key: self.form.values().get(key), kind
        )
        self.variations.changed.connect(self.changed)
        column.addWidget(self.variations)
        column.addStretch(1)

    def values(self) -> dict[str, Any]:
        return {**self.form.values(), "variations": self.variations.values()}

    def load(self, values: Mapping[str, Any]) -> None:
        self.form.load(values)
        self.variations.load(values.get("variations", []))

    @property
    def enabled(self) -> bool:
        return bool(self.form.editor("enabled").value())

    def show_problems(self, problems: Mapping[str, str]) -> list[str]:
        """Problems keyed by full path; returns the paths shown here."""
        prefix = f"types.{self.kind}"
        shown = self.form.show_problems(problems)
        relative = {
            path.removeprefix(f"{prefix}.variations"): message
            for path, message in problems.items()
            if path.startswith(f"{prefix}.variations")
        }
        self.variations.show_problems(relative)
        shown += [f"{prefix}.variations{p}" for p in relative]
        whole = problems.get(prefix)
        self.type_error.setText(whole or "")
        self.type_error.setVisible(bool(whole))
        if whole:
            shown.append(prefix)
        return shown

    def widget_for(self, rest: str) -> QWidget:
        match = re.match(r"^variations\[(\d+)\]\.?(.*)$", rest)
        if match:
            index = int(match.group(1))
            self.variations.reveal(index)
            if index < len(self.variations.panels):
                return self.variations.panels[index].widget_for(match.group(2))
            return self.variations.list
        if rest.startswith("variations"):
            return self.variations.list
        return self.form.widget_for(f"types.{self.kind}.{rest}") or self.test_button


class AlertTypesEditor(QWidget):
    """The list of alert types on the left, the selected type's pane on the right.

    A pane is built when its type is first selected (or has a problem to show): nine full forms
    up front would make opening the Widgets page feel slow, and most edits touch one type.
    """

    changed = Signal()
    test_requested = Signal(str)
    preview_requested = Signal(str)

    def __init__(self, ctx: FormContext) -> None:
        super().__init__()
        self._ctx = ctx
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        self.list = QListWidget()
        self.list.setObjectName("typeList")
        self.list.setAccessibleName("Alert types")
        self.list.setFixedWidth(TYPE_LIST_WIDTH)
        self.list.setWordWrap(True)  # "Gift subscription (off)" wraps instead of widening
        row.addWidget(self.list)
        self.stack = QStackedWidget()
        row.addWidget(self.stack, 1)
        self.panes: dict[str, AlertTypePane] = {}  # built so far
        self.scrolls: dict[str, QScrollArea] = {}
        self._loaded: dict[str, dict[str, Any]] = {}  # what unbuilt panes would show
        self._problem_counts: dict[str, int] = {}
        for kind in KIND_TITLES:
            item = QListWidgetItem(KIND_TITLES[kind])
            item.setData(Qt.ItemDataRole.UserRole, kind)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self._selected)
        self.list.setCurrentRow(0)

    def pane(self, kind: str) -> AlertTypePane:
        """The pane of ``kind``, built now if it was never needed."""
        pane = self.panes.get(kind)
        if pane is None:
            pane = AlertTypePane(kind, self._ctx)
            if kind in self._loaded:
                pane.load(self._loaded[kind])
            pane.changed.connect(self._pane_changed)
            pane.test_requested.connect(self.test_requested)
            pane.preview_requested.connect(self.preview_requested)
            scroll = QScrollArea()
            scroll.setObjectName("paneScroll")
            scroll.setWidgetResizable(True)
            # Every row fits the width (labels and texts wrap): never scroll sideways.
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(pane)
            self.panes[kind] = pane
            self.scrolls[kind] = scroll
            self.stack.addWidget(scroll)
        return pane

    def _selected(self, row: int) -> None:
        if 0 <= row < len(KIND_TITLES):
            kind = list(KIND_TITLES)[row]
            self.pane(kind)
            self.stack.setCurrentWidget(self.scrolls[kind])

    def _pane_changed(self) -> None:
        self._refresh_items()
        self.changed.emit()

    def _enabled(self, kind: str) -> bool:
        pane = self.panes.get(kind)
        if pane is not None:
            return pane.enabled
        return bool(self._loaded.get(kind, {}).get("enabled", True))

    def _refresh_items(self) -> None:
        for i, kind in enumerate(KIND_TITLES):
            item = self.list.item(i)
            text = KIND_TITLES[kind]
            problems = self._problem_counts.get(kind, 0)
            enabled = self._enabled(kind)
            if problems:
                text = f"⚠ {text}"
            elif not enabled:
                text = f"{text}  (off)"
            item.setText(text)
            item.setToolTip(
                f"{plural(problems, 'setting')} to fix"
                if problems
                else ("Switched off: these events show no alert" if not enabled else "")
            )
            item.setForeground(QBrush(ERROR_COLOR) if problems else QBrush())

    def select(self, kind: str) -> AlertTypePane:
        self.list.setCurrentRow(list(KIND_TITLES).index(kind))
        return self.pane(kind)

    def values(self) -> dict[str, dict[str, Any]]:
        out = {kind: copy.deepcopy(values) for kind, values in self._loaded.items()}
        out.update({kind: pane.values() for kind, pane in self.panes.items()})
        return out

    def load(self, types: Mapping[str, Any]) -> None:
        self._loaded = {
            kind: dict(values)
            for kind, values in types.items()
            if kind in KIND_TITLES and isinstance(values, Mapping)
        }
        for kind, pane in self.panes.items():
            if kind in self._loaded:
                pane.load(self._loaded[kind])
        self._refresh_items()

    def show_problems(self, problems: Mapping[str, str]) -> list[str]:
        shown: list[str] = []
        self._problem_counts = {}
        for kind in KIND_TITLES:
            mine = {p: m for p, m in problems.items() if (split_type_path(p) or ("",))[0] == kind}
            self._problem_counts[kind] = len(mine)
            if mine or kind in self.panes:
                shown += self.pane(kind).show_problems(mine)
        self._refresh_items()
        return shown

    def reveal(self, path: str) -> QWidget | None:
        """Select the type a problem belongs to and return the widget to focus."""
        split = split_type_path(path)
        if split is None or split[0] not in KIND_TITLES:
            return None
        kind, rest = split
        pane = self.select(kind)
        target = pane.widget_for(rest)
        self.scrolls[kind].ensureWidgetVisible(target, 50, 80)
        return target
