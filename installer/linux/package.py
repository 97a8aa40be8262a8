"""Linux packages on top of the bundle: a ``.tar.gz`` and, where appimagetool exists, an AppImage.

    .venv/bin/python installer/linux/package.py   (after installer/build.py)

The archive unpacks to one folder: the bundle, a ``.desktop`` file, hicolor icons and
``install.sh`` (a per-user install into ~/.local, no root). The AppImage needs ``appimagetool``,
which neither Debian nor PyPI ships (it downloads its runtime from GitHub); when it is on PATH
this script uses it, otherwise it leaves the AppDir ready beside the archive and says so.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from icons import PNG_SIZES, ensure_icons  # noqa: E402
from project import EXE_NAME, ROOT, VERSION  # noqa: E402

DESKTOP_FILE = HERE / f"{EXE_NAME}.desktop"


def arch() -> str:
    return {"AMD64": "x86_64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())


def _install_icons(icons: Path, share: Path) -> None:
    for size in PNG_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{EXE_NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icons / f"streampai-{size}.png", target)
    scalable = share / "icons" / "hicolor" / "scalable" / "apps" / f"{EXE_NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(icons / "streampai.svg", scalable)


def stage(dist: Path) -> Path:
    """The folder the archive holds: ``dist/stage/streampai-desktop-VERSION``."""
    bundle = dist / EXE_NAME
    if not (bundle / EXE_NAME).exists():
        raise SystemExit(f"no bundle at {bundle}: run installer/build.py (or make dist) first")
    root = dist / "stage" / f"{EXE_NAME}-{VERSION}"
    shutil.rmtree(root.parent, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copytree(bundle, root / EXE_NAME, symlinks=True)
    share = root / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(DESKTOP_FILE, share / "applications" / DESKTOP_FILE.name)
    _install_icons(ensure_icons(ROOT / "build" / "icons"), share)
    shutil.copy2(HERE / "install.sh", root / "install.sh")
    (root / "README.txt").write_text(
        f"Streampai Desktop {VERSION} for Linux ({arch()})\n\n"
        "Install for this user:   ./install.sh\n"
        "Or run it in place:      ./streampai-desktop/streampai-desktop\n"
        "Uninstall:               ./install.sh --uninstall (your data folder is kept)\n",
        encoding="utf-8",
    )
    return root


def build_tarball(dist: Path) -> Path:
    """``dist/streampai-desktop-VERSION-linux-ARCH.tar.gz``; returns its path."""
    root = stage(dist)
    archive = dist / f"{EXE_NAME}-{VERSION}-linux-{arch()}.tar.gz"

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        # Whoever built it, the files unpack as the user who unpacks them.
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(archive, "w:gz", compresslevel=9) as tar:
        tar.add(root, arcname=root.name, filter=normalise)
    build_appimage(dist, root)
    return archive


def build_appdir(dist: Path, staged: Path) -> Path:
    """An AppImage AppDir (AppRun, .desktop and icon at the top, the bundle under usr/lib)."""
    appdir = dist / "Streampai_Desktop.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    (appdir / "usr" / "lib").mkdir(parents=True)
    shutil.copytree(staged / EXE_NAME, appdir / "usr" / "lib" / EXE_NAME, symlinks=True)
    shutil.copytree(staged / "share", appdir / "usr" / "share", symlinks=True)
    shutil.copy2(HERE / "AppRun", appdir / "AppRun")
    shutil.copy2(DESKTOP_FILE, appdir / DESKTOP_FILE.name)
    shutil.copy2(ROOT / "build" / "icons" / "streampai-256.png", appdir / f"{EXE_NAME}.png")
    os.symlink(f"{EXE_NAME}.png", appdir / ".DirIcon")
    return appdir


def build_appimage(dist: Path, staged: Path) -> Path | None:
    """The AppImage when appimagetool is installed, else None (with a note)."""
    appdir = build_appdir(dist, staged)
    tool = shutil.which("appimagetool")
    if tool is None:
        print(
            f"  AppImage: skipped, appimagetool is not installed (not in Debian or PyPI); "
            f"the AppDir is ready: appimagetool {appdir}",
            file=sys.stderr,
        )
        return None
    target = dist / f"Streampai_Desktop-{VERSION}-{arch()}.AppImage"
    env = {**os.environ, "ARCH": arch()}
    subprocess.run([tool, "--no-appstream", str(appdir), str(target)], check=True, env=env)
    return target


if __name__ == "__main__":
    print(build_tarball(ROOT / "dist"))
