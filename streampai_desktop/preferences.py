"""The preferences service: validate, save and apply one setting; synced ones are pushed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from streampai_desktop.core.hotkeys import ACTIONS, HOTKEY_ACTIONS, conflicting_action
from streampai_desktop.settings import Settings, SettingsError
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

    def hotkeys(self) -> dict[str, str]:
        """Each hotkey action's saved key combination ("" for none), by action id."""
        return {a.id: str(self.settings.get(a.setting)) for a in HOTKEY_ACTIONS}

    async def save_hotkey(self, action_id: str, text: str) -> str:
        """Save one action's hotkey ("" clears it); returns the stored form.

        Raises SettingsError for a key that cannot be a hotkey, or one the other action already
        has: one key doing two things would surprise mid-stream. Hotkeys are not synced, as
        keyboards and the other programs running differ from one computer to the next.
        """
        action = ACTIONS[action_id]
        parsed = str(self.settings.validate(action.setting, text))
        other = conflicting_action(action_id, parsed, self.hotkeys())
        if other is not None:
            raise SettingsError(f"{parsed} is already the hotkey for “{other.label}”")
        return str(await self.save(action.setting, parsed))

    async def reload_synced(self) -> None:
        """Another computer's synced preferences (theme, demo) arrived."""
        stored = await self._run_db(ops.load_preferences, self._db)
        for key in ops.SYNCED_PREFERENCES & set(stored):
            self.settings.set_stored(key, stored[key])
