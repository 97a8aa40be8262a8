"""Writing an export: widgets, the preferences that travel (:data:`EXPORTED_PREFERENCES`) and
the media files the widgets use, as one zip (layout in :mod:`.bundle`).

Two steps, so neither blocks what it should not: :func:`collect` reads the database (on the
database thread), :func:`write_export` packs the zip (on a worker thread: media may be large).
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streampai_desktop import __version__
from streampai_desktop.archive.bundle import (
    EXPORTED_PREFERENCES,
    FORMAT,
    MANIFEST,
    MEDIA_DIR,
    PREFERENCES_FILE,
    VERSION,
    WIDGETS_FILE,
    user_media_refs,
)
from streampai_desktop.archive.listing import count_text
from streampai_desktop.store import Database, reads
from streampai_desktop.widgets.media import media_dir
from streampai_desktop.widgets.registry import WIDGETS


@dataclass(frozen=True, slots=True)
class Collected:
    """What an export holds, read from the database."""

    widgets: list[dict[str, Any]]
    preferences: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    widgets: int
    media: int
    preferences: int
    missing_media: int  # files the widgets name that are gone from the media folder

    def sentence(self) -> str:
        widgets, media = count_text(self.widgets, "widget"), count_text(self.media, "media file")
        preferences = count_text(self.preferences, "preference")
        text = f"Exported {widgets}, {media} and {preferences} to {self.path}."
        if self.missing_media:
            verb = "is" if self.missing_media == 1 else "are"
            text += (
                f" {count_text(self.missing_media, 'media file')} the widgets use {verb} missing "
                "from the media folder, so not in the zip."
            )
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "widgets": self.widgets,
            "media": self.media,
            "preferences": self.preferences,
            "missing_media": self.missing_media,
        }


def collect(db: Database) -> Collected:
    """Widgets (configs repaired as the app loads them) and the preferences that travel."""
    widgets = []
    for row in reads.widget_configs(db.read()):
        spec = WIDGETS.get(row.widget_type)
        # Repaired as the app shows it, so an import never refuses what this app exported.
        config = spec.repair(row.config)[0] if spec is not None else row.config
        widgets.append({"id": row.id, "type": row.widget_type, "name": row.name, "config": config})
    stored = reads.preferences(db.read())
    preferences = {k: stored[k] for k in sorted(EXPORTED_PREFERENCES & set(stored))}
    return Collected(widgets, preferences)


def write_export(data_dir: Path, target: Path, collected: Collected) -> ExportSummary:
    """Pack ``collected`` and its media into the zip ``target`` (written whole, then renamed)."""
    refs = sorted({ref for w in collected.widgets for ref in user_media_refs(w["config"])})
    files = [media_dir(data_dir) / ref.removeprefix("user/") for ref in refs]
    present = [f for f in files if f.is_file()]
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "app_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": {
            "widgets": len(collected.widgets),
            "media": len(present),
            "preferences": len(collected.preferences),
        },
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, _dumps(manifest))
            archive.writestr(WIDGETS_FILE, _dumps(collected.widgets))
            archive.writestr(PREFERENCES_FILE, _dumps(collected.preferences))
            for file in present:
                archive.write(file, f"{MEDIA_DIR}/{file.name}")
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return ExportSummary(
        target,
        len(collected.widgets),
        len(present),
        len(collected.preferences),
        len(files) - len(present),
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
