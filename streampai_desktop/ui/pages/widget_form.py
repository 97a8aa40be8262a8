"""Settings forms generated from a widget's schema (``widgets/schema.py`` ``Field``s).

One editor class per field kind, chosen from a table. Editors hand back what the streamer
entered, *as entered* — a number beyond the limit, a half-typed colour, an empty template — and
the widget's own validation says what is wrong with it, next to the field. The form never
"corrects" a value behind the streamer's back.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.widgets.media import FORMATS, MediaError, builtin_media
from streampai_desktop.widgets.schema import COLOR_ALPHA, Field, format_seconds

INT32 = 2**31 - 1
EDITOR_MAX_WIDTH = 420
COMBO_MAX_WIDTH = 320
# The label column wraps at this width, so a long label never widens the form (no sideways
# scrolling in a narrow window).
LABEL_WIDTH = 150


Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]
ImportMedia = Callable[[Path, tuple[str, ...]], Awaitable[str]]
# Plays a sound setting's file at a volume (0 to 100); a line for the streamer, or OSError.
PlaySound = Callable[[str, int], str]


class FormContext:
    """What editors need from outside the form: a place to run tasks, the media import, and
    (when the app can) playing a sound."""

    def __init__(
        self, spawn: Spawn, import_media: ImportMedia, play_sound: PlaySound | None = None
    ) -> None:
        self.spawn = spawn
        self.import_media = import_media
        self.play_sound = play_sound
        # Picked files are stored under their hash; remember the names picked this session.
        self.media_names: dict[str, str] = {}


# ISO 4217 currencies without minor units: 500 minor units of JPY are ¥500, not ¥5.00.
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF", "HUF"}


def local_currency() -> tuple[str, int]:
    """(symbol, decimals) of the streamer's currency from the system locale; "$" and 2 when the
    locale names none (the C locale)."""
    locale = QLocale.system()
    code = locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode)
    symbol = locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencySymbol)
    if len(code) != 3 or not symbol:
        return "$", 2
    return symbol, 0 if code in _ZERO_DECIMAL else 2


def shrinkable(combo: FormComboBox, chars: int = 10, maximum: int = COMBO_MAX_WIDTH) -> None:
    """Let a combo box be narrower than its longest item when the window is (the text elides),
    so a narrow window never needs to scroll sideways; it is as wide as its items when there is
    room, up to ``maximum``."""
    combo.min_chars = chars
    combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    combo.setMaximumWidth(maximum)
    combo.updateGeometry()


def repolish(widget: QWidget) -> None:
    """Apply a changed dynamic property or object name to the style sheet now."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def choice_label(value: str) -> str:
    """``slide_up`` → ``Slide up``; names that are already words (fonts) stay as they are."""
    return value.replace("_", " ").capitalize() if value.islower() else value


# --- editors ------------------------------------------------------------------------------------


class FieldEditor(QWidget):
    """One field's editor. :meth:`value` is what the streamer entered, unvalidated."""

    changed = Signal()
    problem = Signal(str)  # an editor-side problem (a picked file that cannot be used); "" clears

    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__()
        self.field = field
        self.ctx = ctx
        self._quiet = False
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def load(self, value: Any) -> None:
        """Show ``value`` without announcing it as the streamer's change."""
        self._quiet = True
        try:
            self.set_value(value)
        finally:
            self._quiet = False

    def _changed(self, *_args: object) -> None:
        if not self._quiet:
            self.changed.emit()

    def focus_target(self) -> QWidget:
        return self

    def set_invalid(self, invalid: bool) -> None:
        target = self.focus_target()
        if bool(target.property("invalid")) != invalid:
            target.setProperty("invalid", invalid)
            repolish(target)


class ClickableLabel(QLabel):
    """A checkbox's text that wraps (a QCheckBox's own text never does) and toggles it."""

    def __init__(self, text: str, check: QCheckBox) -> None:
        super().__init__(text)
        self._check = check
        self.setWordWrap(True)
        self.setBuddy(check)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._check.isEnabled():
            self._check.toggle()
            self._check.setFocus()
        super().mouseReleaseEvent(event)


