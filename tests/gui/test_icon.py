"""The window and tray icon is the SVG in resources/icons, drawn crisp at every size Qt asks."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from streampai_desktop.ui.icon import app_icon

pytestmark = pytest.mark.gui


def test_the_app_icon_renders_from_the_svg_at_tray_and_switcher_sizes(qapp: QApplication) -> None:
    icon = app_icon()
    assert not icon.isNull()
    for size in (16, 32, 256):
        image = icon.pixmap(size, size).toImage()
        assert (image.width(), image.height()) == (size, size)
        centre = image.pixelColor(size // 2, size // 2)
        corner = image.pixelColor(0, size - 1)
        assert centre.alpha() == 255, "the icon is drawn, not transparent"
        assert corner.alpha() < 128, "with rounded, transparent corners"
