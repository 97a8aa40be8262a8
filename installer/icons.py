"""Icon files for the installers, rendered from the one app icon, ``resources/icons/streampai.svg``.

One drawing, every format: PNGs for the Linux hicolor theme (and the AppImage), an ``.ico`` for
Windows and an ``.icns`` for macOS (both simply wrap PNGs, which every supported OS version reads),
plus the SVG itself for desktops that prefer a scalable icon. The app's window and tray icon come
from the same SVG at run time (``resource_path("icons", "streampai.svg")``).

Run: ``.venv/bin/python installer/icons.py OUT_DIR`` (the spec and build.py call it for you).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "streampai.svg"
_THIS = Path(__file__).resolve()
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns entry types holding PNG data, by pixel size (the @2x types reuse the larger drawings).
ICNS_TYPES = {
    b"icp4": 16,
    b"icp5": 32,
    b"icp6": 64,
    b"ic07": 128,
    b"ic08": 256,
    b"ic09": 512,
    b"ic11": 32,
    b"ic12": 64,
    b"ic13": 256,
    b"ic14": 512,
}

# Qt's SVG renderer draws the icon at each size (in a child process: the caller may be PyInstaller
# or a packaging script, which should not start a Qt application of their own).
_RENDER = """
import sys
from pathlib import Path
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
app = QGuiApplication(sys.argv[:1])
renderer = QSvgRenderer(sys.argv[1])
assert renderer.isValid(), f"not a valid SVG: {sys.argv[1]}"
out = Path(sys.argv[2])
for size in map(int, sys.argv[3:]):
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    assert image.save(str(out / f"streampai-{size}.png"), "PNG")
"""


def render_pngs(out: Path, svg: Path = SVG, python: str = sys.executable) -> None:
    """Render the SVG at every size with Qt (offscreen: no window, no display)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = [python, "-c", _RENDER, str(svg), str(out), *map(str, PNG_SIZES)]
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"rendering {svg} failed:\n{result.stderr}")


def write_ico(pngs: dict[int, bytes], path: Path) -> None:
    """A Windows .ico whose entries are PNG images (read by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(ICO_SIZES))
    offset = 6 + 16 * len(ICO_SIZES)
    entries, blobs = b"", b""
    for size in ICO_SIZES:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    path.write_bytes(header + entries + blobs)


def write_icns(pngs: dict[int, bytes], path: Path) -> None:
    """A macOS .icns made of PNG entries (read by macOS 10.7 and later)."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for kind, size in ICNS_TYPES.items()
    )
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def ensure_icons(out: Path, svg: Path = SVG) -> Path:
    """Every icon file in ``out``, redrawn when the SVG or this script is newer; returns ``out``."""
    done = out / "streampai.icns"  # written last: its presence marks a complete set
    if done.exists() and done.stat().st_mtime >= max(svg.stat().st_mtime, _THIS.stat().st_mtime):
        return out
    out.mkdir(parents=True, exist_ok=True)
    render_pngs(out, svg)
    pngs = {size: (out / f"streampai-{size}.png").read_bytes() for size in PNG_SIZES}
    write_ico(pngs, out / "streampai.ico")
    shutil.copyfile(svg, out / "streampai.svg")
    write_icns(pngs, done)
    return out


if __name__ == "__main__":
    print(ensure_icons(Path(sys.argv[1] if len(sys.argv) > 1 else "build/icons")))