class BoolEditor(FieldEditor):
    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx)
        self.check = QCheckBox()
        self.check.setAccessibleName(field.label)
        self.check.toggled.connect(self._changed)
        self.text = ClickableLabel(field.label, self.check)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.row.addWidget(self.check, 0, Qt.AlignmentFlag.AlignTop)
        self.row.addWidget(self.text, 1)

    def value(self) -> Any:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.setChecked(bool(value))

    def focus_target(self) -> QWidget:
        return self.check


class FormComboBox(QComboBox):
    """A combo box that lets the mouse wheel scroll the form unless it has the focus: a long
    settings form scrolled with the wheel must not change every value it passes over.

    With ``min_chars`` set (:func:`shrinkable`) it may shrink to about that many characters."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.min_chars: int | None = None

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self.min_chars is None:
            return hint
        metrics = self.fontMetrics()
        longest = max(
            (metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0
        )
        if self.isEditable():
            longest = max(longest, metrics.horizontalAdvance(self.currentText()))
        chrome = max(self.sizeHint().width() - longest, 0)  # padding, frame and arrow
        small = chrome + metrics.horizontalAdvance("x" * self.min_chars)
        hint.setWidth(min(hint.width(), small))
        return hint

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # goes on to the scroll area


class _WithinLimits:
    """For a spin box with ``low``/``high`` in shown units: arrows and the wheel stay within
    them; typing may go beyond, so the form can say why a number is not usable instead of
    silently changing it. The wheel only turns a focused box (it scrolls the form otherwise)."""

    low: Any
    high: Any

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()

    def stepBy(self, steps: int) -> None:
        value = self.value() + steps * self.singleStep()  # type: ignore[attr-defined]
        if self.low is not None:
            value = max(value, self.low)
        if self.high is not None:
            value = min(value, self.high)
        self.setValue(value)  # type: ignore[attr-defined]

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        value = self.value()  # type: ignore[attr-defined]
        if self.high is None or value < self.high:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self.low is None or value > self.low:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags


class LimitedSpinBox(_WithinLimits, QSpinBox):
    """Arrows and the wheel stay within the field's limits; typing may go beyond them, so the
    form can say why a number is not usable instead of silently changing it."""

    def __init__(self, minimum: int | None, maximum: int | None) -> None:
        super().__init__()
        self.low, self.high = minimum, maximum
        self.setRange(-INT32, INT32)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class LimitedDoubleSpinBox(_WithinLimits, QDoubleSpinBox):
    """:class:`LimitedSpinBox` for a value shown with decimals (seconds, money): arrows and the
    wheel stay within the limits (given in shown units), typing may go beyond them. Numbers are
    written the same way everywhere ("2.5"), whatever the system's locale."""

    def __init__(
        self, minimum: float | None, maximum: float | None, decimals: int, *, trim: bool
    ) -> None:
        super().__init__()
        self.low, self.high = minimum, maximum
        self._trim = trim  # "2.5 s", not "2.500 s"
        locale = QLocale.c()
        locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
        self.setLocale(locale)
        self.setDecimals(decimals)
        self.setRange(-1e12, 1e12)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def textFromValue(self, value: float) -> str:
        if self._trim:
            return format_seconds(value * 1000)
        return f"{value:.{self.decimals()}f}"


def _step_for(field: Field) -> int:
    if field.suffix == "%" or field.key == "font_weight":
        return 5 if field.suffix == "%" else 100
    return 1


def _limits_tip(field: Field) -> str:
    if field.minimum is None or field.maximum is None:
        return ""
    return f"{field.describe(field.minimum)} to {field.describe(field.maximum)}"


