"""The YouTube Data API's daily quota, counted as the app spends it. Pure, no I/O.

Google gives a project a number of units per day (10,000 unless raised) and resets them at
midnight Pacific time; every call costs units (``COSTS``). The budget counts what this app spent
today so the streamer can see it, and keeps chat alive longest: from :data:`SLOW_AT` of the day's
units the optional calls (the viewer count) slow down, from :data:`STOP_AT` they stop, and chat
goes on until Google itself answers ``quotaExceeded``.

A project's quota is shared by every channel signed in through the same client id, so the app
keeps one budget per client id (:func:`budget_for`). The count outlives a restart on the same day
(:meth:`QuotaBudget.to_saved` / :meth:`~QuotaBudget.restore`, kept by ``quota_keeper.py``), so
quitting and starting again cannot make the app spend a second day's units.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
DEFAULT_UNITS_PER_DAY = 10_000
SLOW_AT = 0.8  # from here the viewer count is polled a quarter as often
STOP_AT = 0.9  # from here optional calls stop; chat keeps what is left
SLOWDOWN = 4.0

COSTS = {
    "channels": 1,
    "liveBroadcasts": 1,
    "videos": 1,
    "chat_list": 5,
    # YouTube counts a streaming connection like one list call (it is one request).
    "chat_stream": 5,
    "chat_insert": 50,
}
"""Quota units per call, from YouTube's quota cost table."""

Clock = Callable[[], datetime]


def pacific_day(moment: datetime) -> date:
    return moment.astimezone(PACIFIC).date()


def next_reset(moment: datetime) -> datetime:
    """The next midnight Pacific time after ``moment``, in UTC."""
    local = moment.astimezone(PACIFIC)
    midnight = datetime(local.year, local.month, local.day, tzinfo=PACIFIC) + timedelta(days=1)
    return midnight.astimezone(UTC)


class QuotaBudget:
    """Units spent today (Pacific) against ``per_day``."""

    def __init__(self, per_day: int = DEFAULT_UNITS_PER_DAY, clock: Clock | None = None) -> None:
        self.per_day = max(1, per_day)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._day = pacific_day(self._clock())
        self._used = 0
        self._exhausted = False  # Google said quotaExceeded today
        # Moves on every change; a keeper saves when it differs from the one it saved.
        self.version = 0
        self.saved_version = 0

    def _roll(self) -> None:
        today = pacific_day(self._clock())
        if today != self._day:
            self._day, self._used, self._exhausted = today, 0, False

    @property
    def used(self) -> int:
        self._roll()
        return self._used

    @property
    def fraction(self) -> float:
        return self.used / self.per_day

    def spend(self, call: str) -> None:
        self.spend_units(COSTS[call])

    def spend_units(self, units: int) -> None:
        self._roll()
        self._used += units
        self.version += 1

    def used_up(self) -> None:
        """Google said ``quotaExceeded``: whatever the count says, nothing is left today."""
        self._roll()
        self._used = max(self._used, self.per_day)
        self._exhausted = True
        self.version += 1

    @property
    def exhausted(self) -> bool:
        """Whether Google said ``quotaExceeded`` today (until the Pacific-midnight reset)."""
        self._roll()
        return self._exhausted

    def to_saved(self) -> dict[str, Any]:
        """Today's count as JSON, for :meth:`restore` after a restart."""
        self._roll()
        return {"day": self._day.isoformat(), "used": self._used, "exhausted": self._exhausted}

    def restore(self, saved: object) -> bool:
        """Take a count :meth:`to_saved` made earlier today; one from another Pacific day (the
        reset came in between) or a damaged one is ignored. Returns whether it was taken.

        The larger count wins, so restoring twice, or after this process already spent some
        units, never counts a unit twice nor forgets one.
        """
        self._roll()
        if not isinstance(saved, dict) or saved.get("day") != self._day.isoformat():
            return False
        used = saved.get("used")
        if isinstance(used, bool) or not isinstance(used, int) or used < 0:
            return False
        self._used = max(self._used, used)
        self._exhausted = self._exhausted or saved.get("exhausted") is True
        return True

    def resets_at(self) -> datetime:
        return next_reset(self._clock())

    def seconds_to_reset(self) -> float:
        now = self._clock()
        return (next_reset(now) - now).total_seconds()

    def optional_interval(self, base_s: float) -> float | None:
        """How often an optional call may run now; None: not at all until the reset."""
        fraction = self.fraction
        if fraction >= STOP_AT:
            return None
        return base_s * SLOWDOWN if fraction >= SLOW_AT else base_s

    def summary(self) -> str:
        """ "312 of 10,000 quota units used today" for the Platforms page."""
        return f"{self.used:,} of {self.per_day:,} quota units used today"


_BUDGETS: weakref.WeakKeyDictionary[object, dict[str, QuotaBudget]] = weakref.WeakKeyDictionary()
_PROCESS_BUDGETS: dict[str, QuotaBudget] = {}


def budget_for(
    client_id: str, per_day: int = DEFAULT_UNITS_PER_DAY, scope: object | None = None
) -> QuotaBudget:
    """The one budget of a Google project (its client id) within ``scope``: the app's kept
    state (one app, one data folder), or the whole process when None."""
    budgets = _PROCESS_BUDGETS if scope is None else _BUDGETS.setdefault(scope, {})
    budget = budgets.get(client_id)
    if budget is None:
        budget = budgets[client_id] = QuotaBudget(per_day)
    budget.per_day = max(1, per_day)
    return budget
