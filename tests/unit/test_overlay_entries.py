"""The overlay build follows the widget registry: overlays/widgets.json (checked in, so the
overlays build with npm alone) matches it, every widget type has its Vue component, and the built
bundle has exactly one page per type (`make test` builds the overlays first)."""

from __future__ import annotations

import json
import re

from streampai_desktop.server.pages import OVERLAY_DIST
from streampai_desktop.widgets import WIDGETS
from streampai_desktop.widgets import manifest as widget_manifest

REGENERATE = "run `python -m streampai_desktop.widgets.manifest` and commit overlays/widgets.json"


def test_the_checked_in_manifest_matches_the_registry() -> None:
    assert widget_manifest.MANIFEST.is_file(), REGENERATE
    text = widget_manifest.MANIFEST.read_text(encoding="utf-8")
    assert json.loads(text) == widget_manifest.manifest(), REGENERATE
    assert text == widget_manifest.render(), REGENERATE
    assert widget_manifest.main(["--check"]) == 0


def test_every_widget_type_has_its_vue_component() -> None:
    for entry in widget_manifest.manifest()["widgets"]:
        component = widget_manifest.OVERLAYS / entry["component"]
        assert component.is_file(), f"{entry['type']}: its Vue component {component} is missing"
    assert widget_manifest.component_path("alert_box") == "src/alert_box/AlertBox.vue"


def test_the_built_overlays_have_one_page_per_widget_type() -> None:
    assert OVERLAY_DIST.is_dir(), f"the overlays are not built at {OVERLAY_DIST}: make overlays"
    pages = {page.stem for page in OVERLAY_DIST.glob("*.html")}
    assert pages == set(WIDGETS), "stale overlay build: run `make overlays`"
    for spec in WIDGETS.values():
        html = (OVERLAY_DIST / f"{spec.type}.html").read_text(encoding="utf-8")
        assert f"<title>Streampai {spec.title}</title>" in html
        # The page's own bundle, served flat from /overlay/assets/; no inline script (the CSP).
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert len(scripts) == 1, scripts
        bundle = re.search(
            rf'src="/overlay/assets/({re.escape(spec.type)}-[\w-]+\.js)"', scripts[0]
        )
        assert bundle is not None, scripts[0]
        assert (OVERLAY_DIST / "assets" / bundle.group(1)).is_file()
