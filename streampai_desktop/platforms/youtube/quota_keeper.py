"""The day's quota count kept across restarts, in the app's local store (``ConnectorDeps.kept``).

Google counts a project's units per Pacific day whatever the app does; a count that started from
zero at every start would let a streamer who restarts the app mid-stream spend the day's units
twice over, and forget that Google already said ``quotaExceeded``. So the count is saved under
the project's client id (the quota belongs to the Google project, shared by every channel signed
in through it), loaded when a connector starts and merged into the shared budget.

Saving is cheap: chat costs units every few seconds at most, so rather than a write per call the
keeper writes at most every :data:`SAVE_EVERY_S` seconds when the count moved, at once when the
quota runs out, and once more when the connector stops. A crash loses at most those few seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from streampai_desktop.platforms.base import KeptState
from streampai_desktop.platforms.youtube.quota import QuotaBudget

log = logging.getLogger(__name__)

SAVE_EVERY_S = 5.0


def kept_key(client_id: str) -> str:
    """The kept value of one Google project's count (per client id: the quota is per project)."""
    return f"youtube:quota:{client_id}"


class QuotaKeeper:
    """Loads and saves one budget's count; with no kept state (the CLI, tests) it does nothing."""

    def __init__(
        self,
        budget: QuotaBudget,
        kept: KeptState | None,
        client_id: str,
        every_s: float = SAVE_EVERY_S,
    ) -> None:
        self.budget = budget
        self._kept = kept
        self.key = kept_key(client_id)
        self.every_s = every_s

    async def load(self) -> None:
        """Merge today's saved count into the budget (another day's is ignored)."""
        if self._kept is None:
            return
        try:
            saved = await self._kept.load(self.key)
        except Exception as exc:  # a store that cannot be read must not keep chat away
            log.warning("could not read the saved YouTube quota count: %r", exc)
            return
        if saved is not None and self.budget.restore(saved):
            log.info("YouTube quota today so far: %s", self.budget.summary())

    async def save(self) -> None:
        """Save the count if it moved since the last save (this keeper's or another channel's
        on the same project)."""
        version = self.budget.version
        if self._kept is None or version == self.budget.saved_version:
            return
        # Claimed before the write, so a second channel's keeper on this budget skips it.
        self.budget.saved_version = version
        try:
            await self._kept.save(self.key, self.budget.to_saved())
        except Exception as exc:
            log.warning("could not save the YouTube quota count: %r", exc)
            self.budget.saved_version = -1  # try again at the next tick
            return

    async def keep_saved(self, on_change: Callable[[], None] = lambda: None) -> None:
        """Every few seconds while the connector runs (cancel it to stop): when the count moved,
        ``on_change`` (the status line shows it), then save it."""
        shown = self.budget.version
        while True:
            await asyncio.sleep(self.every_s)
            if self.budget.version != shown:
                shown = self.budget.version
                on_change()
            await self.save()
