"""Gzip size of each overlay page as OBS loads it: the HTML plus every script and stylesheet it
references (fonts load only when used, so they are listed apart). Baseline, same run: Vue's own
production runtime build, gzipped — the floor for any Vue page.

Run: make overlays && .venv/bin/python bench/bundle_size.py
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "streampai_desktop" / "server" / "overlay_dist"
VUE_RUNTIME = (
    ROOT / "overlays" / "node_modules" / "vue" / "dist" / "vue.runtime.esm-browser.prod.js"
)
REFERENCE = re.compile(r'(?:src|href)="/overlay/assets/([^"]+\.(?:js|css))"')


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def main() -> int:
    pages = sorted(DIST.glob("*.html"))
    if not pages or not VUE_RUNTIME.exists():
        print("build the overlays first: make overlays", file=sys.stderr)
        return 1
    baseline = gz(VUE_RUNTIME)
    print(f"overlay bundle size (gzip); baseline: Vue runtime alone {baseline / 1024:.1f} KB")
    for page in pages:
        assets = sorted(set(REFERENCE.findall(page.read_text())))
        total = gz(page) + sum(gz(DIST / "assets" / name) for name in assets)
        print(
            f"  {page.stem:<10} {total / 1024:6.1f} KB in {len(assets) + 1} files "
            f"({total / baseline:.2f}x Vue runtime; target <= 100 KB)"
        )
    fonts = sorted((DIST / "assets").glob("*.woff2"))
    print(
        f"  fonts: {len(fonts)} woff2 files, {sum(f.stat().st_size for f in fonts) / 1024:.0f} KB,"
        " each loaded only when a widget uses that face"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
