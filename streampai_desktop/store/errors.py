"""Errors the store raises; their messages are written for the streamer."""

from __future__ import annotations

from streampai_desktop.core.errors import EXIT_BAD_FILE, EXIT_DISK, EXIT_USAGE, UserFacingError


class StoreError(UserFacingError):
    """Base class for the store's own errors."""

    title = "Database problem"
    exit_code = EXIT_DISK


class RecordNotFound(StoreError, LookupError):
    """The row to change does not exist (it may have been deleted meanwhile)."""


class BackupFailed(StoreError):
    """The copy kept before a migration could not be written; the database was not changed."""


class MigrationFailed(StoreError):
    """Updating the database to this version failed; the message says where the copy is."""


class BackupUnusable(StoreError):
    """A backup that cannot be restored (damaged, not ours, or from a newer version)."""

    title = "Cannot restore this backup"
    exit_code = EXIT_BAD_FILE


class BackupNotFound(StoreError, LookupError):
    """No backup by that name in the backups folder (and no such file)."""

    title = "No such backup"
    exit_code = EXIT_USAGE


class NoDatabase(StoreError):
    """The data folder has no database yet (nothing to back up or export)."""

    title = "Nothing to back up"
    exit_code = EXIT_USAGE
