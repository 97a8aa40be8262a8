"""System / light / dark appearance.

Qt ≥ 6.8 can ask the platform for a color scheme (``QStyleHints.setColorScheme``) and Fusion
follows it. Where the platform ignores the request (X11 without a desktop theme, the offscreen
platform, older Qt), we paint the palette ourselves so "dark" still means dark.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger("streampai_desktop.ui")

THEME_LABELS = {"system": "Same as the system", "light": "Light", "dark": "Dark"}

_SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}

# (role, color) tables rather than a chain of setColor calls: one place to tune contrast.
_DARK = {
    QPalette.ColorRole.Window: "#1f1f23",
    QPalette.ColorRole.WindowText: "#e4e4e7",
    QPalette.ColorRole.Base: "#18181b",
    QPalette.ColorRole.AlternateBase: "#232328",
    QPalette.ColorRole.ToolTipBase: "#27272a",
    QPalette.ColorRole.ToolTipText: "#e4e4e7",
    QPalette.ColorRole.PlaceholderText: "#a1a1aa",
    QPalette.ColorRole.Text: "#e4e4e7",
    QPalette.ColorRole.Button: "#2a2a30",
    QPalette.ColorRole.ButtonText: "#e4e4e7",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Light: "#3f3f46",
    QPalette.ColorRole.Midlight: "#34343b",
    QPalette.ColorRole.Mid: "#3f3f46",
    QPalette.ColorRole.Dark: "#0f0f11",
    QPalette.ColorRole.Shadow: "#000000",
    QPalette.ColorRole.Highlight: "#7c3aed",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#a78bfa",
    QPalette.ColorRole.LinkVisited: "#c4b5fd",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#71717a",
    QPalette.ColorRole.Text: "#71717a",
    QPalette.ColorRole.ButtonText: "#71717a",
    QPalette.ColorRole.Highlight: "#3f3f46",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f4f4f5",
    QPalette.ColorRole.WindowText: "#18181b",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f4f4f5",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#18181b",
    QPalette.ColorRole.PlaceholderText: "#71717a",
    QPalette.ColorRole.Text: "#18181b",
    QPalette.ColorRole.Button: "#ffffff",
    QPalette.ColorRole.ButtonText: "#18181b",
    QPalette.ColorRole.BrightText: "#000000",
    QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#e4e4e7",
    QPalette.ColorRole.Mid: "#d4d4d8",
    QPalette.ColorRole.Dark: "#a1a1aa",
    QPalette.ColorRole.Shadow: "#52525b",
    QPalette.ColorRole.Highlight: "#7c3aed",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6d28d9",
    QPalette.ColorRole.LinkVisited: "#5b21b6",
}
_LIGHT_DISABLED = {
    QPalette.ColorRole.WindowText: "#a1a1aa",
    QPalette.ColorRole.Text: "#a1a1aa",
    QPalette.ColorRole.ButtonText: "#a1a1aa",
    QPalette.ColorRole.Highlight: "#d4d4d8",
}


def _palette(
    colors: dict[QPalette.ColorRole, str], disabled: dict[QPalette.ColorRole, str]
) -> QPalette:
    palette = QPalette()
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role, color in disabled.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(color))
    return palette


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark one (light text on a dark window)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def apply_theme(theme: str) -> None:
    """Switch the running app to ``theme`` ("system", "light" or "dark"), live."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if app.style().name().lower() != "fusion":
        # Fusion honours the palette and color scheme the same way on every OS.
        app.setStyle("Fusion")
    wanted = _SCHEMES.get(theme)
    hints = QGuiApplication.styleHints()
    honoured = False
    try:
        if wanted is None:
            hints.unsetColorScheme()
        else:
            hints.setColorScheme(wanted)
            honoured = hints.colorScheme() == wanted
    except AttributeError:  # Qt < 6.8 has no color-scheme request
        pass
    # An empty palette resets to the platform's own (which follows the honoured scheme).
    app.setPalette(QPalette())
    if wanted is not None and not honoured:
        dark = theme == "dark"
        if is_dark(app.palette()) != dark:
            app.setPalette(
                _palette(_DARK, _DARK_DISABLED) if dark else _palette(_LIGHT, _LIGHT_DISABLED)
            )
    log.debug("theme %s applied (platform honoured the request: %s)", theme, honoured)
