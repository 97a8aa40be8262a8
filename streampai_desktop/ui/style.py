"""The style sheets: the window's (:data:`STYLE_SHEET`) and every control's (:func:`control_sheet`).

The window's sheet lays out the pages (cards, banners, badges, titles). Its colors come from
``palette(...)`` so the same sheet works in the light and the dark theme; tinted surfaces use
translucent colors over the window so their text keeps the palette's own, readable text color.
Re-apply it after a palette change (Qt resolves ``palette()`` references when it polishes a widget).

The controls' sheet (buttons, fields, check boxes, tabs, headers, scroll bars…) is set on the whole
application by :func:`streampai_desktop.ui.theme.apply_theme`, with colors computed from the
palette so that every control's boundary or indicator keeps a 3:1 contrast against what surrounds
it (WCAG 1.4.11) in any theme — Fusion's own outlines are the window color darkened, which on a
dark window is all but invisible. It also reaches dialogs and menus, which the window's sheet
does not. Check marks, boxes and arrows are SVGs in ``resources/icons/controls`` in a light and a
dark tone; the sheet picks the tone that shows on the color beneath.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from streampai_desktop.resources import resource_path

Tone = Literal["light", "dark"]


@dataclass(frozen=True, slots=True)
class ControlColors:
    """The colors of the controls' sheet (``#rrggbb``), computed from a palette by the theme."""

    window: str
    field: str  # a field's inside (line edit, spin box, check box)
    text: str
    button: str
    button_hover: str
    button_pressed: str
    border: str  # every control's boundary: ≥ 3:1 against the window and the cards
    border_strong: str  # hovered
    border_soft: str  # separators that are not a control's boundary (tab pane, header columns)
    disabled_text: str
    highlight: str
    highlighted_text: str
    accent: str  # checked boxes, primary buttons, slider fill: ≥ 3:1 against the window
    accent_hover: str
    accent_soft: str  # a checked toggle button
    on_accent: str  # text and marks on the accent
    focus: str  # the focus ring
    glyphs: Tone  # arrows and menu check marks, on fields and buttons
    on_accent_glyphs: Tone  # check marks on the accent


def _icon(name: str, tone: Tone) -> str:
    """A control icon as a style sheet ``url(...)`` (forward slashes, quoted: Windows paths)."""
    path = resource_path("icons", "controls", f"{name}-{tone}.svg")
    return f'url("{path.as_posix()}")'


