"""The one retry schedule: capped exponential backoff with jitter, whose next attempt can be shown.

Every loop that retries (connectors, the sync engine, the live channel, the event-log writer, the
supervised workers of :mod:`~streampai_desktop.core.worker`) takes its delays from a
:class:`Backoff`, so "reconnecting, next attempt at 18:02:13" means the same thing everywhere and
no loop can spin.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta


class Backoff:
    """Capped exponential backoff with jitter (AWS "equal jitter"): never a tight loop.

    The n-th delay (counting from 0 since the last :meth:`reset`) is uniform in
    ``[c / 2, c]`` with ``c = min(cap, base · 2ⁿ)``. The lower bound of half keeps a reconnect
    storm from collapsing to near-zero waits; the jitter keeps many clients from retrying in
    step. After :meth:`next_delay`, :attr:`delay` and :attr:`next_attempt_at` say when the next
    attempt is, for the UI.
    """

    def __init__(
        self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError("need 0 < base <= cap")
        self.base = base
        self.cap = cap
        self.attempts = 0
        self.delay: float | None = None
        """The delay last handed out; None after :meth:`reset` (nothing to wait for)."""
        self.next_attempt_at: datetime | None = None
        """When the next attempt is due (UTC wall clock), for "next attempt at …"."""
        self._rng = rng or random.Random()

    def next_delay(self, hint: float | None = None) -> float:
        """Seconds to wait before the next attempt, and count this failure.

        ``hint`` is the other side's own wait (HTTP ``Retry-After``, a rate limit's reset); when
        given it is used as is (not capped: the server knows best), and the failure still counts,
        so a later failure without a hint waits longer.
        """
        if hint is not None:
            delay = max(0.0, hint)
        else:
            ceiling = min(self.cap, self.base * 2 ** min(self.attempts, 30))
            delay = self._rng.uniform(ceiling / 2, ceiling)
        self.attempts += 1
        self.delay = delay
        self.next_attempt_at = datetime.now(UTC) + timedelta(seconds=delay)
        return delay

    def reset(self) -> None:
        """The thing worked: start again from the shortest delay."""
        self.attempts = 0
        self.delay = None
        self.next_attempt_at = None

    def __repr__(self) -> str:
        return f"<Backoff base={self.base} cap={self.cap} attempts={self.attempts}>"
