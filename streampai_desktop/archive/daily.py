"""The automatic daily backup: a supervised worker in the running app.

It never runs on the start path: the first check runs :data:`FIRST_DELAY_S` after the worker
starts (the app is ready by then), then every :data:`CHECK_EVERY_S`. A check makes a backup when
the newest automatic one is more than 24 hours old (so a computer that sleeps, or an app that
restarts often, still gets one a day, not one per start), then prunes by the retention rule. A
failure (a full disk) is logged with what to do, and the next check tries again; the app keeps
running.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from streampai_desktop.core.errors import UserFacingError, describe
from streampai_desktop.core.worker import Worker
from streampai_desktop.store.backups import (
    BackupFile,
    backup_due,
    create_backup,
    database_path,
    prune_backups,
)

log = logging.getLogger(__name__)

FIRST_DELAY_S = 15.0
CHECK_EVERY_S = 3600.0
# Long enough for a backup in progress to finish when the app quits (it takes well under a
# second for a typical database); past it the copy's temporary file is removed anyway.
STOP_GRACE_S = 30.0


class DailyBackups:
    """Owns the worker; :meth:`run_once` is the check itself (tests call it directly)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        first_delay: float | None = None,
        check_every: float | None = None,
    ) -> None:
        self.data_dir = data_dir
        # Read here, not as default values: a test can change the module's constants.
        self.first_delay = FIRST_DELAY_S if first_delay is None else first_delay
        self.check_every = CHECK_EVERY_S if check_every is None else check_every
        self.last_error: str | None = None
        self.worker = Worker("daily backups", self._run, grace=STOP_GRACE_S, logger=log)

    def start(self) -> None:
        self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()

    async def _run(self) -> None:
        delay = self.first_delay
        while await self.worker.sleep(delay):
            await self.run_once()
            delay = self.check_every

    async def run_once(self) -> BackupFile | None:
        """Back up if the newest automatic backup is over a day old; the new one, or None."""
        try:
            made = await asyncio.to_thread(self._backup_if_due)
        except (OSError, sqlite3.Error, UserFacingError) as exc:
            text = describe(exc).text if not isinstance(exc, sqlite3.Error) else str(exc)
            self.last_error = text
            log.error(
                "automatic backup failed: %s The app keeps running; it tries again in %.0f "
                "minutes.",
                text,
                self.check_every / 60,
            )
            return None
        self.last_error = None
        return made

    def _backup_if_due(self) -> BackupFile | None:
        if not backup_due(self.data_dir):
            return None
        made = create_backup(database_path(self.data_dir))
        prune_backups(self.data_dir)
        log.info("automatic daily backup made: %s", made.name)
        return made
