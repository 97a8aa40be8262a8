"""Every control can be seen in the light and the dark theme (WCAG 1.4.11, non-text contrast).

Each page of the real window is grabbed in each theme at two window sizes (the screenshots are
saved under test-artifacts/ as ``theme-{theme}-{page}-{w}x{h}.png``), and every control fully on
screen is measured in the pixels a streamer sees: the boundary of a field, a button, a combo box,
a tab, a scroll bar handle, or the indicator of a check box or radio button must reach a contrast
ratio of at least 3:1 against what surrounds it; a checked box's mark 3:1 against the box's fill;
a header its separation from the rows below; the focus ring 3:1 against the same pixels unfocused.

How the boundary is measured: along each side of the control's rectangle (the middle 60%, so
rounded corners do not count), each position takes the strongest contrast found within
``DEPTH`` pixels inside the edge against the surroundings' color (the most common color of a
thin ring just outside the control); the boundary's contrast is the median over all positions.
A border, or a fill that differs enough, passes; an outline that dissolves into the window fails
at nearly every position, and text inside a control does not reach its edges.

Controls the pages do not use yet (radio buttons, sliders) are measured on a gallery of every
kind of control styled by the same sheets.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollBar,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionButton,
    QStyleOptionSlider,
    QTableView,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from streampai_desktop.core.events import ChatMessage, Donation, Follow, Money, Platform, User
from streampai_desktop.ui.main_window import PAGE_KEYS
from streampai_desktop.ui.pages.events import ReplayButtons
from streampai_desktop.ui.style import STYLE_SHEET
from streampai_desktop.ui.theme import apply_theme
from streampai_desktop.ui.viewmodels.event_table import COL_REPLAY
from tests.gui.conftest import Gui, events_page, until

pytestmark = pytest.mark.gui

THEMES = ("light", "dark")
SIZES = ((1024, 640), (1600, 1000))
MIN_CONTRAST = 3.0  # WCAG 2.x SC 1.4.11: user interface components against adjacent colors
MIN_MARK_SHARE = 0.08  # of a checked box's inside: the ✓ or dot, 3:1 against the box's fill
DEPTH = 3  # pixels inside a control's edge where its boundary (border or fill) must show


# --- pixels ---------------------------------------------------------------------------------------


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


_LUMINANCE: dict[int, float] = {}


def luminance(rgb: int) -> float:
    """WCAG relative luminance of a 0xRRGGBB color."""
    value = _LUMINANCE.get(rgb)
    if value is None:
        r, g, b = (rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255
        value = 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)
        _LUMINANCE[rgb] = value
    return value


def contrast(a: int, b: int) -> float:
    """WCAG contrast ratio of two colors, 1 (same) to 21 (black on white)."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


class Shot:
    """A grabbed window as raw pixels (fast enough to read thousands of them in Python)."""

    def __init__(self, image: QImage) -> None:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
        self.width, self.height = image.width(), image.height()
        self.scale = image.devicePixelRatio()
        self._stride = image.bytesPerLine()
        self._data = bytes(image.constBits())

    def rgb(self, x: int, y: int) -> int:
        i = y * self._stride + x * 4  # little-endian ARGB32: B, G, R, A
        d = self._data
        return (d[i + 2] << 16) | (d[i + 1] << 8) | d[i]

    def inside(self, x: int, y: int) -> bool:
        return 0 <= x < self.width and 0 <= y < self.height

    def device(self, rect: QRect) -> QRect:
        """A rect in logical window coordinates → in this image's pixels."""
        s = self.scale
        return QRect(
            round(rect.x() * s), round(rect.y() * s), round(rect.width() * s),
            round(rect.height() * s),
        )  # fmt: skip


def most_common(colors: Iterable[int]) -> int | None:
    counts = Counter(colors)
    return counts.most_common(1)[0][0] if counts else None


