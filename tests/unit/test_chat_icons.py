"""The window's chat icons (resources/icons/chat/*.svg) are the Chat Box overlay's icons
(overlays/src/chat_box/icons.js): a badge changed in one place must not look different on the
Dashboard than on stream. Node reads the overlay's module; each SVG must draw the same shapes."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons" / "chat"
READ_OVERLAY_ICONS = (
    "import {PLATFORM_ICONS, BADGE_ICONS} from './overlays/src/chat_box/icons.js';"
    "console.log(JSON.stringify({platform: PLATFORM_ICONS, badge: BADGE_ICONS}))"
)
SVG = "{http://www.w3.org/2000/svg}"


def overlay_icons() -> dict[str, dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to read the overlay's icons (make setup installs it)")
    out = subprocess.run(
        [node, "--input-type=module", "-e", READ_OVERLAY_ICONS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    groups = json.loads(out)
    return {
        f"{group}-{name}": icon for group, icons in groups.items() for name, icon in icons.items()
    }


def drawn_shapes(svg: Path) -> tuple[str, list[dict[str, object]]]:
    root = ET.parse(svg).getroot()
    shapes: list[dict[str, object]] = []
    for path in root.iter(f"{SVG}path"):
        if path.get("stroke"):
            shapes.append(
                {
                    "d": path.get("d"),
                    "stroke": path.get("stroke"),
                    "width": float(path.get("stroke-width", "1")),
                }
            )
        else:
            shapes.append({"d": path.get("d"), "fill": path.get("fill")})
    return root.get("viewBox", ""), shapes


def test_every_overlay_icon_is_drawn_the_same_in_the_window() -> None:
    icons = overlay_icons()
    assert sorted(p.stem for p in ICONS.glob("*.svg")) == sorted(icons)
    for name, icon in icons.items():
        view_box, shapes = drawn_shapes(ICONS / f"{name}.svg")
        expected = [
            {"d": s["d"], "stroke": s["stroke"], "width": float(s.get("width", 1))}
            if "stroke" in s
            else {"d": s["d"], "fill": s["fill"]}
            for s in icon["shapes"]
        ]
        assert (view_box, shapes) == (icon["viewBox"], expected), name
