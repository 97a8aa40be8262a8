"""Bundled resources in a source checkout: the one top-level resources/ folder is what
resource_path() finds (the installed wheel and the frozen bundle: tests/dist)."""

from __future__ import annotations

from pathlib import Path

from streampai_desktop.resources import resource_path, resource_root
from streampai_desktop.widgets import alert_box

REPO = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_the_top_level_resources_folder() -> None:
    assert resource_root() == REPO / "resources"
    icon = resource_path("icons", "streampai.svg")
    assert icon.is_file() and icon.read_text().lstrip().startswith("<svg")


def test_every_default_alert_sound_and_image_is_there() -> None:
    refs = {
        value
        for settings in alert_box.SPEC.defaults["types"].values()
        for value in settings.values()
        if isinstance(value, str) and value.startswith("builtin/")
    }
    assert len(refs) >= 10, refs
    for ref in refs:
        path = resource_path("media", ref.removeprefix("builtin/"))
        assert path.is_file() and path.stat().st_size > 0, path
