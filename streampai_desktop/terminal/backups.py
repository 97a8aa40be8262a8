"""``backup list | create | restore``: the Settings page's Backups card in a terminal.

Listing and backing up work whether or not the app runs (SQLite's backup API copies a database
that is being written). Restoring does not: the running app would keep writing into the file
being replaced, so it is refused with :data:`EXIT_APP_RUNNING` until the app is quit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streampai_desktop.archive.listing import backup_json, kind_text, size_text, when_text
from streampai_desktop.core.errors import EXIT_APP_RUNNING, EXIT_CANCELLED, UserFacingError
from streampai_desktop.instance import AlreadyRunningError, InstanceLock, running_instance
from streampai_desktop.store.backups import (
    MANUAL,
    BackupFile,
    backups_dir,
    create_backup,
    database_path,
    find_backup,
    list_backups,
)
from streampai_desktop.store.errors import BackupNotFound
from streampai_desktop.store.restore import check_backup, restore_backup
from streampai_desktop.terminal.output import Out


class AppRunning(UserFacingError):
    title = "Quit Streampai Desktop first"
    exit_code = EXIT_APP_RUNNING


def _refuse_while_running(data_dir: Path) -> None:
    if data_dir.is_dir() and running_instance(data_dir) is not None:
        raise AppRunning(
            f"Streampai Desktop is running on {data_dir}: quit it first, then restore. (The "
            "running app would keep writing to the database being replaced. In the window, "
            "Settings → Backups → Restore… does it for you on the next start.)"
        )


async def list_command(data_dir: Path, out: Out) -> int:
    backups = await asyncio.to_thread(list_backups, data_dir)
    folder = backups_dir(data_dir)

    def show() -> None:
        if not backups:
            out.line(f"No backups yet in {folder}.")
            return
        out.line(f"Backups in {folder} (newest first):")
        for b in backups:
            kind, size = kind_text(b.kind), size_text(b.size)
            out.line(f"  {when_text(b.created_at)}  {kind:<17} {size:>8}  {b.name}")

    out.result({"folder": str(folder), "backups": [backup_json(b) for b in backups]}, show)
    return 0


async def create_command(data_dir: Path, out: Out) -> int:
    made = await asyncio.to_thread(create_backup, database_path(data_dir), MANUAL)
    out.result(
        backup_json(made),
        lambda: out.line(f"Backed up the database to {made.path} ({size_text(made.size)})."),
    )
    return 0


def _resolve(data_dir: Path, which: str) -> BackupFile:
    """A backup by its listed name, or any backup file by its path."""
    try:
        return find_backup(data_dir, which)
    except BackupNotFound:
        path = Path(which).expanduser()
        if not path.is_file():
            raise
    stat = path.stat()
    made = datetime.fromtimestamp(stat.st_mtime, UTC)
    return BackupFile(path.name, path.resolve(), made, stat.st_size, "file")


def _confirmed(backup: BackupFile) -> bool:
    sys.stderr.write(
        f"Restore the backup from {when_text(backup.created_at)} ({backup.name})? Your widgets, "
        "settings and event log go back to how they were then; what you have now is kept as a "
        "backup first. [y/N] "
    )
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


async def restore_command(data_dir: Path, out: Out, which: str, *, yes: bool) -> int:
    await asyncio.to_thread(_refuse_while_running, data_dir)
    backup = await asyncio.to_thread(_resolve, data_dir, which)
    await asyncio.to_thread(check_backup, backup.path)  # a bad file is refused before asking
    if not yes and not await asyncio.to_thread(_confirmed, backup):
        out.error("Not restored; nothing was changed.")
        return EXIT_CANCELLED
    kept = await asyncio.to_thread(_restore_locked, data_dir, backup.path)
    where = f" What you had before is kept as {kept}." if kept else ""
    out.result(
        {"restored": backup_json(backup), "kept": str(kept) if kept else None},
        lambda: out.line(
            f"Restored the backup from {when_text(backup.created_at)} ({backup.name}).{where}"
        ),
    )
    return 0


def _restore_locked(data_dir: Path, source: Path) -> Path | None:
    """Restore holding the app's instance lock, so the app cannot start half-way through."""
    data_dir.mkdir(parents=True, exist_ok=True)  # a backup file restored into a new folder
    lock = InstanceLock(data_dir)
    try:
        lock.acquire()
    except AlreadyRunningError:
        _refuse_while_running(data_dir)  # started since we looked: say so the same way
        raise
    try:
        return restore_backup(data_dir, source)
    finally:
        lock.release()


def add_parsers(sub: Any, shared: argparse.ArgumentParser) -> None:
    backup = sub.add_parser(
        "backup",
        parents=[shared],
        help="list, make or restore database backups",
        description="The database's backups (in DATA_DIR/backups): a daily one is made while the "
        "app runs (7 daily and 4 weekly are kept), and you can make or restore one here.",
    )
    actions = backup.add_subparsers(dest="backup_command", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[shared], help="every backup: date, kind, size, name")
    actions.add_parser("create", parents=[shared], help="back up now (kept until you delete it)")
    restore = actions.add_parser(
        "restore",
        parents=[shared],
        help="put a backup in place of the database (the app must be quit)",
        description="Replace the database with a backup, after asking. What you have now is kept "
        "as a before-restore backup first. Refused while the app runs on the data folder.",
    )
    restore.add_argument("backup", help="a name from `backup list`, or a backup file's path")
    restore.add_argument("-y", "--yes", action="store_true", help="do not ask")


def dispatch(args: argparse.Namespace, data_dir: Path, out: Out) -> Coroutine[Any, Any, int]:
    if args.backup_command == "list":
        return list_command(data_dir, out)
    if args.backup_command == "create":
        return create_command(data_dir, out)
    return restore_command(data_dir, out, args.backup, yes=args.yes)
