"""Runtime hook replacing PyInstaller's stock PySide6 hook.

The stock hook imports ``PySide6.QtCore`` at start-up (to write an embedded qt.conf), which would
load Qt into every frozen process, headless ones included. The app only needs Qt to find its
plugins, and an environment variable does that without loading a single Qt library.
"""

import os
import sys


def _qt_plugin_path() -> None:
    root = sys._MEIPASS  # type: ignore[attr-defined]
    qt = (
        os.path.join(root, "PySide6")
        if sys.platform == "win32"
        else os.path.join(root, "PySide6", "Qt")
    )
    os.environ.setdefault("QT_PLUGIN_PATH", os.path.join(qt, "plugins"))
    if sys.platform == "win32":  # Qt's DLLs are found beside the executable's bundle
        os.environ["PATH"] = root + os.pathsep + os.environ.get("PATH", "")


_qt_plugin_path()
del _qt_plugin_path
