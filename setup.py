"""The two build steps pyproject.toml cannot declare (it stays the project's one configuration).

Every wheel build (``pip wheel .``, ``python -m build``, a wheel built from the sdist) and every
``pip install`` runs ``build_py``; this one first

1. builds the overlays (Vue 3 + Vite sources in ``overlays/``) into
   ``streampai_desktop/server/overlay_dist`` when that bundle is missing or older than a source
   file: ``npm ci && npm run build``, as ``make overlays`` does, and the same ``.built`` stamp; it
   fails with a clear message when npm is not installed. The bundle is not in git, so without this
   a wheel built from a clean clone or from the sdist would serve no overlay pages;
2. then copies the top-level ``resources/`` folder (the one source of bundled assets: app icon,
   alert sounds and images) into the wheel as ``streampai_desktop/resources/``, where
   ``streampai_desktop.resources.resource_path`` finds it. An editable install reads the folder
   where it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import ExecError, FileError

ROOT = Path(__file__).resolve().parent
OVERLAYS = ROOT / "overlays"
OVERLAY_DIST = ROOT / "streampai_desktop" / "server" / "overlay_dist"
OVERLAY_STAMP = OVERLAY_DIST / ".built"  # the Makefile's `overlays` target uses the same stamp
RESOURCES = ROOT / "resources"
RESOURCES_IN_PACKAGE = ("streampai_desktop", "resources")
NPM_MISSING = "npm is needed to build the overlays: install Node.js 20 or newer"


def _files(top: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        found += [Path(dirpath, name) for name in sorted(filenames)]
    return found


def overlays_stale() -> str | None:
    """Why the overlay bundle needs building (None when it is up to date)."""
    if not (OVERLAYS / "package.json").is_file():
        if (OVERLAY_DIST / "alert_box.html").is_file():
            return None  # a tree with the built bundle but no sources: use the bundle
        raise FileError(f"neither the overlay sources ({OVERLAYS}) nor a built bundle")
    built = OVERLAY_STAMP if OVERLAY_STAMP.is_file() else OVERLAY_DIST / "alert_box.html"
    if not built.is_file():
        return "the overlay bundle is missing"
    built_at = built.stat().st_mtime
    newer = [
        p for p in _files(OVERLAYS, frozenset({"node_modules"})) if p.stat().st_mtime > built_at
    ]
    if newer:
        return f"{newer[0].relative_to(ROOT)} is newer than the overlay bundle"
    return None


def build_overlays(reason: str) -> None:
    """``npm ci`` (when node_modules is not from the current lockfile) and ``npm run build``."""
    npm = shutil.which("npm")
    if npm is None:
        raise ExecError(f"{NPM_MISSING} ({reason}).")
    print(f"building the overlays ({reason}): npm ci && npm run build in {OVERLAYS}", flush=True)
    installed = OVERLAYS / "node_modules" / ".package-lock.json"  # written by npm ci / install
    lockfile = OVERLAYS / "package-lock.json"
    try:
        if not installed.is_file() or installed.stat().st_mtime < lockfile.stat().st_mtime:
            quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
            subprocess.run([npm, "ci", *quiet], cwd=OVERLAYS, check=True)
        subprocess.run([npm, "run", "build", "--silent"], cwd=OVERLAYS, check=True)
    except subprocess.CalledProcessError as exc:
        raise ExecError(f"building the overlays failed: {exc}") from exc
    if not (OVERLAY_DIST / "alert_box.html").is_file():
        raise ExecError(f"the overlay build left no alert_box.html in {OVERLAY_DIST}")
    OVERLAY_STAMP.touch()


class BuildPyWithAssets(build_py):
    """``build_py`` plus the overlay bundle and the top-level ``resources/`` folder."""

    def run(self) -> None:
        reason = overlays_stale()
        if reason:
            build_overlays(reason)
        super().run()
        if not self.editable_mode:
            for source, target in self._resource_mapping():
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        return outputs + [str(target) for _source, target in self._resource_mapping()]

    def _resource_mapping(self) -> list[tuple[Path, Path]]:
        if not (RESOURCES / "icons" / "streampai.svg").is_file():
            raise FileError(
                f"the bundled resources are missing: no {RESOURCES}/icons/streampai.svg"
            )
        target_root = Path(self.build_lib, *RESOURCES_IN_PACKAGE)
        files = _files(RESOURCES, frozenset({"__pycache__"}))
        return [(p, target_root / p.relative_to(RESOURCES)) for p in files]


setup(cmdclass={"build_py": BuildPyWithAssets})