def _place_spin(editor: FieldEditor, spin: QAbstractSpinBox, field: Field) -> None:
    """The number editors' shared setup: size, name, limits tip, change signals, layout."""
    spin.setFixedWidth(140)
    spin.setAccessibleName(field.label)
    spin.setToolTip(_limits_tip(field))
    spin.valueChanged.connect(editor._changed)  # type: ignore[attr-defined]
    spin.lineEdit().textEdited.connect(editor._changed)  # also an emptied box
    editor.row.addWidget(spin)
    editor.row.addStretch(1)


class IntEditor(FieldEditor):
    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx)
        self.spin = LimitedSpinBox(field.minimum, field.maximum)
        if field.suffix:
            self.spin.setSuffix(field.suffix if field.suffix == "%" else f" {field.suffix}")
        self.spin.setSingleStep(_step_for(field))
        _place_spin(self, self.spin, field)

    def value(self) -> Any:
        text = self.spin.cleanText().strip().replace(",", "")
        try:
            return int(text)
        except ValueError:
            return text or None  # validation says "must be a number"

    def set_value(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.spin.setValue(value)
        else:
            self.spin.lineEdit().setText(str(value))

    def focus_target(self) -> QWidget:
        return self.spin


class ScaledEditor(FieldEditor):
    """An int stored in one unit and shown in another, with decimals: a duration stored in ms
    shown in seconds ("2.5 s"), an amount stored in minor units shown as money ("$5.00"). The
    stored value and its format never change; only the form converts."""

    def __init__(
        self,
        field: Field,
        ctx: FormContext,
        *,
        scale: int,
        decimals: int,
        step: float,
        prefix: str = "",
        suffix: str = "",
        trim: bool = False,
    ) -> None:
        super().__init__(field, ctx)
        self.scale = scale  # stored units per shown unit
        low = field.minimum / scale if field.minimum is not None else None
        high = field.maximum / scale if field.maximum is not None else None
        self.spin = LimitedDoubleSpinBox(low, high, decimals, trim=trim)
        self.spin.setPrefix(prefix)
        self.spin.setSuffix(suffix)
        self.spin.setSingleStep(step)
        _place_spin(self, self.spin, field)

    def value(self) -> Any:
        text = self.spin.cleanText().strip().replace(",", "")
        try:
            return round(float(text) * self.scale)
        except ValueError:
            return text or None  # validation says "must be a number"

    def set_value(self, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.spin.setValue(value / self.scale)
        else:
            self.spin.lineEdit().setText(str(value))

    def focus_target(self) -> QWidget:
        return self.spin


class SecondsEditor(ScaledEditor):
    """A duration stored in ms, shown in seconds."""

    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx, scale=1000, decimals=3, step=0.5, suffix=" s", trim=True)


class MoneyEditor(ScaledEditor):
    """An amount stored in minor units, shown in the streamer's currency."""

    def __init__(self, field: Field, ctx: FormContext) -> None:
        symbol, decimals = local_currency()
        super().__init__(field, ctx, scale=10**decimals, decimals=decimals, step=1.0, prefix=symbol)


class ChoiceEditor(FieldEditor):
    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx)
        self.combo = FormComboBox()
        self.combo.setAccessibleName(field.label)
        labels = field.choice_labels or tuple(choice_label(c) for c in field.choices)
        for choice, text in zip(field.choices, labels, strict=False):
            self.combo.addItem(text, choice)
        shrinkable(self.combo, maximum=260)
        self.combo.currentIndexChanged.connect(self._changed)
        self.row.addWidget(self.combo, 1)
        self.row.addStretch(0)

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value)
        if index < 0:  # a value this version does not offer: show it, validation will explain
            self.combo.addItem(str(value), value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def focus_target(self) -> QWidget:
        return self.combo


def parse_color(text: str) -> QColor | None:
    """``#rrggbb`` or ``#rrggbbaa`` (CSS order, unlike Qt's ``#aarrggbb``) → QColor."""
    if not COLOR_ALPHA.match(text):
        return None
    color = QColor(text[:7])
    if len(text) == 9:
        color.setAlpha(int(text[7:9], 16))
    return color


def format_color(color: QColor, *, alpha: bool) -> str:
    hex6 = color.name(QColor.NameFormat.HexRgb).lower()
    return f"{hex6}{color.alpha():02x}" if alpha else hex6


# The text color, not the accent: a swatch may be filled with any color, the accent's included.
SWATCH_FOCUS = "QToolButton#swatch:focus { border: 2px solid palette(text); }"


class ColorEditor(FieldEditor):
    """A swatch (opens the colour dialog) and the hex value, plus named choices (transparent)."""

    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx)
        self.alpha = field.kind == "color_alpha"
        self.swatch = QToolButton()
        self.swatch.setObjectName("swatch")
        self.swatch.setFixedSize(30, 26)
        self.swatch.setToolTip("Pick a colour")
        self.swatch.setAccessibleName(f"Pick {field.label}")
        self.swatch.clicked.connect(self.pick)
        self.edit = QLineEdit()
        self.edit.setAccessibleName(field.label)
        self.edit.setPlaceholderText("#rrggbbaa" if self.alpha else "#rrggbb")
        self.edit.setFixedWidth(110)
        self.edit.textEdited.connect(self._typed)
        self.row.addWidget(self.swatch)
        self.row.addWidget(self.edit)
        self.named: dict[str, QCheckBox] = {}
        for choice in field.choices:
            box = QCheckBox(choice_label(choice))
            box.toggled.connect(self._named_toggled)
            self.named[choice] = box
            self.row.addWidget(box)
        self.row.addStretch(1)
        self.dialog: QColorDialog | None = None

    def value(self) -> Any:
        for choice, box in self.named.items():
            if box.isChecked():
                return choice
        return self.edit.text().strip()

    def set_value(self, value: Any) -> None:
        text = str(value)
        for choice, box in self.named.items():
            box.blockSignals(True)
            box.setChecked(text == choice)
            box.blockSignals(False)
        if text not in self.named:
            self.edit.setText(text)
        self._render()

    def _typed(self, _text: str) -> None:
        self._render()
        self._changed()

    def _named_toggled(self, checked: bool) -> None:
        if checked:  # the named choices exclude each other
            sender = self.sender()
            for box in self.named.values():
                if box is not sender:
                    box.blockSignals(True)
                    box.setChecked(False)
                    box.blockSignals(False)
        self._render()
        self._changed()

    def _render(self) -> None:
        named = any(box.isChecked() for box in self.named.values())
        self.edit.setEnabled(not named)
        color = None if named else parse_color(self.edit.text().strip())
        if color is None:
            style = "QToolButton#swatch { border: 1px dashed palette(mid); border-radius: 4px; }"
        else:
            style = (
                "QToolButton#swatch { border: 1px solid palette(mid); border-radius: 4px; "
                f"background: rgba({color.red()}, {color.green()}, {color.blue()}, "
                f"{color.alpha()}); }}"
            )
        # Its own sheet outranks the window's: the focus ring has to be in it too.
        self.swatch.setStyleSheet(style + SWATCH_FOCUS)

    def pick(self) -> None:
        """Open the colour dialog (non-blocking: ``open()``, never a nested ``exec()``)."""
        initial = parse_color(self.edit.text().strip()) or QColor("#ffffff")
        dialog = QColorDialog(initial, self)
        dialog.setWindowTitle(self.field.label)
        if self.alpha:
            dialog.setOption(QColorDialog.ColorDialogOption.ShowAlphaChannel)
        dialog.colorSelected.connect(self.picked)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def picked(self, color: QColor) -> None:
        for box in self.named.values():
            box.blockSignals(True)
            box.setChecked(False)
            box.blockSignals(False)
        self.edit.setText(format_color(color, alpha=self.alpha))
        self._render()
        self._changed()

    def focus_target(self) -> QWidget:
        return self.edit


