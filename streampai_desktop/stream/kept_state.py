"""Where connectors keep small values across restarts: the preferences table.

A connector's kept values (YouTube's quota count for the day) are not settings: the Settings page
never shows them, they never sync to another computer (``ops.SYNCED_PREFERENCES`` is an
allow-list) and an export leaves them out (``archive/export.py`` is one too). Their keys carry a
prefix so a kept value can never shadow a setting of the same name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from streampai_desktop.store import Database
from streampai_desktop.store import operations as ops

KEY_PREFIX = "connector_state:"

RunDb = Callable[..., Awaitable[Any]]


class PreferenceKeptState:
    """:class:`~streampai_desktop.platforms.base.KeptState` on the app's database thread."""

    def __init__(self, db: Database, run_db: RunDb) -> None:
        self._db = db
        self._run_db = run_db

    async def load(self, key: str) -> object:
        stored = await self._run_db(ops.load_preferences, self._db)
        return stored.get(KEY_PREFIX + key)

    async def save(self, key: str, value: object) -> None:
        await self._run_db(ops.save_preference, self._db, KEY_PREFIX + key, value)
