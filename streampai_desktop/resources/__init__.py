"""Bundled resources: the app icon, the default alert images and sounds.

The files live in one place, the top-level ``resources/`` folder of the source tree (beside
``pyproject.toml``). The wheel build (``setup.py``) copies them into this package, and the
PyInstaller spec puts them at the same package path in the frozen bundle, so
:func:`resource_path` is the one way to find them, whether the app runs from a source checkout
(editable install), an installed wheel or a frozen (PyInstaller) bundle.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
# A file every copy of the resources holds; where it is, the rest is.
_MARKER = ("icons", "streampai.svg")


@cache
def resource_root() -> Path:
    """The folder holding the bundled resources."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:  # PyInstaller: the spec puts them under the package path
        return Path(frozen_root) / "streampai_desktop" / "resources"
    if _PACKAGE_DIR.joinpath(*_MARKER).is_file():  # an installed wheel
        return _PACKAGE_DIR
    return _PACKAGE_DIR.parents[1] / "resources"  # a source checkout: <repo>/resources


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``resource_path("media", "chime.wav")``."""
    return resource_root().joinpath(*parts)
