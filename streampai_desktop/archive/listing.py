"""How backups and imports read to people, the same in the window and the terminal: a backup's
local date and time, its kind in words, its size; counts of things."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streampai_desktop.store.backups import BackupFile

KIND_WORDS = {
    "daily": "daily",
    "weekly": "weekly",
    "manual": "made by you",
    "before-restore": "before a restore",
    "before-update": "before an update",
}


def when_text(at: datetime) -> str:
    """``2025-03-01 18:45`` in this computer's time zone (names keep UTC)."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def size_text(size: int) -> str:
    """``812 KB``, ``3.4 MB``: what a file manager would say."""
    if size < 1000 * 1000:
        return f"{max(1, round(size / 1000))} KB"
    if size < 1000 * 1000 * 1000:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e9:.1f} GB"


def count_text(n: int, word: str) -> str:
    """``1 widget``, ``3 widgets``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def kind_text(kind: str) -> str:
    """A backup's kind as the list shows it ("made by you", not "manual")."""
    return KIND_WORDS.get(kind, kind)


def backup_json(backup: BackupFile) -> dict[str, Any]:
    """A backup for ``--json`` and the local API."""
    return {
        "name": backup.name,
        "path": str(backup.path),
        "created_at": backup.created_at.isoformat(),
        "size": backup.size,
        "kind": backup.kind,
    }
