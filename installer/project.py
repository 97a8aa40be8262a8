"""Facts every packaging step shares, with the version read from one place.

The version is ``__version__`` in ``streampai_desktop/__init__.py``; it is read from the file's
syntax tree rather than by importing the package, so a packaging script can run with any Python
(the macOS .dmg step, the Inno Setup wrapper) without the app's dependencies installed.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
PACKAGE = ROOT / "streampai_desktop"
RESOURCES = ROOT / "resources"  # the one source of bundled assets (icon, alert media)

APP_NAME = "Streampai Desktop"
EXE_NAME = "streampai-desktop"  # the frozen executable and the bundle folder
APP_ID = "com.streampai.desktop"  # macOS bundle id; the reverse-DNS name on Linux too
PUBLISHER = "Streampai"
URL = "https://streampai.com"


def read_version(init_file: Path = PACKAGE / "__init__.py") -> str:
    """``__version__`` from the package's ``__init__.py``."""
    for node in ast.parse(init_file.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    raise RuntimeError(f"no __version__ = '...' in {init_file}")


VERSION = read_version()
DIST = ROOT / "dist"


def tree_size(path: Path) -> int:
    """Bytes on disk of every regular file under ``path`` (symlinks count once, as links)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            file = Path(dirpath, name)
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def bundle_dir(dist: Path = DIST) -> Path:
    """The one-folder bundle (inside the .app on macOS)."""
    if sys.platform == "darwin":
        return dist / f"{APP_NAME}.app"
    return dist / EXE_NAME


def executable(dist: Path = DIST) -> Path:
    """The frozen program a user (or a test) starts."""
    if sys.platform == "darwin":
        return dist / f"{APP_NAME}.app" / "Contents" / "MacOS" / EXE_NAME
    suffix = ".exe" if sys.platform == "win32" else ""
    return dist / EXE_NAME / f"{EXE_NAME}{suffix}"


def check_bundle(dist: Path = DIST) -> list[str]:
    """What is missing from a built bundle (empty when it is complete)."""
    exe = executable(dist)
    internal = exe.parent / "_internal"
    if sys.platform == "darwin":
        internal = exe.parent.parent / "Resources"
    problems = [] if exe.exists() else [f"no executable at {exe}"]
    for rel in (
        "streampai_desktop/server/overlay_dist/alert_box.html",
        "streampai_desktop/resources/media/chime.wav",
        "streampai_desktop/resources/icons/streampai.svg",
        "streampai_desktop/store/migrations/env.py",
        "streampai_desktop/store/migrations/versions/0001_initial.py",
    ):
        if not (internal / rel).exists():
            problems.append(f"missing {rel}")
    return problems


if __name__ == "__main__":  # `python installer/project.py` prints the version for shell scripts
    print(VERSION)
