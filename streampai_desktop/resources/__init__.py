"""Bundled resources (default alert images and sounds, icons).

:func:`resource_path` is the one way to find them, whether the app runs from a source checkout,
an installed wheel or a frozen (PyInstaller) bundle.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``resource_path("media", "chime.wav")``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:  # PyInstaller unpacks package data under the same package path
        base = Path(frozen_root) / "streampai_desktop" / "resources"
    else:
        base = Path(__file__).resolve().parent
    return base.joinpath(*parts)
