"""The app icon: the one SVG in ``resources/icons/`` that the installers' icons are made from too.

Qt renders the SVG at each size it needs (the tray's 16 px, the task switcher's 256 px), so the
window, the tray, the ``.desktop`` file, the ``.ico`` and the ``.icns`` all show the same picture.
"""

from __future__ import annotations

from PySide6.QtGui import QIcon

from streampai_desktop.resources import resource_path

ICON_SVG = ("icons", "streampai.svg")


def app_icon() -> QIcon:
    """The window, tray and task-switcher icon."""
    path = resource_path(*ICON_SVG)
    if not path.is_file():  # a broken install: say so in the log rather than show no window
        raise FileNotFoundError(f"the app icon is missing: {path}")
    return QIcon(str(path))
