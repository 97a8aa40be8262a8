"""Errors the store raises; their messages are written for the streamer."""

from __future__ import annotations

from streampai_desktop.core.errors import EXIT_DISK, UserFacingError


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
