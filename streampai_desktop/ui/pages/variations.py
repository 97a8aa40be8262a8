"""The variations editor of one alert type: an ordered list of rules, each with conditions, a
random weight, and settings it overrides.

Rules are checked top to bottom and the first whose conditions all hold wins (see
``widgets/alert_box.choose_variation``), so order matters and can be changed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.core.events import Platform
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.ui.pages.widget_form import (
    FieldRow,
    FormComboBox,
    FormContext,
    FormGrid,
    IntEditor,
    field_label,
    local_currency,
    make_editor,
    parse_int_or_text,
    repolish,
    shrinkable,
)
from streampai_desktop.widgets.alert_box import (
    AMOUNTS,
    CONDITION_OPS,
    OVERRIDABLE,
    condition_fields,
    condition_label,
    condition_unit,
)
from streampai_desktop.widgets.schema import Field

OP_LABELS = {">=": "is at least", "=": "is"}
TEXT_CONDITIONS = ("platform", "tier")  # compared as text, only with "is"
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "platform": (*PLATFORMS, Platform.STREAMPAI.value),
    "tier": ("1000", "2000", "3000", "prime"),
}
_MONEY = re.compile(r"^-?\d+(\.\d*)?$")


def amount_help(kind: str) -> str:
    """What an ``amount`` condition of ``kind`` compares, for its tooltip."""
    unit = AMOUNTS.get(kind, ("", "", ""))[1]
    if unit == "money":
        symbol, decimals = local_currency()
        example = "5" if decimals == 0 else "5.00"
        return (
            f"The amount in the currency it was sent in: {example} is {symbol}{example} "
            "(or €5.00, £5.00…)."
        )
    return f"The number of {unit}." if unit else ""


WEIGHT_FIELD = Field(
    "weight",
    "Random weight",
    "int",
    0,
    0,
    1000,
    help="0: not random. Above 0: among the matching rules that have a weight, one is drawn "
    "at random, more often the higher its weight.",
)
_VARIATION_PATH = re.compile(r"^\[(\d+)\](?:\.(.*))?$")


def _error_label() -> QLabel:
    error = QLabel()
    error.setObjectName("fieldError")
    error.setWordWrap(True)
    error.hide()
    return error


def _set_error(label: QLabel, message: str | None) -> None:
    label.setText(message or "")
    label.setVisible(bool(message))


def _remove_button(tooltip: str) -> QToolButton:
    button = QToolButton()
    button.setText("✕")
    button.setToolTip(tooltip)
    button.setAccessibleName(tooltip)
    button.setAutoRaise(True)
    return button


class ConditionRow(QWidget):
    """``[field] [at least | is] [value] ✕`` on one line, or the value and ✕ on a second line
    when the panel is too narrow for one (a small window never scrolls sideways)."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, kind: str = "") -> None:
        super().__init__()
        self.kind = kind
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.line = QGridLayout()
        self.line.setContentsMargins(0, 0, 0, 0)
        self.line.setHorizontalSpacing(6)
        self.line.setVerticalSpacing(4)
        self.field = FormComboBox()
        self.field.setAccessibleName("Condition field")
        shrinkable(self.field, chars=6, maximum=180)
        # Only the conditions that mean something for this alert type.
        for name in condition_fields(kind):
            self.field.addItem(self._label(name), name)
        self.op = FormComboBox()
        self.op.setAccessibleName("Comparison")
        shrinkable(self.op, chars=4, maximum=140)
        for op in CONDITION_OPS:
            self.op.addItem(OP_LABELS.get(op, op), op)
        self.value = FormComboBox()
        self.value.setEditable(True)
        self.value.setAccessibleName("Condition value")
        shrinkable(self.value, chars=6, maximum=200)
        self.value.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.remove = _remove_button("Remove this condition")
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))
        self.one_line: bool | None = None
        self._arrange(one_line=True)
        column.addLayout(self.line)
        self.error = _error_label()
        column.addWidget(self.error)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.op.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.value.editTextChanged.connect(lambda _t: self.changed.emit())
        self._field_changed()

    def _one_line_width(self) -> int:
        parts = (self.field, self.op, self.value, self.remove)
        return sum(w.sizeHint().width() for w in parts) + 3 * self.line.horizontalSpacing()

    def _arrange(self, *, one_line: bool) -> None:
        if one_line == self.one_line:
            return
        self.one_line = one_line
        for widget in (self.field, self.op, self.value, self.remove):
            self.line.removeWidget(widget)
        left = Qt.AlignmentFlag.AlignLeft
        self.line.addWidget(self.field, 0, 0)
        self.line.addWidget(self.op, 0, 1)
        if one_line:
            self.line.addWidget(self.value, 0, 2)
            self.line.addWidget(self.remove, 0, 3, left)
        else:
            self.line.addWidget(self.value, 1, 0)
            self.line.addWidget(self.remove, 1, 1, left)
        for column in range(5):
            self.line.setColumnStretch(column, 1 if column == 4 else 0)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        """As narrow as the two-line arrangement: the row picks its arrangement by its width."""
        hint = super().minimumSizeHint()
        two_lines = (
            max(
                self.field.minimumSizeHint().width() + self.op.minimumSizeHint().width(),
                self.value.minimumSizeHint().width() + self.remove.sizeHint().width(),
            )
            + self.line.horizontalSpacing()
        )
        hint.setWidth(min(hint.width(), two_lines))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(one_line=event.size().width() >= self._one_line_width())

    def _field_changed(self, *_args: object) -> None:
        name = self.field.currentData()
        text = self.value.currentText()
        self.value.blockSignals(True)
        self.value.clear()
        self.value.addItems(list(SUGGESTIONS.get(name, ())))
        self.value.setEditText(text)
        self.value.blockSignals(False)
        self.value.setToolTip(amount_help(self.kind) if name == "amount" else "")
        textual = name in TEXT_CONDITIONS
        if textual:  # text is only compared for equality
            self.op.setCurrentIndex(self.op.findData("="))
        self.op.setEnabled(not textual)
        self.changed.emit()

    def _label(self, name: str) -> str:
        """The condition's name for this alert type; money says its currency: "Amount ($)"."""
        text = condition_label(self.kind, name)
        if condition_unit(self.kind, name) == "money":
            text += f" ({local_currency()[0]})"
        return text

    def _money(self) -> int | None:
        """Minor units per shown unit when the value is money (shown "5.00", stored 500)."""
        if condition_unit(self.kind, self.field.currentData()) != "money":
            return None
        return 10 ** local_currency()[1]

    def values(self) -> dict[str, Any]:
        name = self.field.currentData()
        text = self.value.currentText().strip()
        scale = self._money()
        value: Any
        if name in TEXT_CONDITIONS:
            value = text
        elif scale is not None and _MONEY.match(text.replace(",", "")):
            value = round(float(text.replace(",", "")) * scale)
        else:
            value = parse_int_or_text(text)
        return {"field": name, "op": self.op.currentData(), "value": value}

    def load(self, condition: Mapping[str, Any]) -> None:
        self.blockSignals(True)
        try:
            name = condition.get("field")
            index = self.field.findData(name)
            if index < 0 and isinstance(name, str):  # a stored condition this type does not offer
                self.field.addItem(self._label(name), name)
                index = self.field.count() - 1
            self.field.setCurrentIndex(max(index, 0))
            op = self.op.findData(condition.get("op"))
            self.op.setCurrentIndex(max(op, 0))
            value = condition.get("value", "")
            scale = self._money()
            if scale is not None and isinstance(value, int) and not isinstance(value, bool):
                decimals = len(str(scale)) - 1
                self.value.setEditText(f"{value / scale:.{decimals}f}")
            else:
                self.value.setEditText(str(value))
        finally:
            self.blockSignals(False)

    def set_error(self, message: str | None) -> None:
        _set_error(self.error, message)
        self.value.setProperty("invalid", bool(message))
        repolish(self.value)


