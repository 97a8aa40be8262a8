"""System / light / dark appearance.

Qt ≥ 6.8 can ask the platform for a color scheme (``QStyleHints.setColorScheme``) and Fusion
follows it. Where the platform ignores the request (X11 without a desktop theme, the offscreen
platform, older Qt), we paint the palette ourselves so "dark" still means dark.

Whatever the palette, the controls' style sheet (:func:`~streampai_desktop.ui.style.control_sheet`)
is recomputed from it, so every control's boundary keeps a 3:1 contrast (WCAG 1.4.11) against the
window and the cards it sits on — in our palettes and in a system one alike.
"""

from __future__ import annotations

import functools
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from streampai_desktop.ui.style import ControlColors, Tone, control_sheet

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
    # A step lighter than the light theme's violet: 3:1 against the dark window and cards (the
    # selected page, a checked box, a primary button), white text on it still 5:1.
    QPalette.ColorRole.Highlight: "#8445ef",
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


# Non-text contrast (WCAG 1.4.11) is 3:1; a little more so that antialiased edges and the tinted
# banners some buttons sit on (a 14% tint over the window) still make it.
BOUNDARY_CONTRAST = 3.6


def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance, 0 (black) to 1 (white)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio: 1 (the same) to 21 (black on white)."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` (0…1) of the way to ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def _reach(start: QColor, toward: QColor, surfaces: list[QColor], target: float) -> QColor:
    """The color nearest ``start`` on the way to ``toward`` with ``target`` contrast to every
    surface (or ``toward`` itself when nothing nearer has it)."""
    for step in range(51):
        color = _mix(start, toward, step / 50)
        if min(contrast(color, s) for s in surfaces) >= target:
            return color
    return toward


def _tone(background: QColor) -> Tone:
    """The glyph tone (light or dark) that shows on ``background``."""
    return (
        "light"
        if contrast(background, QColor("#fafafa")) > contrast(background, QColor("#18181b"))
        else "dark"
    )


def control_colors(palette: QPalette) -> ControlColors:
    """The controls' colors for ``palette``: boundaries ≥ 3:1 against the window and the cards.

    Widgets ask on every palette change (dozens of times while the window is built); the answer
    depends only on a few of the palette's colors, so it is worked out once per set of them.
    """
    role = QPalette.ColorRole
    roles = (
        role.Window, role.Base, role.Text, role.Button, role.Highlight, role.AlternateBase,
        role.HighlightedText,
    )  # fmt: skip
    disabled_text = palette.color(QPalette.ColorGroup.Disabled, role.Text)
    return _control_colors((*(palette.color(r).rgba() for r in roles), disabled_text.rgba()))


@functools.lru_cache(maxsize=8)
def _control_colors(key: tuple[int, ...]) -> ControlColors:
    window, base, text, button, highlight, alternate, highlighted_text, disabled_text = (
        QColor.fromRgba(value) for value in key
    )
    # Controls sit on the window, on cards (base) and on alternating rows.
    surfaces = [window, base, alternate]
    border = _reach(_mix(window, base, 0.5), text, surfaces, BOUNDARY_CONTRAST)
    accent = _reach(highlight, text, surfaces, 3.0)
    on_accent_tone = _tone(accent)
    return ControlColors(
        window=window.name(),
        field=base.name(),
        text=text.name(),
        button=button.name(),
        button_hover=_mix(button, text, 0.08).name(),
        button_pressed=_mix(button, text, 0.16).name(),
        border=border.name(),
        border_strong=_reach(border, text, surfaces, 4.5).name(),
        border_soft=_mix(window, text, 0.2).name(),
        disabled_text=disabled_text.name(),
        highlight=highlight.name(),
        highlighted_text=highlighted_text.name(),
        accent=accent.name(),
        accent_hover=_mix(accent, text, 0.12).name(),
        accent_soft=_mix(button, accent, 0.3).name(),
        on_accent="#ffffff" if on_accent_tone == "light" else "#18181b",
        focus=_reach(accent, text, surfaces, 4.5).name(),
        glyphs=_tone(base),
        on_accent_glyphs=on_accent_tone,
    )


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
    # Fusion outlines controls in the window color darkened: invisible on a dark window.
    app.setStyleSheet(control_sheet(control_colors(app.palette())))
    log.debug("theme %s applied (platform honoured the request: %s)", theme, honoured)