class TextEditor(FieldEditor):
    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx)
        self.edit = QLineEdit()
        self.edit.setAccessibleName(field.label)
        self.edit.setMaximumWidth(EDITOR_MAX_WIDTH + 80)
        if field.kind == "template" and isinstance(field.default, str):
            self.edit.setPlaceholderText(f"e.g. {field.default}")
        self.edit.textEdited.connect(self._changed)
        self.row.addWidget(self.edit, 1)

    def value(self) -> Any:
        return self.edit.text()

    def set_value(self, value: Any) -> None:
        self.edit.setText(str(value))
        self.edit.setCursorPosition(0)

    def focus_target(self) -> QWidget:
        return self.edit


class LoginsEditor(FieldEditor):
    """User names, comma-separated; the schema lower-cases them and drops a leading @."""

    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx)
        self.edit = QLineEdit()
        self.edit.setAccessibleName(field.label)
        self.edit.setPlaceholderText("names, separated by commas")
        self.edit.setMaximumWidth(EDITOR_MAX_WIDTH + 80)
        self.edit.textEdited.connect(self._changed)
        self.row.addWidget(self.edit, 1)

    def value(self) -> Any:
        return [part.strip() for part in self.edit.text().split(",") if part.strip()]

    def set_value(self, value: Any) -> None:
        names = value if isinstance(value, list | tuple) else [str(value)]
        self.edit.setText(", ".join(str(n) for n in names))
        self.edit.setCursorPosition(0)

    def focus_target(self) -> QWidget:
        return self.edit


