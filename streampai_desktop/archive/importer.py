"""Adding a checked export (:func:`~.bundle.read_bundle`) to a data folder.

Media first (content-addressed: a file already here is not copied again), then the widgets and
preferences in one transaction. Should that transaction fail, the media files this import added
are removed again, so a failed import leaves the data folder as it was.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streampai_desktop.archive.bundle import BadExport, Bundle, user_media_refs
from streampai_desktop.archive.listing import count_text
from streampai_desktop.store import Database
from streampai_desktop.store import operations as ops
from streampai_desktop.widgets.instances import new_widget_id
from streampai_desktop.widgets.media import media_dir


@dataclass(frozen=True, slots=True)
class MediaAdded:
    """The media files an import copied in (to remove if the rest fails) and those already
    here."""

    added: list[Path]
    present: int


@dataclass(frozen=True, slots=True)
class ImportSummary:
    widgets: int
    renamed: dict[str, str]  # id in the zip → the new id it got here (that id was taken)
    media: int  # media files in the zip (copied, or already here)
    preferences: int
    skipped_types: list[str]  # widget types this version does not know
    missing_media: int  # files the widgets use that neither the zip nor this folder has

    def sentence(self, source: Path) -> str:
        widgets, media = count_text(self.widgets, "widget"), count_text(self.media, "media file")
        preferences = count_text(self.preferences, "preference")
        text = f"Imported {widgets}, {media} and {preferences} from {source.name}."
        if self.renamed:
            moves = ", ".join(f"{old} → {new}" for old, new in self.renamed.items())
            text += f" New ids where this computer already had the widget: {moves}."
        if self.skipped_types:
            text += (
                f" Skipped {count_text(len(self.skipped_types), 'widget')} of a type this version "
                f"does not have ({', '.join(sorted(set(self.skipped_types)))})."
            )
        if self.missing_media:
            verb = "is" if self.missing_media == 1 else "are"
            missing = count_text(self.missing_media, "media file")
            text += f" {missing} the widgets use {verb} missing."
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "widgets": self.widgets,
            "renamed": self.renamed,
            "media": self.media,
            "preferences": self.preferences,
            "skipped_types": self.skipped_types,
            "missing_media": self.missing_media,
        }


def add_media(data_dir: Path, bundle: Bundle) -> MediaAdded:
    """Copy the bundle's media files that are not here yet (blocking; not the database)."""
    target_dir = media_dir(data_dir)
    added: list[Path] = []
    present = 0
    try:
        with zipfile.ZipFile(bundle.path) as archive:
            for file_name, member in sorted(bundle.media.items()):
                target = target_dir / file_name
                if target.exists():
                    present += 1
                    continue
                target_dir.mkdir(parents=True, exist_ok=True)
                _copy_verified(archive, member, target, bundle.path.name)
                added.append(target)
    except BaseException:
        remove_media(added)
        raise
    return MediaAdded(added, present)


def _copy_verified(archive: zipfile.ZipFile, member: str, target: Path, name: str) -> None:
    """Copy under a temporary name, hashing again on the way: the zip was checked, but it is a
    file on disk that may have changed since."""
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as tmp:
        tmp_path = Path(tmp.name)
        try:
            digest = hashlib.sha256()
            with archive.open(member) as source:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    tmp.write(chunk)
        except BaseException:
            tmp.close()
            tmp_path.unlink(missing_ok=True)
            raise
    try:
        if digest.hexdigest() != target.stem:
            raise BadExport(f"{member} in {name} changed while it was imported; try again.")
        tmp_path.replace(target)
    finally:
        tmp_path.unlink(missing_ok=True)


def remove_media(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def add_records(db: Database, data_dir: Path, bundle: Bundle, media: MediaAdded) -> ImportSummary:
    """The widgets and preferences, in one transaction (on the database thread)."""
    entries = [(w.id, w.type, w.name, w.config) for w in bundle.widgets]
    used = ops.add_imported(db, entries, bundle.preferences, new_widget_id)
    refs = {ref for w in bundle.widgets for ref in user_media_refs(w.config)}
    missing = [r for r in refs if not (media_dir(data_dir) / r.removeprefix("user/")).is_file()]
    return ImportSummary(
        widgets=len(used),
        renamed={w.id: new for w, new in zip(bundle.widgets, used, strict=True) if w.id != new},
        media=len(media.added) + media.present,
        preferences=len(bundle.preferences),
        skipped_types=list(bundle.skipped_types),
        missing_media=len(missing),
    )


def import_bundle(db: Database, data_dir: Path, bundle: Bundle) -> ImportSummary:
    """Media, then records; the added media are removed again when the records fail."""
    media = add_media(data_dir, bundle)
    try:
        return add_records(db, data_dir, bundle, media)
    except BaseException:
        remove_media(media.added)
        raise
