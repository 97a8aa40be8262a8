"""The widget editor fits the window: no sideways scrolling, every field fully in view, and a
form area of a usable height, at the smallest supported window (1024x640), the default
(1180x760) and a large one (1600x1000). Screenshots of each go to test-artifacts/."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractScrollArea, QScrollArea, QWidget

from streampai_desktop.ui.pages.widget_editor import PREVIEWING_TEXT, WidgetEditor
from streampai_desktop.ui.pages.widget_form import FieldEditor
from tests.gui.conftest import Gui, widgets_page

pytestmark = pytest.mark.gui

SIZES = [(1024, 640), (1180, 760), (1600, 1000)]


def settle(gui: Gui) -> None:
    """Let Qt lay everything out (inside the loop: the app's tasks run too)."""
    gui.run(asyncio.sleep(0.05))


def visible_scroll_areas(editor: WidgetEditor) -> list[QScrollArea]:
    return [a for a in editor.findChildren(QScrollArea) if a.isVisible()]


def check_fits(editor: WidgetEditor, where: str) -> None:
    """No sideways scroll bar, and every visible control of every field inside the view."""
    areas = visible_scroll_areas(editor)
    assert areas, where
    for area in areas:
        assert not area.horizontalScrollBar().isVisible(), f"{where}: scrolls sideways"
        viewport = area.viewport()
        for field in area.widget().findChildren(FieldEditor):
            if not field.isVisible():
                continue
            for part in [field, *field.findChildren(QWidget)]:
                if not part.isVisible() or isinstance(part.parent(), QAbstractScrollArea):
                    continue
                left = part.mapTo(viewport, QPoint(0, 0)).x()
                right = part.mapTo(viewport, QPoint(part.width(), 0)).x()
                assert left >= 0 and right <= viewport.width(), (
                    f"{where}: {field.field.key} ({type(part).__name__}) spans {left} to {right}, "
                    f"the view is {viewport.width()} wide"
                )


def shoot(gui: Gui, widget: QWidget, artifacts: Path, name: str) -> None:
    settle(gui)
    assert widget.grab().save(str(artifacts / f"{name}.png"))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_editor_fits_without_sideways_scrolling(
    gui: Gui, artifacts_dir: Path, width: int, height: int
) -> None:
    size = f"{width}x{height}"
    gui.window.resize(width, height)
    gui.window.show_page("widgets")
    page = widgets_page(gui)
    alerts = page.select("alert_box")
    settle(gui)
    assert alerts.types is not None
    for kind in ("follow", "donation", "gift_subscription"):
        alerts.types.select(kind)
        settle(gui)
        check_fits(alerts, f"{kind} at {size}")
    # A variation with a condition and overrides, scrolled into view.
    donation = alerts.types.select("donation")
    donation.variations.add_button.click()
    panel = donation.variations.panels[0]
    panel.add_condition({"field": "amount", "op": ">=", "value": 2500})
    for key in ("sound", "text_color", "duration_ms"):
        panel.add_override_row(key, donation.form.values()[key])
    settle(gui)
    alerts.types.scrolls["donation"].ensureWidgetVisible(panel.add_override)
    check_fits(alerts, f"donation variation at {size}")
    shoot(gui, gui.window, artifacts_dir, f"widget_editor_{size}_variation")
    alerts.types.select("donation")
    alerts.types.scrolls["donation"].verticalScrollBar().setValue(0)
    shoot(gui, gui.window, artifacts_dir, f"widget_editor_{size}_donation")

    form_height = alerts.types.scrolls["donation"].viewport().height()
    if (width, height) == (1024, 640):
        assert form_height >= 350, f"the form area is only {form_height} px tall"
    # While previewing, the line that says so takes one line, not the form's room.
    alerts.feedback.ok(PREVIEWING_TEXT)
    settle(gui)
    form_height = alerts.types.scrolls["donation"].viewport().height()
    if (width, height) == (1024, 640):
        assert form_height >= 340, f"the form area is only {form_height} px tall while previewing"
    shoot(gui, gui.window, artifacts_dir, f"widget_editor_{size}_previewing")
    alerts.feedback.clear()

    for index in range(1, alerts.tabs.count()):  # Queue, Test
        alerts.tabs.setCurrentIndex(index)
        settle(gui)
        check_fits(alerts, f"alert box tab {index} at {size}")
    alerts.tabs.setCurrentIndex(2)
    shoot(gui, gui.window, artifacts_dir, f"widget_editor_{size}_tests")

    chat = page.select("chat_box")
    settle(gui)
    check_fits(chat, f"chat box at {size}")
    shoot(gui, gui.window, artifacts_dir, f"widget_editor_{size}_chat_box")

    # The URL is whole (to copy) and readable: drawn elided in the middle when it does not fit.
    url = chat.url_field
    assert url.text() == chat.url.replace(gui.app.tokens.overlay, "••••••••••••")
    shown = url.elided_text()
    assert shown == url.text() or ("…" in shown and shown.startswith("http://127.0.0.1:"))
    chat.show_button.click()
    assert url.text() == chat.url
    assert url.geometry().right() <= chat.width()