def media_label(ref: str, names: Mapping[str, str]) -> str:
    if ref in names:
        return names[ref]
    where, _, name = ref.partition("/")
    if where == "builtin":
        stem, _, ext = name.rpartition(".")
        return f"{stem.replace('_', ' ').replace('-', ' ').capitalize()} (built in, {ext})"
    stem, _, ext = name.rpartition(".")
    return f"Your file ({stem[:8]}….{ext})"


def file_filter(kinds: Sequence[str]) -> str:
    patterns = " ".join(f"*.{ext}" for ext, fmt in FORMATS.items() if fmt[0] in kinds)
    what = " and ".join({"image": "Images", "video": "videos", "sound": "Sounds"}[k] for k in kinds)
    return f"{what.capitalize()} ({patterns})"


class MediaEditor(FieldEditor):
    """Bundled files, files picked earlier, None — and "Choose file…" to import a new one; a
    sound also gets "▶ Play" (when the app can play sounds)."""

    def __init__(self, field: Field, ctx: FormContext) -> None:
        super().__init__(field, ctx)
        self.kinds = field.media_kinds or ("image",)
        self.combo = FormComboBox()
        self.combo.setAccessibleName(field.label)
        shrinkable(self.combo, chars=12)
        self.combo.addItem("None", "")
        for kind in self.kinds:
            for ref in builtin_media(kind):
                self.combo.addItem(media_label(ref, {}), ref)
        self.combo.currentIndexChanged.connect(self._changed)
        self.combo.currentIndexChanged.connect(self._update_play)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.choose)
        # The buttons go under the list: side by side they would not fit a narrow window.
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.combo)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.play_button: QPushButton | None = None
        # Where the volume to play at comes from (the form's volume setting), when there is one.
        self.volume: Callable[[], Any] = lambda: 100
        if "sound" in self.kinds and ctx.play_sound is not None:
            self.play_button = QPushButton("▶ Play")
            self.play_button.setAccessibleName(f"Play the {field.label.lower()}")
            self.play_button.setToolTip("Play this sound here, at the alert's volume.")
            self.play_button.clicked.connect(self.play)
            buttons.addWidget(self.play_button)
        buttons.addWidget(self.choose_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.row.addLayout(column, 1)
        self.dialog: QFileDialog | None = None
        self._update_play()

    def _update_play(self, *_args: object) -> None:
        if self.play_button is not None:
            self.play_button.setEnabled(bool(self.combo.currentData()))

    def play(self) -> None:
        """Play the chosen sound; a problem shows under the field."""
        ref = self.combo.currentData()
        if not ref or self.ctx.play_sound is None:
            return
        volume = self.volume()
        try:
            self.ctx.play_sound(ref, volume if isinstance(volume, int) else 100)
        except OSError as exc:
            self.problem.emit(str(exc))
            return
        self.problem.emit("")

    def value(self) -> Any:
        return self.combo.currentData()

    def _index_for(self, ref: str) -> int:
        index = self.combo.findData(ref)
        if index < 0:
            self.combo.addItem(media_label(ref, self.ctx.media_names), ref)
            index = self.combo.count() - 1
        return index

    def set_value(self, value: Any) -> None:
        self.combo.setCurrentIndex(self._index_for(str(value or "")))

    def choose(self) -> None:
        """Open the file dialog without blocking; the pick is imported on the app's loop."""
        dialog = QFileDialog(self, f"Choose {self.field.label.lower()}")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(file_filter(self.kinds))
        dialog.fileSelected.connect(self.import_file)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def import_file(self, path: str) -> None:
        if path:
            self.ctx.spawn(self._import(Path(path)), f"import {self.field.key}")

    async def _import(self, path: Path) -> None:
        self.choose_button.setEnabled(False)
        try:
            ref = await self.ctx.import_media(path, self.kinds)
        except MediaError as exc:
            self.problem.emit(str(exc))
            return
        finally:
            self.choose_button.setEnabled(True)
        self.ctx.media_names[ref] = path.name
        index = self._index_for(ref)
        self.combo.setItemText(index, path.name)
        self.problem.emit("")
        self.combo.setCurrentIndex(index)  # announces the change

    def focus_target(self) -> QWidget:
        return self.combo


# Fields shown in another unit than the stored one (``Field.display``) take these editors.
DISPLAY_EDITORS: dict[str, type[FieldEditor]] = {
    "seconds": SecondsEditor,
    "money": MoneyEditor,
}
EDITORS: dict[str, type[FieldEditor]] = {
    "bool": BoolEditor,
    "int": IntEditor,
    "choice": ChoiceEditor,
    "color": ColorEditor,
    "color_alpha": ColorEditor,
    "text": TextEditor,
    "template": TextEditor,
    "media": MediaEditor,
    "logins": LoginsEditor,
}


def make_editor(field: Field, ctx: FormContext) -> FieldEditor:
    return DISPLAY_EDITORS.get(field.display, EDITORS[field.kind])(field, ctx)


# --- a field with its help and its problem --------------------------------------------------------


class FieldRow(QWidget):
    """An editor, its help line and, when the value is not usable, the reason — right under it."""

    def __init__(self, editor: FieldEditor, *, trailing: QWidget | None = None) -> None:
        super().__init__()
        self.editor = editor
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(editor, 1)
        if trailing is not None:
            line.addWidget(trailing, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(line)
        field = editor.field
        self.help: QLabel | None = None
        if field.help:
            self.help = QLabel(field.help)
            self.help.setObjectName("fieldHelp")
            self.help.setWordWrap(True)
            column.addWidget(self.help)
            editor.focus_target().setToolTip(field.help)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        column.addWidget(self.error)
        editor.problem.connect(self.set_error)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.editor.set_invalid(bool(message))


class Caption(QLabel):
    """A field's label: on one line when it fits :data:`LABEL_WIDTH`, wrapped beyond it (so a
    long label never widens the form, and a short one is never broken up)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setObjectName("fieldLabel")
        self.setWordWrap(True)
        self.setMaximumWidth(LABEL_WIDTH)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        longest = max(
            (self.fontMetrics().horizontalAdvance(w) for w in self.text().split()), default=0
        )
        natural = self.fontMetrics().horizontalAdvance(self.text()) + 4
        hint.setWidth(max(longest + 4, min(natural, LABEL_WIDTH)))
        return hint


def field_label(field: Field) -> QLabel:
    text = "" if field.kind == "bool" else field.label
    widget = Caption(text)
    if field.help:
        widget.setToolTip(field.help)
    return widget


class FormGrid(QGridLayout):
    """Label | field rows.

    A grid rather than QFormLayout: inside a scroll area, QFormLayout gives a row whose help or
    error text wraps less height than it needs (the text overlaps the next row); the grid gets
    height-for-width right.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setContentsMargins(0, 0, 0, 0)
        self.setHorizontalSpacing(16)
        self.setVerticalSpacing(8)
        self.setColumnStretch(1, 1)
        self._next = 0
        self._labels: dict[QWidget, QWidget] = {}

    def add_row(self, caption: QWidget | str, field: QWidget | QLayout) -> None:
        if isinstance(caption, str):
            caption = Caption(caption)
        self.addWidget(caption, self._next, 0, Qt.AlignmentFlag.AlignTop)
        if isinstance(field, QWidget):
            self.addWidget(field, self._next, 1)
            self._labels[field] = caption
        else:
            self.addLayout(field, self._next, 1)
        self._next += 1

    def add_wide(self, widget: QWidget) -> None:
        self.addWidget(widget, self._next, 0, 1, 2)
        self._next += 1

    def remove_row(self, field: QWidget) -> None:
        """Take out ``field`` and its label (the emptied grid row takes no space)."""
        for widget in (self._labels.pop(field, None), field):
            if widget is not None:
                self.removeWidget(widget)
                widget.setParent(None)
                widget.deleteLater()


class SchemaForm(QWidget):
    """A form for ``fields``; problems are keyed by ``prefix + field.key`` (the schema's paths)."""

    changed = Signal()

    def __init__(
        self,
        fields: Sequence[Field],
        ctx: FormContext,
        *,
        prefix: str = "",
        sections: Sequence[tuple[str, Sequence[str]]] = (),
    ) -> None:
        super().__init__()
        self.prefix = prefix
        self.fields = {f.key: f for f in fields}
        self.rows: dict[str, FieldRow] = {}
        form = FormGrid(self)
        groups = [(title, [k for k in keys if k in self.fields]) for title, keys in sections]
        placed = {k for _, keys in groups for k in keys}
        rest = [f.key for f in fields if f.key not in placed]
        if rest:
            groups.append(("More" if groups else "", rest))
        for number, (title, keys) in enumerate(groups):
            if not keys:
                continue
            if title:
                heading = QLabel(title)
                heading.setObjectName("formSection")
                if number:
                    heading.setContentsMargins(0, 10, 0, 0)
                form.add_wide(heading)
            for key in keys:
                field = self.fields[key]
                editor = make_editor(field, ctx)
                editor.changed.connect(self.changed)
                row = FieldRow(editor)
                self.rows[key] = row
                form.add_row(field_label(field), row)
        if "volume" in self.rows:  # ▶ plays a sound at the volume set next to it
            for row in self.rows.values():
                if isinstance(row.editor, MediaEditor):
                    row.editor.volume = self.rows["volume"].editor.value

    def editor(self, key: str) -> FieldEditor:
        return self.rows[key].editor

    def values(self) -> dict[str, Any]:
        return {key: row.editor.value() for key, row in self.rows.items()}

    def load(self, values: Mapping[str, Any]) -> None:
        for key, row in self.rows.items():
            if key in values:
                row.editor.load(values[key])

    def show_problems(self, problems: Mapping[str, str]) -> list[str]:
        """Show each problem under its field (and clear the others); the paths shown."""
        shown = []
        for key, row in self.rows.items():
            path = self.prefix + key
            row.set_error(problems.get(path))
            if path in problems:
                shown.append(path)
        return shown

    def widget_for(self, path: str) -> QWidget | None:
        key = path.removeprefix(self.prefix)
        row = self.rows.get(key) if path.startswith(self.prefix) else None
        return row.editor.focus_target() if row else None


_INT = re.compile(r"^-?\d+$")


def parse_int_or_text(text: str) -> int | str:
    """A whole number when it looks like one; otherwise the text, for validation to explain."""
    text = text.strip().replace(",", "")
    return int(text) if _INT.match(text) else text
