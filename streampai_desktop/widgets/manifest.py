"""overlays/widgets.json: the widget registry as the overlay build sees it.

The Vite build (overlays/vite.config.js) makes one HTML entry per widget type listed there, which
mounts that type's Vue component; the server serves it as /overlay/{type}. The file is generated
from :data:`~streampai_desktop.widgets.WIDGETS` and checked in, so the overlays build with npm
alone (``pip wheel .`` builds them in an isolated environment where this package is not
importable). After adding or renaming a widget type, run::

    python -m streampai_desktop.widgets.manifest

tests/unit/test_overlay_entries.py fails while the checked-in file differs from the registry.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from streampai_desktop.widgets.registry import WIDGETS

OVERLAYS = Path(__file__).resolve().parents[2] / "overlays"
MANIFEST = OVERLAYS / "widgets.json"
NOTE = (
    "Generated from the widget registry by `python -m streampai_desktop.widgets.manifest`; "
    "do not edit."
)


def component_path(widget_type: str) -> str:
    """Where a widget's Vue component lives, relative to overlays/: ``alert_box`` →
    ``src/alert_box/AlertBox.vue``."""
    name = "".join(part.capitalize() for part in widget_type.split("_"))
    return f"src/{widget_type}/{name}.vue"


def manifest() -> dict[str, Any]:
    """What overlays/widgets.json holds: each widget type's page name, title and component."""
    return {
        "note": NOTE,
        "widgets": [
            {"type": spec.type, "title": spec.title, "component": component_path(spec.type)}
            for spec in WIDGETS.values()
        ],
    }


def render() -> str:
    return json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m streampai_desktop.widgets.manifest",
        description="Write overlays/widgets.json from the widget registry.",
    )
    parser.add_argument(
        "--check", action="store_true", help="only check: exit 1 when the file is out of date"
    )
    args = parser.parse_args(argv)
    text = render()
    current = MANIFEST.read_text(encoding="utf-8") if MANIFEST.is_file() else None
    if current == text:
        return 0
    if args.check:
        print(f"{MANIFEST} is out of date: run python -m streampai_desktop.widgets.manifest")
        return 1
    MANIFEST.write_text(text, encoding="utf-8")
    print(f"wrote {MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