class VariationPanel(QFrame):
    """One variation: name, random weight, conditions, overridden settings."""

    changed = Signal()
    name_changed = Signal(str)

    def __init__(
        self,
        fields: Mapping[str, Field],
        ctx: FormContext,
        current: Callable[[str], Any],
        kind: str = "",
    ) -> None:
        super().__init__()
        self.setObjectName("variationPanel")
        self.kind = kind
        self._fields = fields  # the settings that mean something for this alert type
        self._ctx = ctx
        self._current = current  # the type's own value of a setting, to start an override from
        self.conditions: list[ConditionRow] = []
        self.overrides: dict[str, FieldRow] = {}
        # Stored overrides of settings this type's form does not show: kept, never dropped.
        self._kept: dict[str, Any] = {}

        column = QVBoxLayout(self)
        column.setContentsMargins(12, 10, 12, 10)
        column.setSpacing(8)
        self.general_error = _error_label()
        column.addWidget(self.general_error)

        top = FormGrid()
        self.name = QLineEdit()
        self.name.setAccessibleName("Variation name")
        self.name.setPlaceholderText("e.g. Big donation")
        self.name.setMaximumWidth(320)
        self.name.textEdited.connect(self._name_edited)
        self.name_error = _error_label()
        name_box = QVBoxLayout()
        name_box.setSpacing(2)
        name_box.addWidget(self.name)
        name_box.addWidget(self.name_error)
        top.add_row("Name", name_box)
        self.weight = IntEditor(WEIGHT_FIELD, ctx)
        self.weight.changed.connect(self.changed)
        self.weight_row = FieldRow(self.weight)
        top.add_row(field_label(WEIGHT_FIELD), self.weight_row)
        column.addLayout(top)

        column.addWidget(self._heading("Conditions", "All must hold. None: it always matches."))
        self.conditions_box = QVBoxLayout()
        self.conditions_box.setSpacing(4)
        column.addLayout(self.conditions_box)
        self.conditions_error = _error_label()
        column.addWidget(self.conditions_error)
        add_condition = QPushButton("Add condition")
        add_condition.clicked.connect(lambda: self.add_condition())
        column.addLayout(self._left(add_condition))

        column.addWidget(self._heading("Looks different", "Settings this variation changes."))
        self.overrides_form = FormGrid()
        column.addLayout(self.overrides_form)
        self.overrides_error = _error_label()
        column.addWidget(self.overrides_error)
        self.add_override = FormComboBox()
        self.add_override.setAccessibleName("Override a setting")
        self.add_override.activated.connect(self._override_picked)
        column.addLayout(self._left(self.add_override))
        self._refresh_override_choices()

    @staticmethod
    def _heading(title: str, hint: str) -> QWidget:
        heading = QWidget()
        row = QHBoxLayout(heading)
        row.setContentsMargins(0, 6, 0, 0)
        name = QLabel(title)
        name.setObjectName("formSection")
        note = QLabel(hint)
        note.setObjectName("fieldHelp")
        note.setWordWrap(True)
        row.addWidget(name, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(note, 1)
        return heading

    @staticmethod
    def _left(widget: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(widget)
        row.addStretch(1)
        return row

    def _name_edited(self, text: str) -> None:
        self.name_changed.emit(text)
        self.changed.emit()

    # --- conditions --------------------------------------------------------------------------

    def add_condition(self, condition: Mapping[str, Any] | None = None) -> ConditionRow:
        row = ConditionRow(self.kind)
        if condition is not None:
            row.load(condition)
        row.changed.connect(self.changed)
        row.remove_requested.connect(self._remove_condition)
        self.conditions.append(row)
        self.conditions_box.addWidget(row)
        if condition is None:
            self.changed.emit()
        return row

    def _remove_condition(self, row: ConditionRow) -> None:
        self.conditions.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.changed.emit()

    # --- overrides ---------------------------------------------------------------------------

    def _overridable(self) -> list[Field]:
        return [f for key, f in self._fields.items() if key in OVERRIDABLE]

    def _refresh_override_choices(self) -> None:
        self.add_override.blockSignals(True)
        self.add_override.clear()
        self.add_override.addItem("Change a setting…", None)
        for field in self._overridable():
            if field.key not in self.overrides:
                self.add_override.addItem(field.label, field.key)
        self.add_override.setCurrentIndex(0)
        self.add_override.blockSignals(False)
        self.add_override.setEnabled(self.add_override.count() > 1)

    def _override_picked(self, index: int) -> None:
        key = self.add_override.itemData(index)
        if key:
            self.add_override_row(key, self._current(key))
            self.changed.emit()

    def add_override_row(self, key: str, value: Any) -> FieldRow:
        field = self._fields[key]
        editor = make_editor(field, self._ctx)
        editor.load(value)
        editor.changed.connect(self.changed)
        remove = _remove_button(f"Stop overriding {field.label.lower()}")
        row = FieldRow(editor, trailing=remove)
        remove.clicked.connect(lambda: self._remove_override(key))
        self.overrides[key] = row
        self.overrides_form.add_row(field_label(field), row)
        self._refresh_override_choices()
        return row

    def _remove_override(self, key: str) -> None:
        row = self.overrides.pop(key)
        self.overrides_form.remove_row(row)
        self._refresh_override_choices()
        self.changed.emit()

    # --- values ------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.text(),
            "conditions": [row.values() for row in self.conditions],
            "weight": self.weight.value(),
            "overrides": {
                **self._kept,
                **{key: row.editor.value() for key, row in self.overrides.items()},
            },
        }

    def load(self, variation: Mapping[str, Any]) -> None:
        self.name.setText(str(variation.get("name", "")))
        self.weight.load(variation.get("weight", 0))
        for condition in variation.get("conditions", []):
            if isinstance(condition, Mapping):
                self.add_condition(condition)
        overrides = variation.get("overrides", {})
        if isinstance(overrides, Mapping):
            for key, value in overrides.items():
                if key in self._fields:
                    self.add_override_row(key, value)
                else:
                    self._kept[key] = value

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Problems relative to this variation: ``name``, ``conditions[0]``, ``overrides.x``…"""
        _set_error(self.name_error, problems.get("name"))
        self.name.setProperty("invalid", "name" in problems)
        repolish(self.name)
        self.weight_row.set_error(problems.get("weight"))
        for j, row in enumerate(self.conditions):
            row.set_error(problems.get(f"conditions[{j}]"))
        _set_error(self.conditions_error, problems.get("conditions"))
        for key, override in self.overrides.items():
            override.set_error(problems.get(f"overrides.{key}"))
        _set_error(self.overrides_error, problems.get("overrides"))
        _set_error(self.general_error, problems.get(""))

    def widget_for(self, relative: str) -> QWidget:
        if relative == "name":
            return self.name
        if relative == "weight":
            return self.weight.focus_target()
        match = re.match(r"^conditions\[(\d+)\]$", relative)
        if match and int(match.group(1)) < len(self.conditions):
            return self.conditions[int(match.group(1))].value
        key = relative.removeprefix("overrides.")
        if key in self.overrides:
            return self.overrides[key].editor.focus_target()
        return self.name


class VariationsEditor(QWidget):
    """The ordered list of variations of one alert type, and the selected one's details."""

    changed = Signal()

    def __init__(
        self,
        fields: Mapping[str, Field],
        ctx: FormContext,
        current: Callable[[str], Any],
        kind: str = "",
    ) -> None:
        super().__init__()
        self._fields = fields
        self._ctx = ctx
        self._current = current
        self.kind = kind
        self.panels: list[VariationPanel] = []

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.empty = QLabel(
            "No variations: every alert of this type looks the same. Add one to change the "
            "look for bigger amounts, one platform, or at random."
        )
        self.empty.setObjectName("fieldHelp")
        self.empty.setWordWrap(True)
        column.addWidget(self.empty)

        row = QHBoxLayout()
        self.list = QListWidget()
        self.list.setObjectName("variationList")
        self.list.setAccessibleName("Variations")
        self.list.currentRowChanged.connect(self._selected)
        row.addWidget(self.list, 1, Qt.AlignmentFlag.AlignTop)
        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        self.add_button = QPushButton("Add variation")
        self.add_button.clicked.connect(lambda: self.add())
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_current)
        self.up_button = QPushButton("Move up")
        self.up_button.setToolTip("Rules are checked from the top; the first that matches wins.")
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setToolTip(self.up_button.toolTip())
        self.down_button.clicked.connect(lambda: self.move_current(1))
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        column.addLayout(row)
        self.stack = QStackedWidget()
        column.addWidget(self.stack)
        self._update_buttons()

    # --- list operations ---------------------------------------------------------------------

    def add(self, variation: Mapping[str, Any] | None = None) -> VariationPanel:
        panel = VariationPanel(self._fields, self._ctx, self._current, self.kind)
        fresh = variation is None
        if variation is None:
            variation = {"name": f"Variation {len(self.panels) + 1}", "weight": 0}
        panel.load(variation)
        panel.changed.connect(self.changed)
        panel.name_changed.connect(lambda _t, p=panel: self._rename_item(p))
        self.panels.append(panel)
        self.stack.addWidget(panel)
        self.list.addItem(QListWidgetItem())
        self._rename_item(panel)
        if fresh or self.list.currentRow() < 0:
            self.list.setCurrentRow(len(self.panels) - 1)
        if fresh:
            self.changed.emit()
        self._update_buttons()
        return panel

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        panel = self.panels.pop(row)
        self.stack.removeWidget(panel)
        panel.deleteLater()
        self.list.takeItem(row)
        self._update_buttons()
        self.changed.emit()

    def move_current(self, delta: int) -> None:
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < len(self.panels):
            return
        self.panels.insert(target, self.panels.pop(row))
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        # The stack's order does not matter: it shows the selected panel by identity.
        self.list.setCurrentRow(target)
        self._update_buttons()
        self.changed.emit()

    def _selected(self, row: int) -> None:
        if 0 <= row < len(self.panels):
            self.stack.setCurrentWidget(self.panels[row])
        self._update_buttons()

    def _rename_item(self, panel: VariationPanel) -> None:
        row = self.panels.index(panel)
        item = self.list.item(row)
        name = panel.name.text().strip() or "(no name)"
        flagged = item.data(Qt.ItemDataRole.UserRole)
        item.setText(f"{row + 1}. {name}" + ("  ⚠" if flagged else ""))

    def _renumber(self) -> None:
        for panel in self.panels:
            self._rename_item(panel)
        # As tall as its rows (up to five), so one variation does not leave a big empty box.
        rows = min(max(len(self.panels), 1), 5)
        height = self.list.sizeHintForRow(0) if self.panels else 24
        self.list.setFixedHeight(rows * max(height, 20) + 2 * self.list.frameWidth() + 4)

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        has = bool(self.panels)
        self.empty.setVisible(not has)
        self.list.setVisible(has)
        self.stack.setVisible(has and row >= 0)
        self.remove_button.setVisible(has)
        self.up_button.setVisible(has)
        self.down_button.setVisible(has)
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < len(self.panels) - 1)
        self._renumber()

    # --- values ------------------------------------------------------------------------------

    def values(self) -> list[dict[str, Any]]:
        return [panel.values() for panel in self.panels]

    def load(self, variations: Any) -> None:
        selected = self.list.currentRow()
        while self.panels:
            panel = self.panels.pop()
            self.stack.removeWidget(panel)
            panel.deleteLater()
        self.list.clear()
        for variation in variations if isinstance(variations, list) else []:
            if isinstance(variation, Mapping):
                self.add(variation)
        if self.panels:  # after a save or revert, stay on the variation being edited
            self.list.setCurrentRow(selected if 0 <= selected < len(self.panels) else 0)
        self._update_buttons()

    def show_problems(self, problems: Mapping[str, str]) -> int | None:
        """``problems`` relative to the list (``[0].name``…); the first variation with one."""
        per_panel: dict[int, dict[str, str]] = {}
        for path, message in problems.items():
            match = _VARIATION_PATH.match(path)
            if match:
                per_panel.setdefault(int(match.group(1)), {})[match.group(2) or ""] = message
        for i, panel in enumerate(self.panels):
            panel.show_problems(per_panel.get(i, {}))
            self.list.item(i).setData(Qt.ItemDataRole.UserRole, bool(per_panel.get(i)))
        self._renumber()
        flagged = sorted(i for i in per_panel if i < len(self.panels))
        return flagged[0] if flagged else None

    def reveal(self, index: int) -> None:
        if 0 <= index < len(self.panels):
            self.list.setCurrentRow(index)
