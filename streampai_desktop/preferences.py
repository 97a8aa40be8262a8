"""The preferences service: validate, save and apply one setting; synced ones are pushed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from streampai_desktop.settings import Settings
from streampai_desktop.store import Database
from streampai_desktop.store import operations as ops

RunDb = Callable[..., Awaitable[Any]]


class Preferences:
    def __init__(self, settings: Settings, db: Database, run_db: RunDb) -> None:
        self.settings = settings
        self._db = db
        self._run_db = run_db
        self.on_local_edit: Callable[[], None] = lambda: None

    async def save(self, key: str, value: Any) -> Any:
        """Validate, persist and apply one setting; returns the parsed value (SettingsError)."""
        parsed = self.settings.validate(key, value)
        await self._run_db(ops.save_preference, self._db, key, parsed)
        self.settings.set_stored(key, parsed)
        if key in ops.SYNCED_PREFERENCES:
            self.on_local_edit()
        return parsed

    async def reload_synced(self) -> None:
        """Another computer's synced preferences (theme, demo) arrived."""
        stored = await self._run_db(ops.load_preferences, self._db)
        for key in ops.SYNCED_PREFERENCES & set(stored):
            self.settings.set_stored(key, stored[key])
