"""The running app's backups, export and import: what the Settings page and the local API call.

Blocking work goes off the event loop: file copies and zips on worker threads, database reads
and writes on the app's database thread. An import reaches the rest of the app the way another
computer's synced changes do: every owner re-reads (``reloads``), the edits are queued for sync
(``on_local_edit``), and :class:`~streampai_desktop.core.notices.SyncApplied` tells the window to
show them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streampai_desktop.archive.daily import DailyBackups
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.notices import SyncApplied, publish_notice
from streampai_desktop.store import Database
from streampai_desktop.store.backups import (
    MANUAL,
    BackupFile,
    create_backup,
    database_path,
    list_backups,
)
from streampai_desktop.store.restore import schedule_restore

if TYPE_CHECKING:
    from streampai_desktop.archive.export import ExportSummary
    from streampai_desktop.archive.importer import ImportSummary

RunDb = Callable[..., Awaitable[Any]]


class ArchiveService:
    """Backups (list, back up now, restore at the next start), export and import."""

    def __init__(
        self,
        data_dir: Path,
        db: Database,
        run_db: RunDb,
        bus: EventBus,
        *,
        reloads: Sequence[Callable[[], Awaitable[None]]] = (),
        on_local_edit: Callable[[], None] = lambda: None,
    ) -> None:
        self.data_dir = data_dir
        self._db = db
        self._run_db = run_db
        self._bus = bus
        self._reloads = list(reloads)
        self._on_local_edit = on_local_edit
        self.daily = DailyBackups(data_dir)

    # --- backups ------------------------------------------------------------------------------

    async def backups(self) -> list[BackupFile]:
        """Every backup, newest first."""
        return await asyncio.to_thread(list_backups, self.data_dir)

    async def back_up_now(self) -> BackupFile:
        """A manual backup (never pruned by the app)."""
        return await asyncio.to_thread(create_backup, database_path(self.data_dir), MANUAL)

    async def schedule_restore(self, name: str) -> BackupFile:
        """Check the backup and restore it when the app starts next (the app must not replace
        the database it has open); BackupUnusable / BackupNotFound otherwise."""
        return await asyncio.to_thread(schedule_restore, self.data_dir, name)

    # --- export and import --------------------------------------------------------------------

    # The zip modules load on first use: the app starts without them.

    async def export(self, target: Path) -> ExportSummary:
        from streampai_desktop.archive.export import collect, write_export

        collected = await self._run_db(collect, self._db)
        return await asyncio.to_thread(write_export, self.data_dir, target, collected)

    async def import_(self, source: Path) -> ImportSummary:
        """Check the whole zip, then add it; BadExport (nothing changed) when it is not usable."""
        from streampai_desktop.archive.bundle import read_bundle
        from streampai_desktop.archive.importer import add_media, add_records, remove_media

        bundle = await asyncio.to_thread(read_bundle, source)
        media = await asyncio.to_thread(add_media, self.data_dir, bundle)
        try:
            summary: ImportSummary = await self._run_db(
                add_records, self._db, self.data_dir, bundle, media
            )
        except BaseException:
            await asyncio.to_thread(remove_media, media.added)
            raise
        for reload in self._reloads:
            await reload()
        self._on_local_edit()
        publish_notice(self._bus, SyncApplied())
        return summary