def control_sheet(c: ControlColors) -> str:
    """The application-wide style sheet for controls, in colors ``c``."""
    check, dash = _icon("check", c.on_accent_glyphs), _icon("dash", c.on_accent_glyphs)
    down, up = _icon("chevron-down", c.glyphs), _icon("chevron-up", c.glyphs)
    menu_check, menu_box = _icon("check", c.glyphs), _icon("box", c.glyphs)
    return f"""
QPushButton {{
    background: {c.button};
    color: {c.text};
    border: 1px solid {c.border};
    border-radius: 4px;
    padding: 5px 14px;
}}
QPushButton:hover {{ background: {c.button_hover}; border-color: {c.border_strong}; }}
QPushButton:pressed {{ background: {c.button_pressed}; }}
QPushButton:checked {{ background: {c.accent_soft}; border-color: {c.accent}; }}
QPushButton:disabled {{
    background: {c.window};
    color: {c.disabled_text};
    border-color: {c.border};
}}
QPushButton:focus {{ border: 2px solid {c.focus}; padding: 4px 13px; }}
QPushButton#primary {{
    background: {c.accent};
    color: {c.on_accent};
    border: 1px solid {c.accent};
    padding: 5px 18px;
    font-weight: 600;
}}
QPushButton#primary:hover {{ background: {c.accent_hover}; border-color: {c.accent_hover}; }}
QPushButton#primary:focus {{ border: 2px solid {c.on_accent}; padding: 4px 17px; }}
QPushButton#primary:disabled {{
    background: {c.window};
    color: {c.disabled_text};
    border: 1px solid {c.border};
}}
QPushButton::menu-indicator {{
    image: {down};
    subcontrol-origin: padding;
    subcontrol-position: center right;
    width: 10px;
    height: 10px;
}}

QLineEdit, QAbstractSpinBox, QComboBox, QPlainTextEdit, QTextEdit {{
    background: {c.field};
    color: {c.text};
    border: 1px solid {c.border};
    border-radius: 4px;
    selection-background-color: {c.highlight};
    selection-color: {c.highlighted_text};
}}
QLineEdit, QAbstractSpinBox {{ padding: 4px 6px; }}
QAbstractSpinBox {{ padding-right: 22px; }}
QComboBox {{ background: {c.button}; padding: 4px 26px 4px 8px; }}
QComboBox:editable {{ background: {c.field}; }}
QLineEdit:hover, QAbstractSpinBox:hover, QComboBox:hover {{ border-color: {c.border_strong}; }}
QLineEdit:focus, QAbstractSpinBox:focus, QPlainTextEdit:focus, QTextEdit:focus {{
    border: 2px solid {c.focus};
    padding: 3px 5px;
}}
QAbstractSpinBox:focus {{ padding-right: 21px; }}
QComboBox:focus {{ border: 2px solid {c.focus}; padding: 3px 25px 3px 7px; }}
QPlainTextEdit:focus, QTextEdit:focus {{ padding: 0; }}
QLineEdit:disabled, QAbstractSpinBox:disabled, QComboBox:disabled {{
    background: {c.window};
    color: {c.disabled_text};
}}
QLineEdit:read-only {{ background: {c.window}; }}
QComboBox::drop-down {{
    subcontrol-origin: border;
    subcontrol-position: center right;
    width: 24px;
    border: none;
    background: transparent;
}}
QComboBox::down-arrow {{ image: {down}; width: 12px; height: 12px; }}
QComboBox QAbstractItemView {{
    background: {c.field};
    color: {c.text};
    border: 1px solid {c.border};
    selection-background-color: {c.highlight};
    selection-color: {c.highlighted_text};
    outline: 0;
}}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: border;
    width: 20px;
    border: none;
    background: transparent;
}}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{
    background: {c.button_hover};
}}
QAbstractSpinBox::up-arrow {{ image: {up}; width: 10px; height: 10px; }}
QAbstractSpinBox::down-arrow {{ image: {down}; width: 10px; height: 10px; }}
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::up-arrow:off,
QAbstractSpinBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:off {{ image: none; }}

QCheckBox, QRadioButton {{ spacing: 8px; }}
QCheckBox::indicator, QRadioButton::indicator, QAbstractItemView::indicator {{
    width: 16px;
    height: 16px;
    border: 1px solid {c.border};
    background: {c.field};
}}
QCheckBox::indicator, QAbstractItemView::indicator {{ border-radius: 4px; }}
QRadioButton::indicator {{
    border-width: 2px;  /* a 1 px circle is antialiased to half its contrast */
    width: 14px;
    height: 14px;
    border-radius: 9px;
}}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: {c.border_strong}; }}
QCheckBox::indicator:checked, QAbstractItemView::indicator:checked {{
    background: {c.accent};
    border-color: {c.accent};
    image: {check};
}}
QCheckBox::indicator:indeterminate, QAbstractItemView::indicator:indeterminate {{
    background: {c.accent};
    border-color: {c.accent};
    image: {dash};
}}
QRadioButton::indicator:checked {{
    border-color: {c.accent};
    background: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
        stop: 0 {c.on_accent}, stop: 0.38 {c.on_accent}, stop: 0.46 {c.accent}, stop: 1 {c.accent});
}}
QCheckBox::indicator:focus, QRadioButton::indicator:focus {{
    border: 2px solid {c.focus};
    width: 14px;
    height: 14px;
}}
QRadioButton::indicator:focus {{ border-radius: 9px; }}
QCheckBox::indicator:checked:focus, QCheckBox::indicator:indeterminate:focus,
QRadioButton::indicator:checked:focus {{
    border-color: {c.text};  /* the focus color is next to the accent: it would not show */
}}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    background: {c.window};
    border-color: {c.border};
}}
QCheckBox:disabled, QRadioButton:disabled {{ color: {c.disabled_text}; }}

QSlider:horizontal {{ min-height: 20px; }}
QSlider:vertical {{ min-width: 20px; }}
QSlider::groove:horizontal {{ height: 4px; background: {c.border}; border-radius: 2px; }}
QSlider::groove:vertical {{ width: 4px; background: {c.border}; border-radius: 2px; }}
QSlider::sub-page:horizontal, QSlider::add-page:vertical {{
    background: {c.accent};
    border-radius: 2px;
}}
QSlider::handle:horizontal, QSlider::handle:vertical {{
    background: {c.accent};
    border: 2px solid {c.accent};
    width: 14px;
    height: 14px;
    border-radius: 9px;
}}
QSlider::handle:horizontal {{ margin: -7px 0; }}
QSlider::handle:vertical {{ margin: 0 -7px; }}
QSlider::handle:hover {{ background: {c.accent_hover}; border-color: {c.accent_hover}; }}
QSlider::handle:focus {{ border-color: {c.on_accent}; }}
QSlider::handle:disabled, QSlider::sub-page:disabled, QSlider::add-page:vertical:disabled {{
    background: {c.border};
    border-color: {c.border};
}}

QTabWidget::pane {{ border: 1px solid {c.border_soft}; border-radius: 4px; top: -1px; }}
QTabBar::tab {{
    background: {c.button};
    color: {c.text};
    border: 1px solid {c.border};
    padding: 5px 14px;
    margin-right: 3px;
    border-top-left-radius: 4px;
    border-top-right-radius: 4px;
}}
QTabBar::tab:hover:!selected {{ background: {c.button_hover}; }}
QTabBar::tab:selected {{
    background: {c.field};
    border-color: {c.accent};
    border-bottom: 2px solid {c.accent};
    font-weight: 600;
}}
QTabBar::tab:focus {{ border: 2px solid {c.focus}; }}
QTabBar::tab:disabled {{ color: {c.disabled_text}; }}

QHeaderView {{ background: {c.button}; }}
QHeaderView::section {{
    background: {c.button};
    color: {c.text};
    padding: 4px 6px;
    border: none;
    border-right: 1px solid {c.border_soft};
    border-bottom: 1px solid {c.border};
}}
QHeaderView::section:hover {{ background: {c.button_hover}; }}
QHeaderView::down-arrow {{ image: {down}; width: 10px; height: 10px; }}
QHeaderView::up-arrow {{ image: {up}; width: 10px; height: 10px; }}
QTableView {{ gridline-color: {c.border_soft}; }}

QScrollBar:vertical {{ background: transparent; width: 12px; margin: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 12px; margin: 0; }}
QScrollBar::handle {{ background: {c.border}; border-radius: 4px; margin: 2px; }}
QScrollBar::handle:vertical {{ min-height: 28px; }}
QScrollBar::handle:horizontal {{ min-width: 28px; }}
QScrollBar::handle:hover, QScrollBar::handle:pressed {{ background: {c.border_strong}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}

QMenu {{
    background: {c.field};
    color: {c.text};
    border: 1px solid {c.border};
    padding: 4px 0;
}}
QMenu::item {{ padding: 5px 24px 5px 32px; background: transparent; }}
QMenu::item:selected {{ background: {c.highlight}; color: {c.highlighted_text}; }}
QMenu::item:disabled {{ color: {c.disabled_text}; }}
QMenu::separator {{ height: 1px; background: {c.border_soft}; margin: 4px 8px; }}
QMenu::indicator {{ width: 16px; height: 16px; left: 9px; }}
QMenu::indicator:non-exclusive:checked {{ image: {menu_check}; }}
QMenu::indicator:non-exclusive:unchecked {{ image: {menu_box}; }}
QLabel#menuHeading {{ color: {c.text}; font-weight: 600; padding: 6px 12px 2px 12px; }}
"""


