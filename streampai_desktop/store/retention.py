"""Which automatic backups to keep: the newest of each of the 7 most recent days that have one,
and the newest of each of the 4 most recent ISO weeks that have one.

"Most recent days that have one", not "the last 7 calendar days" (the rule restic and Time
Machine users know): a streamer who does not open the app for a month still finds a week of
backups from before the break, instead of a prune that keeps only today's. Days and weeks are
UTC, like the times in the file names. A backup dated in the future (the clock was wrong when it
was made, or is wrong now) is kept: a wrong clock must never delete anything.

Pure functions on times; the backups folder itself is :mod:`.backups`' business.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import TypeVar

K = TypeVar("K")

KEEP_DAYS = 7
KEEP_WEEKS = 4


def retain(
    backups: Iterable[tuple[K, datetime]],
    now: datetime,
    *,
    days: int = KEEP_DAYS,
    weeks: int = KEEP_WEEKS,
) -> dict[K, str]:
    """The backups to keep (``key → "daily"`` or ``"weekly"``) among ``(key, UTC time)`` pairs.

    A backup kept by both rules is "daily"; one kept only because it is its week's newest is
    "weekly". Every key not in the result may be deleted.
    """
    items = list(backups)
    newest_first = sorted((b for b in items if b[1] <= now), key=lambda b: b[1], reverse=True)
    kept: dict[K, str] = {key: "daily" for key, at in items if at > now}
    _newest_per(newest_first, days, lambda at: at.date(), kept, "daily")
    _newest_per(newest_first, weeks, lambda at: at.isocalendar()[:2], kept, "weekly")
    return kept


def _newest_per(
    newest_first: list[tuple[K, datetime]],
    limit: int,
    period: Callable[[datetime], Hashable],
    kept: dict[K, str],
    label: str,
) -> None:
    """Keep the first (newest) backup of each of the ``limit`` most recent periods."""
    seen: set[Hashable] = set()
    for key, at in newest_first:
        which = period(at)
        if which in seen:
            continue
        if len(seen) == limit:
            return
        seen.add(which)
        kept.setdefault(key, label)