def surroundings(shot: Shot, rect: QRect, gap: int = 2, width: int = 2) -> int | None:
    """The most common color of a ring ``gap``..``gap+width`` pixels outside ``rect``."""
    pixels = []
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    for d in range(gap, gap + width):
        for x in range(left - d, right + d + 1):
            pixels += [(x, top - d), (x, bottom + d)]
        for y in range(top - d, bottom + d + 1):
            pixels += [(left - d, y), (right + d, y)]
    return most_common(shot.rgb(x, y) for x, y in pixels if shot.inside(x, y))


def _middle(start: int, end: int) -> range:
    """The middle 60% of ``start..end`` (inclusive): rounded corners are not the boundary."""
    span = end - start
    return range(start + round(span * 0.2), end - round(span * 0.2) + 1)


def edge_positions(rect: QRect, depth: int = DEPTH) -> list[list[tuple[int, int]]]:
    """Per position along the four sides, the pixels within ``depth`` inside the edge."""
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    depth = max(1, min(depth, rect.width() // 2, rect.height() // 2))
    out: list[list[tuple[int, int]]] = []
    for x in _middle(left, right):
        out.append([(x, top + d) for d in range(depth)])
        out.append([(x, bottom - d) for d in range(depth)])
    for y in _middle(top, bottom):
        out.append([(left + d, y) for d in range(depth)])
        out.append([(right - d, y) for d in range(depth)])
    return out


def boundary_contrast(shot: Shot, rect: QRect, against: int, depth: int = DEPTH) -> float:
    """Median over the edge positions of the strongest contrast near the edge vs ``against``."""
    per_position = [
        max(contrast(shot.rgb(x, y), against) for x, y in pixels if shot.inside(x, y))
        for pixels in edge_positions(rect, depth)
        if any(shot.inside(x, y) for x, y in pixels)
    ]
    return statistics.median(per_position) if per_position else 1.0


def change_contrast(before: Shot, after: Shot, rect: QRect, depth: int = DEPTH) -> float:
    """Like :func:`boundary_contrast`, but the same pixels before and after (a focus ring)."""
    per_position = [
        max(contrast(before.rgb(x, y), after.rgb(x, y)) for x, y in pixels)
        for pixels in edge_positions(rect, depth)
    ]
    return statistics.median(per_position) if per_position else 1.0


def mark_share(shot: Shot, rect: QRect, inset: int = 3) -> float:
    """The share of a box's inside that stands out 3:1 from the box's own fill (its mark)."""
    inner = rect.adjusted(inset, inset, -inset, -inset)
    pixels = [
        shot.rgb(x, y)
        for y in range(inner.top(), inner.bottom() + 1)
        for x in range(inner.left(), inner.right() + 1)
    ]
    fill = most_common(pixels)
    if fill is None:
        return 0.0
    return sum(1 for p in pixels if contrast(p, fill) >= MIN_CONTRAST) / len(pixels)


# --- what is measured -----------------------------------------------------------------------------


@dataclass
class Report:
    """Measurements of one screenshot: what passed (by kind) and what did not."""

    where: str
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lowest: dict[str, float] = field(default_factory=dict)

    def check(self, kind: str, name: str, value: float, minimum: float = MIN_CONTRAST) -> None:
        self.counts[kind] += 1
        self.lowest[kind] = min(value, self.lowest.get(kind, value))
        if value < minimum:
            unit = "" if minimum < 1 else ":1"  # a share (of a box's inside) or a contrast ratio
            self.failures.append(
                f"{self.where}: {kind} {name!r}: {value:.2f}{unit} < {minimum}{unit}"
            )


def _name(widget: QWidget) -> str:
    for text in (
        getattr(widget, "text", lambda: "")(),
        widget.accessibleName(),
        getattr(widget, "placeholderText", lambda: "")(),
        widget.objectName(),
    ):
        if text:
            return str(text)[:40]
    return type(widget).__name__


def _rect_in(widget: QWidget, window: QWidget, rect: QRect | None = None) -> QRect:
    rect = widget.rect() if rect is None else rect
    return rect.translated(widget.mapTo(window, QPoint(0, 0)))


def fully_visible(widget: QWidget, window: QWidget) -> bool:
    """Shown, not clipped by a scroll area or any parent, with its surroundings on screen."""
    if not widget.isVisible() or widget.width() < 8 or widget.height() < 8:
        return False
    rect, current = widget.rect(), widget
    while current is not window:
        parent = current.parentWidget()
        if parent is None:
            return False
        rect = rect.translated(current.pos())
        if not parent.rect().contains(rect):
            return False
        current = parent
    return window.rect().contains(rect.adjusted(-4, -4, 4, 4))


def _is_field_part(widget: QWidget) -> bool:
    """The line edit inside a spin box or an editable combo box is measured as that box."""
    parent = widget.parentWidget()
    return isinstance(parent, QAbstractSpinBox | QComboBox)


def _indicator(widget: QCheckBox | QRadioButton) -> QRect:
    option = QStyleOptionButton()
    widget.initStyleOption(option)
    element = (
        QStyle.SubElement.SE_CheckBoxIndicator
        if isinstance(widget, QCheckBox)
        else QStyle.SubElement.SE_RadioButtonIndicator
    )
    return widget.style().subElementRect(element, option, widget)


def _slider_part(widget: QSlider | QScrollBar, part: QStyle.SubControl) -> QRect:
    option = QStyleOptionSlider()
    widget.initStyleOption(option)
    control = (
        QStyle.ComplexControl.CC_Slider
        if isinstance(widget, QSlider)
        else QStyle.ComplexControl.CC_ScrollBar
    )
    return widget.style().subControlRect(control, option, part, widget)


def measure(window: QWidget, shot: Shot, report: Report) -> None:
    """Measure every fully visible control of ``window`` in ``shot``."""
    for widget in window.findChildren(QWidget):
        if not fully_visible(widget, window):
            continue
        rect = shot.device(_rect_in(widget, window))
        if isinstance(widget, QCheckBox | QRadioButton):
            _measure_indicator(widget, window, shot, report)
        elif isinstance(widget, QAbstractSpinBox | QComboBox | QPushButton) or (
            isinstance(widget, QLineEdit) and not _is_field_part(widget)
        ):
            kind = type(widget).__name__
            if isinstance(widget, QPushButton):
                kind = "primary button" if widget.objectName() == "primary" else "button"
                kind = kind if widget.isEnabled() else f"disabled {kind}"
            elif isinstance(widget, QAbstractSpinBox):
                kind = "spin box"
            against = surroundings(shot, rect)
            if against is not None:
                report.check(kind, _name(widget), boundary_contrast(shot, rect, against))
        elif isinstance(widget, QSlider):
            _measure_slider(widget, window, shot, report)
        elif isinstance(widget, QScrollBar):
            _measure_scroll_bar(widget, window, shot, report)
        elif isinstance(widget, QHeaderView) and widget.orientation() == Qt.Orientation.Horizontal:
            _measure_header(widget, shot, rect, report)
        elif type(widget).__name__ == "QTabBar":
            _measure_tabs(widget, window, shot, rect, report)
        elif isinstance(widget, QTableView) and isinstance(
            widget.itemDelegateForColumn(COL_REPLAY), ReplayButtons
        ):
            _measure_row_buttons(widget, window, shot, report)


def _measure_indicator(
    widget: QCheckBox | QRadioButton, window: QWidget, shot: Shot, report: Report
) -> None:
    box = shot.device(_rect_in(widget, window, _indicator(widget)))
    # The indicator sits on the widget's own background: the most common color of the widget.
    whole = shot.device(_rect_in(widget, window))
    background = most_common(
        shot.rgb(x, y)
        for y in range(whole.top(), whole.bottom() + 1, 2)
        for x in range(whole.left(), whole.right() + 1, 2)
        if not box.contains(x, y)
    )
    if background is None:
        return
    kind = "radio button" if isinstance(widget, QRadioButton) else "check box"
    state = "checked" if widget.isChecked() else "unchecked"
    report.check(f"{kind} ({state})", _name(widget), boundary_contrast(shot, box, background))
    if widget.isChecked():
        # The mark (✓ or dot) covers a good part of the box and stands out from its fill.
        share = mark_share(shot, box)
        report.check(f"{kind} mark", _name(widget), share, minimum=MIN_MARK_SHARE)


def _measure_slider(widget: QSlider, window: QWidget, shot: Shot, report: Report) -> None:
    whole = shot.device(_rect_in(widget, window))
    handle = shot.device(
        _rect_in(widget, window, _slider_part(widget, QStyle.SubControl.SC_SliderHandle))
    )
    background = surroundings(shot, whole)
    if background is None:
        return
    report.check("slider handle", _name(widget), boundary_contrast(shot, handle, background))
    # The groove: across the slider's middle, away from the handle, the track must show.
    groove = shot.device(
        _rect_in(widget, window, _slider_part(widget, QStyle.SubControl.SC_SliderGroove))
    )
    y_values = range(groove.top(), groove.bottom() + 1)
    per_x = [
        max(contrast(shot.rgb(x, y), background) for y in y_values)
        for x in _middle(groove.left(), groove.right())
        if not handle.adjusted(-2, 0, 2, 0).contains(x, handle.center().y())
    ]
    report.check("slider groove", _name(widget), statistics.median(per_x) if per_x else 1.0)


def _measure_scroll_bar(widget: QScrollBar, window: QWidget, shot: Shot, report: Report) -> None:
    if widget.maximum() == widget.minimum():
        return  # nothing to scroll: no handle
    whole = shot.device(_rect_in(widget, window))
    handle = shot.device(
        _rect_in(widget, window, _slider_part(widget, QStyle.SubControl.SC_ScrollBarSlider))
    )
    track = most_common(
        shot.rgb(x, y)
        for y in range(whole.top(), whole.bottom() + 1)
        for x in range(whole.left(), whole.right() + 1)
        if not handle.adjusted(-1, -1, 1, 1).contains(x, y)
    )
    if track is None:
        return
    report.check("scroll bar handle", _name(widget), boundary_contrast(shot, handle, track))


def _measure_header(widget: QHeaderView, shot: Shot, rect: QRect, report: Report) -> None:
    # The rows start right below the header: the header (its fill or its bottom line) must
    # stand out from them.
    below = most_common(
        shot.rgb(x, y)
        for x in _middle(rect.left(), rect.right())
        for y in (rect.bottom() + 3, rect.bottom() + 4)
        if shot.inside(x, y)
    )
    if below is None:
        return
    per_x = [
        max(contrast(shot.rgb(x, rect.bottom() - d), below) for d in range(DEPTH))
        for x in _middle(rect.left(), rect.right())
    ]
    report.check("table header", _name(widget), statistics.median(per_x))


def _measure_row_buttons(table: QTableView, window: QWidget, shot: Shot, report: Report) -> None:
    """The Events table's Replay buttons, painted in the rows rather than widgets."""
    viewport = table.viewport()
    model = table.model()
    for row in range(min(model.rowCount(), 20)):
        index = model.index(row, COL_REPLAY)
        cell = table.visualRect(index)
        if not index.data() or not viewport.rect().contains(cell):
            continue
        button = shot.device(_rect_in(viewport, window, ReplayButtons.button_rect(cell)))
        whole = shot.device(_rect_in(viewport, window, cell))
        background = most_common(
            shot.rgb(x, y)
            for y in range(whole.top(), whole.bottom() + 1)
            for x in range(whole.left(), whole.right() + 1)
            if not button.contains(x, y)
        )
        if background is not None:
            report.check(
                "row button", str(index.data()), boundary_contrast(shot, button, background)
            )


def _measure_tabs(
    widget: QWidget, window: QWidget, shot: Shot, rect: QRect, report: Report
) -> None:
    background = surroundings(shot, rect)
    if background is None:
        return
    tab_rect: Callable[[int], QRect] = widget.tabRect  # type: ignore[attr-defined]
    for index in range(widget.count()):  # type: ignore[attr-defined]
        tab = shot.device(_rect_in(widget, window, tab_rect(index)))
        current = index == widget.currentIndex()  # type: ignore[attr-defined]
        kind = "tab (selected)" if current else "tab"
        name = widget.tabText(index)  # type: ignore[attr-defined]
        report.check(kind, name, boundary_contrast(shot, tab, background))


# --- the tests ------------------------------------------------------------------------------------


def test_the_measure_is_wcags_contrast_ratio() -> None:
    assert contrast(0x000000, 0xFFFFFF) == pytest.approx(21)
    assert contrast(0x777777, 0xFFFFFF) == pytest.approx(4.48, abs=0.01)
    assert contrast(0x18181B, 0x18181B) == 1


async def settle() -> None:
    """Let layouts, polish and lazily built pages finish before a grab."""
    for _ in range(3):
        await asyncio.sleep(0.02)


def _summary(reports: list[Report]) -> str:
    lowest: dict[str, float] = {}
    for report in reports:
        for kind, value in report.lowest.items():
            lowest[kind] = min(value, lowest.get(kind, value))
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(lowest.items()))


@pytest.mark.parametrize("theme", THEMES)
def test_every_control_on_every_page_can_be_seen(gui: Gui, theme: str, artifacts_dir: Path) -> None:
    window = gui.window
    reports: list[Report] = []

    async def shoot_every_page() -> None:
        await gui.vm.set_theme(theme)  # what the Settings page's theme box does
        # Some events, so the Events page has rows (with their Replay buttons) and the
        # Dashboard's lists have items.
        viewer = User(id="1", login="pixelpaladin", display_name="PixelPaladin")
        for event in (
            Follow(platform=Platform.TWITCH, user=viewer),
            ChatMessage(platform=Platform.TWITCH, user=viewer, text="hello there"),
            Donation(platform=Platform.STREAMPAI, user=viewer, amount=Money(500, "USD"), test=True),
        ):
            await gui.app.ingest.submit(event)
        await until(lambda: events_page(gui).model.rowCount() == 3, what="the events listed")
        for width, height in SIZES:
            window.resize(width, height)
            for key in PAGE_KEYS:
                window.show_page(key)
                await settle()
                image = window.grab().toImage()
                image.save(str(artifacts_dir / f"theme-{theme}-{key}-{width}x{height}.png"))
                report = Report(f"{theme} {key} {width}x{height}")
                measure(window, Shot(image), report)
                reports.append(report)

    gui.run(shoot_every_page())
    print(f"{theme}: lowest contrast per kind: {_summary(reports)}")
    failures = [f for r in reports for f in r.failures]
    assert not failures, f"{len(failures)} control(s) hard to see:\n" + "\n".join(failures[:40])
    measured: Counter[str] = Counter()
    for report in reports:
        measured.update(report.counts)
    # Not vacuous: the pages hold these, so they were measured.
    for kind in (
        "check box (checked)",
        "check box (unchecked)",
        "check box mark",
        "spin box",
        "QLineEdit",
        "QComboBox",
        "button",
        "disabled button",
        "table header",
        "tab (selected)",
        "tab",
        "scroll bar handle",
        "row button",
    ):
        assert measured[kind] > 0, f"no {kind} measured: {dict(measured)}"


class Gallery(QWidget):
    """One of every kind of control, as the window styles them."""

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(STYLE_SHEET)
        self.setObjectName("gallery")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 20, 20, 20)
        outer.setSpacing(14)
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        self.unchecked = QCheckBox("Unchecked")
        self.checked = QCheckBox("Checked")
        self.checked.setChecked(True)
        self.radio_off = QRadioButton("Radio off")
        self.radio_on = QRadioButton("Radio on")
        self.radio_on.setChecked(True)
        checks = QHBoxLayout()
        checks.setSpacing(16)
        for w in (self.unchecked, self.checked, self.radio_off, self.radio_on):
            checks.addWidget(w)
        checks.addStretch(1)
        form.addRow("Checks", checks)
        self.spin = QSpinBox()
        self.spin.setRange(0, 10_000)
        self.spin.setValue(6000)
        form.addRow("Spin box", self.spin)
        self.edit = QLineEdit("Some text")
        form.addRow("Line edit", self.edit)
        self.combo = QComboBox()
        self.combo.addItems(["First", "Second"])
        form.addRow("Combo box", self.combo)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(30)
        form.addRow("Slider", self.slider)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.button = QPushButton("Button")
        self.primary = QPushButton("Primary")
        self.primary.setObjectName("primary")
        self.disabled = QPushButton("Disabled")
        self.disabled.setEnabled(False)
        self.disabled_primary = QPushButton("Disabled primary")
        self.disabled_primary.setObjectName("primary")
        self.disabled_primary.setEnabled(False)
        for w in (self.button, self.primary, self.disabled, self.disabled_primary):
            buttons.addWidget(w)
        buttons.addStretch(1)
        form.addRow("Buttons", buttons)
        outer.addLayout(form)
        self.tabs = QTabWidget()
        self.table = QTableWidget(40, 3)
        self.table.setHorizontalHeaderLabels(["Time", "Kind", "Details"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.tabs.addTab(self.table, "Table")
        self.tabs.addTab(QWidget(), "Other")
        self.tabs.addTab(QWidget(), "Third")
        outer.addWidget(self.tabs, 1)


def _focus(widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    assert widget.hasFocus(), f"{_name(widget)} did not take the focus"


@pytest.mark.parametrize("theme", THEMES)
def test_every_kind_of_control_and_the_focus_ring_can_be_seen(
    qtbot: QtBot, theme: str, artifacts_dir: Path
) -> None:
    apply_theme(theme)
    gallery = Gallery()
    try:
        gallery.resize(720, 560)
        with qtbot.waitActive(gallery):
            gallery.show()
            gallery.activateWindow()
        # The window itself holds the focus, so no control shows a focus ring yet.
        gallery.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        _focus(gallery)
        image = gallery.grab().toImage()
        image.save(str(artifacts_dir / f"theme-{theme}-controls.png"))
        before = Shot(image)
        report = Report(f"{theme} controls")
        measure(gallery, before, report)
        for kind in ("radio button (checked)", "radio button (unchecked)", "slider handle"):
            assert report.counts[kind] > 0, f"no {kind} measured: {dict(report.counts)}"

        # The focus ring: the same pixels focused vs not, and against the surroundings.
        for widget in (
            gallery.edit,
            gallery.spin,
            gallery.combo,
            gallery.button,
            gallery.unchecked,
        ):
            _focus(widget)
            image = gallery.grab().toImage()
            after = Shot(image)
            if widget is gallery.edit:
                image.save(str(artifacts_dir / f"theme-{theme}-controls-focus.png"))
            rect = (
                _rect_in(widget, gallery, _indicator(widget))
                if isinstance(widget, QCheckBox)
                else _rect_in(widget, gallery)
            )
            rect = after.device(rect)
            report.check("focus change", _name(widget), change_contrast(before, after, rect))
        print(f"{theme}: lowest contrast per kind: {_summary([report])}")
        assert not report.failures, "\n".join(report.failures)
    finally:
        gallery.close()
        gallery.deleteLater()
        apply_theme("system")