STYLE_SHEET = """
QWidget#side {
    background: palette(base);
    border-right: 1px solid palette(mid);
}
QListWidget#sidebar {
    background: transparent;
    border: none;
    padding: 8px 6px;
    font-size: 14px;
    outline: 0;
}
QListWidget#sidebar::item {
    padding: 9px 12px;
    margin: 1px 0;
    border-radius: 6px;
}
QListWidget#sidebar::item:hover:!selected { background: rgba(124, 58, 237, 0.12); }
QListWidget#sidebar::item:selected {
    background: palette(highlight);
    color: palette(highlighted-text);
}
QLabel#brand { font-size: 16px; font-weight: 600; padding: 14px 12px 6px 12px; }
QLabel#pageTitle { font-size: 22px; font-weight: 600; }
QLabel#pageSubtitle { color: palette(placeholder-text); }
QLabel#sectionTitle { font-size: 15px; font-weight: 600; }
QLabel#muted { color: palette(placeholder-text); }
QLabel#statValue { font-size: 26px; font-weight: 600; }
QLabel#statLabel { color: palette(placeholder-text); }
QLabel#queueNow { font-size: 15px; font-weight: 600; }
QLabel#inlineError { color: #dc2626; }
QLabel#inlineOk { color: #16a34a; }
QFrame#card {
    background: palette(base);
    border: 1px solid palette(mid);
    border-radius: 8px;
}
QFrame#banner_info {
    background: rgba(59, 130, 246, 0.14);
    border: 1px solid rgba(59, 130, 246, 0.55);
    border-radius: 6px;
}
QFrame#banner_warning {
    background: rgba(245, 158, 11, 0.16);
    border: 1px solid rgba(245, 158, 11, 0.65);
    border-radius: 6px;
}
QFrame#banner_demo {
    background: rgba(124, 58, 237, 0.14);
    border: 1px solid rgba(124, 58, 237, 0.55);
    border-radius: 6px;
}
QFrame#banner_error {
    background: rgba(220, 38, 38, 0.14);
    border: 1px solid rgba(220, 38, 38, 0.6);
    border-radius: 6px;
}
QLabel#badge {
    border-radius: 9px;
    padding: 2px 8px;
    background: rgba(113, 113, 122, 0.2);
}
QLabel#badgeLive { border-radius: 9px; padding: 2px 8px; background: rgba(22, 163, 74, 0.22); }
QLabel#badgeWarn { border-radius: 9px; padding: 2px 8px; background: rgba(245, 158, 11, 0.28); }
QLabel#badgeError { border-radius: 9px; padding: 2px 8px; background: rgba(220, 38, 38, 0.25); }
QLabel#badgeOffline {
    border-radius: 9px;
    padding: 2px 10px;
    background: rgba(113, 113, 122, 0.2);
    font-weight: 600;
}
QLabel#badgeOnAir {
    border-radius: 9px;
    padding: 2px 10px;
    background: #dc2626;
    color: white;
    font-weight: 700;
}
QFrame#deviceCodePanel {
    background: rgba(145, 70, 255, 0.10);
    border: 1px solid rgba(145, 70, 255, 0.55);
    border-radius: 8px;
}
QLabel#streamTitle { font-size: 16px; font-weight: 600; }
QLabel#uptime { font-size: 15px; font-weight: 600; }
QLabel#badgeDemo { border-radius: 9px; padding: 2px 8px; background: rgba(124, 58, 237, 0.25); }
QStatusBar QLabel { padding: 0 8px; }
QListWidget#feed { background: transparent; }
QListWidget#feed::item { padding: 5px 4px; border-radius: 4px; }
QScrollArea#pageScroll { border: none; background: transparent; }
QScrollArea#paneScroll { border: none; background: transparent; }
QScrollArea#paneScroll > QWidget > QWidget { background: transparent; }
QLabel#fieldLabel { padding-top: 5px; }
QLabel#fieldHelp { color: palette(placeholder-text); font-size: 12px; }
QLabel#fieldError { color: #dc2626; font-size: 12px; }
QLabel#formSection { font-size: 13px; font-weight: 600; }
QLabel#unsaved { color: #d97706; font-weight: 600; }
QLineEdit[invalid="true"] { border: 1px solid #dc2626; }
QCheckBox[invalid="true"] { color: #dc2626; }
QLineEdit#widgetName { font-size: 16px; font-weight: 600; }
QFrame#variationPanel {
    border: 1px solid palette(mid);
    border-radius: 6px;
}
QTreeWidget#instanceList, QListWidget#typeList {
    border: 1px solid palette(mid);
    border-radius: 6px;
    background: palette(base);
    outline: 0;
}
QTreeWidget#instanceList::item, QListWidget#typeList::item { padding: 5px 4px; }
QWidget#pageBody { background: transparent; }
QLabel#accountEmail { font-size: 17px; font-weight: 600; }
QLabel#deviceName { font-weight: 600; }
QFrame#deviceRow {
    border: 1px solid palette(mid);
    border-radius: 6px;
}
"""


def window_sheet(c: ControlColors) -> str:
    """The window's sheet with its focus rings, in the focus color of ``c``.

    The window's own sheet outranks the application's (Qt prefers the nearer sheet whatever the
    selectors), so where it gives a control its border (the sidebar, the lists) the focus ring
    must be here too. Each list keeps a border of the ring's width, transparent or soft, so
    taking the focus recolors it without moving the rows.
    """
    return (
        STYLE_SHEET
        + f"""
QListWidget#sidebar, QListWidget#feed {{ border: 2px solid transparent; border-radius: 6px; }}
QListWidget#sidebar:focus, QListWidget#feed:focus {{ border-color: {c.focus}; }}
QTreeWidget#instanceList, QListWidget#typeList {{ padding: 1px; }}
QTableView {{ border: 1px solid {c.border_soft}; padding: 1px; }}
QTreeWidget#instanceList:focus, QListWidget#typeList:focus, QTableView:focus {{
    border: 2px solid {c.focus};
    padding: 0;
}}
"""
    )
