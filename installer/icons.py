"""Icon files for the installers, exported from the icon the app draws in code (``ui/icon.py``).

One drawing, every format: PNGs for the Linux hicolor theme, an ``.ico`` for Windows and an
``.icns`` for macOS (both simply wrap PNGs, which every supported OS version reads), plus an SVG
for desktops that prefer a scalable icon.

Run: ``.venv/bin/python installer/icons.py OUT_DIR`` (the spec and build.py call it for you).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

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

# The same drawing as ui/icon.py, by hand: the rounded gradient square, the play mark, the dot.
SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="256" height="256">
  <defs>
    <linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#7c3aed"/><stop offset="1" stop-color="#db2777"/>
    </linearGradient>
  </defs>
  <rect width="100" height="100" rx="22" fill="url(#g)"/>
  <path d="M38 28 L74 50 L38 72 Z" fill="#fff"/>
  <circle cx="80" cy="20" r="9" fill="#ef4444" stroke="#fff"/>
</svg>
"""

_RENDER = """
import sys
from pathlib import Path
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
from streampai_desktop.ui.icon import draw_icon
out = Path(sys.argv[1])
for size in map(int, sys.argv[2:]):
    assert draw_icon(size).save(str(out / f"streampai-{size}.png"), "PNG")
"""


def render_pngs(out: Path, python: str = sys.executable) -> None:
    """Draw the icon at every size with Qt (offscreen, in a child: no window, no display)."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    args = [python, "-c", _RENDER, str(out), *map(str, PNG_SIZES)]
    subprocess.run(args, check=True, env=env, capture_output=True)


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


def ensure_icons(out: Path) -> Path:
    """Every icon file in ``out`` (made once; delete the folder to redraw). Returns ``out``."""
    if (out / "streampai.icns").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    render_pngs(out)
    pngs = {size: (out / f"streampai-{size}.png").read_bytes() for size in PNG_SIZES}
    write_ico(pngs, out / "streampai.ico")
    (out / "streampai.svg").write_text(SVG, encoding="utf-8")
    write_icns(pngs, out / "streampai.icns")  # last: its presence marks a complete set
    return out


if __name__ == "__main__":
    print(ensure_icons(Path(sys.argv[1] if len(sys.argv) > 1 else "build/icons")))
