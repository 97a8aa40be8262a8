"""Tab order that follows what the streamer sees: the order of the layouts, not of creation.

Qt's default Tab order is the order widgets were created (and a page built later, or a row
added later, goes to the end of the window's chain, after the status bar). Pages often build a
card before they decide where it goes (the Dashboard puts its chat above its counters), so the
window walks its layouts instead: top to bottom, left to right, a whole card before the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QBoxLayout,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QKeySequenceEdit,
    QLayout,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QWidget,
)


def _layout_widgets(layout: QLayout, children: list[QWidget]) -> Iterator[QWidget]:
    """The widgets among ``children`` that ``layout`` or its nested layouts place, in the order
    they are laid out.

    Found by asking the layout where each child and each nested layout sits rather than by
    walking ``itemAt``, which would have PySide wrap every item (spacers too) on every Tab.
    """
    direct = Qt.FindChildOption.FindDirectChildrenOnly
    nested = [c for c in layout.findChildren(QLayout, options=direct) if isinstance(c, QLayout)]
    entries: list[tuple[int, QWidget | QLayout]] = [
        (index, child) for child in children if (index := layout.indexOf(child)) >= 0
    ]
    entries += [(index, inner) for inner in nested if (index := layout.indexOf(inner)) >= 0]
    if isinstance(layout, QGridLayout | QFormLayout):
        # Grid and form items are stored in insertion order; what shows is row by row.
        def position(entry: tuple[int, QWidget | QLayout]) -> tuple[int, int]:
            row, column = cast(tuple[int, Any], layout.getItemPosition(entry[0]))[:2]
            return (row, column if isinstance(column, int) else int(column.value))

        entries.sort(key=position)
    else:
        entries.sort(key=lambda entry: entry[0])
        if isinstance(layout, QBoxLayout) and layout.direction() in (
            QBoxLayout.Direction.RightToLeft,
            QBoxLayout.Direction.BottomToTop,
        ):
            entries.reverse()
    for _index, part in entries:
        if isinstance(part, QWidget):
            yield part
        else:
            yield from _layout_widgets(part, children)


def _parts(widget: QWidget) -> list[QWidget]:
    """The child widgets of ``widget`` in the order they show."""
    if isinstance(widget, QScrollArea):  # before the other scroll areas (views, text edits)
        inner = widget.widget()
        return [inner] if inner is not None else []
    if isinstance(widget, QStackedWidget):
        current = widget.currentWidget()
        return [current] if current is not None else []
    if isinstance(widget, QSplitter):
        return [w for i in range(widget.count()) if (w := widget.widget(i)) is not None]
    if isinstance(widget, QAbstractSpinBox | QComboBox | QKeySequenceEdit | QAbstractScrollArea):
        # Controls whose children are their own parts (a spin box's or a hotkey box's line
        # edit, a view's header and viewport). Not walking into them also keeps PySide from
        # wrapping a table's header parts, wrappers whose collection later crashes shiboken.
        return []
    children = [
        child
        for child in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if not child.isWindow()
    ]
    layout = widget.layout()
    laid_out = list(_layout_widgets(layout, children)) if layout is not None else []
    # Children a layout does not place (a tab widget's pages, a view's own editors) follow.
    seen = set(laid_out)
    return laid_out + [child for child in children if child not in seen]


def takes_tab(widget: QWidget) -> bool:
    """Whether Tab may stop at ``widget`` now."""
    return (
        bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and widget.isVisible()
        and widget.isEnabled()
        # A scroll area is a container; the controls in it take the focus (and it scrolls to them).
        and not isinstance(widget, QScrollArea)
    )


def _visit(widget: QWidget, found: list[QWidget]) -> None:
    if not widget.isVisible():
        return
    if takes_tab(widget):
        found.append(widget)
    # A focus proxy (a tab widget's tab bar) is its owner's stop, where the owner is.
    proxy = widget.focusProxy()
    for part in _parts(widget):
        if part is not proxy:
            _visit(part, found)


def reading_order(root: QWidget) -> list[QWidget]:
    """Every widget under ``root`` that Tab may stop at, in reading order."""
    found: list[QWidget] = []
    for part in _parts(root):
        _visit(part, found)
    return found


def next_stop(order: list[QWidget], current: QWidget | None, forward: bool) -> QWidget | None:
    """The stop after (or before) ``current`` in ``order``, wrapping around; None when
    ``current`` is not in ``order`` (focus is elsewhere: let Qt decide)."""
    if not order:
        return None
    here = current
    while here is not None and here not in order:
        # A part of a control (a spin box's line edit) counts as the control.
        here = here.parentWidget()
    if here is None:
        return None
    step = 1 if forward else -1
    return order[(order.index(here) + step) % len(order)]
