"""The window's style sheet.

Colors come from ``palette(...)`` so the same sheet works in the light and the dark theme; tinted
surfaces (banners, badges) use translucent colors over the window so their text keeps the
palette's own, readable text color. Re-apply the sheet after a palette change (Qt resolves
``palette()`` references when it polishes a widget).
"""

from __future__ import annotations

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
QLineEdit {
    border: 1px solid palette(mid);
    border-radius: 4px;
    padding: 4px 6px;
    background: palette(window);
}
QListWidget#feed { background: transparent; }
QListWidget#feed::item { padding: 5px 4px; border-radius: 4px; }
QScrollBar:vertical { background: transparent; width: 10px; margin: 0; }
QScrollBar:horizontal { background: transparent; height: 10px; margin: 0; }
QScrollBar::handle:vertical { background: palette(mid); border-radius: 4px; min-height: 28px; }
QScrollBar::handle:horizontal { background: palette(mid); border-radius: 4px; min-width: 28px; }
QScrollBar::handle:hover { background: palette(dark); }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
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
QPushButton#primary:enabled {
    background: palette(highlight);
    color: palette(highlighted-text);
    border: 1px solid palette(highlight);
    border-radius: 4px;
    padding: 5px 18px;
    font-weight: 600;
}
QWidget#pageBody { background: transparent; }
QLabel#accountEmail { font-size: 17px; font-weight: 600; }
QLabel#deviceName { font-weight: 600; }
QFrame#deviceRow {
    border: 1px solid palette(mid);
    border-radius: 6px;
}
"""
